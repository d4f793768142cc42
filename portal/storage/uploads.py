"""Resumable uploads of ciphertext made in the respondent's browser (the JavaScript path).

Over Tor a circuit can drop in the middle of a large file, so the browser sends each attachment
payload as numbered chunks and may send any of them again. A chunk is written to a temporary file
and *linked* into place; ``os.link`` fails when the chunk is there already, and the repeated chunk
is then compared with the stored one instead of being stored twice. ``finish`` checks that chunks
0…n-1 all arrived and that their sizes make a whole secretstream payload, then joins them into
the payload file. Submitting the form moves the payloads into the blob store with the same commit
as the no-JavaScript path (:meth:`BlobStore.commit`).

Layout under ``blobs/.uploads/<token>/``: ``upload.json`` (survey id, version digest, the
submission id the browser binds its ciphertext to, the bytes reserved), ``chunks/file-N/<index>``,
``payloads/file-N``. Nothing of a codename or reply box: a seized upload in progress links the
submission to no one.
Everything here is ciphertext. An upload untouched for :data:`UPLOAD_IDLE_SECONDS` is deleted.

Under attack: an upload slot costs a proof of work (respondent/work.py) and holds no disk
until bytes arrive, so claims cannot lock out a real respondent: the bytes *stored* by all
uploads together stay within a budget (``GLAS_UPLOAD_BUDGET_MB``, and never more than half the
free disk), checked at every chunk, and each upload stores at most what its page announced.
An upload that received no byte within :data:`EMPTY_SECONDS` is deleted, one untouched for
:data:`UPLOAD_IDLE_SECONDS` too, so slots taken by a flood come back within a minute. Touching
is not enough to keep one: a slot lives :data:`UPLOAD_LIFETIME_SECONDS` at most, and one older
than :data:`RATE_GRACE_SECONDS` must have received :data:`MIN_BYTES_PER_SECOND` on average
since it was made (a trickle of 1-byte chunks kept one for weeks). The proof of work a slot
costs grows with the number of slots open (:func:`work_bits`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crypto.envelope import new_submission_id
from crypto.stream import Readable, is_stream_size

from .blobs import fsync_path
from .errors import ChunkConflict, UnknownUpload, UploadIncomplete, UploadsFull, UploadTooLarge

UPLOADS = ".uploads"
#: Ciphertext bytes per chunk the browser sends (the last chunk of a payload may be shorter).
UPLOAD_CHUNK_SIZE = 4 * 1024 * 1024
#: A phone that sleeps a few minutes mid-upload still resumes; a flood's uploads are gone soon.
UPLOAD_IDLE_SECONDS = 15 * 60
#: Uploads in progress at once: far more than a minute of proofs of work buys an attacker.
MAX_OPEN_UPLOADS = 20_000
#: An upload that has received no byte this long after it was made is deleted.
EMPTY_SECONDS = 60
#: Creating uploads sweeps at most this often (a sweep looks at every open upload).
SWEEP_EVERY_SECONDS = 5.0
#: How long the total of stored upload bytes is trusted before it is counted again.
TOTAL_CACHE_SECONDS = 2.0
#: The longest an upload slot lives, however busy: a large file over a slow circuit takes
#: hours, never a day.
UPLOAD_LIFETIME_SECONDS = 24 * 3600
#: Past its first quarter of an hour, a slot must have received this much a second on average.
MIN_BYTES_PER_SECOND = 256
RATE_GRACE_SECONDS = 15 * 60
#: Open slots beyond which each doubling adds a bit of proof of work (twice the work).
CALM_OPEN_UPLOADS = 64


def work_bits(base: int, open_uploads: int, most: int) -> int:
    """The proof of work (bits) a new slot costs: ``base`` while few slots are open, one bit
    more for each doubling past :data:`CALM_OPEN_UPLOADS`, never more than ``most``. A flood
    that holds many slots pays more for every further one; a respondent in calm times, base."""
    if base == 0:
        return 0
    extra = max(0, (open_uploads // CALM_OPEN_UPLOADS).bit_length())
    return min(base + extra, most)


def minute_now(now: float | None = None) -> int:
    """The minute (since the epoch) a slot is made: no finer time is kept."""
    return int((time.time() if now is None else now) // 60)


def outlived(made_minute: int, stored: int, moment: float) -> bool:
    """Whether a slot made at ``made_minute`` holding ``stored`` bytes has lived too long or
    received too little for its age (at ``moment``)."""
    age = moment - made_minute * 60
    if age > UPLOAD_LIFETIME_SECONDS:
        return True
    return age > RATE_GRACE_SECONDS and stored < MIN_BYTES_PER_SECOND * age


READ_SIZE = 64 * 1024
TOKEN = re.compile(r"^[0-9a-f]{32}$")
PART = re.compile(r"^file-(0|[1-9][0-9]{0,2})$")
META = "upload.json"


@dataclass(frozen=True)
class Upload:
    """One submission's payloads arriving from a browser; ``token`` is its secret handle."""

    token: str
    directory: Path
    survey_id: str
    version: str
    submission_id: str
    #: Ciphertext bytes this upload may store (reserved against the budget when created).
    reserved: int = 0

    @property
    def payload_dir(self) -> Path:
        return self.directory / "payloads"

    def chunk_dir(self, part: str) -> Path:
        return self.directory / "chunks" / part

    def finished_parts(self) -> list[str]:
        """Payload names that are complete, in part order."""
        if not self.payload_dir.is_dir():
            return []
        names = [p.name for p in self.payload_dir.iterdir() if PART.match(p.name)]
        return sorted(names, key=lambda name: int(name.removeprefix("file-")))

    def unfinished_parts(self) -> list[str]:
        chunks = self.directory / "chunks"
        return sorted(p.name for p in chunks.iterdir()) if chunks.is_dir() else []

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise finishing and submitting across server processes."""
        with open(self.directory / META, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield


class UploadStore:
    def __init__(
        self, blob_root: Path, max_bytes: int, max_files: int, budget_bytes: int | None = None
    ) -> None:
        self.root = blob_root / UPLOADS
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.budget_bytes = MAX_OPEN_UPLOADS * max_bytes if budget_bytes is None else budget_bytes
        self._swept = 0.0
        self._total: tuple[float, int] = (0.0, 0)
        self._open: tuple[float, int] = (0.0, 0)

    def open_count(self) -> int:
        """Uploads in progress, counted again every couple of seconds."""
        counted, found = self._open
        if time.monotonic() - counted > TOTAL_CACHE_SECONDS:
            found = sum(1 for _ in self.root.iterdir()) if self.root.is_dir() else 0
            self._open = (time.monotonic(), found)
        return found

    def create(
        self,
        survey_id: str,
        version: str,
        reserve: int | None = None,
    ) -> Upload:
        """Open an upload that may store ``reserve`` ciphertext bytes (default: the limit)."""
        reserved = self.max_bytes if reserve is None else min(max(reserve, 0), self.max_bytes)
        if time.monotonic() - self._swept > SWEEP_EVERY_SECONDS:
            self.sweep()
            self._swept = time.monotonic()
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if sum(1 for _ in self.root.iterdir()) >= MAX_OPEN_UPLOADS:
            raise UploadsFull("Too many uploads are in progress. Please try again later.")
        token = secrets.token_hex(16)
        directory = self.root / token
        directory.mkdir(mode=0o700)
        meta: dict[str, str | int] = {
            "survey": survey_id,
            "version": version,
            "submission_id": new_submission_id(),
            "reserved": reserved,
            "made": minute_now(),
        }
        (directory / META).write_text(json.dumps(meta), encoding="utf-8")
        return self.open(token)

    def open(self, token: str) -> Upload:
        directory = self.root / token
        try:
            if not TOKEN.match(token):
                raise FileNotFoundError(token)
            meta = json.loads((directory / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UnknownUpload("This upload does not exist or has expired.") from None
        submission = meta["submission_id"]
        reserved = int(meta.get("reserved", self.max_bytes))
        return Upload(token, directory, meta["survey"], meta["version"], submission, reserved)

    def available_bytes(self) -> int:
        """What all open uploads together may hold: the budget, or half the free disk."""
        free = shutil.disk_usage(self.root if self.root.is_dir() else self.root.parent).free
        return min(self.budget_bytes, free // 2)

    def stored_bytes(self) -> int:
        """Ciphertext bytes all open uploads hold, counted again every couple of seconds."""
        counted, total = self._total
        if time.monotonic() - counted > TOTAL_CACHE_SECONDS:
            total = 0
            for directory in self.root.iterdir() if self.root.is_dir() else ():
                for kind in ("chunks", "payloads"):
                    total += sum(
                        p.stat().st_size for p in (directory / kind).rglob("*") if p.is_file()
                    )
            self._total = (time.monotonic(), total)
        return total

    @property
    def max_chunks(self) -> int:
        """Chunks of one payload at most: the request size limit applies to uploads too."""
        return -(-self.max_bytes // UPLOAD_CHUNK_SIZE)

    def put_chunk(self, upload: Upload, part: str, index: int, body: Readable, length: int) -> bool:
        """Store one chunk; return False when exactly this chunk was stored before."""
        check_chunk(self, upload, part, index, length)
        counted, total = self._total
        self._total = (counted, total + length)  # until the next count
        directory = upload.chunk_dir(part)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = directory / str(index)
        temporary = directory / f".{index}.{secrets.token_hex(8)}"
        try:
            digest = _receive(body, length, temporary)
            try:
                os.link(temporary, final)
            except FileExistsError:
                if _digest(final) != digest:
                    raise ChunkConflict("A different chunk with this number exists.") from None
                return False
            fsync_path(directory)
            os.utime(upload.directory)  # still in use: not expired
            return True
        finally:
            temporary.unlink(missing_ok=True)

    def finish(self, upload: Upload, part: str, count: int) -> int:
        """Join chunks 0…count-1 into the payload file; return its size (idempotent)."""
        check_part(self, part)
        if not 1 <= count <= self.max_chunks:  # found by the fuzzer: 10**20 chunks held the lock
            raise UploadIncomplete(f"A file has 1 to {self.max_chunks} chunks.")
        with upload.locked():
            payload = upload.payload_dir / part
            if payload.exists():
                return payload.stat().st_size
            directory = upload.chunk_dir(part)
            chunks = [directory / str(i) for i in range(count)]
            present = {p.name for p in directory.iterdir()} if directory.is_dir() else set()
            if present != {c.name for c in chunks}:
                raise UploadIncomplete("Some chunks of this file have not arrived.")
            sizes = [c.stat().st_size for c in chunks]
            if any(s != UPLOAD_CHUNK_SIZE for s in sizes[:-1]) or not is_stream_size(sum(sizes)):
                raise UploadIncomplete("The chunks of this file do not make a whole payload.")
            upload.payload_dir.mkdir(mode=0o700, exist_ok=True)
            joining = upload.payload_dir / f".{part}"
            with open(joining, "wb") as out:
                for chunk in chunks:
                    with open(chunk, "rb") as f:
                        shutil.copyfileobj(f, out, READ_SIZE * 16)
                out.flush()
                os.fsync(out.fileno())
            os.rename(joining, payload)
            shutil.rmtree(directory)
            return sum(sizes)

    def parts_of(self, upload: Upload) -> list[tuple[str, int]] | None:
        """The finished payloads and their sizes, in part order; None while one is not."""
        if upload.unfinished_parts():
            return None
        return [(p, (upload.payload_dir / p).stat().st_size) for p in upload.finished_parts()]

    def locked(self, upload: Upload) -> AbstractContextManager[None]:
        """Serialise finishing and submitting across server processes."""
        return upload.locked()

    def discard(self, upload: Upload) -> None:
        shutil.rmtree(upload.directory, ignore_errors=True)

    def sweep(self, now: float | None = None) -> int:
        """Delete uploads untouched for longer than the time to live, uploads that have
        received nothing a minute after they were made, and uploads that outlived their
        lifetime or fell below the minimum rate (:func:`outlived`)."""
        if not self.root.is_dir():
            return 0
        moment = now if now is not None else time.time()
        limit, empty_limit = moment - UPLOAD_IDLE_SECONDS, moment - EMPTY_SECONDS
        removed = 0
        for directory in self.root.iterdir():
            try:
                touched = directory.stat().st_mtime
                empty = (
                    not (directory / "chunks").exists() and not (directory / "payloads").exists()
                )
                made = int(json.loads((directory / META).read_text(encoding="utf-8"))["made"])
            except FileNotFoundError:
                continue
            except (OSError, ValueError, KeyError, TypeError):
                made = minute_now(touched)  # made before slots had a birth minute
            expired = touched < limit or (empty and touched < empty_limit)
            if not expired and moment - made * 60 > RATE_GRACE_SECONDS:
                # Only slots past their first quarter hour are weighed (few, unless a flood).
                stored = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
                expired = outlived(made, stored, moment)
            if expired:
                shutil.rmtree(directory, ignore_errors=True)
                removed += 1
        return removed

    def _stored_bytes(self, upload: Upload) -> int:
        """Ciphertext stored so far (chunks and joined payloads; not the small state file)."""
        folders = (upload.directory / "chunks", upload.payload_dir)
        return sum(p.stat().st_size for f in folders for p in f.rglob("*") if p.is_file())

    def _chunk_bytes(self, upload: Upload, part: str, index: int) -> int:
        try:
            return (upload.chunk_dir(part) / str(index)).stat().st_size
        except FileNotFoundError:
            return 0


class Limits(Protocol):
    """What both upload stores (files here, rows in storage/shared.py) check a chunk against."""

    max_bytes: int
    max_files: int

    @property
    def max_chunks(self) -> int: ...

    def stored_bytes(self) -> int: ...

    def available_bytes(self) -> int: ...

    def _stored_bytes(self, upload: Upload) -> int: ...

    def _chunk_bytes(self, upload: Upload, part: str, index: int) -> int:
        """The size of this chunk if it is stored already, else 0."""


def check_part(store: Limits, part: str) -> None:
    found = PART.match(part)
    if found is None or int(found.group(1)) >= store.max_files:
        raise UploadTooLarge(f"At most {store.max_files} files can be sent at once.")


def check_chunk(store: Limits, upload: Upload, part: str, index: int, length: int) -> None:
    """Refuse a chunk before a byte of it is stored: a part beyond the limit, too many chunks,
    a chunk too long, more than the upload announced, or no room left for uploads."""
    check_part(store, part)
    if not 0 <= index < store.max_chunks:
        raise UploadTooLarge("This file is larger than the portal accepts.")
    if not 0 < length <= UPLOAD_CHUNK_SIZE:
        raise UploadTooLarge(f"A chunk holds 1 to {UPLOAD_CHUNK_SIZE} bytes.")
    # A chunk sent again because its answer was lost (a circuit that dropped) replaces nothing
    # and adds nothing: counted once, or the last chunk of a full upload could never be
    # confirmed and the respondent's sending would fail at the very end.
    adds = length - store._chunk_bytes(upload, part, index)
    if store._stored_bytes(upload) + adds > min(upload.reserved, store.max_bytes):
        raise UploadTooLarge("These files are larger than this upload announced.")
    if store.stored_bytes() + adds > store.available_bytes():
        raise UploadsFull("The portal has no room for more uploads now. Please try later.")


def _receive(body: Readable, length: int, path: Path) -> str:
    """Write exactly ``length`` bytes from ``body`` to ``path``, durably; return their digest."""
    digest = hashlib.blake2b(digest_size=32)
    received = 0
    with open(path, "xb") as f:
        while received < length:
            data = body.read(min(READ_SIZE, length - received))
            if not data:
                raise UploadIncomplete("The chunk was cut off; please send it again.")
            f.write(data)
            digest.update(data)
            received += len(data)
        if body.read(1):
            raise UploadTooLarge("The chunk is longer than announced.")
        f.flush()
        os.fsync(f.fileno())
    return digest.hexdigest()


def _digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=32)
    with open(path, "rb") as f:
        while data := f.read(READ_SIZE * 16):
            digest.update(data)
    return digest.hexdigest()
