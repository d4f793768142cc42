"""The rows of the report's tables: a choice question's choices, a month question's months
(every month between the first and the last answered, as 0 where none was), and a number
question's values or bins."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from surveys.model import Question

from .columns import Plan

#: A month answer, as stored; a month table spans at most a century of rows.
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MAX_MONTH_ROWS = 1200
#: A whole-number question with at most this many distinct answers gets a row per answer.
MAX_VALUE_ROWS = 15
NUMBER_BINS = 8


def number_summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def number_bins(values: list[float], whole: bool) -> list[tuple[str, int]]:
    """Rows of a number question's table. Whole numbers: one row per value when there are at
    most MAX_VALUE_ROWS of them, else bins with whole-number edges ("0 to 9");
    other numbers: NUMBER_BINS equal bins."""
    low, high = min(values), max(values)
    if whole:
        found = Counter(int(v) for v in values)
        if len(found) <= MAX_VALUE_ROWS:
            return [(str(v), found[v]) for v in sorted(found)]
        first, last = int(low), int(high)
        width = -(-(last - first + 1) // NUMBER_BINS)  # ceiling: every value in one bin
        counts = Counter((int(v) - first) // width for v in values)
        return [
            (f"{first + i * width} to {min(first + (i + 1) * width - 1, last)}", counts.get(i, 0))
            for i in range((last - first) // width + 1)
        ]
    step = (high - low) / NUMBER_BINS or 1.0
    counts = Counter(min(int((v - low) / step), NUMBER_BINS - 1) for v in values)
    bins = []
    for i in range(NUMBER_BINS if high > low else 1):
        start, end = low + i * step, low + (i + 1) * step
        label = f"{start:g}" if high == low else f"{start:g} to {end:g}"
        bins.append((label, counts.get(i, 0)))
    return bins


def row_options(plan: Plan, question: Question, tallies: Iterable[Any]) -> list[tuple[str, str]]:
    """A table's rows, (value, label): the question's choices; for a month question, every
    month from the first to the last answered, those without any answer included (as 0)."""
    if question.type != "month":
        return [(c.name, plan.label(c)) for c in question.choices]
    return [(m, m) for m in months_spanned(m for t in tallies for m in t.counts)]


def months_spanned(answers: Iterable[str]) -> list[str]:
    """Every month from the first to the last of ``answers`` (those that are months), the
    months between included: a trend shows the months without any as 0."""
    found = sorted({m for m in answers if MONTH.fullmatch(m)})
    if not found:
        return []
    year, month = int(found[0][:4]), int(found[0][5:])
    months: list[str] = []
    while f"{year:04d}-{month:02d}" <= found[-1] and len(months) < MAX_MONTH_ROWS:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
