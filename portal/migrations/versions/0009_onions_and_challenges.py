"""The nodes' instance onions (for an Onionbalance front) and spent upload challenges, in the
database every app server shares.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "onion_instances",
        sa.Column("address", sa.String(56), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
    )
    op.create_table(
        "used_challenges",
        sa.Column("nonce", sa.String(32), primary_key=True),
        sa.Column("minute", sa.Integer, nullable=False, index=True),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("used_challenges")
    op.drop_table("onion_instances")
