"""One readable page per testimony (question beside answer, attachments linked) and an index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from surveys.model import Question, Survey

from .rendering import render

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
    survey: Survey,
    version: str,
    submission_id: str,
    received: str,
    document: dict[str, Any],
    attachments: list[Attachment],
) -> tuple[str, str]:
    """The page of one testimony and its excerpt for the index (pure: runs in workers too)."""
    answers = document.get("answers") or {}
    rows = [
        (q, _display(q, answers.get(q.name)))
        for q in survey.answerable_questions
        if q.type != "file"
    ]
    page = render(
        "testimony.html",
        survey=survey,
        version=version,
        submission_id=submission_id,
        received=received,
        rows=rows,
        attachments=attachments,
    )
    first_text = next((str(v) for q, v in rows if q.type == "textarea" and v), "")
    excerpt = first_text[:EXCERPT_LENGTH] + ("…" if len(first_text) > EXCERPT_LENGTH else "")
    return page, excerpt


class TestimonyPages:
    """Pages of one testimony survey version, in ``<version folder>/testimonies/``."""

    def __init__(self, folder: Path, survey: Survey) -> None:
        self.folder = folder / "testimonies"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.survey = survey
        self.entries: list[Entry] = []

    def write(self, submission_id: str, received: str, page: str, excerpt: str) -> None:
        """Write a page rendered already (see :func:`render_testimony`)."""
        (self.folder / f"{submission_id}.html").write_text(page, encoding="utf-8")
        self.entries.append(Entry(submission_id, received, excerpt))

    def close(self) -> None:
        entries = sorted(self.entries, key=lambda e: (e.received, e.submission_id))
        page = render("testimony_index.html", survey=self.survey, entries=entries)
        (self.folder / "index.html").write_text(page, encoding="utf-8")


def _display(question: Question, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(question.choice_label(str(v)) for v in value)
    if question.choices:
        return question.choice_label(str(value))
    return str(value)
