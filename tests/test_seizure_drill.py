"""The seizure drill: what police would get from the server after a realistic week.

A live server receives surveys and testimonies with photos. Then the whole data dir (database,
blobs, keys), the server's log and its TMPDIR are copied, as an image of the disk would be, and
searched for every distinctive value any respondent sent: answers, file names, file contents,
browser details. Zero hits. The test also takes inventory of what *is* visible, which must be
exactly what docs/envelope.md ("What the server stores") says.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from .conftest import RunCli, csrf_token
from .helpers import JPEG_MAGIC, LiveServer, files_containing, stop

pytestmark = pytest.mark.slow
DOCUMENTED_COLUMNS = {
    "submissions": {
        "id",
        "survey_id",
        "version",
        "received",
        "size_bucket",
        "slots",
        "answers",
        "parts",
        "exported",
    },
    "surveys": {"id", "title", "published_version", "closed"},
    "survey_versions": {"digest", "survey_id", "definition", "created"},
    "reviewers": {"id", "name", "key_id", "public_key", "added", "active"},
    "onion_clients": {"id", "name", "public_key", "added", "revoked"},
    "alert_signers": {"id", "name", "key_id", "public_key", "added"},
    "alert_feeds": {"id", "signed", "imported"},
    "reply_boxes": {"login_id", "public_key"},
    "replies": {"id", "login_id", "sealed"},
    "organizers": {
        "id",
        "name",
        "password_hash",
        "totp_secret",
        "totp_last_step",
        "setup_token",
        "setup_expires",
        "session_epoch",
        "created",
    },
    "organizer_sessions": {"token_hash", "organizer_id", "seen"},
    "login_attempts": {"id", "account", "at"},
    "audit_log": {"id", "at", "organizer", "action", "detail"},
    "survey_drafts": {"survey_id", "definition"},
    "survey_reviewers": {"survey_id", "reviewer_id"},
    "settings": {"key", "value"},
    "alembic_version": {"version_num"},
}


@pytest.fixture
def live(live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server()


def secret(label: str) -> str:
    return f"{label}-{secrets.token_hex(5)}"


def test_a_seized_server_reveals_no_answer_no_file_no_name(
    live: LiveServer, published: RunCli, data_dir: Path, tmp_path: Path
) -> None:
    sent: list[str] = []
    for i in range(6):
        session = requests.Session()
        session.headers["User-Agent"] = ua = secret("Mozilla/5.0 Phone")
        sent.append(ua)
        form = session.get(live.url + "s/needs-assessment").text
        suggestion = secret(f"Marija from Bit Pazar needs a doctor {i}")
        sent.append(suggestion)
        assert (
            session.post(
                live.url + "s/needs-assessment",
                allow_redirects=False,
                data={
                    "csrf_token": csrf_token(form),
                    "services_wanted": ["legal", "shelter"],
                    "visits_per_month": str(17 + i),
                    "suggestions": suggestion,
                },
            ).status_code
            == 303
        )
        form = session.get(live.url + "s/testimony").text
        story = secret(f"Officer Petrovski took my passport on Partizanska street {i}")
        name = secret("IMG_2024_bruises") + ".jpg"
        photo = JPEG_MAGIC + os.urandom(30_000) + secret("photo-bytes").encode()
        photo += os.urandom(30_000)
        sent += [story, name, photo.decode("latin-1")[30_000:30_022]]
        assert (
            session.post(
                live.url + "s/testimony",
                allow_redirects=False,
                data={
                    "csrf_token": csrf_token(form),
                    "what_happened": story,
                    "who": ["police"],
                    "month": ["2024", "03"],
                },
                files=[("evidence", (name, photo, "image/jpeg"))],
            ).status_code
            == 303
        )
    bundle = tmp_path / "usb.glas"
    assert published("export", "--out", bundle).exit_code == 0
    stop(live)

    seized = tmp_path / "seized"
    shutil.copytree(data_dir, seized / "data")
    shutil.copy(live.log, seized / "server.log")
    shutil.copytree(tmp_path / "server-tmp", seized / "tmp")
    hits = {
        value[:30]: files_containing(value.encode("latin-1", "replace"), seized) for value in sent
    }
    assert {k: v for k, v in hits.items() if v} == {}

    # What is visible: exactly the documented columns, a day and not a time, ciphertext blobs.
    database = sqlite3.connect(seized / "data" / "glas.sqlite3")
    tables = {t for (t,) in database.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    columns = {t: {c[1] for c in database.execute(f"PRAGMA table_info({t})")} for t in tables}
    assert columns == DOCUMENTED_COLUMNS
    received = {r for (r,) in database.execute("SELECT DISTINCT received FROM submissions")}
    assert all(len(day) == 10 for day in received)  # YYYY-MM-DD, never a time
    buckets = {b for (b,) in database.execute("SELECT DISTINCT size_bucket FROM submissions")}
    assert all(b & (b - 1) == 0 for b in buckets)  # powers of two only
    blobs = [p for p in (seized / "data" / "blobs").rglob("*") if p.is_file()]
    assert len(blobs) == 6 and all(p.name == "file-0" for p in blobs)
    print(
        "visible after seizure:",
        {t: sorted(c) for t, c in columns.items()},
        f"{len(blobs)} ciphertext blobs named file-0, days {sorted(received)}, "
        f"size buckets {sorted(buckets)}",
    )
