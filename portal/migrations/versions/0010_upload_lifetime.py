"""Uploads in progress remember the minute they were made: a slot lives at most a day, and one
that has not received bytes at a minimum rate goes (a trickle of 1-byte chunks no longer keeps
it for weeks).

Revision ID: 0010
Revises: 0009
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("made", sa.Integer, nullable=False, server_default="0"))
    # Uploads in progress during the upgrade count from now (they may still resume).
    op.execute(sa.text("UPDATE uploads SET made = :minute").bindparams(minute=int(time.time() // 60)))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("made")
