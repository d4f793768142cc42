"""``glas reply``: answer a testimony, on the offline machine.

The reviewer writes a reply on the offline machine; it is boxed to the respondent's codename key
(found in the decrypted testimony) with the reviewer's own key, so only that codename opens it
and the portal can show who wrote it. The organizers carry the reply file to the server
(``glas replies import``).
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from pathlib import Path
from typing import TextIO

import click

from crypto.codename import seal_reply
from crypto.keys import ReviewerKey
from glas.cli import BadInput
from glas.messages import _
from glas.passphrase import passphrase_file_option, read_passphrase
from reviewer.sent import keep_reply, show_reply

MAX_REPLY_CHARACTERS = 4000
#: A whole submission id, or its first characters as the report shows them (at least 8).
SHORT_ID = re.compile(r"[0-9a-f]{8,32}")


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
def command(
    decrypted: Path,
    submission_id: str,
    key_file: Path,
    message_file: TextIO,
    out: Path,
    passphrase_file: Path | None,
) -> None:
    """Write a reply to SUBMISSION-ID, found in DECRYPTED (a `glas decrypt` output folder)."""
    full_id, to_key, login_id = _reply_key(decrypted, submission_id)
    text = message_file.read().strip()
    if not text or len(text) > MAX_REPLY_CHARACTERS:
        raise BadInput(_("A reply has 1 to %(n)d characters.", n=MAX_REPLY_CHARACTERS))
    if out.exists():
        raise BadInput(_("%(file)s already exists; choose another file name.", file=out))
    key = ReviewerKey.load(key_file, read_passphrase(passphrase_file, _("Reviewer key passphrase")))
    out.write_bytes(seal_reply(text, to_key, key, login_id))
    # A copy for the reviewer's own folder (plaintext already): the page shows what was said.
    keep_reply(decrypted, full_id, datetime.date.today().isoformat(), text)
    show_reply(decrypted, full_id, key_file)
    click.echo(
        _(
            "Reply to %(id)s written to %(file)s; the organizers import it.",
            id=submission_id,
            file=out,
        )
    )


def _reply_key(decrypted: Path, submission_id: str) -> tuple[str, bytes, str | None]:
    """The whole id, codename key and login id of a submission named by its id or the id's
    first characters (at least 8, as the report and testimony pages show it)."""
    wanted = submission_id.strip().lower()
    if not SHORT_ID.fullmatch(wanted):
        raise BadInput(
            _("A submission id is 8 to 32 hex digits, like 754cc3d6; got %(id)s.", id=submission_id)
        )
    found = [
        item
        for table in sorted(decrypted.glob("*/*/answers.json"))
        for item in json.loads(table.read_text(encoding="utf-8"))
        if isinstance(item, dict) and str(item.get("id", "")).startswith(wanted)
    ]
    if not found:
        raise BadInput(_("No submission %(id)s in %(folder)s.", id=submission_id, folder=decrypted))
    if len({item.get("id") for item in found}) > 1:
        raise BadInput(
            _("%(id)s starts several submission ids; give more of it.", id=submission_id)
        )
    item = found[0]
    if "reply_key" not in item:
        raise BadInput(_("%(id)s has no codename: it cannot be answered.", id=submission_id))
    login = item.get("reply_login")
    key = base64.b64decode(item["reply_key"], validate=True)
    return str(item["id"]), key, login or None
