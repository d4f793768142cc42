"""Export bundles: the ciphertext that travels from the server to the offline reviewer on a stick.

A bundle is a POSIX tar file (``.glas``), written and read as a stream so that neither side holds
more than one chunk of an attachment in memory:

``manifest.json``
    format, creation day and the survey definitions (by version digest) the submissions refer to.
``submissions/<id>.json``
    one submission: its binding, received day, size bucket, key slots, the encrypted answers
    document (base64) and the names of its attachment payloads, which follow it as
``submissions/<id>/<part>``
    one encrypted attachment each.
``end.json``
    the number of submissions written and a BLAKE2b digest of every member before it, sealed by
    a checksum of its own; a reader that never reaches it knows the bundle was cut short or
    damaged, and ``glas verify`` names any member that was changed, without a key.

Members carry no owner and a zero mtime, so a bundle reveals nothing the server did not already
store. Damage to one member affects only its submission.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import os
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from .envelope import (
    DAY_PATTERN,
    PART_PATTERN,
    SUBMISSION_ID_PATTERN,
    SURVEY_ID_PATTERN,
    VERSION_PATTERN,
    Binding,
    KeySlot,
    canonical_json,
)
from .errors import BundleFormatError
from .stream import Readable
from .tarstream import Member, MemberReader, TarStream
from .trailer import (
    DIGEST_SIZE,
    HashingReader,
    Trailer,
    checksum,
    member_digest,
    read_trailer,
    trailer,
)

BUNDLE_FORMAT = "glas-bundle-1"
MANIFEST_NAME = "manifest.json"
TRAILER_NAME = "end.json"
READ_BUFFER = 1024 * 1024
SUBMISSIONS_DIR = "submissions"
#: A submission record or manifest larger than this is refused unread (answers are padded text).
MAX_RECORD_SIZE = 64 * 1024 * 1024


@dataclass
class SubmissionRecord:
    """Everything stored about a submission, all of it ciphertext or coarse metadata."""

    submission_id: str
    survey_id: str
    version: str
    received: str
    size_bucket: int
    slots: list[KeySlot]
    answers: bytes
    parts: list[str] = field(default_factory=list)

    @property
    def binding(self) -> Binding:
        return Binding(self.survey_id, self.version, self.submission_id)

    def to_json(self) -> bytes:
        """Serialise as a canonical JSON line and a checksum line.

        The received day and size bucket are not authenticated by the envelope (the server
        sets them), so plain damage to them must still show: the checksum covers every byte.
        """
        body = canonical_json(self._fields())
        return body + b"\n" + checksum(body).encode("ascii") + b"\n"

    def _fields(self) -> dict[str, Any]:
        return {
            "id": self.submission_id,
            "survey": self.survey_id,
            "version": self.version,
            "received": self.received,
            "size_bucket": self.size_bucket,
            "slots": [{"key_id": s.key_id, "sealed_key": _b64(s.sealed_key)} for s in self.slots],
            "answers": _b64(self.answers),
            "parts": self.parts,
        }

    @classmethod
    def from_json(cls, data: bytes) -> SubmissionRecord:
        body, _, stored = data.rstrip(b"\n").rpartition(b"\n")
        if checksum(body).encode("ascii") != stored:
            raise BundleFormatError("The submission record is damaged (checksum mismatch).")
        try:
            doc = orjson.loads(body)  # a fast reader: 100,000 records per decrypt
            record = cls(
                submission_id=str(doc["id"]),
                survey_id=str(doc["survey"]),
                version=str(doc["version"]),
                received=str(doc["received"]),
                size_bucket=int(doc["size_bucket"]),
                slots=[
                    KeySlot(str(s["key_id"]), base64.b64decode(s["sealed_key"], validate=True))
                    for s in doc["slots"]
                ],
                answers=base64.b64decode(doc["answers"], validate=True),
                parts=[str(p) for p in doc["parts"]],
            )
        except (ValueError, KeyError, TypeError, binascii.Error, RecursionError) as e:
            raise BundleFormatError("The submission record is damaged.") from e
        # Whoever hands over a bundle can seal to a reviewer's public key: every field that will
        # name a folder or file on the reviewer's machine is checked here, before any use.
        if not SUBMISSION_ID_PATTERN.match(record.submission_id):
            raise BundleFormatError("The submission record has an invalid id.")
        if not SURVEY_ID_PATTERN.match(record.survey_id):
            raise BundleFormatError("The submission record names an invalid survey id.")
        if not VERSION_PATTERN.match(record.version):
            raise BundleFormatError("The submission record names an invalid survey version.")
        if not DAY_PATTERN.match(record.received):
            raise BundleFormatError("The submission record has an invalid received day.")
        if not all(PART_PATTERN.match(p) for p in record.parts) or len(set(record.parts)) != len(
            record.parts
        ):
            raise BundleFormatError("The submission record lists invalid attachment names.")
        return record


def record_id(member_name: str) -> str:
    """The submission id a record member is named for: ``submissions/<id>.json``."""
    return member_name.removeprefix(f"{SUBMISSIONS_DIR}/").removesuffix(".json")


@dataclass(frozen=True)
class DamagedRecord:
    """A member that should hold a submission record but cannot be read."""

    name: str
    reason: str

    @property
    def submission_id(self) -> str:
        """The id from the member's name (the record itself cannot be trusted)."""
        return record_id(self.name)


