"""``glas reply`` (offline) and ``glas replies import`` (server): answering a testimony.

The reviewer writes a reply on the offline machine; it is boxed to the respondent's codename key
(found in the decrypted testimony) with the reviewer's own key, so only that codename opens it
and the portal can show who wrote it. The organizers carry the reply file to the server.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TextIO

import click

from crypto.codename import seal_reply
from crypto.keys import ReviewerKey

from ..errors import StorageError
from ..storage.replies import import_reply
from . import BadInput
from .passphrase import passphrase_file_option, read_passphrase
from .reviewers import open_store

MAX_REPLY_CHARACTERS = 4000


@click.command("reply")
@click.argument("decrypted", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("submission_id")
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--message-file",
    required=True,
    type=click.File("r", encoding="utf-8"),
    help="The reply text ('-' reads it from standard input).",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The reply file.")
@passphrase_file_option
def reply(
    decrypted: Path,
    submission_id: str,
    key_file: Path,
    message_file: TextIO,
    out: Path,
    passphrase_file: Path | None,
) -> None:
    """Write a reply to SUBMISSION-ID, found in DECRYPTED (a `glas decrypt` output folder)."""
    to_key = _reply_key(decrypted, submission_id)
    text = message_file.read().strip()
    if not text or len(text) > MAX_REPLY_CHARACTERS:
        raise BadInput(f"A reply has 1 to {MAX_REPLY_CHARACTERS} characters.")
    if out.exists():
        raise BadInput(f"{out} already exists; choose another file name.")
    key = ReviewerKey.load(key_file, read_passphrase(passphrase_file, "Reviewer key passphrase"))
    out.write_bytes(seal_reply(text, to_key, key))
    click.echo(f"Reply to {submission_id} written to {out}; the organizers import it.")


@click.group("replies")
def replies() -> None:
    """Replies to testimonies, on the server."""


@replies.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def import_(files: tuple[Path, ...]) -> None:
    """File reply files in the boxes of their codenames."""
    store = open_store()
    for path in files:
        try:
            import_reply(store, path.read_bytes())
        except StorageError as e:
            raise BadInput(f"{path}: {e}") from e
    click.echo(f"Imported {len(files)} replies.")


def _reply_key(decrypted: Path, submission_id: str) -> bytes:
    for table in sorted(decrypted.glob("*/*/answers.json")):
        for item in json.loads(table.read_text(encoding="utf-8")):
            if item.get("id") != submission_id:
                continue
            if "reply_key" not in item:
                raise BadInput(f"{submission_id} has no codename: it cannot be answered.")
            return base64.b64decode(item["reply_key"], validate=True)
    raise BadInput(f"No submission {submission_id} in {decrypted}.")
