"""``answers.sav`` (SPSS) and ``answers.dta`` (Stata): the tables for statistics tools.

Each carries what an analyst otherwise retypes: a variable label per column (the question's text
in the plan's language) and value labels on every choice question, whose answers are stored as
numbers 1…n in the order of the form (0/1 for each choice of a multi-select). Numbers stay
numbers; dates, months and free text are strings. Variable names are the question names made
legal for both tools (letters, digits and ``_``, at most 32 characters, unique).

Read from ``answers.json`` (the answers as sealed, in codes), after the run has written it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from glas.messages import _

from .columns import FIXED_COLUMNS, Column, Plan

NAME_LENGTH = 32  # Stata's limit (SPSS allows 64)


def variable_names(names: list[str]) -> dict[str, str]:
    """A legal, unique variable name for every column name (``q/choice`` becomes ``q_choice``)."""
    taken: set[str] = set()
    mapped = {}
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not base or not (base[0].isalpha() or base[0] == "_"):
            base = "v_" + base
        base = base[:NAME_LENGTH]
        candidate, n = base, 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"_{n}"
            candidate = base[: NAME_LENGTH - len(suffix)] + suffix
        taken.add(candidate.lower())
        mapped[name] = candidate
    return mapped


def _value(column: Column, answers: dict[str, Any], codes: dict[str, int]) -> Any:
    question = column.question
    value = answers.get(question.name if question else column.name)
    if column.kind == "flag":
        return float(column.choice in value) if isinstance(value, list) else None
    if column.kind == "one":
        return float(codes[value]) if isinstance(value, str) and value in codes else None
    if column.kind == "number":
        return float(value) if isinstance(value, int | float) else None
    if isinstance(value, list):
        return ";".join(map(str, value))
    return "" if value is None else str(value)


def write_stat_files(folder: Path, plan: Plan) -> list[str]:
    """Write both files; return a problem line instead of raising (a reviewer still gets the
    other outputs when, say, a tool's limit is hit)."""
    try:
        _write(folder, plan)
    except Exception as e:  # hostile or unusual content: the CSV and XLSX are still there
        return [f"{folder.name}: answers.sav/answers.dta not written ({type(e).__name__}: {e})"]
    return []


def _write(folder: Path, plan: Plan) -> None:
    import pandas
    import pyreadstat

    columns = [c for c in plan.columns if c.kind != "file"]
    names = variable_names([*FIXED_COLUMNS, *(c.name for c in columns)])
    codes = {
        c.name: {code: i + 1 for i, (code, _label) in enumerate(c.labels)}
        for c in columns
        if c.kind == "one"
    }
    data: dict[str, list[Any]] = {names[n]: [] for n in FIXED_COLUMNS}
    for column in columns:
        data[names[column.name]] = []
    items = json.loads((folder / "answers.json").read_text(encoding="utf-8"))
    for item in items if isinstance(items, list) else []:
        answers = item.get("answers") if isinstance(item, dict) else None
        if not isinstance(answers, dict):
            continue
        data[names["submission_id"]].append(str(item.get("id", "")))
        data[names["received"]].append(str(item.get("received", "")))
        data[names["survey_version"]].append(str(item.get("survey_version", ""))[:12])
        for column in columns:
            data[names[column.name]].append(_value(column, answers, codes.get(column.name, {})))
    frame = pandas.DataFrame(data)
    labels: dict[str, str | None] = {names[c.name]: _variable_label(plan, c) for c in columns}
    value_labels: dict[str, dict[float, str]] = {}
    for column in columns:
        if column.kind == "one":
            value_labels[names[column.name]] = {
                float(i + 1): label for i, (_code, label) in enumerate(column.labels)
            }
        elif column.kind == "flag":
            value_labels[names[column.name]] = {0.0: _("not chosen"), 1.0: _("chosen")}
    pyreadstat.write_sav(
        frame,
        str(folder / "answers.sav"),
        column_labels=labels,
        variable_value_labels=value_labels,
    )
    pyreadstat.write_dta(
        frame,
        str(folder / "answers.dta"),
        column_labels={k: (v or "")[:80] for k, v in labels.items()},  # Stata's label limit
        variable_value_labels=value_labels,
    )


def _variable_label(plan: Plan, column: Column) -> str:
    question = column.question
    if question is None:
        return column.name
    if column.kind == "flag":
        choice = next(c for c in question.choices if c.name == column.choice)
        return f"{plan.label(question)}: {plan.label(choice)}"
    return plan.label(question)
