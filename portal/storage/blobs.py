"""Attachment ciphertext on disk, written so that a crash never leaves a visible half file.

Payloads of a submission being received go to ``blobs/.incoming/<random>/``. Only when every
payload is complete are they flushed to the device and the directory renamed to
``blobs/<id[:2]>/<id>/`` — and only after that is the database row committed, which is what makes
a submission visible. Anything in ``.incoming`` or without a row after a crash is swept at start.

A file's modification and access times would say when a respondent sent it, to the second: once
in place, payloads and every folder above them carry midnight (UTC) of the day instead. What
cannot be set is the inode's change time (ctime); docs/envelope.md says so.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterable
from pathlib import Path

INCOMING = ".incoming"
#: Overwrite deleted payloads in pieces of this size.
WIPE_CHUNK = 1024 * 1024


def node_name() -> str:
    """This node's name (GLAS_NODE_NAME, or the machine's): the folder of the forms it is
    receiving, and its instance's name in the Onionbalance front's list."""
    name = os.environ.get("GLAS_NODE_NAME") or socket.gethostname()
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:64] or "node"


class BlobStore:
    def __init__(self, root: Path, node: str | None = None) -> None:
        """``node``: whose forms-in-progress these are (``.incoming/<node>/``): a server that
        starts sweeps its own leftovers only, never another node's uploads in progress."""
        self.root = root
        self.incoming_root = root / INCOMING / (node or node_name())

    def new_incoming(self) -> Path:
        """Make a fresh directory for the payloads of one request being received."""
        self.incoming_root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.incoming_root / secrets.token_hex(16)
        path.mkdir(mode=0o700)
        for folder in (path, self.incoming_root, self.incoming_root.parent):
            day_only(folder)
        return path

    def directory(self, submission_id: str) -> Path:
        return self.root / submission_id[:2] / submission_id

    def part_path(self, submission_id: str, part: str) -> Path:
        return self.directory(submission_id) / part

    def commit(self, incoming: Path, submission_id: str) -> None:
        """Make the payloads durable and move them to their final place."""
        for child in incoming.iterdir():
            fsync_path(child)
        fsync_path(incoming)
        target = self.directory(submission_id)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        os.rename(incoming, target)
        fsync_path(target.parent)
        folders = [target, target.parent, self.root, self.incoming_root, self.incoming_root.parent]
        for path in [*target.iterdir(), *folders]:
            day_only(path)

    def discard(self, incoming: Path) -> None:
        """Throw away payloads of a request that did not become a submission (ciphertext only)."""
        shutil.rmtree(incoming, ignore_errors=True)
        day_only(self.incoming_root)

    def delete(self, submission_id: str) -> None:
        """Overwrite then unlink a submission's payloads (best effort against casual recovery)."""
        directory = self.directory(submission_id)
        if not directory.is_dir():
            return
        for child in directory.iterdir():
            _wipe(child)
        shutil.rmtree(directory, ignore_errors=True)
        day_only(directory.parent)

    def sweep(self, known_ids: Iterable[str] | None) -> int:
        """Remove leftovers of this node's interrupted requests and (``known_ids`` given: the
        payloads are files here) payloads with no database row."""
        removed = 0
        if self.incoming_root.is_dir():
            for child in self.incoming_root.iterdir():
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
        if known_ids is None:
            return removed
        known = set(known_ids)
        for prefix in self.root.iterdir() if self.root.is_dir() else ():
            # Dot directories are not payloads: .incoming (above) and .uploads (own expiry).
            if prefix.name.startswith(".") or not prefix.is_dir():
                continue
            for directory in prefix.iterdir():
                if directory.name not in known:
                    shutil.rmtree(directory, ignore_errors=True)
                    removed += 1
        return removed


def day_only(path: Path) -> None:
    """Set ``path``'s access and modification times to midnight (UTC) of today."""
    midnight = datetime.datetime.now(datetime.UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    stamp = midnight.timestamp()
    with contextlib.suppress(FileNotFoundError):  # a folder another request just removed
        os.utime(path, (stamp, stamp), follow_symlinks=False)


def fsync_path(path: Path) -> None:
    """Flush a file or directory entry to the device (a rename is durable only after this)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _wipe(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as f:
        written = 0
        while written < size:
            n = min(WIPE_CHUNK, size - written)
            f.write(b"\0" * n)
            written += n
        f.flush()
        os.fsync(f.fileno())
    path.unlink()