@dataclass(frozen=True)
class RawRecord:
    """A submission record not parsed yet, so that parsing can happen in a worker process."""

    name: str
    data: bytes

    @property
    def submission_id(self) -> str:
        return record_id(self.name)

    @property
    def has_parts(self) -> bool:
        # Records are canonical JSON (sorted keys, no spaces): one without attachments holds
        # exactly this text. A forged record that lies here still fails in the worker.
        return b'"parts":[]' not in self.data

    def parse(self) -> SubmissionRecord | DamagedRecord:
        """The record, or why it cannot be used. A record must be filed under its own id:
        one sealed under a real submission's id but stored under another name would
        otherwise pass for that submission wherever pages and folders are named by id."""
        try:
            record = SubmissionRecord.from_json(self.data)
        except BundleFormatError as e:
            return DamagedRecord(self.name, str(e))
        if record.submission_id != self.submission_id:
            return DamagedRecord(
                self.name, "The record inside names another submission than its name: refused."
            )
        return record


@dataclass(frozen=True)
class Truncated:
    """The bundle ended (or broke) before its trailer: some submissions could not be read."""

    reason: str


@dataclass
class PartStream:
    """An attachment payload of the submission read just before it; ``source`` streams it."""

    submission_id: str
    part: str
    size: int
    source: Readable


class Sized(Protocol):
    """A payload to read that is not a file: its size, and ``read``."""

    size: int

    def read(self, size: int = -1) -> bytes: ...


