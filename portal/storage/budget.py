"""The storage budget of a day: however a flood sends (with JavaScript or without, surveys or
write-backs), it can fill one day's budget, not the disk, and the organizers are told.

What is counted is the size bucket each submission already stores (never more precise than a
power of two); the day is the received day every submission already has. A refusal adds one to
the day's count of refusals, the only thing kept, so that the organizers' home page can say
"the daily budget was reached today: 37 submissions were refused".
"""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from .errors import DailyBudgetReached
from .models import SettingRow, SubmissionRow

if TYPE_CHECKING:
    from .store import Store

REFUSED_KEY = "refused_over_daily_budget"
#: How long a node trusts its count of today's bytes before it counts again (every node adds
#: what it stores itself meanwhile).
COUNT_SECONDS = 2.0


class DailyBudget:
    """Today's stored bytes against the budget, counted in the database now and then."""

    def __init__(self, store: Store, budget_bytes: int) -> None:
        self.store = store
        self.budget_bytes = budget_bytes
        self._counted: tuple[float, datetime.date | None, int] = (0.0, None, 0)

    def spend(self, size: int, day: datetime.date) -> None:
        """Take ``size`` bytes of ``day``'s budget, or refuse (and count the refusal)."""
        counted, known_day, total = self._counted
        if known_day != day or time.monotonic() - counted > COUNT_SECONDS:
            with self.store.session() as s:
                total = int(
                    s.scalar(
                        select(func.sum(SubmissionRow.size_bucket)).where(
                            SubmissionRow.received == day
                        )
                    )
                    or 0
                )
            counted, known_day = time.monotonic(), day
        if total + size > self.budget_bytes:
            self._refused(day)
            raise DailyBudgetReached("The storage budget of the day is reached.")
        self._counted = (counted, known_day, total + size)

    def _refused(self, day: datetime.date) -> None:
        with self.store.session() as s:
            row = s.get(SettingRow, REFUSED_KEY)
            was_day, _, count = (row.value if row else "").partition(" ")
            number = int(count) + 1 if was_day == day.isoformat() and count.isdigit() else 1
            s.execute(delete(SettingRow).where(SettingRow.key == REFUSED_KEY))
            s.add(SettingRow(key=REFUSED_KEY, value=f"{day.isoformat()} {number}"))


def refused_recently(store: Store, today: datetime.date) -> tuple[datetime.date, int] | None:
    """The day (today or yesterday) submissions were refused over the budget, and how many."""
    with store.session() as s:
        row = s.get(SettingRow, REFUSED_KEY)
    if row is None:
        return None
    day_text, _, count = row.value.partition(" ")
    try:
        day = datetime.date.fromisoformat(day_text)
    except ValueError:
        return None
    if not count.isdigit() or (today - day).days > 1:
        return None
    return day, int(count)
