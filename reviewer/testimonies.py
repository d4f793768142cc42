"""One readable page per testimony (question beside answer, attachments linked) and an index."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glas.languages import LANGUAGES
from surveys.model import MAX_REPEATS, Question, Survey

from .columns import Plan
from .rendering import render
from .sent import fill_reply_section

EXCERPT_LENGTH = 140


@dataclass(frozen=True)
class Attachment:
    name: str
    original: str
    scrubbed: str
    note: str


@dataclass(frozen=True)
class Entry:
    submission_id: str
    received: str
    excerpt: str


def render_testimony(
    plan: Plan,
    version: str,
    submission_id: str,
    received: str,
    document: dict[str, Any],
    attachments: list[Attachment],
) -> tuple[str, str]:
    """The page of one testimony, in the plan's language, and its excerpt for the index
    (pure: runs in workers too)."""
    survey = plan.survey
    assert survey is not None
    answers = document.get("answers") or {}
    rows: list[tuple[Question | None, str, str]] = []
    _rows(plan, survey, "", answers, "", rows)
    page = render(
        "testimony.html",
        survey=survey,
        title=plan.label(survey, "title"),
        version=version,
        submission_id=submission_id,
        received=received,
        rows=rows,
        attachments=attachments,
        page_language=_language_shown(document.get("language")),
        has_codename="reply_key" in document,
    )
    first_text = next((v for q, _, v in rows if q and q.type == "textarea" and v), "")
    excerpt = first_text[:EXCERPT_LENGTH] + ("…" if len(first_text) > EXCERPT_LENGTH else "")
    return page, excerpt


class TestimonyPages:
    """Pages of one testimony survey version, in ``<version folder>/testimonies/``."""

    def __init__(
        self, folder: Path, survey: Survey, title: str, key_file: Path | None = None
    ) -> None:
        """``folder``: the version's folder (in the output folder); ``key_file``: the key
        the reply command names."""
        self.out = folder.parent.parent
        self.key_file = key_file
        self.folder = folder / "testimonies"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.survey = survey
        self.title = title
        self.entries: list[Entry] = []

    def write(self, submission_id: str, received: str, page: str, excerpt: str) -> None:
        """Write a page rendered already (see :func:`render_testimony`); a page is never
        overwritten (FileExistsError: another copy of this id was written in this run)."""
        page = fill_reply_section(page, self.out, submission_id, self.key_file)
        with open(self.folder / f"{submission_id}.html", "x", encoding="utf-8") as out:
            out.write(page)
        self.entries.append(Entry(submission_id, received, excerpt))

    def close(self) -> None:
        entries = sorted(self.entries, key=lambda e: (e.received, e.submission_id))
        page = render("testimony_index.html", title=self.title, entries=entries)
        (self.folder / "index.html").write_text(page, encoding="utf-8")


def _rows(
    plan: Plan,
    survey: Survey,
    level: str,
    answers: dict[str, Any],
    heading: str,
    rows: list[tuple[Question | None, str, str]],
) -> None:
    """Question beside answer, level by level; each repeat's instance under its own heading
    ("Incident 2", "Person 2 / Child 1")."""
    for block in survey.blocks_in[level]:
        if isinstance(block, Question):
            if block.answerable and block.type != "file":
                rows.append(
                    (block, plan.label(block), _display(plan, block, answers.get(block.name)))
                )
            continue
        instances = answers.get(block.name)
        title = plan.label(block) if block.label else block.name
        for index, instance in enumerate(instances if isinstance(instances, list) else [], 1):
            if index > MAX_REPEATS or not isinstance(instance, dict):
                break
            here = f"{heading} / {title} {index}" if heading else f"{title} {index}"
            rows.append((None, here, ""))
            _rows(plan, survey, block.name, instance, here, rows)


def _language_shown(code: object) -> str:
    """ "Македонски (mk)": the respondent's language by its own name, and its code. The
    interface's languages are named from Glas's own list; another survey language by CLDR's
    data where it is installed (the server's), else by its code alone (the reviewer's kit
    leaves the 24 MB of language data out)."""
    if not isinstance(code, str) or not code:
        return ""
    known = LANGUAGES.get(code)
    if known is not None:
        return f"{known.name} ({code})"
    name = _cldr_name()(code)
    return f"{name} ({code})" if name != code else code


@functools.cache
def _cldr_name() -> Callable[[str], str]:
    """CLDR's language names where langcodes is installed, else the code itself: looked up
    once a run (on first use, so ``glas decrypt --help`` does not load it)."""
    try:
        from surveys.languages import language_name
    except ImportError:
        return str
    return language_name


def _display(plan: Plan, question: Question, value: Any) -> str:
    if value is None:
        return ""
    labels = {c.name: plan.label(c) for c in question.choices}
    if isinstance(value, list):
        return "; ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))
