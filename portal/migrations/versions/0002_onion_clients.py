"""Client-authorisation keys of the organizer onion.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "onion_clients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("public_key", sa.String(52), nullable=False),
        sa.Column("added", sa.Date(), nullable=False),
        sa.Column("revoked", sa.Date(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("onion_clients")
