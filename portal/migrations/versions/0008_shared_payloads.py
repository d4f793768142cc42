"""Payloads and browser uploads in the database, for several app servers on one PostgreSQL.

On SQLite (one machine) the tables stay empty: payloads and uploads are files, as before.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UNORDERED = {"sqlite_with_rowid": False}


def upgrade() -> None:
    op.create_table(
        "payload_chunks",
        sa.Column(
            "submission_id",
            sa.String(32),
            sa.ForeignKey("submissions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("part", sa.String(16), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        **UNORDERED,
    )
    op.create_table(
        "uploads",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("survey_id", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("submission_id", sa.String(32), nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False),
        sa.Column("touched", sa.DateTime, nullable=False, index=True),
    )
    op.create_table(
        "upload_chunks",
        sa.Column(
            "token",
            sa.String(32),
            sa.ForeignKey("uploads.token", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("part", sa.String(16), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("payload_size", sa.Integer, nullable=True),
        **UNORDERED,
    )


def downgrade() -> None:
    op.drop_table("upload_chunks")
    op.drop_table("uploads")
    op.drop_table("payload_chunks")