class BundleWriter:
    """Write a bundle to ``path`` atomically: nothing appears there until :meth:`commit`."""

    def __init__(self, path: Path, created: str, surveys: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self._partial = path.with_name(path.name + ".partial")
        self._file = open(self._partial, "wb")  # noqa: SIM115 - closed in commit/abort
        self._tar = tarfile.open(fileobj=self._file, mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.count = 0
        self.digests: dict[str, str] = {}
        manifest = {"format": BUNDLE_FORMAT, "created": created, "surveys": surveys}
        self._add_bytes(MANIFEST_NAME, canonical_json(manifest))

    def add(self, record: SubmissionRecord, part_files: Mapping[str, Path | Sized]) -> None:
        """Append one submission and its attachment payloads, each read from its file or from
        a reader that knows its ``size`` (a server's database)."""
        self._add_bytes(f"{SUBMISSIONS_DIR}/{record.submission_id}.json", record.to_json())
        for part in record.parts:
            found = part_files[part]
            info = _member(f"{SUBMISSIONS_DIR}/{record.submission_id}/{part}")
            if isinstance(found, Path):
                with open(found, "rb") as source:
                    info.size = os.fstat(source.fileno()).st_size
                    self._add_payload(info, source)
            else:
                info.size = found.size
                self._add_payload(info, found)
        self.count += 1

    def _add_payload(self, info: Any, source: Readable) -> None:
        hashing = HashingReader(source, self._header(info))
        self._tar.addfile(info, hashing)
        self.digests[info.name] = hashing.hexdigest()

    def commit(self) -> None:
        """Finish the tar, flush it to the device and move it into place."""
        self._tar.addfile(*_bytes_member(TRAILER_NAME, trailer(self.count, self.digests)))
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._partial, self.path)
        _fsync_dir(self.path.parent)

    def abort(self) -> None:
        """Throw the unfinished bundle away."""
        with contextlib.suppress(OSError):  # the failure may have been the disk itself
            self._tar.close()
        self._file.close()
        self._partial.unlink(missing_ok=True)

    def _add_bytes(self, name: str, data: bytes) -> None:
        info, source = _bytes_member(name, data)
        self.digests[name] = member_digest(self._header(info) + data)
        self._tar.addfile(info, source)

    def _header(self, info: tarfile.TarInfo) -> bytes:
        """The header block(s) tarfile writes for ``info``: the digests cover them too, so
        that no byte of a member can change unnoticed."""
        return info.tobuf(self._tar.format, self._tar.encoding, self._tar.errors)


class BundleReader:
    """Read a bundle as a stream of submission records and their attachment payloads.

    With ``digests=True`` every member is hashed as it passes (for ``glas verify``):
    :attr:`digests` then holds what was read and :attr:`trailer` what ``end.json`` promised.
    """

    def __init__(self, path: Path, digests: bool = False) -> None:
        self.path = path
        self.trailer: Trailer | None = None
        try:
            # A large buffer: the bundle is read once, front to back, in small members.
            self._file = open(path, "rb", buffering=READ_BUFFER)  # noqa: SIM115 - closed in close()
        except OSError as e:
            raise BundleFormatError(f"Cannot read bundle {path}: {e.strerror}.") from e
        # A reader of our own (crypto.tarstream): fast, and it skips past damaged headers.
        self._tar = TarStream(self._file, DIGEST_SIZE if digests else 0)
        try:
            first = self._tar.next()
            if first is None or first[0].name != MANIFEST_NAME:
                raise BundleFormatError(f"{path} is not a Glas bundle (no manifest first).")
            manifest = json.loads(self._read_member(*first))
        except (ValueError, RecursionError) as e:
            self._file.close()
            raise BundleFormatError(f"{path} is not a Glas bundle.") from e
        if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
            self._file.close()
            raise BundleFormatError(f"{path} is not a bundle of format {BUNDLE_FORMAT}.")
        surveys = manifest.get("surveys")
        self.created: str = str(manifest.get("created", ""))[:32]
        self.surveys: dict[str, dict[str, Any]] = {
            str(k): v for k, v in (surveys if isinstance(surveys, dict) else {}).items()
        }

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    @property
    def digests(self) -> list[tuple[str, str]]:
        """``(member name, digest)`` of every member read to its end so far (with digests=True)."""
        return self._tar.digests

    def __iter__(self) -> Iterator[SubmissionRecord | DamagedRecord | PartStream | Truncated]:
        """Yield the entries in order; the last is :class:`Truncated` if the bundle is cut short."""
        for entry in self.raw_entries():
            yield entry.parse() if isinstance(entry, RawRecord) else entry

    def raw_entries(self) -> Iterator[RawRecord | DamagedRecord | PartStream | Truncated]:
        """Like iterating, but records come unparsed (see :class:`RawRecord`)."""
        records = 0
        try:
            while (item := self._tar.next()) is not None:
                member, data = item
                if member.name == TRAILER_NAME:
                    try:
                        self.trailer = read_trailer(self._read_member(member, data))
                    except BundleFormatError as e:
                        yield Truncated(f"{e} Whether submissions are missing cannot be told.")
                        return
                    if self.trailer.submissions != records:
                        yield Truncated(
                            f"The bundle lists {self.trailer.submissions} submissions "
                            f"but holds {records}."
                        )
                    return
                entry = self._entry(member, data)
                records += not isinstance(entry, PartStream)
                yield entry
        except (ValueError, RecursionError, BundleFormatError, OSError):
            pass
        yield Truncated(
            f"The bundle is damaged or cut short after {records} submission(s); "
            "the rest could not be read. Export again or copy the bundle again."
        )

    def _entry(self, member: Member, data: MemberReader) -> RawRecord | DamagedRecord | PartStream:
        name = member.name
        inside = name.removeprefix(f"{SUBMISSIONS_DIR}/")
        if name.endswith(".json") and "/" not in inside:
            try:
                return RawRecord(name, self._read_member(member, data))
            except BundleFormatError as e:
                return DamagedRecord(name, str(e))
        submission_id, _, part = inside.partition("/")
        if not part or not member.regular:
            return DamagedRecord(name, "An unexpected member is in the bundle.")
        return PartStream(submission_id, part, member.size, data)

    def _read_member(self, member: Member, data: MemberReader) -> bytes:
        if not member.regular or member.size > MAX_RECORD_SIZE:
            raise BundleFormatError(f"Bundle member {member.name} is not a record.")
        return data.read()


def _bytes_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = _member(name)
    info.size = len(data)
    return info, io.BytesIO(data)


def _member(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
