"""The gunicorn worker Glas serves with: gevent, so a slow client costs a greenlet, not a thread,
and a pace every client must keep, so a trickling one is cut off.

With threads, 40 request bodies sent one byte every five seconds held all 16 threads and every
``GET /`` timed out; over Tor those connections can share one circuit, so proof-of-work does not
help. Here each connection is a greenlet (thousands fit in a worker), and its socket is wrapped so
that (a) no receive waits longer than :data:`IDLE_SECONDS`, and (b) after :data:`GRACE_SECONDS`
a connection must have averaged :data:`MIN_BYTES_PER_SECOND` since it started receiving its
current request. Real respondents over Tor send tens of kilobytes a second or more; an attacker
who keeps a connection open must now spend real bandwidth on it.

The no-JavaScript path's streaming encryption is unchanged: Werkzeug reads the body through the
same socket, chunk by chunk, and hands each chunk to the sealer; nothing is spooled.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import signal
import time
from typing import Any

from gunicorn.workers.ggevent import GeventWorker

from .errors import TooSlow

#: No byte for this long: the connection is cut (also between requests of a kept-alive one).
IDLE_SECONDS = 30.0
#: A request's first seconds are free of the pace (Tor circuits start slowly).
GRACE_SECONDS = 20.0
#: The average a connection must keep after the grace period, in bytes a second.
MIN_BYTES_PER_SECOND = 512
#: A pause longer than this between two requests starts a new pacing window.
NEW_REQUEST_GAP_SECONDS = 2.0


class PacedSocket:
    """A client socket whose receives must keep a minimum pace (see the module docstring)."""

    def __init__(self, sock: Any, clock: Any = time.monotonic) -> None:
        self._sock = sock
        self._clock = clock
        self._sock.settimeout(IDLE_SECONDS)
        self._started: float | None = None
        self._received = 0
        self._last = clock()

    def recv(self, size: int, *flags: int) -> bytes:
        now = self._clock()
        if self._started is None or now - self._last > NEW_REQUEST_GAP_SECONDS:
            self._started, self._received = now, 0  # a new request (or the first)
        elapsed = now - self._started
        if elapsed > GRACE_SECONDS and self._received < MIN_BYTES_PER_SECOND * elapsed:
            raise TooSlow("The client sends too slowly.")
        data: bytes = self._sock.recv(size, *flags)
        self._received += len(data)
        self._last = self._clock()
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _end_while_booting(_number: int, _frame: Any) -> None:
    """Exit at once and quietly: not SIGQUIT's default action, which would dump core (a
    worker's memory on disk)."""
    os._exit(0)


class PacedGeventWorker(GeventWorker):  # type: ignore[misc]
    """gunicorn's gevent worker, with every client socket paced."""

    def init_process(self) -> None:
        """Boot; a TERM or INT that comes while booting ends the worker at once.

        Until gunicorn installs the worker's own handlers (after patching and loading), the
        handler it inherited from the master queues a signal in the worker's copy of the
        master's queue, where nobody reads it: a worker told to stop while booting then booted
        and served until the master's graceful timeout (20 s) killed it. A worker that has
        not started serving has nothing to finish; gunicorn's own handlers replace these."""
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(number, _end_while_booting)
        super().init_process()

    def patch(self) -> None:
        """gevent's monkey-patching, without reading every installed package's metadata
        for each module it patches.

        gevent lets other packages hook into patching (entry points); it looks them up afresh
        for every module, and each look-up reads all installed distributions. That was most
        of a worker's start: seconds of CPU for each of the four workers of `glas serve`.
        Installed packages do not change while a worker starts, so one look-up per group
        serves them all."""
        lookup = importlib.metadata.entry_points
        importlib.metadata.entry_points = functools.cache(lookup)  # type: ignore[assignment]
        try:
            super().patch()
        finally:
            importlib.metadata.entry_points = lookup

    def handle(self, listener: Any, client: Any, addr: Any) -> None:
        # GeventWorker.handle only makes the socket blocking, then calls the async worker's
        # handle; done here so that the async worker gets the paced socket instead.
        client.setblocking(1)
        super(GeventWorker, self).handle(listener, PacedSocket(client), addr)
