"""``glas keys``: make and show reviewer key pairs (run on the reviewer's offline machine)."""

from __future__ import annotations

from pathlib import Path

import click

from crypto.keys import PublicKey, ReviewerKey
from glas.cli import BadInput
from glas.messages import _
from glas.passphrase import passphrase_file_option, read_passphrase


@click.group("keys")
def command() -> None:
    """Make and inspect reviewer keys."""


@command.command("new")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write the private key file (it must not exist yet).",
)
@passphrase_file_option
def new(out: Path, passphrase_file: Path | None) -> None:
    """Make a reviewer key pair; print the public key line and fingerprint."""
    if out.exists():
        raise BadInput(_("%(file)s already exists; choose another file name.", file=out))
    passphrase = read_passphrase(passphrase_file, _("Passphrase for the new key"), new=True)
    key = ReviewerKey.generate()
    key.save(out, passphrase)
    _print_public(key.public_key)
    click.echo(
        _("Private key written to %(file)s. Keep it and its passphrase offline.", file=out),
        err=True,
    )


@command.command("show")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def show(file: Path) -> None:
    """Print the public key and fingerprint of a key file (no passphrase needed)."""
    _print_public(PublicKey.from_text_or_file(str(file)))


def _print_public(key: PublicKey) -> None:
    click.echo(key.to_line())
    click.echo(_("Fingerprint: %(fp)s", fp=key.readable_fingerprint))
