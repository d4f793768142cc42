"""The database engine and schema migrations (Alembic, from the first table on)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
#: The newest migration's revision: what a server started on an already-migrated database
#: checks for without importing Alembic (a third of a second in every process that serves;
#: tests/test_storage.py holds it equal to Alembic's own head).
HEAD_REVISION = "0010"


def make_engine(url: str, pooled: bool = True) -> Engine:
    """Create the engine (``pooled=False``: every connection closed when its work is done, for
    commands); SQLite gets a rollback journal, full fsync on commit, zeroed deletes
    and enforced foreign keys.

    Not WAL: a write-ahead log keeps every committed page, in commit order, until a checkpoint,
    so a copy of a running server's data dir would give the order of arrival. The rollback
    journal holds only the pages one transaction is changing, as they were *before* it, and is
    deleted when the transaction commits; secure_delete zeroes what rows leave behind. What is
    left is where new cells sit in their pages, which `Store.tidy` rewrites (VACUUM) in key
    order every few minutes (docs/envelope.md, "What the server stores")."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=DELETE")
            # FULL: a committed submission survives power loss, not only a crash.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted ciphertext is overwritten in the file, not left in free pages.
            cursor.execute("PRAGMA secure_delete=ON")
            # Sorts, indexes being built and temporary tables stay in memory, never in TMPDIR.
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

        return engine
    # psycopg prepares a statement run five times on a connection; under gevent a greenlet
    # cut off mid-statement then left "prepared statement ... already exists" behind (seen as
    # rare 500s with payloads in the database). Statements here are few and short: no prepare.
    options = {"connect_args": {"prepare_threshold": None}} if "+psycopg" in url else {}
    if not pooled:  # a command: a few statements, then the process ends; nothing left open
        return create_engine(url, poolclass=NullPool, **options)
    return create_engine(url, pool_pre_ping=True, **options)


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration (Alembic's own version table, read
    directly: see HEAD_REVISION)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            current = None
        else:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    return current == HEAD_REVISION


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
