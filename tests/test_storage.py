"""The store: migrations, crash leftovers and atomic exports, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient

from portal import current_store
from portal.storage.database import make_engine, upgrade
from portal.storage.export import export_bundle
from portal.storage.models import Base

from .helpers import submit_testimony


def test_migrations_build_exactly_the_schema_the_models_describe(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_crash_leftovers_are_swept_and_accepted_submissions_kept(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    submit_testimony(client, "an accepted testimony", attachment=b"photo")
    store = app.extensions["glas.store"]
    # What a kill -9 can leave: a half-received upload, and payloads renamed without their row.
    half = store.blobs.new_incoming()
    (half / "file-0").write_bytes(b"partial ciphertext")
    orphan = store.blobs.directory("ab" * 16)
    orphan.mkdir(parents=True)
    (orphan / "file-0").write_bytes(b"ciphertext without a row")

    store.initialise()  # what every server start does
    store.sweep_leftovers()

    assert not half.exists() and not orphan.exists()
    assert store.count_submissions() == 1
    (kept,) = [p for p in (data_dir / "blobs").glob("*/*/file-0") if ".incoming" not in str(p)]
    assert kept.stat().st_size > 0


def test_an_export_that_fails_midway_leaves_no_bundle_and_marks_nothing(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    submit_testimony(client, "first testimony text")
    submit_testimony(client, "second testimony text", attachment=b"photo")
    with app.app_context():
        store = current_store()
        (part,) = [p for p in store.blobs.root.glob("*/*/file-0") if ".incoming" not in str(p)]
        part.unlink()  # the disk lost a payload: the export must fail, not half-succeed
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
