"""What the organizers' survey designer keeps: drafts, reviewers per survey, open or closed.

A draft is the definition being edited, kept as JSON in the definition format (YAML's data
model), and may be incomplete; it becomes a version only when published, through the same
loader every other definition goes through. Published versions never change.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select

from surveys import Survey, load_survey_text

from .errors import StorageError
from .models import SubmissionRow, SurveyDraftRow, SurveyReviewerRow, SurveyRow, SurveyVersionRow
from .organizers import audit
from .store import Store


@dataclass(frozen=True)
class SurveySummary:
    id: str
    title: str
    published_version: str | None
    closed: bool
    has_draft: bool
    versions: int
    submissions: int


def survey_summaries(store: Store) -> list[SurveySummary]:
    with store.session() as s:
        # (Comprehensions: dict() would take a Result for a mapping, by its keys() method.)
        per_version = select(SurveyVersionRow.survey_id, func.count())
        versions = {k: n for k, n in s.execute(per_version.group_by(SurveyVersionRow.survey_id))}
        per_survey = select(SubmissionRow.survey_id, func.count())
        counts = {k: n for k, n in s.execute(per_survey.group_by(SubmissionRow.survey_id))}
        drafts = set(s.scalars(select(SurveyDraftRow.survey_id)))
        return [
            SurveySummary(
                row.id,
                row.title,
                row.published_version,
                row.closed,
                row.id in drafts,
                versions.get(row.id, 0),
                counts.get(row.id, 0),
            )
            for row in s.scalars(select(SurveyRow).order_by(SurveyRow.title))
        ]


def survey_row(store: Store, survey_id: str) -> SurveyRow | None:
    with store.session() as s:
        return s.get(SurveyRow, survey_id)


def create_survey(store: Store, draft: dict[str, Any]) -> None:
    """Start a survey from a first draft (id, title, kind, language and no questions yet)."""
    with store.session() as s:
        if s.get(SurveyRow, draft["id"]) is not None:
            raise StorageError(f"A survey called '{draft['id']}' exists already.")
        s.add(SurveyRow(id=draft["id"], title=str(draft["title"])))
        s.flush()
        s.add(SurveyDraftRow(survey_id=draft["id"], definition=json.dumps(draft)))


def keep_draft(store: Store, draft: dict[str, Any]) -> None:
    """An imported form kept as the draft of its survey (a new survey when there is none):
    it is checked and published in the designer, or waits there for its files."""
    with store.transaction():
        if survey_row(store, draft["id"]) is None:
            title = draft.get("title")
            if isinstance(title, dict):
                title = title.get(draft.get("language", "en")) or next(iter(title.values()), "")
            with store.session() as s:
                s.add(SurveyRow(id=draft["id"], title=str(title or draft["id"])))
        save_draft(store, draft["id"], draft)


def load_draft(store: Store, survey_id: str) -> dict[str, Any] | None:
    """The draft being edited; without one, the newest version, ready to edit."""
    with store.session() as s:
        row = s.get(SurveyDraftRow, survey_id)
        if row is not None:
            loaded: dict[str, Any] = json.loads(row.definition)
            return loaded
    survey = store.latest_definition(survey_id)
    return survey.to_dict() if survey is not None else None


def save_draft(store: Store, survey_id: str, draft: dict[str, Any]) -> None:
    with store.session() as s:
        row = s.get(SurveyDraftRow, survey_id)
        text = json.dumps(draft, ensure_ascii=False)
        if row is None:
            s.add(SurveyDraftRow(survey_id=survey_id, definition=text))
        else:
            row.definition = text


def draft_survey(draft: dict[str, Any]) -> Survey:
    """The draft as a survey; raise SurveyDefinitionError listing what to fix first."""
    return load_survey_text(json.dumps(draft, ensure_ascii=False).encode("utf-8"), "draft")


def publish_draft(store: Store, survey_id: str, actor: str) -> str:
    """Freeze the draft as a version and make respondents answer it, with its line in the
    audit log, in one transaction; return the version's digest."""
    with store.transaction():
        draft = load_draft(store, survey_id)
        if draft is None:
            raise StorageError(f"There is no survey '{survey_id}'.")
        digest = store.import_survey(draft_survey(draft), publish=True)
        with store.session() as s:
            s.execute(delete(SurveyDraftRow).where(SurveyDraftRow.survey_id == survey_id))
        audit(store, actor, "published a survey", f"{survey_id} version {digest[:12]}")
    return digest


def discard_draft(store: Store, survey_id: str) -> None:
    """Drop the draft; a survey never published has nothing else, so it goes altogether."""
    with store.session() as s:
        s.execute(delete(SurveyDraftRow).where(SurveyDraftRow.survey_id == survey_id))
        versions = select(func.count()).where(SurveyVersionRow.survey_id == survey_id)
        if not s.scalar(versions):
            s.execute(delete(SurveyReviewerRow).where(SurveyReviewerRow.survey_id == survey_id))
            s.execute(delete(SurveyRow).where(SurveyRow.id == survey_id))


def set_closed(store: Store, survey_id: str, closed: bool) -> None:
    with store.session() as s:
        row = s.get(SurveyRow, survey_id)
        if row is None:
            raise StorageError(f"There is no survey '{survey_id}'.")
        row.closed = closed


def chosen_reviewers(store: Store, survey_id: str) -> set[int]:
    with store.session() as s:
        query = select(SurveyReviewerRow.reviewer_id).where(
            SurveyReviewerRow.survey_id == survey_id
        )
        return set(s.scalars(query))


def choose_reviewers(store: Store, survey_id: str, reviewer_ids: set[int]) -> None:
    with store.session() as s:
        s.execute(delete(SurveyReviewerRow).where(SurveyReviewerRow.survey_id == survey_id))
        for reviewer_id in sorted(reviewer_ids):
            s.add(SurveyReviewerRow(survey_id=survey_id, reviewer_id=reviewer_id))


def counts_per_day(store: Store) -> list[tuple[str, datetime.date, int]]:
    """Submissions per survey and day: all the server knows about them."""
    with store.session() as s:
        rows = s.execute(
            select(SubmissionRow.survey_id, SubmissionRow.received, func.count())
            .group_by(SubmissionRow.survey_id, SubmissionRow.received)
            .order_by(SubmissionRow.received.desc(), SubmissionRow.survey_id)
        )
        return [(survey_id, day, count) for survey_id, day, count in rows]
