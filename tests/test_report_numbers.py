"""Whole-number questions get tables people read (issue 31): no "0 to 0.75" bins for a count
of visits; a row per value when there are few, whole-number edges when there are many."""

from __future__ import annotations

import random
from collections import Counter

from reviewer.columns import Options, Plan
from reviewer.report import VersionStats, _table
from reviewer.rows import MAX_VALUE_ROWS, number_bins
from surveys import load_survey_text


def test_few_whole_numbers_get_a_row_each() -> None:
    values = [3.0, 0.0, 1.0, 3.0, 2.0, 3.0, 1.0]
    assert number_bins(values, whole=True) == [("0", 1), ("1", 2), ("2", 1), ("3", 3)]


def test_many_whole_numbers_get_whole_edges_and_every_value_counted_once() -> None:
    rng = random.Random(31)
    values = [float(rng.randint(0, 99)) for _ in range(500)]
    bins = number_bins(values, whole=True)
    assert len(set(values)) > MAX_VALUE_ROWS and bins[0][0] == "0 to 12"
    assert sum(n for _, n in bins) == 500
    for label, count in bins:
        low, high = (int(x) for x in label.split(" to "))
        assert count == sum(low <= v <= high for v in values), label
    assert all("." not in label for label, _ in bins)


def test_decimals_keep_equal_bins() -> None:
    bins = number_bins([0.5, 1.5, 2.25, 3.0], whole=False)
    assert sum(n for _, n in bins) == 4 and bins[0][0].startswith("0.5 to")
    assert Counter(n for _, n in bins)[0] > 0  # empty bins shown, as before


MONTHS_SURVEY = b"""
id: incidents
language: en
title: Incidents
questions:
  - name: first
    type: month
    label: When did it first happen?
  - name: when
    type: month
    label: When did it happen?
    group: incident
groups:
  - name: incident
    label: For each time it happened
    repeat: true
"""


def test_month_questions_get_a_row_per_month_also_in_repeats_with_empty_months_as_zero() -> None:
    survey = load_survey_text(MONTHS_SURVEY, "incidents.yaml")
    stats = VersionStats("incidents", "v1", Plan(survey, Options()))
    answers = [
        {"first": "2026-01", "incident": [{"when": "2026-01"}, {"when": "2026-04"}]},
        {"first": "2026-03", "incident": [{"when": "2026-04"}]},
        {"incident": [{"when": "2025-12"}]},
    ]
    for i, item in enumerate(answers):
        stats.add(f"{i:032x}", "2026-12-07", item)
    first = _table(stats, survey.by_name["first"])
    assert [(r.label, r.count) for r in first.rows[:3]] == [
        ("2026-01", 1),
        ("2026-02", 0),
        ("2026-03", 1),
    ]
    when = _table(stats, survey.by_name["when"])  # one row per incident, not per testimony
    assert [(r.label, r.count) for r in when.rows[:5]] == [
        ("2025-12", 1),
        ("2026-01", 1),
        ("2026-02", 0),
        ("2026-03", 0),
        ("2026-04", 2),
    ]
    assert when.per is not None and when.per[1] == 4  # counted over the four incidents


def test_by_a_month_question_breaks_every_table_down_by_the_month_it_happened() -> None:
    survey = load_survey_text(MONTHS_SURVEY, "incidents.yaml")
    stats = VersionStats("incidents", "v1", Plan(survey, Options(by="first")))
    for i, first in enumerate(["2026-03", "2026-01", "2026-03"]):
        stats.add(f"{i:032x}", "2026-12-07", {"first": first, "incident": [{"when": first}]})
    table = _table(stats, survey.by_name["first"])
    assert table.by_columns == ["2026-01", "2026-03"]  # in time order, not arrival
    assert table.by_answered == [1, 2]
