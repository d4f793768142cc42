"""Group commit: submissions that arrive together are written in one transaction.

With a rollback journal (no WAL: see database.py) every commit costs several fsyncs while it
holds the database's one write lock, so committing each submission alone caps a server at a
few hundred a second and makes them queue behind each other's fsyncs. Here the first request
to arrive becomes the leader: it pauses a moment (a greenlet switch under gevent), takes every
row that arrived meanwhile, shuffles them and commits them together; each request still
returns only once its own row is durable. Shuffling means that not even the order of rows
inside one transaction follows their arrival. A batch that fails (a duplicate id, say) is
written row by row, so one bad row costs only itself.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

#: How long the leader waits for more rows: short against an fsync, long enough for the
#: requests already running to reach their commit.
PAUSE_SECONDS = 0.002
#: A transaction holds at most this many rows (a bound on the lock's duration).
MAX_BATCH = 200


@dataclass
class _Pending:
    row: Any
    # Looked up when a row arrives, not when this module is imported: gunicorn's master imports
    # it before its gevent workers monkey-patch threading, and the wait must be a greenlet's.
    done: threading.Event = field(default_factory=lambda: threading.Event())
    error: BaseException | None = None


class CommitGroup:
    """Adds rows in shared transactions; ``add`` returns when the row is committed."""

    def __init__(self, sessions: Callable[[], Any]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []
        self._leading = False

    def add(self, row: Any) -> None:
        entry = _Pending(row)
        with self._lock:
            self._pending.append(entry)
            lead = not self._leading
            self._leading = True
        if lead:
            self._lead()
        entry.done.wait()
        if entry.error is not None:
            raise entry.error

    def _lead(self) -> None:
        time.sleep(PAUSE_SECONDS)  # under gevent's monkey patch: other greenlets run now
        while True:
            with self._lock:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                if not batch:
                    self._leading = False
                    return
            random.SystemRandom().shuffle(batch)
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            self._write([p.row for p in batch])
        except Exception:
            for pending in batch:
                try:
                    self._write([pending.row])
                except Exception as e:
                    pending.error = e
        for pending in batch:
            pending.done.set()

    def _write(self, rows: list[Any]) -> None:
        with self._sessions() as session, session.begin():
            assert isinstance(session, Session)
            session.add_all(rows)
