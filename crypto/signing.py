"""The centre's signing key for the warning feed: Ed25519, kept offline like reviewer keys.

Reviewers turn vetted reports into warnings and sign the file on the offline machine; the
server shows a feed only if a signer it was told to trust signed exactly these bytes. A seized or
compromised server can therefore withhold warnings, but not forge or change them. The signature
covers a fixed context line and the payload, so it cannot be replayed as any other kind of file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path

import nacl.exceptions
import nacl.signing

from .errors import BadSignature, KeyFormatError
from .keys import fingerprint, open_secret, readable_fingerprint, seal_secret

SIGNER_PREFIX = "glas-signer-1:"
SIGNING_KEY_FILE_FORMAT = "glas-signing-key-1"
SIGNED_FORMAT = "glas-signed-1"
SIGNER_KEY_SIZE = 32


@dataclass(frozen=True)
class SignerKey:
    """The public half: what the server trusts, shown to people by its fingerprint."""

    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != SIGNER_KEY_SIZE:
            raise KeyFormatError(f"A signer key has {SIGNER_KEY_SIZE} bytes, not {len(self.raw)}.")

    @property
    def key_id(self) -> str:
        return fingerprint(self.raw)

    @property
    def readable_fingerprint(self) -> str:
        return readable_fingerprint(self.raw)

    def to_line(self) -> str:
        return SIGNER_PREFIX + base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def from_line(cls, line: str) -> SignerKey:
        text = line.strip()
        if not text.startswith(SIGNER_PREFIX):
            raise KeyFormatError(f"A signer key line starts with '{SIGNER_PREFIX}'.")
        try:
            return cls(base64.b64decode(text[len(SIGNER_PREFIX) :], validate=True))
        except binascii.Error as e:
            raise KeyFormatError("The signer key line is not valid base64.") from e

    @classmethod
    def from_text_or_file(cls, value: str) -> SignerKey:
        """Accept a ``glas-signer-1:`` line, or a signing key file (its public key is in clear)."""
        if value.strip().startswith(SIGNER_PREFIX):
            return cls.from_line(value)
        path = Path(value)
        try:
            text = path.read_text(encoding="utf-8")
            line = json.loads(text)["public_key"] if text.lstrip().startswith("{") else text
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise KeyFormatError(f"'{value}' is neither a signer key line nor a key file.") from e
        return cls.from_line(str(line))


class SigningKey:
    """The private half, for the offline machine only. Its repr never shows the secret."""

    def __init__(self, seed: bytes) -> None:
        self._key = nacl.signing.SigningKey(seed)
        self.public_key = SignerKey(bytes(self._key.verify_key))

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.public_key.key_id!r}, secret=<redacted>)"

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(bytes(nacl.signing.SigningKey.generate()))

    def save(self, path: Path, passphrase: bytes) -> None:
        """Write the key file (Argon2id + secretbox, as reviewer keys), owner-only, no overwrite."""
        data = seal_secret(
            bytes(self._key), self.public_key.to_line(), passphrase, SIGNING_KEY_FILE_FORMAT
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)

    @classmethod
    def load(cls, path: Path, passphrase: bytes) -> SigningKey:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise KeyFormatError(f"Cannot read key file {path}: {e.strerror}.") from e
        seed, public_line = open_secret(data, passphrase, str(path), SIGNING_KEY_FILE_FORMAT)
        key = cls(seed)
        if key.public_key != SignerKey.from_line(public_line):
            raise KeyFormatError(f"{path}: the public key does not match the private key.")
        return key

    def sign(self, context: str, payload: bytes) -> bytes:
        """Return the signed file: the payload (UTF-8 text) with the signer and signature."""
        signature = self._key.sign(_message(context, payload)).signature
        document = {
            "format": SIGNED_FORMAT,
            "context": context,
            "signer": self.public_key.to_line(),
            "payload": payload.decode("utf-8"),
            "signature": base64.b64encode(signature).decode("ascii"),
        }
        return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def verify(data: bytes, context: str, trusted: list[SignerKey]) -> tuple[bytes, SignerKey]:
    """Return the payload and its signer; raise :class:`BadSignature` unless a trusted signer
    signed exactly this payload for this context."""
    try:
        document = json.loads(data)
        if document.get("format") != SIGNED_FORMAT or document.get("context") != context:
            raise BadSignature("This is not a signed file of the expected kind.")
        signer = SignerKey.from_line(str(document["signer"]))
        payload = str(document["payload"]).encode("utf-8")
        signature = base64.b64decode(document["signature"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as e:
        if isinstance(e, BadSignature):
            raise
        raise BadSignature("This is not a signed file Glas can read.") from e
    if signer not in trusted:
        who = signer.readable_fingerprint
        raise BadSignature(f"The file is signed by a key this portal does not trust ({who}).")
    try:
        nacl.signing.VerifyKey(signer.raw).verify(_message(context, payload), signature)
    except nacl.exceptions.BadSignatureError as e:
        raise BadSignature(
            "The signature does not match: the file was changed after signing."
        ) from e
    return payload, signer


def _message(context: str, payload: bytes) -> bytes:
    return context.encode("utf-8") + b"\n" + payload
