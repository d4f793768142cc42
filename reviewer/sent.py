"""Replying from a testimony's page: the exact ``glas reply`` command, and the replies sent.

A reviewer should not have to guess how to answer, nor what the centre already said: each
testimony page that has a codename shows the language the respondent's pages were in, the
command to run (with this folder and the key given to ``glas decrypt``), and the replies sent
from this folder, oldest first. ``glas reply`` keeps a copy of each reply it writes in
``<folder>/_sent-replies/<submission id>.json`` (the folder is plaintext already; the copy goes
nowhere else) and puts it on the page at once; a later ``glas decrypt`` into the same folder
shows them again. The folder's name starts with "_", which no survey id can, so it never meets
a survey's folder.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import orjson

from .rendering import render

SENT_FOLDER = "_sent-replies"
#: Where a page's reply section is; glas reply replaces what lies between the two.
REPLY_START, REPLY_END = "<!-- glas:reply -->", "<!-- glas:reply-end -->"
SUBMISSION_ID = re.compile(r"[0-9a-f]{32}")


def reply_command(out: Path, submission_id: str, key_file: Path | None) -> str:
    """The command a reviewer copies to answer this testimony (paths quoted for the shell)."""
    key = shlex.quote(str(key_file.resolve())) if key_file else "REVIEWER.key"
    return (
        f"glas reply {shlex.quote(str(out.resolve()))} {submission_id} --key {key} "
        f"--message-file reply.txt --out reply-{submission_id[:8]}.glas-reply"
    )


def sent_replies(out: Path, submission_id: str) -> list[tuple[str, str]]:
    """(day, text) of each reply sent from ``out`` to this submission, oldest first; whatever
    the file holds that is not such a pair is left out (the page shows only what it can)."""
    path = out / SENT_FOLDER / f"{submission_id}.json"
    if not SUBMISSION_ID.fullmatch(submission_id) or not path.is_file():
        return []
    try:  # orjson: bounded nesting (the json module recurses until Python's stack runs out)
        items = orjson.loads(path.read_bytes())
    except (ValueError, OSError):
        return []
    return [
        (str(i["day"]), str(i["text"]))
        for i in (items if isinstance(items, list) else [])
        if isinstance(i, dict) and isinstance(i.get("day"), str) and isinstance(i.get("text"), str)
    ]


def keep_reply(out: Path, submission_id: str, day: str, text: str) -> None:
    """Keep a copy of a reply written by ``glas reply`` beside the testimony it answers."""
    folder = out / SENT_FOLDER
    folder.mkdir(exist_ok=True)
    sent = [{"day": d, "text": t} for d, t in sent_replies(out, submission_id)]
    sent.append({"day": day, "text": text})
    path = folder / f"{submission_id}.json"
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(sent, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.replace(path)


def fill_reply_section(page: str, out: Path, submission_id: str, key_file: Path | None) -> str:
    """A page with its reply section (between its markers) made anew; a page without one (a
    testimony with no codename) stays as it is, and nothing is rendered or read for it."""
    start, end = page.find(REPLY_START), page.find(REPLY_END)
    if start < 0 or end < start:
        return page
    section = render(
        "_reply.html",
        command=reply_command(out, submission_id, key_file),
        sent=sent_replies(out, submission_id),
    )
    return page[:start] + REPLY_START + section + REPLY_END + page[end + len(REPLY_END) :]


def show_reply(out: Path, submission_id: str, key_file: Path | None) -> None:
    """Put the replies sent so far on the testimony's page in ``out`` (if it has one)."""
    if not SUBMISSION_ID.fullmatch(submission_id):
        return
    for page in out.glob(f"*/*/testimonies/{submission_id}.html"):
        html = page.read_text(encoding="utf-8")
        page.write_text(fill_reply_section(html, out, submission_id, key_file), encoding="utf-8")
