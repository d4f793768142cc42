"""Onion service keys (kept so addresses survive restarts) and v3 client-authorisation keys.

A service key is the 88-character ``ED25519-V3`` blob tor hands out; whoever holds it can run the
service's address, so it lives in the data dir with mode 0600. Client-authorisation keys are
x25519 pairs made with PyNaCl: tor gets the public half, the staff member's Tor Browser the
private half, and without it the organizer onion's descriptor cannot even be decrypted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from nacl import bindings as sodium
from nacl.public import PrivateKey
from nacl.utils import random as random_bytes

SERVICE_KEY_TYPE = "ED25519-V3"
ONION_ID_LENGTH = 56
ONION_VERSION = b"\x03"
SEED_SIZE = 32


@dataclass(frozen=True)
class ServiceKey:
    """An onion service's identity: its address (without .onion) and its private key blob."""

    service_id: str
    private_key: str

    def __repr__(self) -> str:
        return f"ServiceKey(service_id={self.service_id!r}, private_key=<redacted>)"

    @property
    def address(self) -> str:
        return f"{self.service_id}.onion"

    @classmethod
    def generate(cls) -> ServiceKey:
        """Make a v3 service key without tor, so its address is known before tor runs.

        Tor's ``ED25519-V3`` blob is the 64-byte *expanded* secret key: SHA-512 of a seed with
        the scalar clamped (rend-spec-v3, appendix A.2). The address encodes the public key,
        a checksum and the version (rend-spec-v3, section 6).
        """
        expanded = bytearray(hashlib.sha512(random_bytes(SEED_SIZE)).digest())
        expanded[0] &= 248
        expanded[31] &= 127
        expanded[31] |= 64
        return cls.from_expanded(bytes(expanded))

    @classmethod
    def from_expanded(cls, expanded: bytes) -> ServiceKey:
        """The key of a 64-byte expanded secret (ours, or one read from tor's key file)."""
        public = sodium.crypto_scalarmult_ed25519_base_noclamp(expanded[:32])
        return cls(onion_id(public), base64.b64encode(expanded).decode("ascii"))


def onion_id(public_key: bytes) -> str:
    """The 56-character v3 onion address (without .onion) of an ed25519 public key."""
    checksum = hashlib.sha3_256(b".onion checksum" + public_key + ONION_VERSION).digest()[:2]
    return base64.b32encode(public_key + checksum + ONION_VERSION).decode("ascii").lower()


class ServiceKeyStore:
    """Service keys in ``<data dir>/onion/<name>.json``, owner-only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def load_or_create(self, name: str) -> ServiceKey:
        key = self.load(name)
        if key is None:
            key = ServiceKey.generate()
            self.save(name, key)
        return key

    def load(self, name: str) -> ServiceKey | None:
        try:
            data = json.loads(self.path(name).read_text())
            return ServiceKey(str(data["service_id"]), str(data["private_key"]))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as e:
            from .errors import ServiceError

            raise ServiceError(
                f"{self.path(name)} is damaged; remove it to make a new address "
                "(respondents will need the new address)."
            ) from e

    def save(self, name: str, key: ServiceKey) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = {"service_id": key.service_id, "private_key": key.private_key}
        write_private(self.path(name), json.dumps(data).encode("ascii"))

    def delete(self, name: str) -> bool:
        try:
            self.path(name).unlink()
        except FileNotFoundError:
            return False
        return True


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by its owner only, whole or not at all (a key file)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class ClientKey:
    """An x25519 client-authorisation key pair for a v3 onion service."""

    private: bytes
    public: bytes

    def __repr__(self) -> str:
        return f"ClientKey(public={self.public_base32!r}, private=<redacted>)"

    @classmethod
    def generate(cls) -> ClientKey:
        key = PrivateKey.generate()
        return cls(bytes(key), bytes(key.public_key))

    @property
    def public_base32(self) -> str:
        """The form tor's ``ClientAuthV3=`` and ``descriptor:x25519:`` lines take."""
        return base64.b32encode(self.public).decode("ascii").rstrip("=")

    @property
    def private_base32(self) -> str:
        """The form Tor Browser asks for when it meets an authorised onion."""
        return base64.b32encode(self.private).decode("ascii").rstrip("=")

    @property
    def private_base64(self) -> str:
        """The form tor's ``ONION_CLIENT_AUTH_ADD`` takes (base32 is refused there)."""
        return base64.b64encode(self.private).decode("ascii")

    def auth_line(self, service_id: str) -> str:
        """The line of a client's ``.auth_private`` file (ClientOnionAuthDir)."""
        return f"{service_id}:descriptor:x25519:{self.private_base32}"
