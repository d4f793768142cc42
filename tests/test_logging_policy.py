"""What a request carries never reaches a log or a file: not on success, not on any error.

Canaries go into every part of a request (path, query, headers, cookies, form fields, file
contents and names) sent to a real `glas serve` under gunicorn, including requests that end in
400, 404, 413 and 500. Afterwards the server's log, data dir and TMPDIR are searched byte by byte.
"""

from __future__ import annotations

import secrets
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from portal.storage.blobs import node_name

from .conftest import csrf_token
from .helpers import JPEG_MAGIC, LiveServer, files_containing, stop

pytestmark = pytest.mark.slow
CANARY = "CANARY-" + secrets.token_hex(6)


@pytest.fixture
def live(live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server(GLAS_MAX_REQUEST_MB="1")


def canary_request_or_reset(*args: object, **kwargs: object) -> int | str:
    """Like canary_request; a server that refuses a too-large body mid-upload may reset the
    connection before the client reads its 413: the request still reached the server."""
    try:
        return canary_request(*args, **kwargs)  # type: ignore[arg-type]
    except requests.ConnectionError:
        return "reset"


def canary_request(
    session: requests.Session, url: str, token: str | None, size: int = 100, method: str = "POST"
) -> int:
    """A request with the canary everywhere a client can put it."""
    data = {"what_happened": f"{CANARY} in the answer", "who": "police", "website": ""}
    if token:
        data["csrf_token"] = token
    response = session.request(
        method,
        f"{url}?q={CANARY}&{CANARY}=1",
        headers={
            "User-Agent": f"Mozilla {CANARY}",
            "X-Canary": CANARY,
            "Referer": f"http://{CANARY}.onion/",
            # A fresh connection each time: after a 413 the server closes the old one.
            "Connection": "close",
        },
        cookies={"c": CANARY},
        data=data if method == "POST" else None,
        files=[
            (
                "evidence",
                (
                    f"{CANARY}.jpg",
                    JPEG_MAGIC + (CANARY * (size // len(CANARY) + 1)).encode(),
                    "image/jpeg",
                ),
            )
        ]
        if method == "POST"
        else None,
        timeout=30,
        allow_redirects=False,
    )
    return response.status_code


def test_canaries_in_every_part_of_every_kind_of_request_reach_no_log_or_file(
    live: LiveServer, data_dir: Path, tmp_path: Path
) -> None:
    session = requests.Session()
    form = live.url + "s/testimony"
    token = csrf_token(session.get(form).text)
    statuses = {
        "stored": canary_request(session, form, token),
        "no CSRF token": canary_request(session, form, None),
        "unknown page": canary_request(
            session, live.url + f"{CANARY}/../etc/passwd", None, method="GET"
        ),
        "too large": canary_request_or_reset(session, form, token, size=2 * 1024 * 1024),
    }
    # A real server-side failure: the directory uploads are received into is not a directory.
    incoming = data_dir / "blobs" / ".incoming" / node_name()  # this node's forms in progress
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.parent.mkdir(parents=True, exist_ok=True)
    incoming.write_bytes(b"")
    statuses["server error"] = canary_request(session, form, token)
    incoming.unlink()
    # Broken HTTP that gunicorn itself refuses.
    host, port = live.url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(f"GET /{CANARY} HTTP/1.1\r\nHost: x\r\nBad Header {CANARY}\r\n\r\n".encode())
        raw.recv(1024)

    assert statuses["too large"] in (413, "reset")
    statuses["too large"] = 413
    assert statuses == {
        "stored": 303,
        "no CSRF token": 400,
        "unknown page": 404,
        "too large": 413,
        "server error": 500,
    }
    stop(live)
    log = live.log.read_text()
    # The 500 was logged, by kind and place only; gunicorn's refusal without the request's text.
    assert "Unhandled FileExistsError" in log and "details withheld by design" in log
    assert "Refused an invalid HTTP request" in log and "ip=" not in log
    server_side = [data_dir, tmp_path / "server-tmp", live.log]
    assert files_containing(CANARY.encode(), *server_side) == []
    assert "Traceback" not in log
