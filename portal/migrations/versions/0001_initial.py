"""Surveys, their versions, reviewer keys and sealed submissions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published_version", sa.String(64), nullable=True),
    )
    op.create_table(
        "survey_versions",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("survey_id", sa.String(64), sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created", sa.Date(), nullable=False),
    )
    op.create_index("ix_survey_versions_survey_id", "survey_versions", ["survey_id"])
    op.create_table(
        "reviewers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("added", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("survey_id", sa.String(64), sa.ForeignKey("surveys.id"), nullable=False),
        sa.Column("version", sa.String(64), sa.ForeignKey("survey_versions.digest"), nullable=False),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("size_bucket", sa.Integer(), nullable=False),
        sa.Column("slots", sa.Text(), nullable=False),
        sa.Column("answers", sa.LargeBinary(), nullable=False),
        sa.Column("parts", sa.Text(), nullable=False),
        sa.Column("exported", sa.Date(), nullable=True),
    )
    op.create_index("ix_submissions_survey_id", "submissions", ["survey_id"])
    op.create_index("ix_submissions_exported", "submissions", ["exported"])


def downgrade() -> None:
    op.drop_table("submissions")
    op.drop_table("reviewers")
    op.drop_table("survey_versions")
    op.drop_table("surveys")
