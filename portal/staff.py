"""Inviting and removing organizer staff: an account with a one-time setup link, plus a client key
for the organizer onion. One place for the command (`glas organizers`) and the Staff page.

The client key's private half is shown once and never stored: the server keeps only the public
half that tor needs. A running `glas serve` picks additions and removals up within seconds.
Each action is one transaction with its line in the audit log: ``actor`` is who did it.
"""

from __future__ import annotations

from dataclasses import dataclass

from onion import ClientKey, ServiceKey, ServiceKeyStore

from .config import ORGANIZER_SERVICE
from .storage import Store
from .storage.organizers import audit, create_organizer, disable_account, renew_setup


@dataclass(frozen=True)
class Invitation:
    """What a new (or reset) organizer is given, privately and once."""

    name: str
    address: str
    setup_link: str
    #: The setup link's path (``/setup/<token>``), for the organizer app's other addresses.
    setup_path: str = ""
    #: None when only the account is reset (the onion key stays as it was).
    client_key: str | None = None
    auth_line: str | None = None


def invite(store: Store, name: str, actor: str) -> Invitation:
    """Create the account and the onion client key of a new organizer."""
    key = ClientKey.generate()
    service = _organizer_service(store)
    with store.transaction():
        token = create_organizer(store, name)
        store.add_onion_client(name, key.public_base32)
        audit(store, actor, "invited an organizer", name)
    return Invitation(
        name=name,
        address=f"http://{service.address}/",
        setup_link=_setup_link(service, token),
        setup_path=f"/setup/{token}",
        client_key=key.private_base32,
        auth_line=key.auth_line(service.service_id),
    )


def reinvite(store: Store, name: str, actor: str) -> Invitation:
    """A new setup link (lost phone or passphrase); the account's sessions end now."""
    service = _organizer_service(store)
    with store.transaction():
        token = renew_setup(store, name)
        audit(store, actor, "gave an organizer a new setup link", name)
    return Invitation(
        name=name,
        address=f"http://{service.address}/",
        setup_link=_setup_link(service, token),
        setup_path=f"/setup/{token}",
    )


def remove(store: Store, name: str, actor: str) -> None:
    """Revoke the organizer's onion key and close the account (its sessions end now)."""
    with store.transaction():
        store.revoke_onion_client(name)
        disable_account(store, name)
        audit(store, actor, "removed an organizer", name)


def _organizer_service(store: Store) -> ServiceKey:
    return ServiceKeyStore(store.config.onion_dir).load_or_create(ORGANIZER_SERVICE)


def _setup_link(service: ServiceKey, token: str) -> str:
    return f"http://{service.address}/setup/{token}"
