"""PostgreSQL as a first-class store: the migrations build the models' schema, ten processes
starting at once against an empty database all come up (one migrates, under a lock), app
servers share the Flask secret, and nothing in the heap gives the order of arrival or keeps
what retention deleted.

These run against a throwaway cluster whatever GLAS_TEST_DATABASE says (tests/postgres.py);
``make test`` also runs the whole suite on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from crypto.keys import ReviewerKey
from portal import create_app
from portal.config import Config
from portal.storage import Store
from portal.storage.database import alembic_config, make_engine, upgrade
from portal.storage.models import Base
from portal.storage.retention import Retention, apply_retention, set_retention
from portal.storage.store import today

from .conftest import EXAMPLES, RunCli, csrf_token
from .helpers import GLAS, JPEG_MAGIC, submit_testimony
from .postgres import Cluster, needs_postgres

pytestmark = [pytest.mark.postgres_server, pytest.mark.slow, needs_postgres]


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh PostgreSQL database, whatever the suite's own database is."""
    with pg_cluster.database() as url:
        yield url


@pytest.fixture
def on_postgres(
    pg_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch, reviewer: tuple[Path, ReviewerKey]
) -> RunCli:
    """The test's data dir on that database, with a reviewer and the example surveys."""
    monkeypatch.setenv("GLAS_DATABASE_URL", pg_url)
    cli = RunCli()
    assert cli("reviewers", "add", reviewer[0], "--name", "Ana").exit_code == 0
    for name in ("testimony", "needs-assessment"):
        assert cli("surveys", "import", EXAMPLES / f"{name}.yaml", "--publish").exit_code == 0
    return cli


def test_the_migrations_build_the_models_schema_on_postgresql(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        upgrade(engine)  # idempotent
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_ten_processes_starting_at_once_on_an_empty_database_all_come_up(
    pg_url: str, tmp_path: Path
) -> None:
    """Every command and server start migrates; at once, one does and the others wait."""
    processes = []
    for i in range(10):
        env = {
            **os.environ,
            "GLAS_DATA_DIR": str(tmp_path / f"node{i}"),
            "GLAS_DATABASE_URL": pg_url,
        }
        processes.append(
            subprocess.Popen(
                [GLAS, "reviewers", "list"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [(p.communicate(timeout=120)[0], p.returncode) for p in processes]
    assert [code for _, code in outputs] == [0] * 10, outputs
    engine = make_engine(pg_url)
    try:
        with engine.connect() as connection:
            versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
            assert [v for (v,) in versions] == [head]
    finally:
        engine.dispose()


def test_app_servers_on_one_database_share_the_flask_secret(
    on_postgres: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form from one node is accepted by another: the secret is a row the nodes share and a
    file each is given (GLAS_SECRET_FILE), and a node without that file derives another."""
    shared = tmp_path / "portal.secret"
    shared.write_bytes(os.urandom(48).hex().encode())
    monkeypatch.setenv("GLAS_SECRET_FILE", str(shared))
    one = create_app(Config.from_env())
    monkeypatch.setenv("GLAS_DATA_DIR", str(tmp_path / "second-node"))
    other = create_app(Config.from_env())
    assert one.secret_key == other.secret_key
    assert not (tmp_path / "second-node" / "secret_key").exists()
    monkeypatch.delenv("GLAS_SECRET_FILE")
    monkeypatch.setenv("GLAS_DATA_DIR", str(tmp_path / "database-only"))
    assert create_app(Config.from_env()).secret_key != one.secret_key
    first, second = one.test_client(), other.test_client()
    page = first.get("/s/needs-assessment").get_data(as_text=True)
    cookie = first.get_cookie("session")
    if cookie is not None:
        second.set_cookie("session", cookie.value)
    fields = {"csrf_token": csrf_token(page), "services_wanted": "legal"}
    assert second.post("/s/needs-assessment", data=fields).status_code == 303


def _heap(store: Store, table: str) -> list[str]:
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT id FROM {table} ORDER BY ctid")  # noqa: S608
        return [r for (r,) in rows]


def _relation_bytes(pg_cluster: Cluster, url: str, table: str) -> bytes:
    """The bytes of a table's heap and TOAST files, as whoever copies the disk reads them."""
    database = url.split("@/", 1)[1].split("?")[0]
    statement = (
        f"SELECT pg_relation_filepath('{table}') UNION ALL "  # noqa: S608 (a table name of this test)
        f"SELECT pg_relation_filepath(reltoastrelid) FROM pg_class WHERE relname = '{table}'"
    )
    paths = pg_cluster.sql(statement, database).split()
    pg_cluster.sql("CHECKPOINT", database)
    data = pg_cluster.folder / "data"
    return b"".join(
        f.read_bytes()
        for p in paths
        for f in data.glob(p + "*")
        if f.name.split(".")[0] == Path(p).name
    )


def test_the_heap_gives_no_order_of_arrival_and_keeps_nothing_retention_deleted(
    on_postgres: RunCli, pg_url: str, pg_cluster: Cluster, data_dir: Path
) -> None:
    app = create_app(Config.from_env())
    for i in range(12):  # twelve respondents (one session sends five, then waits: pace.py)
        client = app.test_client()
        submit_testimony(client, f"testimony {i}", attachment=JPEG_MAGIC + os.urandom(64))
    store: Store = app.extensions["glas.store"]
    arrival = _heap(store, "submissions")  # before any tidy: the heap is the arrival order
    assert len(arrival) == 12
    store.tidy()
    tidied = _heap(store, "submissions")
    assert tidied == sorted(arrival)
    # Retention deletes; what it deleted is gone from the files, not only from the queries.
    with store.engine.connect() as connection:
        gone = connection.exec_driver_sql(
            "SELECT answers FROM submissions ORDER BY id LIMIT 1"
        ).scalar_one()
        piece = connection.exec_driver_sql(
            "SELECT data FROM payload_chunks ORDER BY submission_id LIMIT 1"
        ).scalar_one()
        pieces = [r for (r,) in connection.exec_driver_sql(
            "SELECT submission_id FROM payload_chunks ORDER BY ctid"
        )]  # fmt: skip
    assert pieces == sorted(pieces)  # the attachments' pieces too: in key order
    assert bytes(gone)[:40] in _relation_bytes(pg_cluster, pg_url, "submissions")
    assert bytes(piece)[-40:] in _relation_bytes(pg_cluster, pg_url, "payload_chunks")
    set_retention(store, Retention(exported_days=None, all_days=0))
    assert apply_retention(store, today(), "test") == 12
    assert bytes(gone)[:40] not in _relation_bytes(pg_cluster, pg_url, "submissions")
    assert bytes(piece)[-40:] not in _relation_bytes(pg_cluster, pg_url, "payload_chunks")
    assert _heap(store, "submissions") == []
