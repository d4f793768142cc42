"""``end.json``, the trailer of an export bundle: how many submissions it holds and a digest of
every member written before it, sealed by a checksum of its own.

The digest of a member covers its tar header block and its data, so ``glas verify`` can name
any member in which one byte changed, without a key. Bundles written before digests existed
have only the count; they still read. See docs/envelope.md, "Export bundle".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .envelope import canonical_json
from .errors import BundleFormatError
from .stream import Readable

DIGEST_SIZE = 32


def checksum(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def member_digest(data: bytes) -> str:
    """The digest ``end.json`` lists for a member: of its header block and its data."""
    return hashlib.blake2b(data, digest_size=DIGEST_SIZE).hexdigest()


def trailer(count: int, digests: dict[str, str]) -> bytes:
    """The trailer: the count, every member's digest, and a checksum over both."""
    body = {"members": digests, "submissions": count}
    return canonical_json({**body, "check": checksum(canonical_json(body))})


@dataclass(frozen=True)
class Trailer:
    """What ``end.json`` says; ``members`` is None for bundles written before digests."""

    submissions: int
    members: dict[str, str] | None


def read_trailer(data: bytes) -> Trailer:
    """Parse ``end.json``; raise :class:`BundleFormatError` if it was changed or damaged."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise BundleFormatError("end.json is damaged (not JSON).") from e
    if not isinstance(doc, dict) or type(doc.get("submissions")) is not int:
        raise BundleFormatError("end.json is damaged (no count of submissions).")
    if "check" not in doc:
        if set(doc) != {"submissions"}:
            raise BundleFormatError("end.json is damaged (unknown fields, no checksum).")
        return Trailer(doc["submissions"], None)  # a bundle written before member digests
    body = {k: v for k, v in doc.items() if k != "check"}
    members = body.get("members")
    if (
        doc["check"] != checksum(canonical_json(body))
        or not isinstance(members, dict)
        or not all(isinstance(v, str) for v in members.values())
    ):
        raise BundleFormatError("end.json is damaged (its checksum does not match).")
    return Trailer(doc["submissions"], members)


class HashingReader:
    """Hand tarfile a file's bytes while digesting them: one pass over large attachments."""

    def __init__(self, source: Readable, header: bytes) -> None:
        self._source = source
        self._hash = hashlib.blake2b(header, digest_size=DIGEST_SIZE)

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
