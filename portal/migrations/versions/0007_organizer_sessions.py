"""Organizer sessions the server can end: a cookie copied before "Log out" stops working.

The cookie carries a random session token; the server keeps only its SHA-256, the account it
belongs to and the time it was last used. Logging out deletes the row.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizer_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "organizer_id",
            sa.Integer,
            sa.ForeignKey("organizers.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("seen", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("organizer_sessions")
