"""Passphrases: prompted without echo, or read from a file for scripts and tests."""

from __future__ import annotations

from pathlib import Path

import click

from .messages import _

MIN_PASSPHRASE_LENGTH = 12

passphrase_file_option = click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the passphrase from the first line of this file instead of prompting.",
)


def read_passphrase(passphrase_file: Path | None, prompt: str, new: bool = False) -> bytes:
    """Return the passphrase as UTF-8 bytes; a new one must be long enough to resist guessing."""
    from .cli import BadInput

    if passphrase_file is not None:
        lines = passphrase_file.read_text(encoding="utf-8").splitlines()
        text = lines[0] if lines else ""
    else:
        text = click.prompt(prompt, hide_input=True, confirmation_prompt=new, err=True)
    if new and len(text) < MIN_PASSPHRASE_LENGTH:
        raise BadInput(_("A passphrase needs at least %(n)d characters.", n=MIN_PASSPHRASE_LENGTH))
    return text.encode("utf-8")
