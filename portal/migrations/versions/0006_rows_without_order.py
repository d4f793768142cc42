"""Store submissions, reply boxes and replies ordered by their random ids, not by arrival.

SQLite keeps an ordinary table in rowid order, which is the order rows were inserted: a reply
box and the testimony stored a moment before it could be lined up by position in the file,
though no column ties them. A WITHOUT ROWID table is a B-tree ordered by its primary key, and
these keys are random. (PostgreSQL has no such order to hide; nothing changes there.)

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("reply_boxes", "replies", "submissions")


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Replies point to reply boxes, and a table others point to cannot be dropped while
    # foreign keys are enforced: park the replies, rebuild both tables, put them back.
    op.execute("CREATE TEMPORARY TABLE parked_replies AS SELECT * FROM replies")
    op.execute("DELETE FROM replies")
    for table in TABLES:
        kwargs = {} if with_rowid else {"sqlite_with_rowid": False}
        with op.batch_alter_table(table, recreate="always", table_kwargs=kwargs):
            pass
    op.execute("INSERT INTO replies (id, login_id, sealed) SELECT id, login_id, sealed FROM parked_replies")
    op.execute("DROP TABLE parked_replies")
