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


def link_threads(out: Path) -> int:
    """Add to each testimony page (in a `glas decrypt` output folder) the follow-ups sent
    under its codename, oldest day first. Returns how many follow-ups found their testimony.

    Reads only what this run wrote (answers.json of each version folder); every value shown is
    escaped by the template."""
    if not (out / FOLLOW_UP_ID).is_dir():
        return 0  # no write-backs in this run: nothing to read through
    follow_ups: dict[str, list[FollowUp]] = defaultdict(list)
    for table in sorted((out / FOLLOW_UP_ID).glob("*/answers.json")):
        for item in _items(table):
            login = item.get("reply_login")
            answers = item.get("answers")
            message = answers.get(MESSAGE) if isinstance(answers, dict) else None
            if isinstance(login, str) and isinstance(message, str):
                follow_ups[login].append(
                    FollowUp(str(item.get("id")), str(item.get("received")), message)
                )
    for sent in follow_ups.values():
        sent.sort(key=lambda f: (f.received, f.submission_id))
    linked = 0
    for table in sorted(out.glob("*/*/answers.json")):
        if table.parent.parent.name == FOLLOW_UP_ID:
            continue
        for item in _items(table):
            thread = follow_ups.get(str(item.get("reply_login")))
            page = table.parent / "testimonies" / f"{item.get('id')}.html"
            if not thread or not page.is_file():
                continue
            html = page.read_text(encoding="utf-8")
            section = render("_thread.html", thread=thread)
            page.write_text(html.replace(THREAD_MARKER, section, 1), encoding="utf-8")
            linked += len(thread)
    return linked


def _items(table: Path) -> list[dict[str, object]]:
    items = json.loads(table.read_text(encoding="utf-8"))
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
