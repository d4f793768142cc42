"""The offline reviewer's side: open every submission of a bundle that the keys can open.

Submissions are independent: one that fails authentication, or whose authentic content is
hostile (a document of the wrong shape, a file that cannot be placed), is reported and the others
still decrypt. A submission only counts as opened when its answers *and* every attachment it lists
have authenticated to the end; attachment files of a failed submission are removed again.

Attachments are decrypted into a scratch folder first; only then, knowing their first bytes,
does the caller say where each goes (its name ends in what the content *is*, not what it claims).

Speed: submissions without attachments (most survey answers) are opened in batches by a pool of
worker processes, one per core; those with attachments are opened in order by this process,
streaming each attachment chunk by chunk, so memory stays flat whatever the file sizes.

One honest copy per id: a bundle may hold a submission twice, or several bundles may (a
re-export, a copy made by whoever carried the stick). Copies are told apart by the id inside
the record (a record filed under another name is refused when it is read). A copy identical to
one that opened is a :class:`Duplicate`; any other copy is never dropped in silence: a failure
is held back until the run ends (:meth:`Decryptor.finish`), so a later copy that opens is used
instead of it, and every copy set aside is reported as a :class:`Conflict`.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any

from . import stream
from .bundle import BundleReader, DamagedRecord, PartStream, RawRecord, SubmissionRecord, Truncated
from .envelope import file_part, open_answers, open_content_key
from .errors import CryptoError, MalformedDocument, NotARecipient
from .keys import ReviewerKey

#: Given a submission, its answers document, a payload name and the decrypted file's first
#: bytes, say where the file goes; raise OSError or ValueError when it cannot go anywhere safe.
PlaceFile = Callable[[SubmissionRecord, dict[str, Any], str, bytes], Path]
#: Given a submission and its opened answers document, say why it must not be used, or None.
CheckDocument = Callable[[SubmissionRecord, dict[str, Any]], str | None]
BATCH_SIZE = 1000
HEAD_SIZE = 64
MAX_PARTS = 1000


@dataclass
class Opened:
    """A submission whose answers and attachments all authenticated."""

    record: SubmissionRecord
    answers: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """A submission that could not be opened, and why (never any plaintext)."""

    submission_id: str
    reason: str
    not_for_us: bool = False


@dataclass(frozen=True)
class Duplicate:
    """A copy of a submission identical to one already opened in this run; skipped."""

    submission_id: str


@dataclass(frozen=True)
class Conflict:
    """Another copy of a submission that is not the one used: ``reason`` says which copy was
    kept and why. Never plaintext: only what failed, or that the copies differ."""

    submission_id: str
    reason: str


@dataclass
class Processed:
    """A batch opened in a worker and already turned into ``summary`` by the batch processor."""

    count: int
    summary: Any
    #: The ids opened in the batch (the summary itself is the processor's business).
    ids: list[str] = field(default_factory=list)


#: Runs in a worker on each batch of opened submissions; its result travels back instead of them.
BatchProcessor = Callable[[list[Opened]], Any]
Result = Opened | Failed | Duplicate | Conflict | Processed

#: What became of the copies of one id: still in a worker, opened, or failed (so far).
PENDING, OPENED, FAILED = "pending", "opened", "failed"


@dataclass
class _Copies:
    state: str
    #: Digests of the record bytes met for this id (an identical record is a duplicate).
    digests: set[bytes] = field(default_factory=set)


@dataclass
class _Current:
    record: SubmissionRecord
    key: bytes | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    failure: Failed | None = None

    def fail(self, reason: str, not_for_us: bool = False) -> None:
        if self.failure is None:
            self.failure = Failed(self.record.submission_id, reason, not_for_us)

    def result(self) -> Opened | Failed:
        missing = [p for p in self.record.parts if p not in self.files]
        if self.failure is None and missing:
            self.fail(f"Attachment {missing[0]} is missing from the bundle.")
        if self.failure is not None:
            for path in self.files.values():
                path.unlink(missing_ok=True)
            return self.failure
        return Opened(self.record, self.answers, self.files)


class Decryptor:
    """Open bundles with one or more reviewer keys, optionally on several processes."""

    def __init__(
        self,
        keys: Iterable[ReviewerKey],
        scratch: Path,
        workers: int = 1,
        check: CheckDocument | None = None,
    ) -> None:
        self.keys = {key.public_key.key_id: key for key in keys}
        self.scratch = scratch
        self.workers = workers
        self.check = check
        self.copies: dict[str, _Copies] = {}
        #: Failures held back until the run ends: a later copy may still open.
        self.failures: dict[str, Failed] = {}
        self._pool: Pool | None = None
        self._pending: deque[AsyncResult[list[Failed | Processed]]] = deque()

    def __enter__(self) -> Decryptor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def _start_pool(self, process: BatchProcessor | None) -> None:
        self.close()
        if self.workers > 1:
            # fork: workers inherit exactly these keys and this processor (which may close over
            # the bundle's survey definitions); nothing secret is pickled through a pipe.
            _worker.clear()
            _worker.update(keys=self.keys, process=process, check=self.check)
            self._pool = multiprocessing.get_context("fork").Pool(self.workers)
            _worker.clear()

    def decrypt(
        self, reader: BundleReader, place_file: PlaceFile, process: BatchProcessor | None = None
    ) -> Iterator[Result]:
        """Yield every submission of the bundle as :class:`Opened`, or whole batches as
        :class:`Processed` when workers ran ``process`` on them; copies met again as
        :class:`Duplicate` or :class:`Conflict`. Failures come from :meth:`finish`, once every
        bundle of the run has been read (except a bundle cut short, named at once)."""
        self._start_pool(process)
        current: _Current | None = None
        batch: list[tuple[str, bytes]] = []
        for entry in reader.raw_entries():
            if isinstance(entry, PartStream):
                if current is not None and current.record.submission_id == entry.submission_id:
                    _write_part(current, entry, place_file, self.scratch)
                elif entry.submission_id not in self.copies:
                    # Its record was lost to damage: name the submission rather than skip it.
                    self.copies[entry.submission_id] = _Copies(FAILED)
                    lost = "Its record is missing or damaged in the bundle."
                    yield from self._settle(Failed(entry.submission_id, lost))
                continue
            if current is not None:
                yield from self._settle(current.result())
                current = None
            if isinstance(entry, Truncated):
                yield Failed("(rest of bundle)", entry.reason)
                continue
            if isinstance(entry, DamagedRecord):
                yield from self._settle(Failed(entry.submission_id, entry.reason))
                continue
            sid = entry.submission_id
            digest = hashlib.blake2b(entry.data, digest_size=16).digest()
            copies = self.copies.get(sid)
            if copies is not None and copies.state == PENDING:
                self._flush(batch)  # what became of the first copy decides
                batch = []
                yield from self._drain()
            if copies is not None and copies.state == OPENED:
                if digest in copies.digests:
                    yield Duplicate(sid)
                else:
                    copies.digests.add(digest)
                    yield Conflict(sid, DIFFERENT_COPY)
                continue
            if copies is None:
                copies = self.copies[sid] = _Copies(PENDING)
            copies.digests.add(digest)
            if self._pool is not None and not entry.has_parts and copies.state == PENDING:
                batch.append((entry.name, entry.data))  # plain bytes pickle fastest
                if len(batch) >= BATCH_SIZE:
                    self._flush(batch)
                    batch = []
                    while self._pending and (self._pending[0].ready() or len(self._pending) > 4):
                        yield from self._results(self._pending.popleft().get())
                continue
            parsed = entry.parse()
            if isinstance(parsed, DamagedRecord):
                yield from self._settle(Failed(parsed.submission_id, parsed.reason))
            else:
                current = _open_record(parsed, self.keys, self.check)
        if current is not None:
            yield from self._settle(current.result())
        self._flush(batch)
        yield from self._drain()

    def finish(self) -> Iterator[Failed]:
        """The submissions no copy of which opened, once every bundle has been read."""
        failures, self.failures = self.failures, {}
        yield from failures.values()

    def _flush(self, batch: list[tuple[str, bytes]]) -> None:
        if batch and self._pool is not None:
            self._pending.append(self._pool.apply_async(_open_batch, (batch,)))

    def _drain(self) -> Iterator[Result]:
        while self._pending:
            yield from self._results(self._pending.popleft().get())

    def _results(self, results: list[Failed | Processed]) -> Iterator[Result]:
        for result in results:
            if isinstance(result, Processed):
                for sid in result.ids:
                    self.copies.setdefault(sid, _Copies(OPENED)).state = OPENED
                yield result
            else:
                yield from self._settle(result)

    def _settle(self, result: Opened | Failed) -> Iterator[Result]:
        """Record what became of one copy; a failure waits for :meth:`finish`."""
        sid = result.submission_id if isinstance(result, Failed) else result.record.submission_id
        copies = self.copies.setdefault(sid, _Copies(PENDING))
        earlier = self.failures.get(sid)
        if isinstance(result, Opened):
            copies.state = OPENED
            if earlier is not None:
                del self.failures[sid]
                yield Conflict(sid, f"{EARLIER_FAILED} {earlier.reason}")
            yield result
        elif earlier is not None:
            yield Conflict(sid, f"{ANOTHER_FAILED} {result.reason}")
        else:
            copies.state = FAILED
            self.failures[sid] = result


DIFFERENT_COPY = (
    "A different copy of this submission was given again and set aside; the first copy that "
    "opened is used. Check by hand which copy is genuine."
)
EARLIER_FAILED = "An earlier copy could not be opened, so a later one that opened is used:"
ANOTHER_FAILED = "Another copy could not be opened either:"


def decrypt_bundle(
    reader: BundleReader, keys: Iterable[ReviewerKey], place_file: PlaceFile, scratch: Path
) -> Iterator[Result]:
    """Open one bundle in this process only (the simple form, for small bundles and tests)."""
    with Decryptor(keys, scratch) as decryptor:
        yield from decryptor.decrypt(reader, place_file)
        yield from decryptor.finish()


#: What forked workers inherit: the keys and the batch processor.
_worker: dict[str, Any] = {}


def _open_batch(batch: list[tuple[str, bytes]]) -> list[Failed | Processed]:
    """In a worker: parse and open records without attachments, then process the batch."""
    keys: dict[str, ReviewerKey] = _worker["keys"]
    process: BatchProcessor | None = _worker["process"]
    check: CheckDocument | None = _worker["check"]
    results: list[Failed | Processed] = []
    opened: list[Opened] = []
    for name, data in batch:
        parsed = RawRecord(name, data).parse()
        if isinstance(parsed, DamagedRecord):
            results.append(Failed(parsed.submission_id, parsed.reason))
            continue
        result = _open_record(parsed, keys, check).result()
        if isinstance(result, Failed):
            results.append(result)
        elif process is not None:
            opened.append(result)
        else:  # the submissions themselves travel back; their ciphertext need not
            opened.append(replace(result, record=replace(result.record, answers=b"")))
    if opened:
        ids = [o.record.submission_id for o in opened]
        results.append(Processed(len(opened), process(opened) if process else opened, ids))
    return results


def _open_record(
    record: SubmissionRecord, keys: dict[str, ReviewerKey], check: CheckDocument | None
) -> _Current:
    current = _Current(record)
    key = next((keys[s.key_id] for s in record.slots if s.key_id in keys), None)
    if key is None:
        current.fail("The submission holds no key slot for the keys given.", not_for_us=True)
        return current
    try:
        current.key = open_content_key(record.slots, key)
        current.answers = open_answers(current.key, record.binding, record.answers)
    except NotARecipient as e:
        current.fail(str(e), not_for_us=True)
        return current
    except MalformedDocument as e:
        current.fail(f"Its content is malformed: {e}")
        return current
    except CryptoError as e:
        current.fail(f"Failed authentication: {e}")
        return current
    listed = _listed_parts(current.answers)
    if listed is None:
        current.fail("Its content is malformed: the attachment list has the wrong shape.")
    elif sorted(listed) != sorted(record.parts):
        current.fail("Failed authentication: the attachments listed inside and outside differ.")
    elif check is not None and (problem := check(record, current.answers)) is not None:
        current.fail(f"Its content is malformed: {problem}")
    return current


def _listed_parts(answers: dict[str, Any]) -> list[str] | None:
    """The payload names the document lists, or None when its list is not a list of entries
    with whole part numbers (a browser may seal anything)."""
    files = answers.get("files", [])
    if not isinstance(files, list) or len(files) > MAX_PARTS:
        return None
    parts = []
    for entry in files:
        part = entry.get("part") if isinstance(entry, dict) else None
        if type(part) is not int or not 0 <= part < MAX_PARTS:
            return None
        parts.append(file_part(part))
    return parts


def _recorded_size(answers: dict[str, Any], part: str) -> int | None:
    """The size the document records for ``part`` (None: not a whole number, then not cut)."""
    for entry in answers.get("files") or []:
        if isinstance(entry, dict) and f"file-{entry.get('part')}" == part:
            size = entry.get("size")
            return size if type(size) is int and size >= 0 else None
    return None


def _write_part(current: _Current, entry: PartStream, place_file: PlaceFile, scratch: Path) -> None:
    if current.failure is not None or current.key is None or entry.part not in current.record.parts:
        return
    scratch.mkdir(parents=True, exist_ok=True)
    partial = scratch / f"{current.record.submission_id}-{entry.part}.partial"
    ad = current.record.binding.ad(entry.part)
    head = b""
    # The plaintext is padded to a size bucket; the answers document says where the file ends.
    size = _recorded_size(current.answers, entry.part)
    written = 0
    try:
        with open(partial, "wb") as out:
            for chunk in stream.decrypt_file(current.key, ad, entry.source):
                keep = chunk if size is None else chunk[: max(0, size - written)]
                if len(head) < HEAD_SIZE:
                    head += keep[: HEAD_SIZE - len(head)]
                out.write(keep)
                written += len(keep)
            out.flush()
            os.fsync(out.fileno())
    except CryptoError as e:
        partial.unlink(missing_ok=True)
        current.fail(f"Failed authentication in attachment {entry.part}: {e}")
        return
    if size is not None and written < size:
        partial.unlink(missing_ok=True)
        current.fail(f"Attachment {entry.part} is shorter than its recorded size.")
        return
    try:
        target = place_file(current.record, current.answers, entry.part, head)
        os.replace(partial, target)
    except (OSError, ValueError) as e:
        partial.unlink(missing_ok=True)
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        current.fail(f"Attachment {entry.part} could not be written safely: {reason}")
        return
    current.files[entry.part] = target
