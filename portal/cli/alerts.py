"""``glas alerts trust`` and ``glas alerts import``: the warning feed's server half.

``trust`` the signing key once (compare its fingerprint in person), then ``import`` signed feeds.
The offline half (``keygen``, ``sign``) is in :mod:`reviewer.commands.alerts`.
"""

from __future__ import annotations

from pathlib import Path

import click

from crypto.signing import SignerKey
from glas.cli import BadInput
from glas.messages import _, ngettext

from ..errors import StorageError
from ..storage.alerts import import_feed, trust_signer
from .reviewers import open_store, record

existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("trust")
@click.argument("pubkey")
@click.option("--name", required=True, help="Whose key it is, as the organizers know it.")
def trust(pubkey: str, name: str) -> None:
    """Trust PUBKEY (a glas-signer-1: line or key file) to sign the warning feed."""
    key = SignerKey.from_text_or_file(pubkey)
    if not name.strip():
        raise BadInput(_("--name cannot be empty."))
    store = open_store()
    try:
        trust_signer(store, name.strip(), key)
    except StorageError as e:
        raise BadInput(str(e)) from e
    record(store, "trusted a warning-feed signer", f"{name.strip()} {key.readable_fingerprint}")
    click.echo(_("Trusted signer %(name)s: %(fp)s", name=name.strip(), fp=key.readable_fingerprint))
    click.echo(_("Check this fingerprint with the key's holder in person or by phone."), err=True)


@click.command("import")
@click.argument("signed", type=existing_file)
def import_(signed: Path) -> None:
    """Publish a signed feed; a changed file or an unknown signer is refused (exit 2)."""
    store = open_store()
    shown = import_feed(store, signed.read_bytes(), str(signed))
    record(store, "published the warning feed", f"{len(shown.feed.alerts)} warnings")
    click.echo(
        ngettext(
            "Published %(num)d warning signed by %(name)s (%(fp)s).",
            "Published %(num)d warnings signed by %(name)s (%(fp)s).",
            len(shown.feed.alerts),
            name=shown.signer_name,
            fp=shown.signer.readable_fingerprint,
        )
    )
