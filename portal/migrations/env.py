"""Alembic environment: migrations run on the engine the application made.

On PostgreSQL they run under a transaction-level advisory lock: when ten servers or commands
start at once against an empty database, one migrates and the others wait, then find the
schema current (a second CREATE TABLE at the same time fails on pg_type's unique index)."""

from alembic import context

from portal.storage.models import Base

#: The advisory lock's key: "glas" in ASCII, a number no other program here uses.
MIGRATION_LOCK = 0x676C6173

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
