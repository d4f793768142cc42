"""Envelope v1: how one submission is sealed so that only its reviewers can open it.

Per submission a fresh content key K; one key slot per reviewer (``crypto_box_seal(K, pk)``,
labelled with the reviewer's key id); every payload a chunked secretstream under K (see
:mod:`crypto.stream`). The additional data of every chunk names the format, survey id, survey
version digest, submission id and payload name, so ciphertext moved to another survey, version,
submission or file slot fails authentication. ``docs/envelope.md`` describes the bytes.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import IO, Any

import nacl.exceptions
import orjson
from nacl import bindings as sodium

from . import stream
from .errors import AuthenticationFailed, CryptoError, MalformedDocument, NotARecipient
from .keys import PublicKey, ReviewerKey

FORMAT = "glas-envelope-1"
SUBMISSION_ID_BYTES = 16
SUBMISSION_ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
#: Survey ids and version digests become folder names on the reviewer's machine: only these.
SURVEY_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
VERSION_PATTERN = re.compile(r"^[0-9a-f]{64}$")
PART_PATTERN = re.compile(r"^file-(0|[1-9][0-9]{0,2})$")
DAY_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
SEALED_KEY_SIZE: int = stream.KEY_SIZE + sodium.crypto_box_SEALBYTES
#: A run of digits that may be an integer too wide for 64 bits.
LONG_DIGITS = re.compile(rb"[0-9]{19}")
ANSWERS_PART = "answers"
#: Padded answers documents are a power of two long, and never shorter than this.
MIN_PADDED_SIZE = 1024
#: Attachments shorter than this are padded to it (see padded_file_size).
MIN_FILE_PADDING = 1024


def new_submission_id() -> str:
    """Return a random submission id (128 bits, lowercase hex); it carries no time or origin."""
    return secrets.token_hex(SUBMISSION_ID_BYTES)


def file_part(index: int) -> str:
    """Return the payload name of the ``index``-th attachment of a submission."""
    return f"file-{index}"


def associated_data(survey_id: str, version: str, submission_id: str, part: str) -> bytes:
    """Return the additional data that binds a payload to its place."""
    fields = (FORMAT, survey_id, version, submission_id, part)
    if any("\n" in field for field in fields):
        raise CryptoError("Envelope metadata cannot contain line breaks.")
    return "\n".join(fields).encode("utf-8")


def canonical_json(document: Any) -> bytes:
    """Serialise a document the same way every time (sorted keys, no spaces, UTF-8)."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def size_bucket(size: int) -> int:
    """Round up to a power of two, at least MIN_PADDED_SIZE: the coarse sizes the server sees."""
    bucket = MIN_PADDED_SIZE
    while bucket < size:
        bucket *= 2
    return bucket


