"""``glas reviewers``: register the public keys that submissions are sealed to."""

from __future__ import annotations

import getpass

import click

from crypto.keys import PublicKey
from glas.cli import BadInput
from glas.messages import _

from ..config import Config
from ..errors import StorageError
from ..storage import Store
from ..storage.organizers import audit


@click.group("reviewers")
def command() -> None:
    """Manage reviewer public keys."""


@command.command("add")
@click.argument("pubkey")
@click.option("--name", required=True, help="Who holds the key, as the organizers know them.")
def add(pubkey: str, name: str) -> None:
    """Register PUBKEY (a glas-pk-1: line or a public key file) for every survey."""
    key = PublicKey.from_text_or_file(pubkey)
    if not name.strip():
        raise BadInput(_("--name cannot be empty."))
    store = open_store()
    try:
        store.add_reviewer(name.strip(), key)
    except StorageError as e:
        raise BadInput(str(e)) from e
    record(store, "added a reviewer key", f"{name.strip()} {key.readable_fingerprint}")
    click.echo(_("Added reviewer %(name)s: %(fp)s", name=name.strip(), fp=key.readable_fingerprint))
    click.echo(_("Check this fingerprint with the reviewer in person or by phone."), err=True)


@command.command("list")
def list_() -> None:
    """List registered reviewers and their fingerprints."""
    for row in open_store().reviewers():
        state = "" if row.active else " " + _("(inactive)")
        click.echo(f"{row.name}{state}: {PublicKey(row.public_key).readable_fingerprint}")


def record(store: Store, action: str, detail: str = "") -> None:
    """Add a command-line action to the organizers' audit log, as the account that ran it
    (the server's operator: the log says who changed what, from a browser or a shell)."""
    audit(store, operator(), action, detail)


def operator() -> str:
    """Who a command's actions are logged as: the account that ran it."""
    return f"command line ({getpass.getuser()})"


def open_store() -> Store:
    """Open (and if needed create and migrate) the store named by the environment.

    Never sweeps: a `glas serve` may be receiving uploads into the same data dir right now.
    """
    store = Store(Config.from_env(), pooled=False)
    store.initialise()
    return store
