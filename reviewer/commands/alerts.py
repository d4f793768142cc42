"""``glas alerts keygen`` and ``glas alerts sign``: the warning feed's offline half.

On the reviewers' machine: ``keygen`` once, then ``sign`` each new feed. The server's half
(``trust``, ``import``) is in :mod:`portal.cli.alerts`; ``glas alerts`` lists both.
"""

from __future__ import annotations

from pathlib import Path

import click

from crypto.signing import SigningKey
from glas.cli import BadInput
from glas.messages import _, ngettext
from glas.passphrase import passphrase_file_option, read_passphrase
from surveys.alerts import ALERTS_CONTEXT, load_alerts_text

existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("keygen")
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


@click.command("sign")
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