def padded_file_size(size: int) -> int:
    """The length an attachment's plaintext is padded to (zeros) before it is sealed.

    Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication
    with PURBs", 2019): at most about 12 % larger, and a length of L bytes reveals only
    O(log log L) bits, so 2,000 and 2,002 bytes (or two photos of one phone) look alike. Below
    :data:`MIN_FILE_PADDING` everything is that long. The reviewer cuts the plaintext back to
    the size the answers document records. The same rule is in glas-envelope.js.
    """
    length = max(size, MIN_FILE_PADDING)
    exponent = length.bit_length() - 1  # floor(log2 length)
    low_bits = exponent - exponent.bit_length()  # exponent - (floor(log2 exponent) + 1)
    step = 1 << low_bits
    return -(-length // step) * step


def padded_size(length: int) -> int:
    """Return the bucket a document of ``length`` bytes is padded to (ISO/IEC 7816-4 padding
    needs at least one byte, hence the + 1)."""
    return size_bucket(length + 1)


def is_answers_size(size: int) -> bool:
    """True when ``size`` bytes can be an answers payload: a whole stream of a padded document.

    What the server can check of an answers payload a browser sealed (it cannot read it)."""
    if not stream.is_stream_size(size):
        return False
    body = size - stream.HEADER_SIZE
    plaintext = body - -(-body // stream.CIPHER_CHUNK_SIZE) * stream.ABYTES
    return plaintext >= MIN_PADDED_SIZE and plaintext & (plaintext - 1) == 0


def pad(document: bytes) -> bytes:
    return bytes(sodium.sodium_pad(document, padded_size(len(document))))


def unpad(padded: bytes) -> bytes:
    if len(padded) < MIN_PADDED_SIZE or len(padded) & (len(padded) - 1):
        raise AuthenticationFailed("The answers document is not padded to a size bucket.")
    # ISO/IEC 7816-4, as sodium_pad writes it with the whole size as block: the text, 0x80,
    # then zeros. Read with bytes methods: libsodium's unpad costs a copy in and one out.
    body = padded.rstrip(b"\0")
    if not body.endswith(b"\x80"):
        raise AuthenticationFailed("The answers document padding is invalid.")
    return body[:-1]


@dataclass(frozen=True)
class KeySlot:
    """The content key sealed to one reviewer; ``key_id`` says which (not secret)."""

    key_id: str
    sealed_key: bytes


@dataclass(frozen=True)
class Binding:
    """What a submission's ciphertext is bound to; all of it is visible on the server."""

    survey_id: str
    version: str
    submission_id: str

    def ad(self, part: str) -> bytes:
        return associated_data(self.survey_id, self.version, self.submission_id, part)


class Sealer:
    """Seal one submission: make its content key, key slots and payloads.

    .. warning:: The content key lives only as long as this object; never store or log it.
    """

    def __init__(self, binding: Binding, recipients: list[PublicKey]) -> None:
        if not recipients:
            raise CryptoError("A submission needs at least one reviewer key to be sealed to.")
        if not SUBMISSION_ID_PATTERN.match(binding.submission_id):
            raise CryptoError("A submission id is 32 lowercase hexadecimal characters.")
        self.binding = binding
        self._key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
        self.slots = [
            KeySlot(pk.key_id, sodium.crypto_box_seal(self._key, pk.raw)) for pk in recipients
        ]

    def __repr__(self) -> str:
        return f"Sealer({self.binding!r}, key=<redacted>)"

    def seal_answers(self, document: dict[str, Any]) -> bytes:
        """Return the padded, encrypted answers payload."""
        padded = pad(canonical_json(document))
        return stream.encrypt_bytes(self._key, self.binding.ad(ANSWERS_PART), padded)

    def file_encryptor(self, index: int, sink: IO[bytes]) -> stream.StreamEncryptor:
        """Return an encryptor that streams the ``index``-th attachment into ``sink``."""
        return stream.StreamEncryptor(self._key, self.binding.ad(file_part(index)), sink)


def open_content_key(slots: list[KeySlot], key: ReviewerKey) -> bytes:
    """Find this reviewer's slot and open it."""
    mine = [slot for slot in slots if slot.key_id == key.public_key.key_id]
    if not mine:
        raise NotARecipient("The submission holds no key slot for this reviewer key.")
    try:
        content_key = sodium.crypto_box_seal_open(
            mine[0].sealed_key, key.public_key.raw, key.secret
        )
    except nacl.exceptions.CryptoError as e:
        raise AuthenticationFailed("The key slot failed authentication.") from e
    if len(content_key) != stream.KEY_SIZE:
        raise AuthenticationFailed("The key slot holds a key of the wrong size.")
    return bytes(content_key)


def open_answers(content_key: bytes, binding: Binding, ciphertext: bytes) -> dict[str, Any]:
    """Decrypt, unpad and parse the answers document."""
    padded = stream.decrypt_bytes(content_key, binding.ad(ANSWERS_PART), ciphertext)
    try:
        text = unpad(padded)
        # orjson is three times faster (a decrypt reads 100,000 documents) and as strict (no
        # NaN or Infinity), but reads an integer beyond 64 bits as a float: where 19 digits
        # follow one another, the json module reads the document, exactly as it was sealed.
        if LONG_DIGITS.search(text):
            document = json.loads(text, parse_constant=_no_constant)
        else:
            document = orjson.loads(text)
    except (ValueError, RecursionError) as e:
        # Authentic (the sender holds the key) but hostile: a browser may seal any bytes.
        raise MalformedDocument("The answers document is not valid JSON.") from e
    if not isinstance(document, dict):
        raise MalformedDocument("The answers document is not a JSON object.")
    return document


def _no_constant(name: str) -> Any:
    """JSON has no NaN or Infinity; Python's reader would accept them. Refuse them."""
    raise ValueError(f"{name} is not a JSON number")
