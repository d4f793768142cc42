"""The whole path through real processes: glas serve (gunicorn), HTTP, export, glas decrypt.

Then the seizure check: a random canary sent in the answers and inside the attachment must not
appear in any file of the data dir, the SQLite database, the server's TMPDIR or its logs.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from crypto.keys import ReviewerKey

from .conftest import RunCli, csrf_token, free_port
from .helpers import (
    JPEG_MAGIC,
    LiveServer,
    files_containing,
    received_file,
    start,
    stop,
    version_folder,
)

pytestmark = [pytest.mark.tor, pytest.mark.slow]


@pytest.fixture
def server_env(data_dir: Path, tmp_path: Path) -> dict[str, str]:
    tmpdir = tmp_path / "server-tmp"
    tmpdir.mkdir(exist_ok=True)
    return {
        **os.environ,
        "GLAS_DATA_DIR": str(data_dir),
        "TMPDIR": str(tmpdir),
        # Never the public Tor network from a test: a private, offline tor only.
        "GLAS_TOR": "bundled",
        "GLAS_TOR_OPTIONS": "DisableNetwork 1",
    }


@pytest.fixture
def live(live_server: Callable[..., LiveServer], server_env: dict[str, str]) -> LiveServer:
    return live_server(**server_env)


def test_answer_and_5_mb_attachment_arrive_intact_and_leave_no_plaintext_behind(
    live: LiveServer,
    published: RunCli,
    server_env: dict[str, str],
    data_dir: Path,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    canary = "CANARY-" + secrets.token_hex(8)
    attachment = JPEG_MAGIC + os.urandom(5 * 1024 * 1024) + canary.encode() + os.urandom(1000)
    text = f"Two men stopped me near the station. {canary}"
    session = requests.Session()
    form = session.get(live.url + "s/testimony").text
    token = csrf_token(form)
    response = session.post(
        live.url + "s/testimony",
        data={
            "csrf_token": token,
            "what_happened": text,
            "who": ["police", "client"],
            "place": "street",
            "month": ["2024", "03"],
        },
        files=[("evidence", ("night photo.jpg", attachment, "image/jpeg"))],
        timeout=60,
    )
    assert response.status_code == 200 and "Thank you" in response.text

    bundle = tmp_path / "usb" / "export.glas"
    bundle.parent.mkdir()
    assert published("export", "--out", bundle).exit_code == 0
    stop(live)

    out = tmp_path / "reviewer"
    result = published(
        "decrypt", bundle, "--key", reviewer[0], "--out", out, "--passphrase-file", passphrase_file
    )
    assert result.exit_code == 0, result.output
    csv_text = (version_folder(out, "testimony") / "answers.csv").read_text()
    assert text in csv_text and "Police;A client,1,1,0,0," in csv_text and ",2024-03," in csv_text
    # The testimony's "when" is a month: no day of it anywhere the reviewer's tools wrote.
    assert files_containing(b"2024-03-", out) == []
    assert received_file(out, "testimony", "night photo.jpg").read_bytes() == attachment

    server_side = [data_dir, Path(server_env["TMPDIR"]), live.log, bundle]
    assert files_containing(canary.encode(), *server_side) == []
    assert files_containing(text.encode(), *server_side) == []


def test_make_run_serves_the_landing_page_and_prints_the_onion_addresses(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    command = [
        "make",
        "--no-print-directory",
        "run",
        f"PORT={free_port()}",
        f"ORGANIZER_PORT={free_port()}",
    ]
    server = start(command, server_env, tmp_path / "make-run.log")
    try:
        page = requests.get(server.url, timeout=10)
        assert page.status_code == 200 and "Welcome" in page.text
        deadline = time.monotonic() + 60
        while "Organizer onion" not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = server.log.read_text()
        assert re.search(r"Respondent onion: http://[a-z2-7]{56}\.onion/", log), log
        # No organizer client key yet: its address is printed but deliberately not published.
        assert re.search(r"Organizer onion: http://[a-z2-7]{56}\.onion/ \(NOT published", log), log
    finally:
        stop(server)
