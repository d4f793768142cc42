"""Payloads and browser uploads in the database: what several app servers on one PostgreSQL
share, so that any of them takes a chunk, finishes an upload another began, exports or applies
retention. (SQLite, one machine: files, :mod:`portal.storage.blobs` and
:mod:`portal.storage.uploads`.)

Everything here is ciphertext. A payload is stored in pieces (``payload_chunks``), written with
its submission's row in one transaction and deleted with it; it is read back piece by piece,
never whole in memory. An upload in progress keeps its state in ``uploads`` (survey, version,
the submission id the browser binds its ciphertext to, the bytes reserved, when a chunk last
came: for the same 15-minute expiry as the files' modification time) and its chunks in
``upload_chunks``; sending the form moves the chunks into ``payload_chunks`` inside the
database and deletes the upload, in the transaction that stores the submission.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from crypto.envelope import new_submission_id
from crypto.stream import Readable, is_stream_size

from .errors import ChunkConflict, UnknownUpload, UploadIncomplete, UploadsFull, UploadTooLarge
from .models import PayloadChunkRow, UploadChunkRow, UploadRow
from .uploads import (
    EMPTY_SECONDS,
    MAX_OPEN_UPLOADS,
    PART,
    RATE_GRACE_SECONDS,
    READ_SIZE,
    SWEEP_EVERY_SECONDS,
    TOKEN,
    TOTAL_CACHE_SECONDS,
    UPLOAD_CHUNK_SIZE,
    UPLOAD_IDLE_SECONDS,
    UPLOAD_LIFETIME_SECONDS,
    Upload,
    check_chunk,
    check_part,
    minute_now,
    outlived,
)

#: Bytes per piece of a payload written from a file (a form's attachment).
PIECE = 1024 * 1024

Sessions = Callable[[], AbstractContextManager[Session]]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def write_payloads(session: Session, submission_id: str, folder: Path) -> None:
    """Copy the payload files of a form (``file-N``) into the database, piece by piece."""
    for path in sorted(folder.iterdir()):
        if not PART.match(path.name):
            continue
        with open(path, "rb") as f:
            seq = 0
            while data := f.read(PIECE):
                session.execute(
                    pg_insert(PayloadChunkRow).values(
                        submission_id=submission_id, part=path.name, seq=seq, data=data
                    )
                )
                seq += 1


def move_upload(session: Session, submission_id: str, token: str) -> None:
    """Make an upload's chunks the submission's payloads (inside the database) and delete the
    upload; the upload row stays locked until the transaction ends."""
    session.execute(
        text(
            "INSERT INTO payload_chunks (submission_id, part, seq, data) "
            "SELECT :submission, part, seq, data FROM upload_chunks WHERE token = :token"
        ),
        {"submission": submission_id, "token": token},
    )
    session.execute(delete(UploadRow).where(UploadRow.token == token))


class PayloadReader:
    """One stored payload as a file to read: its size, then its pieces in order."""

    def __init__(self, sessions: Sessions, submission_id: str, part: str) -> None:
        self._sessions = sessions
        self._key = (submission_id, part)
        with sessions() as s:
            pieces = s.execute(
                select(PayloadChunkRow.seq, func.length(PayloadChunkRow.data))
                .where(PayloadChunkRow.submission_id == submission_id)
                .where(PayloadChunkRow.part == part)
                .order_by(PayloadChunkRow.seq)
            ).all()
        if not pieces:
            raise FileNotFoundError(f"payload {part} of {submission_id}")
        self.size = sum(length for _, length in pieces)
        self._seqs = [seq for seq, _ in pieces]
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while self._seqs and (size < 0 or len(self._buffer) < size):
            seq = self._seqs.pop(0)
            with self._sessions() as s:
                self._buffer += s.execute(
                    select(PayloadChunkRow.data)
                    .where(PayloadChunkRow.submission_id == self._key[0])
                    .where(PayloadChunkRow.part == self._key[1])
                    .where(PayloadChunkRow.seq == seq)
                ).scalar_one()
        if size < 0:
            size = len(self._buffer)
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found


class DatabaseUploadStore:
    """The upload store of :mod:`portal.storage.uploads`, its state and chunks in the database."""

    def __init__(
        self, sessions: Sessions, max_bytes: int, max_files: int, budget_bytes: int | None = None
    ) -> None:
        self._sessions = sessions
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.budget_bytes = MAX_OPEN_UPLOADS * max_bytes if budget_bytes is None else budget_bytes
        self._swept = 0.0
        self._total: tuple[float, int] = (0.0, 0)
        self._open: tuple[float, int] = (0.0, 0)

    def open_count(self) -> int:
        """Uploads in progress on every node, counted again every couple of seconds."""
        counted, found = self._open
        if time.monotonic() - counted > TOTAL_CACHE_SECONDS:
            with self._sessions() as s:
                found = int(s.scalar(select(func.count()).select_from(UploadRow)) or 0)
            self._open = (time.monotonic(), found)
        return found

    def create(self, survey_id: str, version: str, reserve: int | None = None) -> Upload:
        reserved = self.max_bytes if reserve is None else min(max(reserve, 0), self.max_bytes)
        if time.monotonic() - self._swept > SWEEP_EVERY_SECONDS:
            self.sweep()
            self._swept = time.monotonic()
        token = secrets.token_hex(16)
        with self._sessions() as s:
            if (s.scalar(select(func.count()).select_from(UploadRow)) or 0) >= MAX_OPEN_UPLOADS:
                raise UploadsFull("Too many uploads are in progress. Please try again later.")
            s.add(
                UploadRow(
                    token=token,
                    survey_id=survey_id,
                    version=version,
                    submission_id=new_submission_id(),
                    reserved=reserved,
                    touched=_now(),
                    made=minute_now(),
                )
            )
        return self.open(token)

    def open(self, token: str) -> Upload:
        row = None
        if TOKEN.match(token):
            with self._sessions() as s:
                row = s.get(UploadRow, token)
        if row is None:
            raise UnknownUpload("This upload does not exist or has expired.")
        return Upload(token, Path(), row.survey_id, row.version, row.submission_id, row.reserved)

    def available_bytes(self) -> int:
        return self.budget_bytes

    def stored_bytes(self) -> int:
        counted, total = self._total
        if time.monotonic() - counted > TOTAL_CACHE_SECONDS:
            with self._sessions() as s:
                total = int(s.scalar(select(func.sum(func.length(UploadChunkRow.data)))) or 0)
            self._total = (time.monotonic(), total)
        return total

    @property
    def max_chunks(self) -> int:
        return -(-self.max_bytes // UPLOAD_CHUNK_SIZE)

    def put_chunk(self, upload: Upload, part: str, index: int, body: Readable, length: int) -> bool:
        """Store one chunk (at most UPLOAD_CHUNK_SIZE in memory); False when exactly this
        chunk was stored before."""
        check_chunk(self, upload, part, index, length)
        data = _receive(body, length)
        digest = hashlib.blake2b(data, digest_size=32).hexdigest()
        with self._sessions() as s:
            if s.get(UploadRow, upload.token, with_for_update=True) is None:
                raise UnknownUpload("This upload does not exist or has expired.")
            stored = s.execute(
                pg_insert(UploadChunkRow)
                .values(token=upload.token, part=part, seq=index, data=data, digest=digest)
                .on_conflict_do_nothing()
                .returning(UploadChunkRow.seq)
            ).first()
            if stored is None:
                earlier = s.scalar(
                    select(UploadChunkRow.digest).where(
                        UploadChunkRow.token == upload.token,
                        UploadChunkRow.part == part,
                        UploadChunkRow.seq == index,
                    )
                )
                if earlier != digest:
                    raise ChunkConflict("A different chunk with this number exists.")
                return False
            s.execute(
                update(UploadRow).where(UploadRow.token == upload.token).values(touched=_now())
            )
        counted, total = self._total
        self._total = (counted, total + length)
        return True

    def finish(self, upload: Upload, part: str, count: int) -> int:
        """Check chunks 0…count-1 make a whole payload and mark them so (idempotent)."""
        check_part(self, part)
        if not 1 <= count <= self.max_chunks:
            raise UploadIncomplete(f"A file has 1 to {self.max_chunks} chunks.")
        with self._sessions() as s:
            if s.get(UploadRow, upload.token, with_for_update=True) is None:
                raise UnknownUpload("This upload does not exist or has expired.")
            chunks = s.execute(
                select(
                    UploadChunkRow.seq,
                    func.length(UploadChunkRow.data),
                    UploadChunkRow.payload_size,
                )
                .where(UploadChunkRow.token == upload.token, UploadChunkRow.part == part)
                .order_by(UploadChunkRow.seq)
            ).all()
            if chunks and chunks[0][2] is not None:
                return int(chunks[0][2])
            if [seq for seq, _, _ in chunks] != list(range(count)):
                raise UploadIncomplete("Some chunks of this file have not arrived.")
            sizes = [size for _, size, _ in chunks]
            if any(n != UPLOAD_CHUNK_SIZE for n in sizes[:-1]) or not is_stream_size(sum(sizes)):
                raise UploadIncomplete("The chunks of this file do not make a whole payload.")
            s.execute(
                update(UploadChunkRow)
                .where(UploadChunkRow.token == upload.token, UploadChunkRow.part == part)
                .values(payload_size=sum(sizes))
            )
            return sum(sizes)

    def parts_of(self, upload: Upload) -> list[tuple[str, int]] | None:
        """The finished payloads and their sizes, in part order; None while one is not."""
        with self._sessions() as s:
            found = s.execute(
                select(UploadChunkRow.part, UploadChunkRow.payload_size)
                .where(UploadChunkRow.token == upload.token)
                .distinct()
            ).all()
        if any(size is None for _, size in found):
            return None
        return sorted(((p, int(n or 0)) for p, n in found), key=lambda p: int(p[0][5:]))

    def locked(self, upload: Upload) -> AbstractContextManager[None]:
        """The submitting transaction locks the upload's row itself."""
        return nullcontext()

    def discard(self, upload: Upload) -> None:
        with self._sessions() as s:
            s.execute(delete(UploadRow).where(UploadRow.token == upload.token))

    def sweep(self, now: float | None = None) -> int:
        """Delete uploads untouched for longer than the time to live, and uploads that have
        received nothing a minute after they were made (every node may: they are shared)."""
        moment = (
            datetime.datetime.fromtimestamp(now, datetime.UTC).replace(tzinfo=None)
            if now is not None
            else _now()
        )
        idle = moment - datetime.timedelta(seconds=UPLOAD_IDLE_SECONDS)
        empty = moment - datetime.timedelta(seconds=EMPTY_SECONDS)
        has_chunks = select(UploadChunkRow.token).where(UploadChunkRow.token == UploadRow.token)
        seconds = moment.replace(tzinfo=datetime.UTC).timestamp()
        with self._sessions() as s:
            result = s.execute(
                delete(UploadRow).where(
                    (UploadRow.touched < idle)
                    | ((UploadRow.touched < empty) & ~has_chunks.exists())
                    | (UploadRow.made < minute_now(seconds - UPLOAD_LIFETIME_SECONDS))
                )
            )
            removed = int(getattr(result, "rowcount", 0) or 0)
            # Slots past their first quarter hour must have received enough for their age.
            old = minute_now(seconds - RATE_GRACE_SECONDS)
            weighed = s.execute(
                select(UploadRow.token, UploadRow.made, func.sum(func.length(UploadChunkRow.data)))
                .outerjoin(UploadChunkRow, UploadChunkRow.token == UploadRow.token)
                .where(UploadRow.made < old)
                .group_by(UploadRow.token, UploadRow.made)
            ).all()
            slow = [t for t, made, stored in weighed if outlived(made, int(stored or 0), seconds)]
            if slow:
                s.execute(delete(UploadRow).where(UploadRow.token.in_(slow)))
            return removed + len(slow)

    def _stored_bytes(self, upload: Upload) -> int:
        with self._sessions() as s:
            return int(
                s.scalar(
                    select(func.sum(func.length(UploadChunkRow.data))).where(
                        UploadChunkRow.token == upload.token
                    )
                )
                or 0
            )

    def _chunk_bytes(self, upload: Upload, part: str, index: int) -> int:
        with self._sessions() as s:
            size = s.scalar(
                select(func.length(UploadChunkRow.data)).where(
                    UploadChunkRow.token == upload.token,
                    UploadChunkRow.part == part,
                    UploadChunkRow.seq == index,
                )
            )
            return int(size or 0)


def _receive(body: Readable, length: int) -> bytes:
    pieces: list[bytes] = []
    received = 0
    while received < length:
        data = body.read(min(READ_SIZE, length - received))
        if not data:
            raise UploadIncomplete("The chunk was cut off; please send it again.")
        pieces.append(data)
        received += len(data)
    if body.read(1):
        raise UploadTooLarge("The chunk is longer than announced.")
    return b"".join(pieces)
