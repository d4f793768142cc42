"""Codename reply boxes and the replies filed in them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_boxes",
        sa.Column("login_id", sa.String(64), primary_key=True),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False, unique=True),
    )
    op.create_table(
        "replies",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("login_id", sa.String(64), sa.ForeignKey("reply_boxes.login_id"), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_replies_login_id", "replies", ["login_id"])


def downgrade() -> None:
    op.drop_index("ix_replies_login_id", "replies")
    op.drop_table("replies")
    op.drop_table("reply_boxes")
