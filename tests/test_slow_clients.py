"""Slow clients cannot take the portal down: a trickling body or header costs a greenlet and is
cut off, while others are served — and the streaming no-JS encryption works as before."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from urllib.parse import urlparse

import pytest
import requests

from portal.gevent_worker import GRACE_SECONDS, IDLE_SECONDS, MIN_BYTES_PER_SECOND, PacedSocket

from .conftest import csrf_token
from .helpers import JPEG_MAGIC, LiveServer

SLOW_BODIES = 60
SLOW_HEADERS = 60
ATTACK_SECONDS = GRACE_SECONDS + 15


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Trickle:
    """A socket that delivers ``per_call`` bytes each call, ``seconds`` apart on the fake clock."""

    def __init__(self, clock: FakeClock, per_call: int, seconds: float) -> None:
        self.clock, self.per_call, self.seconds = clock, per_call, seconds

    def settimeout(self, value: float) -> None:
        self.timeout = value

    def recv(self, size: int) -> bytes:
        self.clock.now += self.seconds
        return b"x" * min(size, self.per_call)


def test_a_trickling_client_is_cut_after_the_grace_period_and_a_steady_one_is_not() -> None:
    clock = FakeClock()
    slow = PacedSocket(Trickle(clock, 1, 1.5), clock)
    with pytest.raises(TimeoutError):
        for _ in range(1000):
            slow.recv(8192)
    assert clock.now < GRACE_SECONDS + 5
    clock = FakeClock()
    steady = PacedSocket(Trickle(clock, 4 * MIN_BYTES_PER_SECOND, 1.0), clock)
    for _ in range(600):  # ten minutes at four times the minimum pace
        steady.recv(65536)
    assert steady.timeout == IDLE_SECONDS


def _host_port(server: LiveServer) -> tuple[str, int]:
    parsed = urlparse(server.url)
    return parsed.hostname or "127.0.0.1", parsed.port or 80


def _slow_body(address: tuple[str, int], stop: threading.Event, cut: list[float]) -> None:
    started = time.monotonic()
    with socket.create_connection(address, timeout=5) as s:
        s.sendall(
            b"POST /s/testimony HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
            b"boundary=b\r\nContent-Length: 1000000\r\n\r\n--b\r\n"
        )
        while not stop.wait(2):
            try:
                s.sendall(b"x")
            except OSError:
                cut.append(time.monotonic() - started)
                return


def _slow_header(address: tuple[str, int], stop: threading.Event, cut: list[float]) -> None:
    started = time.monotonic()
    with socket.create_connection(address, timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        while not stop.wait(2):
            try:
                s.sendall(b"X-A: b\r\n")
            except OSError:
                cut.append(time.monotonic() - started)
                return


@pytest.mark.slow
@pytest.mark.serial
def test_slow_bodies_and_headers_neither_block_the_site_nor_stay_connected(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server(GLAS_WORKERS="2")  # the operator's default: what is measured
    address = _host_port(server)
    stop = threading.Event()
    cut: list[float] = []
    threads = [
        threading.Thread(target=_slow_body, args=(address, stop, cut), daemon=True)
        for _ in range(SLOW_BODIES)
    ] + [
        threading.Thread(target=_slow_header, args=(address, stop, cut), daemon=True)
        for _ in range(SLOW_HEADERS)
    ]
    with ExitStack() as cleanup:
        cleanup.callback(stop.set)
        for thread in threads:
            thread.start()
        time.sleep(3)  # every slow connection is open and trickling
        latencies = []
        submitted = False
        deadline = time.monotonic() + ATTACK_SECONDS
        while time.monotonic() < deadline:
            begin = time.monotonic()
            assert requests.get(server.url, timeout=10).status_code == 200
            latencies.append(time.monotonic() - begin)
            if not submitted:  # a real respondent, without JavaScript, during the attack
                session = requests.Session()
                token = csrf_token(session.get(server.url + "s/testimony", timeout=10).text)
                response = session.post(
                    server.url + "s/testimony",
                    data={
                        "csrf_token": token,
                        "what_happened": "Sent during an attack.",
                        "who": "police",
                    },
                    files=[("evidence", ("p.jpg", JPEG_MAGIC + b"p" * 300_000, "image/jpeg"))],
                    timeout=30,
                    allow_redirects=False,
                )
                assert response.status_code == 303
                submitted = True
            time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    latencies.sort()
    print(f"GET / during the attack: {len(latencies)} requests, max {latencies[-1]:.2f} s")
    assert latencies[-1] < 2
    # The trickling connections were cut by the server, not left open.
    assert len(cut) >= (SLOW_BODIES + SLOW_HEADERS) * 0.9, len(cut)
    assert max(cut) < GRACE_SECONDS + IDLE_SECONDS
