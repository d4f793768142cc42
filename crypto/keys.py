"""Reviewer keys: X25519 key pairs, their fingerprints, public key lines and protected key files.

A reviewer's private key lives only on an offline machine, in a file sealed with a passphrase:
Argon2id (at least libsodium's MODERATE limits) derives a key that seals the 32-byte secret with
``crypto_secretbox``. Whoever copies the file still has to guess the passphrase, slowly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.public import PrivateKey

from .errors import BadPassphrase, KeyFormatError

PUBLIC_KEY_PREFIX = "glas-pk-1:"
KEY_FILE_FORMAT = "glas-secret-key-1"
KEY_SIZE = 32
FINGERPRINT_SIZE = 20
KDF_ALGORITHM = "argon2id13"
KDF_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
KDF_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
#: Refuse key files asking for more than this much memory: a planted file must not exhaust RAM.
#: A key file may ask for at most libsodium's strongest preset: a planted file with larger
#: limits would make decrypt hang or exhaust the laptop's memory before it could say anything.
KDF_OPSLIMIT_CEILING = nacl.pwhash.argon2id.OPSLIMIT_SENSITIVE
KDF_MEMLIMIT_CEILING = nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE
SALT_SIZE: int = nacl.pwhash.argon2id.SALTBYTES


def fingerprint(public_key: bytes) -> str:
    """Return the key id used in key slots: lowercase hex of BLAKE2b-160 of the public key."""
    return hashlib.blake2b(public_key, digest_size=FINGERPRINT_SIZE).hexdigest()


def readable_fingerprint(public_key: bytes) -> str:
    """Return the fingerprint in groups of four, to be read aloud and compared out of band."""
    hex_id = fingerprint(public_key).upper()
    return " ".join(hex_id[i : i + 4] for i in range(0, len(hex_id), 4))


@dataclass(frozen=True)
class KeyLine:
    """A 32-byte public key that people pass around as one line ``<prefix><base64>`` and
    compare by its fingerprint. Subclasses name their prefix (reviewer keys, signer keys)."""

    PREFIX: ClassVar[str] = ""
    KIND: ClassVar[str] = "key"
    raw: bytes

    def __post_init__(self) -> None:
        if len(self.raw) != KEY_SIZE:
            raise KeyFormatError(f"A {self.KIND} has {KEY_SIZE} bytes, not {len(self.raw)}.")

    @property
    def key_id(self) -> str:
        return fingerprint(self.raw)

    @property
    def readable_fingerprint(self) -> str:
        return readable_fingerprint(self.raw)

    def to_line(self) -> str:
        """Return the one-line form that key holders hand to organizers."""
        return self.PREFIX + base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def from_line(cls, line: str) -> Self:
        """Parse the one-line form; the message says what is wrong with it."""
        text = line.strip()
        if not text.startswith(cls.PREFIX):
            raise KeyFormatError(f"A {cls.KIND} line starts with '{cls.PREFIX}'.")
        try:
            raw = base64.b64decode(text[len(cls.PREFIX) :], validate=True)
        except binascii.Error as e:
            raise KeyFormatError(f"The {cls.KIND} line is not valid base64.") from e
        return cls(raw)

    @classmethod
    def from_text_or_file(cls, value: str) -> Self:
        """Accept the line itself, a file holding it, or a private key file (which names its
        public key in clear, so no passphrase is needed)."""
        if value.strip().startswith(cls.PREFIX):
            return cls.from_line(value)
        path = Path(value)
        if not path.is_file():
            raise KeyFormatError(f"'{value}' is neither a '{cls.PREFIX}' line nor a key file.")
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.lstrip().startswith("{"):
            try:
                return cls.from_line(json.loads(text)["public_key"])
            except (ValueError, KeyError, TypeError) as e:
                raise KeyFormatError(f"{path}: not a key file Glas knows.") from e
        return cls.from_line(text)


@dataclass(frozen=True)
class PublicKey(KeyLine):
    """A reviewer's X25519 public key; submissions are sealed to it."""

    PREFIX: ClassVar[str] = PUBLIC_KEY_PREFIX
    KIND: ClassVar[str] = "public key"


