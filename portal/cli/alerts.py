"""``glas alerts``: the signed "bad clients and attackers" warning feed.

Offline, on the reviewers' machine: ``keygen`` once, then ``sign`` each new feed. On the server:
``trust`` the signing key once (compare its fingerprint in person), then ``import`` signed feeds.
"""

from __future__ import annotations

from pathlib import Path

import click

from crypto.signing import SignerKey, SigningKey
from surveys.alerts import ALERTS_CONTEXT, load_alerts_text

from ..errors import StorageError
from ..storage.alerts import import_feed, trust_signer
from . import BadInput
from .messages import _, ngettext
from .passphrase import passphrase_file_option, read_passphrase
from .reviewers import open_store

existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("alerts")
def command() -> None:
    """Sign, trust and publish the warning feed."""


@command.command("keygen")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="New key file.")
@passphrase_file_option
def keygen(out: Path, passphrase_file: Path | None) -> None:
    """Make the centre's signing key (offline); print its public line and fingerprint."""
    if out.exists():
        raise BadInput(_("%(file)s already exists; choose another file name.", file=out))
    key = SigningKey.generate()
    key.save(out, read_passphrase(passphrase_file, _("Passphrase for the signing key"), new=True))
    click.echo(key.public_key.to_line())
    click.echo(_("Fingerprint: %(fp)s", fp=key.public_key.readable_fingerprint))
    click.echo(
        _("Signing key written to %(file)s. Keep it and its passphrase offline.", file=out),
        err=True,
    )


@command.command("sign")
@click.argument("feed", type=existing_file)
@click.option("--key", "key_file", required=True, type=existing_file, help="Signing key file.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The signed file.")
@passphrase_file_option
def sign(feed: Path, key_file: Path, out: Path, passphrase_file: Path | None) -> None:
    """Check FEED (YAML) and sign it (offline) into a file for the organizers to import."""
    alerts = load_alerts_text(feed.read_bytes(), str(feed))
    if out.exists():
        raise BadInput(_("%(file)s already exists; choose another file name.", file=out))
    key = SigningKey.load(key_file, read_passphrase(passphrase_file, _("Signing key passphrase")))
    out.write_bytes(key.sign(ALERTS_CONTEXT, alerts.canonical()))
    click.echo(
        ngettext(
            "Signed %(num)d warning into %(file)s.",
            "Signed %(num)d warnings into %(file)s.",
            len(alerts.alerts),
            file=out,
        )
    )


@command.command("trust")
@click.argument("pubkey")
@click.option("--name", required=True, help="Whose key it is, as the organizers know it.")
def trust(pubkey: str, name: str) -> None:
    """Trust PUBKEY (a glas-signer-1: line or key file) to sign the warning feed."""
    key = SignerKey.from_text_or_file(pubkey)
    if not name.strip():
        raise BadInput(_("--name cannot be empty."))
    try:
        trust_signer(open_store(), name.strip(), key)
    except StorageError as e:
        raise BadInput(str(e)) from e
    click.echo(_("Trusted signer %(name)s: %(fp)s", name=name.strip(), fp=key.readable_fingerprint))
    click.echo(_("Check this fingerprint with the key's holder in person or by phone."), err=True)


@command.command("import")
@click.argument("signed", type=existing_file)
def import_(signed: Path) -> None:
    """Publish a signed feed; a changed file or an unknown signer is refused (exit 2)."""
    shown = import_feed(open_store(), signed.read_bytes(), str(signed))
    click.echo(
        ngettext(
            "Published %(num)d warning signed by %(name)s (%(fp)s).",
            "Published %(num)d warnings signed by %(name)s (%(fp)s).",
            len(shown.feed.alerts),
            name=shown.signer_name,
            fp=shown.signer.readable_fingerprint,
        )
    )
