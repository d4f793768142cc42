"""The offline reviewer's side: open every submission of a bundle that a key can open.

Submissions are independent: one that fails authentication is reported and the others still
decrypt. A submission only counts as opened when its answers *and* every attachment it lists have
authenticated to the end; attachment files of a failed submission are removed again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import stream
from .bundle import BundleReader, DamagedRecord, PartStream, SubmissionRecord, Truncated
from .envelope import file_part, open_answers, open_content_key
from .errors import CryptoError, NotARecipient
from .keys import ReviewerKey

#: Given a submission, its answers document and a payload name, say where the file goes.
PlaceFile = Callable[[SubmissionRecord, dict[str, Any], str], Path]


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


def decrypt_bundle(
    reader: BundleReader, keys: Iterable[ReviewerKey], place_file: PlaceFile
) -> Iterator[Opened | Failed]:
    """Yield every submission of the bundle as :class:`Opened` or :class:`Failed`, in order."""
    by_id = {key.public_key.key_id: key for key in keys}
    current: _Current | None = None
    orphans: set[str] = set()
    for entry in reader:
        if isinstance(entry, PartStream):
            if current is not None and current.record.submission_id == entry.submission_id:
                _write_part(current, entry, place_file)
            elif entry.submission_id not in orphans:
                # Its record was lost to damage: name the submission rather than skip it quietly.
                orphans.add(entry.submission_id)
                yield Failed(entry.submission_id, "Its record is missing or damaged in the bundle.")
            continue
        if current is not None:
            yield current.result()
            current = None
        if isinstance(entry, DamagedRecord):
            orphans.add(entry.submission_id)
            yield Failed(entry.submission_id, entry.reason)
        elif isinstance(entry, Truncated):
            yield Failed("(rest of bundle)", entry.reason)
        else:
            current = _open_record(entry, by_id)
    if current is not None:
        yield current.result()


def _open_record(record: SubmissionRecord, keys: dict[str, ReviewerKey]) -> _Current:
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
    except CryptoError as e:
        current.fail(f"Failed authentication: {e}")
        return current
    expected = [file_part(i) for i in _listed_indexes(current.answers)]
    if sorted(expected) != sorted(record.parts):
        current.fail("Failed authentication: the attachments listed inside and outside differ.")
    return current


def _listed_indexes(answers: dict[str, Any]) -> list[int]:
    files = answers.get("files") or []
    return [int(f["part"]) for f in files if isinstance(f, dict) and "part" in f]


def _write_part(current: _Current, entry: PartStream, place_file: PlaceFile) -> None:
    if current.failure is not None or current.key is None or entry.part not in current.record.parts:
        return
    target = place_file(current.record, current.answers, entry.part)
    partial = target.with_name(target.name + ".partial")
    ad = current.record.binding.ad(entry.part)
    try:
        with open(partial, "wb") as out:
            for chunk in stream.decrypt_file(current.key, ad, entry.source):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except CryptoError as e:
        partial.unlink(missing_ok=True)
        current.fail(f"Failed authentication in attachment {entry.part}: {e}")
        return
    os.replace(partial, target)
    current.files[entry.part] = target
