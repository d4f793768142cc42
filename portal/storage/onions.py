"""One address for several nodes: the Onionbalance front and the nodes' instance onions.

Every node publishes its own respondent onion. When the organizers put an Onionbalance front
before them (``glas onion front``), the front's address is kept here, in the database every
node shares, and each node's tor then serves as an *instance* of it: respondents are given the
front's address, and reach whichever node is up. The front's private key is never here: it
lives only on the front machine. Addresses are public to whoever runs a node; nothing in
these rows is a respondent's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from .errors import StorageError
from .models import OnionInstanceRow, SettingRow

if TYPE_CHECKING:
    from .store import Store

FRONT_SETTING = "onion_front"
ONION_ID = re.compile(r"[a-z2-7]{56}")
NAME_LENGTH = 64


class BadOnionAddress(StorageError):
    """Not a v3 onion address."""


@dataclass(frozen=True)
class Instance:
    address: str  # the 56 characters, without .onion
    name: str


def parse_address(text: str) -> str:
    """``abc….onion``, ``http://abc….onion/`` or ``abc…`` as the 56-character id, or refuse."""
    bare = text.strip().lower().removeprefix("http://").removeprefix("https://")
    bare = bare.rstrip("/").removesuffix(".onion")
    if not ONION_ID.fullmatch(bare):
        raise BadOnionAddress(f"'{text[:80]}' is not a v3 onion address (56 letters a-z, 2-7).")
    return bare


def front(store: Store) -> str | None:
    """The front's onion id when the nodes are instances of an Onionbalance front."""
    with store.session() as s:
        row = s.get(SettingRow, FRONT_SETTING)
    return row.value if row is not None else None


def set_front(store: Store, address: str | None) -> None:
    """Make every node an instance of ``address`` (from their next start), or none."""
    value = None if address is None else parse_address(address)
    with store.session() as s:
        s.execute(delete(SettingRow).where(SettingRow.key == FRONT_SETTING))
        if value is not None:
            s.add(SettingRow(key=FRONT_SETTING, value=value))


def register_instance(store: Store, address: str, name: str, replaces: str | None = None) -> None:
    """Record a node's respondent onion (``replaces``: its address before a rotation)."""
    value = parse_address(address)
    with store.session() as s:
        gone = [value] + ([parse_address(replaces)] if replaces else [])
        s.execute(delete(OnionInstanceRow).where(OnionInstanceRow.address.in_(gone)))
        s.add(OnionInstanceRow(address=value, name=name.strip()[:NAME_LENGTH] or "node"))


def forget_instance(store: Store, address: str) -> bool:
    """Drop a node that is gone for good from the front's list; False if it was not there."""
    value = parse_address(address)
    with store.session() as s:
        result = s.execute(delete(OnionInstanceRow).where(OnionInstanceRow.address == value))
    return bool(getattr(result, "rowcount", 0))


def instances(store: Store) -> list[Instance]:
    """Every node's respondent onion, by name then address."""
    with store.session() as s:
        rows = s.scalars(select(OnionInstanceRow)).all()
    found = [Instance(r.address, r.name) for r in rows]
    return sorted(found, key=lambda i: (i.name, i.address))