class ReviewerKey:
    """A reviewer's X25519 key pair. Its repr never shows the secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_SIZE:
            raise KeyFormatError(f"A private key has {KEY_SIZE} bytes, not {len(secret)}.")
        self._private = PrivateKey(secret)
        self.public_key = PublicKey(bytes(self._private.public_key))

    def __repr__(self) -> str:
        return f"ReviewerKey(key_id={self.public_key.key_id!r}, secret=<redacted>)"

    @classmethod
    def generate(cls) -> ReviewerKey:
        return cls(bytes(PrivateKey.generate()))

    @property
    def secret(self) -> bytes:
        """The raw secret; only the decrypting code should ever touch it."""
        return bytes(self._private)

    def to_file_bytes(self, passphrase: bytes) -> bytes:
        """Seal the secret under a passphrase-derived key (Argon2id MODERATE + secretbox)."""
        return seal_secret(self.secret, self.public_key.to_line(), passphrase, KEY_FILE_FORMAT)

    def save(self, path: Path, passphrase: bytes) -> None:
        write_key_file(path, self.to_file_bytes(passphrase))

    @classmethod
    def from_file_bytes(cls, data: bytes, passphrase: bytes, name: str = "key file") -> ReviewerKey:
        """Open a key file; raise :class:`BadPassphrase` or :class:`KeyFormatError`."""
        secret, public_line = open_secret(data, passphrase, name, KEY_FILE_FORMAT)
        key = cls(secret)
        if key.public_key != PublicKey.from_line(public_line):
            raise KeyFormatError(f"{name}: the public key does not match the private key.")
        return key

    @classmethod
    def load(cls, path: Path, passphrase: bytes) -> ReviewerKey:
        return cls.from_file_bytes(read_key_file(path), passphrase, name=str(path))


def write_key_file(path: Path, data: bytes) -> None:
    """Write a private key file owner-only, flushed to the device; never overwrite one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise KeyFormatError(f"Cannot read key file {path}: {e.strerror}.") from e


def seal_secret(secret: bytes, public_line: str, passphrase: bytes, file_format: str) -> bytes:
    """A private key file: the secret sealed under Argon2id(passphrase) with secretbox, and the
    public key in clear so that it can be shown without the passphrase."""
    salt = nacl.utils.random(SALT_SIZE)
    box = nacl.secret.SecretBox(_derive(passphrase, salt, KDF_OPSLIMIT, KDF_MEMLIMIT))
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    document = {
        "format": file_format,
        "public_key": public_line,
        "kdf": {
            "algorithm": KDF_ALGORITHM,
            "opslimit": KDF_OPSLIMIT,
            "memlimit": KDF_MEMLIMIT,
            "salt": _b64(salt),
        },
        "nonce": _b64(nonce),
        "sealed_secret_key": _b64(box.encrypt(secret, nonce).ciphertext),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def open_secret(data: bytes, passphrase: bytes, name: str, file_format: str) -> tuple[bytes, str]:
    """Open a private key file of ``file_format``; return the secret and the public key line.

    Refuses limits below MODERATE (a weakened file) and above SENSITIVE (a time or memory bomb)."""
    try:
        document = json.loads(data)
        if not isinstance(document, dict) or document.get("format") != file_format:
            raise KeyFormatError(f"{name}: not a Glas private key file of this kind.")
        kdf = document["kdf"]
        opslimit, memlimit = int(kdf["opslimit"]), int(kdf["memlimit"])
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(document["nonce"], validate=True)
        sealed = base64.b64decode(document["sealed_secret_key"], validate=True)
        public_line = str(document["public_key"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        raise KeyFormatError(f"{name}: not a Glas private key file.") from e
    if kdf.get("algorithm") != KDF_ALGORITHM or len(salt) != SALT_SIZE:
        raise KeyFormatError(f"{name}: unknown key derivation settings.")
    if not KDF_OPSLIMIT <= opslimit <= KDF_OPSLIMIT_CEILING or not (
        KDF_MEMLIMIT <= memlimit <= KDF_MEMLIMIT_CEILING
    ):
        raise KeyFormatError(f"{name}: key derivation limits are outside the allowed range.")
    box = nacl.secret.SecretBox(_derive(passphrase, salt, opslimit, memlimit))
    try:
        return box.decrypt(sealed, nonce), public_line
    except nacl.exceptions.CryptoError as e:
        raise BadPassphrase(f"Wrong passphrase for {name}.") from e


def public_key_of_file(path: Path) -> PublicKey:
    """Read the public key named in a private key file, without its passphrase."""
    return PublicKey.from_text_or_file(str(path))


def _derive(passphrase: bytes, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    """Argon2id in a short-lived child process.

    MODERATE limits mean 256 MiB of memory for about a second. Done in a child, that memory is
    never part of the process that goes on to decrypt bundles (and fork its workers), whose peak
    then depends only on what it decrypts. The child only ever sends the 32-byte result back.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            derived = nacl.pwhash.argon2id.kdf(
                nacl.secret.SecretBox.KEY_SIZE,
                passphrase,
                salt,
                opslimit=opslimit,
                memlimit=memlimit,
            )
            os.write(write_end, derived)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        derived = pipe.read()
    os.waitpid(pid, 0)
    if len(derived) != nacl.secret.SecretBox.KEY_SIZE:
        raise KeyFormatError("The key derivation failed (out of memory?).")
    return derived


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
