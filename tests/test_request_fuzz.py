"""Throw 10,000+ malformed requests at a real server: no 5xx, no traceback, nothing stored.

Cases are drawn from a seeded generator (reproducible): malformed multipart bodies, wrong or
missing boundaries, truncated parts, bad encodings, path traversal and control characters in
file names, odd Unicode, huge headers and fields, wrong methods and content types, on the form,
the landing page and unknown paths, and on the JavaScript path's upload API (odd part names and
chunk numbers, garbage chunks and finish calls, forged envelopes); a share carries a valid CSRF
token (and upload token) so that parsing and validation are reached, not only the CSRF check.
"""

from __future__ import annotations

import os
import random
import re
import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from portal.config import Config
from portal.storage import Store

from .conftest import csrf_token
from .helpers import LiveServer, ask_upload, stop

pytestmark = pytest.mark.slow
CASES = 10_500
NASTY = [
    "../../etc/passwd",
    "..\\..\\boot.ini",
    "a\x00b.jpg",
    "\u202e gpj.exe",
    "😀" * 50,
    "CON",
    "%2e%2e%2f",
    "a" * 5000,
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\r\nX-Injected: 1",
    "",
]


@pytest.fixture
def live(live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server(GLAS_MAX_REQUEST_MB="2")


def multipart(rng: random.Random, token: str | None) -> tuple[bytes, str]:
    boundary = rng.choice(["b0undary", "x" * 70, "", "with space", "ü", "a" * 200])
    parts = []
    fields = [
        "what_happened",
        "who",
        "place",
        "month",
        "evidence",
        "csrf_token",
        "website",
        "glas_envelope",
        rng.choice(NASTY),
    ]
    for _ in range(rng.randint(0, 12)):
        name = rng.choice(fields)
        value = rng.choice(
            [
                rng.choice(NASTY),
                "police",
                "2024-13-45",
                "-1e309",
                os.urandom(rng.randint(0, 300)).decode("latin-1"),
                '{"upload": "' + "0" * 32 + '", "slots": [], "answers": "AAAA"}',
                '{"upload": [], "slots": {"key_id": 1}, "answers": null}',
            ]
        )
        if name == "csrf_token" and token and rng.random() < 0.7:
            value = token
        disposition = f'form-data; name="{name}"'
        if rng.random() < 0.4:
            disposition += f'; filename="{rng.choice(NASTY)}"'
        headers = f"Content-Disposition: {disposition}\r\n"
        if rng.random() < 0.3:
            headers += (
                f"Content-Type: {rng.choice(['image/jpeg', 'text/plain', '', 'x' * 300])}\r\n"
            )
        if rng.random() < 0.1:
            headers += "Content-Transfer-Encoding: base64\r\n"
        parts.append(f"--{boundary}\r\n{headers}\r\n{value}\r\n")
    body = "".join(parts) + (f"--{boundary}--\r\n" if rng.random() < 0.8 else "")
    data = body.encode("utf-8", "surrogateescape")
    if rng.random() < 0.2:
        data = data[: rng.randint(0, len(data))]  # cut short
    declared = boundary if rng.random() < 0.85 else rng.choice(["other", ""])
    return data, f"multipart/form-data; boundary={declared}"


def upload_request(rng: random.Random, upload: str) -> tuple[str, str, bytes, str]:
    """A call to the upload API: method, path, body, content type."""
    token = upload if rng.random() < 0.8 else rng.choice(["0" * 32, "../..", "x" * 300])
    part = rng.choice(["file-0", "file-1", "file-9", "file-10", "file-01", *NASTY[:6]])
    base = f"/s/{rng.choice(['testimony', 'needs-assessment'])}/uploads"
    if rng.random() < 0.02:
        return "POST", base, b"", "application/json"
    if rng.random() < 0.5:
        index = rng.choice(["0", "1", "-1", "99999999999999999999", "x", "0x1"])
        body = os.urandom(rng.choice([0, 1, 17, 41, 5000]))
        return rng.choice(["PUT", "PUT", "POST"]), f"{base}/{token}/{part}/{index}", body, "x"
    chunks = rng.choice(["1", "-1", "1e9", "null", "[]", "99999999999999999999", '"2"', "{"])
    body = ('{"chunks": ' + chunks + "}").encode()
    return "POST", f"{base}/{token}/{part}/finish", body, "application/json"


def raw_request(rng: random.Random, token: str | None, cookie: str, upload: str) -> bytes:
    if rng.random() < 0.25:
        method, path, body, content_type = upload_request(rng, upload)
        head = ["Host: 127.0.0.1", f"Cookie: {cookie}", f"Content-Type: {content_type}"]
        if token and rng.random() < 0.8:
            head.append(f"X-CSRFToken: {token}")
        head.append(f"Content-Length: {len(body)}")
        request = f"{method} {path} HTTP/1.1\r\n" + "\r\n".join(head)
        return (request + "\r\nConnection: close\r\n\r\n").encode("utf-8") + body
    method = rng.choice(["POST"] * 6 + ["GET", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH"])
    path = rng.choice(
        [
            "/s/testimony",
            "/s/needs-assessment",
            "/",
            "/s/" + rng.choice(NASTY),
            "/static/../../etc/passwd",
            "/%00",
            "/s/testimony/thanks",
            "/static/css/glas.css",
            "/" + "a/" * 300,
        ]
    )
    path = "".join(c if 33 <= ord(c) < 127 else f"%{ord(c) % 256:02X}" for c in path)
    if rng.random() < 0.3:
        path += "?" + rng.choice(["lang=mk", "a=" + "%FF" * 50, "x" * 3000, "&&&=="])
    headers = ["Host: 127.0.0.1", f"Cookie: {cookie}"]
    body = b""
    kind = rng.random()
    if method == "POST" and kind < 0.7:
        body, content_type = multipart(rng, token)
        headers.append(f"Content-Type: {content_type}")
    elif method == "POST" and kind < 0.85:
        body = os.urandom(rng.randint(0, 2000))
        headers.append("Content-Type: application/x-www-form-urlencoded")
    elif method == "POST":
        body = b"{" * rng.randint(0, 5000)
        headers.append(f"Content-Type: {rng.choice(['application/json', 'text/plain', 'x'])}")
    if rng.random() < 0.05:
        headers.append("X-Huge: " + "h" * rng.randint(5000, 20000))
    if rng.random() < 0.05:
        headers.append("Accept-Language: " + rng.choice(NASTY))
    declared = len(body) if rng.random() < 0.9 else rng.randint(0, 4 * 1024 * 1024)
    headers.append(f"Content-Length: {declared}")
    head = f"{method} {path} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\nConnection: close\r\n\r\n"
    return head.encode("latin-1", "replace") + body


def send(url: str, payload: bytes) -> int | None:
    host, port = url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            reply = s.recv(64)
        except OSError:
            return None  # the server closed on us (e.g. a body longer than declared): fine
    match = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    return int(match.group(1)) if match else None


def test_ten_thousand_malformed_requests_give_no_5xx_and_no_traceback(
    live: LiveServer, data_dir: Path
) -> None:
    session = requests.Session()
    token = csrf_token(session.get(live.url + "s/testimony").text)
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    session.headers["X-CSRFToken"] = token
    upload = ask_upload(session, live.url + "s/testimony/uploads")["upload"]
    rng = random.Random(20261123)
    statuses: Counter[int | None] = Counter()
    for _ in range(CASES):
        statuses[send(live.url, raw_request(rng, token, cookie, upload))] += 1
    server_errors = {s: n for s, n in statuses.items() if s is not None and s >= 500}
    print(f"fuzz: {CASES} cases, statuses {dict(sorted(statuses.items(), key=str))}")
    assert server_errors == {}, statuses
    assert sum(n for s, n in statuses.items() if s is not None) > CASES * 0.9
    stop(live)
    log = live.log.read_text()
    assert "Traceback" not in log and "Unhandled" not in log, log[-3000:]
    store = Store(Config.from_env())
    assert store.count_submissions() == 0  # nothing malformed was ever accepted
