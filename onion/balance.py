"""Onionbalance: one onion address in front of several nodes.

Each node's tor serves the respondent onion as an **instance** of the front: tor then also
accepts introductions made for the front's address. Tor takes that only from a torrc
(``HiddenServiceOnionBalanceInstance 1`` and an ``ob_config`` file in the ``HiddenServiceDir``;
``ADD_ONION`` refuses it), so for an instance Glas writes a ``HiddenServiceDir`` and a torrc
that its tor includes. The **front** is Onionbalance on a machine of its own: it fetches the
instances' descriptors and publishes one descriptor for the front's address with their
introduction points. Its private key is made in the front's folder and stays there.

Tor's key files hold the 64-byte expanded ed25519 key after a fixed header; tor and
Onionbalance both read that form, and our :class:`ServiceKey` blob is the same 64 bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ServiceError
from .keys import ServiceKey, write_private
from .tor import PowSettings

TOR_SECRET_KEY_HEADER = b"== ed25519v1-secret: type0 ==\x00\x00\x00"
EXPANDED_KEY_SIZE = 64
INSTANCE_TORRC = "instance.torrc"
FRONT_KEY = "master.key"
FRONT_CONFIG = "config.yaml"
FRONT_TORRC = "torrc"
#: Onionbalance puts two introduction points of each instance in the front's descriptor, which
#: must stay under 50,000 bytes: far more nodes than a network of centres will run.
MAX_INSTANCES = 20


def tor_key_file(key: ServiceKey) -> bytes:
    """``hs_ed25519_secret_key`` as tor writes it, for ``key``."""
    return TOR_SECRET_KEY_HEADER + base64.b64decode(key.private_key)


def key_from_tor_file(data: bytes) -> ServiceKey:
    """Read a key file of tor's (or one we wrote) back; refuse anything else."""
    if not data.startswith(TOR_SECRET_KEY_HEADER):
        raise ServiceError("The key file does not start with tor's ed25519 header.")
    expanded = data[len(TOR_SECRET_KEY_HEADER) :]
    if len(expanded) != EXPANDED_KEY_SIZE:
        raise ServiceError("The key file does not hold a 64-byte ed25519 key.")
    return ServiceKey.from_expanded(expanded)


@dataclass(frozen=True)
class InstanceService:
    """A node's respondent onion, published by tor as an instance of the front ``front_id``."""

    directory: Path  # the HiddenServiceDir (tor refuses one that is not 0700)
    key: ServiceKey
    front_id: str
    target: str  # where tor sends connections: "127.0.0.1:PORT"
    pow_settings: PowSettings | None = None

    @property
    def torrc(self) -> Path:
        return self.directory.parent / INSTANCE_TORRC

    def torrc_lines(self) -> list[str]:
        lines = [
            f"HiddenServiceDir {self.directory}",
            f"HiddenServicePort 80 {self.target}",
            "HiddenServiceOnionBalanceInstance 1",
        ]
        if self.pow_settings is not None and self.pow_settings.enabled:
            lines += [
                "HiddenServicePoWDefensesEnabled 1",
                f"HiddenServicePoWQueueRate {self.pow_settings.queue_rate}",
                f"HiddenServicePoWQueueBurst {self.pow_settings.queue_burst}",
            ]
        return lines

    def write(self) -> Path:
        """Write the key, ``ob_config`` and the torrc to include; return the torrc's path."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        for stale in ("hostname", "hs_ed25519_public_key"):  # of an address rotated away
            (self.directory / stale).unlink(missing_ok=True)
        write_private(self.directory / "hs_ed25519_secret_key", tor_key_file(self.key))
        write_private(
            self.directory / "ob_config", f"MasterOnionAddress {self.front_id}.onion\n".encode()
        )
        header = "# Written by glas serve: the respondent onion as an Onionbalance instance.\n"
        write_private(self.torrc, (header + "\n".join(self.torrc_lines()) + "\n").encode())
        return self.torrc


@dataclass(frozen=True)
class Front:
    key: ServiceKey
    created: bool  # a new key was made (a new address to give respondents)


def write_front(directory: Path, instances: Sequence[tuple[str, str]]) -> Front:
    """Write the front's folder: its key (made once, kept), Onionbalance's ``config.yaml``
    listing ``instances`` (name, onion id), and a torrc for the tor Onionbalance drives."""
    if not instances:
        raise ServiceError("No instance onion is known yet: run glas serve on each node first.")
    if len(instances) > MAX_INSTANCES:
        raise ServiceError(f"At most {MAX_INSTANCES} instances fit in one front descriptor.")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path = directory / FRONT_KEY
    created = not key_path.exists()
    if created:
        key = ServiceKey.generate()
        write_private(key_path, tor_key_file(key))
    else:
        key = key_from_tor_file(key_path.read_bytes())
    if any(address == key.service_id for _name, address in instances):
        raise ServiceError("The front's address cannot also be one of its instances.")
    config = {
        "services": [
            {
                "key": FRONT_KEY,
                "instances": [{"address": a, "name": n} for n, a in instances],
            }
        ]
    }
    text = "# Written by glas onion front: the Onionbalance front of the respondent onion.\n"
    write_private(directory / FRONT_CONFIG, (text + yaml.safe_dump(config)).encode())
    write_private(directory / FRONT_TORRC, FRONT_TORRC_TEXT.encode())
    return Front(key, created)


FRONT_TORRC_TEXT = """\
# The tor that Onionbalance drives on the front machine (written by glas onion front).
# Start it in this folder:  tor -f torrc
# then:                     onionbalance -c config.yaml -i 127.0.0.1 -p 9051
# This tor serves no onion itself; Onionbalance publishes the front's descriptor through it.
DataDirectory tor-data
ControlPort 127.0.0.1:9051
CookieAuthentication 1
SocksPort 0
# Onionbalance reads the instances' descriptors: tor must fetch what a client would not.
FetchUselessDescriptors 1
"""
