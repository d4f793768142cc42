"""How long ciphertext stays on the server, and deleting it for good when that time is up.

Less kept is less seized. Organizers choose two periods: exported submissions are deleted N
days after their export (the reviewers have them), and every submission M days after it
arrived, exported or not. Blob files are overwritten before they are unlinked; SQLite runs
with ``secure_delete`` so deleted rows are zeroed in the database file too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, func, or_, select

from .models import SettingRow, SubmissionRow, SurveyRow
from .organizers import audit
from .store import Store

EXPORTED_KEY = "retention_exported_days"
ALL_KEY = "retention_all_days"
MAX_DAYS = 36_500
BATCH = 500


@dataclass(frozen=True)
class Retention:
    """Days to keep exported submissions and any submission (None: keep)."""

    exported_days: int | None = None
    all_days: int | None = None


def retention(store: Store) -> Retention:
    with store.session() as s:
        values = {r.key: r.value for r in s.scalars(select(SettingRow))}
    return Retention(_days(values.get(EXPORTED_KEY)), _days(values.get(ALL_KEY)))


def set_retention(store: Store, rule: Retention) -> None:
    with store.session() as s:
        for key, days in ((EXPORTED_KEY, rule.exported_days), (ALL_KEY, rule.all_days)):
            s.execute(delete(SettingRow).where(SettingRow.key == key))
            if days is not None:
                s.add(SettingRow(key=key, value=str(days)))


@dataclass(frozen=True)
class Due:
    """What a retention rule would delete on a day: the preview an organizer confirms."""

    #: (survey id, survey title, how many), the largest first.
    per_survey: tuple[tuple[str, str, int], ...] = ()
    #: The day the oldest of them arrived (days are all the server knows).
    oldest: datetime.date | None = None
    #: How many of them were never exported: the reviewers have not got them.
    unexported: int = 0

    @property
    def total(self) -> int:
        return sum(count for _, _, count in self.per_survey)


def due(store: Store, rule: Retention, day: datetime.date) -> Due:
    """What ``rule`` would delete on ``day``, without deleting anything."""
    condition = _condition(rule, day)
    if condition is None:
        return Due()
    with store.session() as s:
        rows = s.execute(
            select(SubmissionRow.survey_id, SurveyRow.title, func.count())
            .join(SurveyRow, SurveyRow.id == SubmissionRow.survey_id)
            .where(condition)
            .group_by(SubmissionRow.survey_id, SurveyRow.title)
        ).all()
        oldest = s.scalar(select(func.min(SubmissionRow.received)).where(condition))
        unexported = s.scalar(
            select(func.count()).where(condition, SubmissionRow.exported.is_(None))
        )
    per_survey = sorted(((i, t, int(n)) for i, t, n in rows), key=lambda r: (-r[2], r[1]))
    return Due(tuple(per_survey), oldest, int(unexported or 0))


def apply_retention(store: Store, day: datetime.date, actor: str) -> int:
    """Delete what the retention rule says is due on ``day``, with its line in the audit log,
    in one transaction; return how many went."""
    with store.transaction():
        deleted = _delete_due(store, day)
        audit(store, actor, "deleted submissions by retention", str(deleted))
    if deleted:
        # Deleted rows leave their bytes in the pages until rewritten: now, not at the next
        # tidy (PostgreSQL keeps them until VACUUM; this rewrites them). After the commit:
        # the rewrite waits for every open transaction on these tables.
        store.tidy()
    return deleted


def _condition(rule: Retention, day: datetime.date) -> ColumnElement[bool] | None:
    """The submissions ``rule`` deletes on ``day``, as a WHERE clause (None: none)."""
    conditions = []
    if rule.exported_days is not None:
        limit = day - datetime.timedelta(days=rule.exported_days)
        conditions.append(
            and_(SubmissionRow.exported.is_not(None), SubmissionRow.exported <= limit)
        )
    if rule.all_days is not None:
        conditions.append(SubmissionRow.received <= day - datetime.timedelta(days=rule.all_days))
    return or_(*conditions) if conditions else None


def _delete_due(store: Store, day: datetime.date) -> int:
    condition = _condition(retention(store), day)
    if condition is None:
        return 0
    deleted = 0
    while True:
        with store.session() as s:
            batch = list(s.scalars(select(SubmissionRow.id).where(condition).limit(BATCH)))
            if batch:
                # Payloads first: should the transaction fail, a row whose files are gone is
                # left, which the next run deletes; the other order would leave files no row
                # points to.
                for submission_id in batch:
                    store.delete_payloads(submission_id)
                s.execute(delete(SubmissionRow).where(SubmissionRow.id.in_(batch)))
        if not batch:
            return deleted
        deleted += len(batch)


def _days(value: str | None) -> int | None:
    try:
        days = int(value) if value is not None else None
    except ValueError:
        return None
    return days if days is not None and 0 <= days <= MAX_DAYS else None
