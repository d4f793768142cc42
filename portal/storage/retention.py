"""How long ciphertext stays on the server, and deleting it for good when that time is up.

Less kept is less seized. Organizers choose two periods: exported submissions are deleted N
days after their export (the reviewers have them), and every submission M days after it
arrived, exported or not. Blob files are overwritten before they are unlinked; SQLite runs
with ``secure_delete`` so deleted rows are zeroed in the database file too.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select

from .models import SettingRow, SubmissionRow
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


def _delete_due(store: Store, day: datetime.date) -> int:
    rule = retention(store)
    conditions = []
    if rule.exported_days is not None:
        limit = day - datetime.timedelta(days=rule.exported_days)
        conditions.append(
            and_(SubmissionRow.exported.is_not(None), SubmissionRow.exported <= limit)
        )
    if rule.all_days is not None:
        conditions.append(SubmissionRow.received <= day - datetime.timedelta(days=rule.all_days))
    if not conditions:
        return 0
    deleted = 0
    while True:
        with store.session() as s:
            due = list(s.scalars(select(SubmissionRow.id).where(or_(*conditions)).limit(BATCH)))
            if due:
                # Payloads first: should the transaction fail, a row whose files are gone is
                # left, which the next run deletes; the other order would leave files no row
                # points to.
                for submission_id in due:
                    store.delete_payloads(submission_id)
                s.execute(delete(SubmissionRow).where(SubmissionRow.id.in_(due)))
        if not due:
            return deleted
        deleted += len(due)


def _days(value: str | None) -> int | None:
    try:
        days = int(value) if value is not None else None
    except ValueError:
        return None
    return days if days is not None and 0 <= days <= MAX_DAYS else None
