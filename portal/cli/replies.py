"""``glas replies import``: the server files reviewers' replies in their codenames' boxes.

Replies are written offline by ``glas reply`` (:mod:`reviewer.commands.reply`); the organizers
carry the files here.
"""

from __future__ import annotations

from pathlib import Path

import click

from crypto import CryptoError
from glas.cli import BadInput
from glas.messages import ngettext

from ..errors import StorageError
from ..storage.replies import import_reply
from .reviewers import open_store, record


@click.group("replies")
def replies() -> None:
    """Replies to testimonies, on the server."""


@replies.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def import_(files: tuple[Path, ...]) -> None:
    """File reply files in the boxes of their codenames.

    Every file is tried: a bad one is named on stderr and the others are still filed (exit 2 at
    the end); a file filed before is counted and left alone."""
    store = open_store()
    filed = again = 0
    bad: list[str] = []
    for path in files:
        try:
            if import_reply(store, path.read_bytes()):
                filed += 1
            else:
                again += 1
        except (StorageError, CryptoError, OSError) as e:
            bad.append(f"{path}: {e}")
    if filed:
        record(store, "uploaded replies", str(filed))
    click.echo(ngettext("Imported %(num)d reply.", "Imported %(num)d replies.", filed))
    if again:
        click.echo(
            ngettext(
                "%(num)d reply was filed before; not filed again.",
                "%(num)d replies were filed before; not filed again.",
                again,
            )
        )
    for line in bad:
        click.echo(line, err=True)
    if bad:
        raise BadInput(
            ngettext("%(num)d file was not filed.", "%(num)d files were not filed.", len(bad))
        )
