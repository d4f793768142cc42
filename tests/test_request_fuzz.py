"""Throw 10,000+ malformed requests at a real server: no 5xx, no traceback, nothing stored.

Cases are drawn from a seeded generator (reproducible): malformed multipart bodies, wrong or
missing boundaries, truncated parts, bad encodings, path traversal and control characters in
file names, odd Unicode, huge headers and fields, wrong methods and content types, on the form,
the landing page and unknown paths; a share carries a valid CSRF token so that parsing and
validation are reached, not only the CSRF check.
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
from .helpers import LiveServer, stop

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


def raw_request(rng: random.Random, token: str | None, cookie: str) -> bytes:
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
    rng = random.Random(20261123)
    statuses: Counter[int | None] = Counter()
    for _ in range(CASES):
        statuses[send(live.url, raw_request(rng, token, cookie))] += 1
    server_errors = {s: n for s, n in statuses.items() if s is not None and s >= 500}
    print(f"fuzz: {CASES} cases, statuses {dict(sorted(statuses.items(), key=str))}")
    assert server_errors == {}, statuses
    assert sum(n for s, n in statuses.items() if s is not None) > CASES * 0.9
    stop(live)
    log = live.log.read_text()
    assert "Traceback" not in log and "Unhandled" not in log, log[-3000:]
    store = Store(Config.from_env())
    assert store.count_submissions() == 0  # nothing malformed was ever accepted
