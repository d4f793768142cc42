"""``glas export``: write new submissions into an encrypted bundle for the reviewers."""

from __future__ import annotations

from pathlib import Path

import click

from glas.cli import BadInput
from glas.messages import _, ngettext

from ..storage.export import export_bundle
from .reviewers import open_store, record


@click.command("export")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The bundle file to write, e.g. /media/usb/2024-05.glas",
)
def command(out: Path) -> None:
    """Write every not-yet-exported submission to BUNDLE (ciphertext only)."""
    if out.exists():
        raise BadInput(_("%(file)s already exists; choose another file name.", file=out))
    if not out.parent.is_dir():
        raise BadInput(_("The folder %(folder)s does not exist.", folder=out.parent))
    store = open_store()
    count = export_bundle(store, out)
    if count:
        record(store, "exported a bundle", f"{count} submissions")
    if count == 0:
        click.echo(_("No new submissions to export; no bundle written."))
    else:
        click.echo(
            ngettext(
                "Exported %(num)d submission to %(file)s.",
                "Exported %(num)d submissions to %(file)s.",
                count,
                file=out,
            )
        )
