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
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import nacl.exceptions
import nacl.signing

from .errors import BadSignature, KeyFormatError
from .keys import KeyLine, open_secret, read_key_file, seal_secret, write_key_file

SIGNER_PREFIX = "glas-signer-1:"
SIGNING_KEY_FILE_FORMAT = "glas-signing-key-1"
SIGNED_FORMAT = "glas-signed-1"


@dataclass(frozen=True)
class SignerKey(KeyLine):
    """The public half: what the server trusts, shown to people by its fingerprint."""

    PREFIX: ClassVar[str] = SIGNER_PREFIX
    KIND: ClassVar[str] = "signer key"


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
        line = self.public_key.to_line()
        write_key_file(
            path, seal_secret(bytes(self._key), line, passphrase, SIGNING_KEY_FILE_FORMAT)
        )

    @classmethod
    def load(cls, path: Path, passphrase: bytes) -> SigningKey:
        data = read_key_file(path)
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
