"""The warning feed: trusted signer keys and the imported signed feed.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_signers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("added", sa.Date(), nullable=False),
    )
    op.create_table(
        "alert_feeds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("signed", sa.LargeBinary(), nullable=False),
        sa.Column("imported", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alert_feeds")
    op.drop_table("alert_signers")
