"""The store: migrations, crash leftovers and atomic exports, on a real SQLite file."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from crypto.bundle import SubmissionRecord
from portal import current_store
from portal.config import Config
from portal.storage import Store, today
from portal.storage.database import HEAD_REVISION, alembic_config, is_current, make_engine, upgrade
from portal.storage.export import export_bundle
from portal.storage.models import Base, SubmissionRow, SurveyRow, SurveyVersionRow

from .conftest import RunCli
from .helpers import JPEG_MAGIC, submit_testimony

pytestmark = [pytest.mark.both_databases]


def test_migrations_build_exactly_the_schema_the_models_describe(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_a_server_knows_the_newest_migration_without_alembic(tmp_path: Path) -> None:
    """Serving processes compare the version table with HEAD_REVISION: it must be Alembic's
    head, and only a database migrated to it counts as current."""
    engine = make_engine(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    assert ScriptDirectory.from_config(alembic_config(engine)).get_current_head() == HEAD_REVISION
    assert not is_current(engine)  # empty: no version table at all
    command.upgrade(alembic_config(engine), "0005")
    assert not is_current(engine)
    upgrade(engine)
    assert is_current(engine)


def test_crash_leftovers_are_swept_and_accepted_submissions_kept(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    submit_testimony(client, "an accepted testimony", attachment=JPEG_MAGIC + b"photo")
    store = app.extensions["glas.store"]
    # What a kill -9 can leave: a half-received upload, and payloads renamed without their row.
    half = store.blobs.new_incoming()
    (half / "file-0").write_bytes(b"partial ciphertext")
    orphan = store.blobs.directory("ab" * 16)  # payload files: not on PostgreSQL (rows there)
    if not store.shared:
        orphan.mkdir(parents=True)
        (orphan / "file-0").write_bytes(b"ciphertext without a row")

    store.initialise()  # what every server start does
    store.sweep_leftovers()

    assert not half.exists() and not orphan.exists()
    assert store.count_submissions() == 1
    (record,) = store.pending_export()
    kept = store.payload(record.submission_id, "file-0")  # a file, or rows in PostgreSQL
    assert (kept.stat().st_size if isinstance(kept, Path) else kept.size) > 0


def test_an_export_that_fails_midway_leaves_no_bundle_and_marks_nothing(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    submit_testimony(client, "first testimony text")
    submit_testimony(client, "second testimony text", attachment=JPEG_MAGIC + b"photo")
    with app.app_context():
        store = current_store()
        # The disk lost a payload: the export must fail, not half-succeed.
        if store.shared:
            with store.engine.begin() as connection:
                connection.exec_driver_sql("DELETE FROM payload_chunks")
        else:
            (part,) = [p for p in store.blobs.root.glob("*/*/file-0") if ".incoming" not in str(p)]
            part.unlink()
        with pytest.raises(FileNotFoundError):
            export_bundle(store, tmp_path / "b.glas")
        assert list(tmp_path.glob("b.glas*")) == []
        assert len(list(store.pending_export())) == 2


def test_received_is_a_day_and_nothing_else_about_the_respondent_is_stored(
    app: Flask, client: FlaskClient
) -> None:
    submit_testimony(client, "some testimony text")
    with app.app_context():
        (record,) = current_store().pending_export()
    assert len(record.received) == 10  # YYYY-MM-DD
    columns = {c.name for c in Base.metadata.tables["submissions"].columns}
    assert columns == {
        "id",
        "survey_id",
        "version",
        "received",
        "size_bucket",
        "slots",
        "answers",
        "parts",
        "exported",
    }


def test_rows_sit_in_the_order_of_their_random_ids_not_of_arrival(tmp_path: Path) -> None:
    """A seized file must not line up reply boxes with the testimonies stored just before."""
    engine = make_engine(f"sqlite:///{tmp_path / 'o.sqlite3'}")
    command.upgrade(alembic_config(engine), "0005")  # a database from before the change
    boxes = [secrets.token_hex(32) for _ in range(40)]
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO surveys (id, title) VALUES ('s', 'S')")
        connection.exec_driver_sql(
            "INSERT INTO survey_versions VALUES ('v', 's', '{}', '2026-01-01')"
        )
        for i, login_id in enumerate(boxes):
            connection.exec_driver_sql(
                "INSERT INTO submissions (id, survey_id, version, received, size_bucket, slots,"
                " answers, parts) VALUES (?, 's', 'v', '2026-01-01', 1024, '[]', x'00', '[]')",
                (secrets.token_hex(16),),
            )
            connection.exec_driver_sql(
                "INSERT INTO reply_boxes VALUES (?, ?)", (login_id, secrets.token_bytes(32))
            )
            connection.exec_driver_sql(
                "INSERT INTO replies VALUES (?, ?, x'00')", (f"{i:032x}", login_id)
            )
    upgrade(engine)
    with engine.connect() as connection:
        raw = [r[0] for r in connection.exec_driver_sql("SELECT login_id FROM reply_boxes")]
        assert raw == sorted(boxes) and raw != boxes
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert connection.exec_driver_sql("SELECT count(*) FROM submissions").scalar() == 40
        assert connection.exec_driver_sql("SELECT count(*) FROM replies").scalar() == 40
        for table in ("submissions", "reply_boxes", "replies"):
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?", (table,)
            ).scalar()
            assert "WITHOUT ROWID" in sql, table


def test_submissions_arriving_together_share_a_commit_and_a_bad_row_costs_only_itself(
    tmp_path: Path,
) -> None:
    """Group commit (portal/storage/grouping.py) under 40 concurrent savers, one of which
    repeats an id already stored: that one fails, the 39 others are durable."""
    store = Store(Config.from_env({"GLAS_DATA_DIR": str(tmp_path)}))
    store.initialise()
    with store.session() as s:
        s.add(SurveyRow(id="s", title="S"))
        s.flush()
        s.add(SurveyVersionRow(digest="v", survey_id="s", definition="{}", created=today()))
    taken = secrets.token_hex(16)

    def record(submission_id: str) -> SubmissionRecord:
        return SubmissionRecord(
            submission_id=submission_id,
            survey_id="s",
            version="v",
            received=today().isoformat(),
            size_bucket=1024,
            slots=[],
            answers=b"\x00" * 100,
            parts=[],
        )

    store.save_submission(record(taken), None)
    ids = [secrets.token_hex(16) for _ in range(39)] + [taken]
    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(lambda i: _outcome(store, record(i)), ids))
    assert outcomes[:39] == ["saved"] * 39 and outcomes[39] == "IntegrityError"
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(SubmissionRow)) == 40


def _outcome(store: Store, record: SubmissionRecord) -> str:
    try:
        store.save_submission(record, None)
    except Exception as e:
        return type(e).__name__
    return "saved"


def test_the_store_knows_nothing_of_http() -> None:
    """Storage errors carry no HTTP status and the store imports nothing of the web: pages and
    commands share its use cases, and the web layer maps its errors (portal/errors.py)."""
    import ast

    from portal.errors import UPLOAD_STATUS
    from portal.storage import errors

    for path in (Path(errors.__file__).parent).glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = [
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        ]
        assert not [m for m in modules if m.split(".")[0] in ("flask", "werkzeug", "flask_wtf")], (
            path
        )
    for kind in vars(errors).values():
        if isinstance(kind, type) and issubclass(kind, Exception):
            assert not hasattr(kind, "status"), kind
    assert set(UPLOAD_STATUS) == {
        k
        for k in vars(errors).values()
        if isinstance(k, type) and issubclass(k, errors.UploadError)
    } - {errors.UploadError}


def test_a_server_starting_sweeps_only_its_own_forms_in_progress(tmp_path: Path) -> None:
    """Two nodes on one data dir (a shared disk): one's start-up never deletes what the other
    is receiving."""
    from portal.storage.blobs import BlobStore

    mine, theirs = BlobStore(tmp_path, "node-a"), BlobStore(tmp_path, "node-b")
    left, receiving = mine.new_incoming(), theirs.new_incoming()
    (left / "file-0").write_bytes(b"half of a form from before a crash")
    (receiving / "file-0").write_bytes(b"a form arriving right now")
    assert mine.sweep(None) == 1
    assert not left.exists() and (receiving / "file-0").exists()


def test_a_use_case_that_changes_several_rows_commits_all_of_them_or_none(
    run_cli: RunCli,
) -> None:
    from onion import ClientKey
    from portal.errors import StorageError
    from portal.staff import invite
    from portal.storage.organizers import audit_log, organizers

    assert run_cli("onion", "instances").exit_code == 0  # makes and migrates the store
    with Store(Config.from_env()) as store:
        # An onion key from before accounts existed: the invitation's second row is refused,
        # and the account its first row made goes with it, audit line and all.
        store.add_onion_client("Mila", ClientKey.generate().public_base32)
        with pytest.raises(StorageError, match="already exists"):
            invite(store, "Mila", "test")
        assert [o.name for o in organizers(store)] == []
        assert [a.action for a in audit_log(store)] == []

        invitation = invite(store, "Ana", "test")
        assert invitation.name == "Ana"
        assert [a.action for a in audit_log(store)] == ["invited an organizer"]
