"""Threads: each testimony page of a `glas decrypt` folder shows the write-backs sent under its
codename (:mod:`surveys.followups`), matched by the login id only the reviewer can see."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from surveys.followups import FOLLOW_UP_ID, MESSAGE

from .rendering import render

#: In every testimony page, where its thread goes (the page escapes all it shows, so no
#: submission can contain this marker).
THREAD_MARKER = "<!-- glas:thread -->"


@dataclass(frozen=True)
class FollowUp:
    submission_id: str
    received: str
    message: str
    #: The codename public key it names, and whether its proof opened with it.
    reply_key: str = ""
    proven: bool = False


def link_threads(out: Path, proven: set[str] | frozenset[str] = frozenset()) -> int:
    """Add to each testimony page (in a `glas decrypt` output folder) the follow-ups sent
    under its codename, oldest day first. Returns how many follow-ups were shown as *not*
    proven to come from the codename (the report warns about them).

    A follow-up is the respondent's own only when its proof opened (``proven``: ids whose
    reply_proof opened, checked while decrypting) *and* the key it names is the testimony's:
    the login id alone proves nothing, since whoever holds the server's database has it. Any
    other follow-up filed under the login id is shown apart, with a warning. Reads only what
    this run wrote (answers.json of each version folder); every value shown is escaped."""
    if not (out / FOLLOW_UP_ID).is_dir():
        return 0  # no write-backs in this run: nothing to read through
    follow_ups: dict[str, list[FollowUp]] = defaultdict(list)
    for table in sorted((out / FOLLOW_UP_ID).glob("*/answers.json")):
        for item in _items(table):
            login = item.get("reply_login")
            answers = item.get("answers")
            message = answers.get(MESSAGE) if isinstance(answers, dict) else None
            if isinstance(login, str) and isinstance(message, str):
                sid = str(item.get("id"))
                key = str(item.get("reply_key") or "")
                follow_ups[login].append(
                    FollowUp(sid, str(item.get("received")), message, key, sid in proven)
                )
    for sent in follow_ups.values():
        sent.sort(key=lambda f: (f.received, f.submission_id))
    unproven = 0
    for table in sorted(out.glob("*/*/answers.json")):
        if table.parent.parent.name == FOLLOW_UP_ID:
            continue
        for item in _items(table):
            thread = follow_ups.get(str(item.get("reply_login")))
            page = table.parent / "testimonies" / f"{item.get('id')}.html"
            if not thread or not page.is_file():
                continue
            key = str(item.get("reply_key") or "")
            own = [f for f in thread if f.proven and key and f.reply_key == key]
            other = [f for f in thread if f not in own]
            html = page.read_text(encoding="utf-8")
            section = render("_thread.html", thread=own, unproven=other)
            page.write_text(html.replace(THREAD_MARKER, section, 1), encoding="utf-8")
            unproven += len(other)
    return unproven


def _items(table: Path) -> list[dict[str, object]]:
    items = json.loads(table.read_text(encoding="utf-8"))
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
