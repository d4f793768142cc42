"""Organizer accounts, their login attempts and audit log; survey drafts, reviewers per
survey, closing surveys; settings (retention).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("totp_secret", sa.String(64), nullable=False),
        sa.Column("totp_last_step", sa.Integer, nullable=False, server_default="0"),
        sa.Column("setup_token", sa.String(64), nullable=True, unique=True),
        sa.Column("setup_expires", sa.DateTime, nullable=True),
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created", sa.Date, nullable=False),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("organizer", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "survey_drafts",
        sa.Column("survey_id", sa.String(64), sa.ForeignKey("surveys.id"), primary_key=True),
        sa.Column("definition", sa.Text, nullable=False),
    )
    op.create_table(
        "survey_reviewers",
        sa.Column("survey_id", sa.String(64), sa.ForeignKey("surveys.id"), primary_key=True),
        sa.Column("reviewer_id", sa.Integer, sa.ForeignKey("reviewers.id"), primary_key=True),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("closed", sa.Boolean, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("closed")
    for table in (
        "settings", "survey_reviewers", "survey_drafts", "audit_log", "login_attempts", "organizers"
    ):
        op.drop_table(table)
