"""``answers.sav`` (SPSS) and ``answers.dta`` (Stata): the tables for statistics tools.

Each carries what an analyst otherwise retypes: a variable label per column (the question's text
in the plan's language) and value labels on every choice question, whose answers are stored as
numbers 1…n in the order of the form (0/1 for each choice of a multi-select). Numbers stay
numbers; the day received and date answers are dates (a day with a time a date-time); months
(YYYY-MM, sorting as they should) and free text are strings. Variable names are the question
names made legal for both tools (letters, digits and ``_``, at most 32 characters, unique).

Each repeat gets its own pair (``answers_<repeat>.sav`` / ``.dta``), one row per instance with
``submission_id`` and ``index`` (and ``parent_index`` inside another repeat) to join on.

Made from the CSV files after the run has written them.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
from pathlib import Path
from typing import Any

from glas.messages import _

from .columns import Column, Plan, Table, cell

NAME_LENGTH = 32  # Stata's limit (SPSS allows 64)
STATA_LABEL_LENGTH = 80
#: The apostrophe the CSV puts before text a spreadsheet would run as a formula.
UNDO_GUARD = r"^'(?=[=+\-@\t\r])"


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


def write_stat_files(folder: Path, plan: Plan) -> list[str]:
    """Write both files; return a problem line instead of raising (a reviewer still gets the
    other outputs when, say, a tool's limit is hit)."""
    try:
        _write(folder, plan)
    except Exception as e:  # hostile or unusual content: the CSV and XLSX are still there
        return [f"{folder.name}: answers.sav/answers.dta not written ({type(e).__name__}: {e})"]
    return []


def _write(folder: Path, plan: Plan) -> None:
    """Both files of every table at once, each in its own process: pyreadstat spends its time
    per cell, on one core, and each process reads its CSV itself rather than wait for another."""
    context = multiprocessing.get_context("fork")
    writers = [("write_sav", ".sav", 0), ("write_dta", ".dta", STATA_LABEL_LENGTH)]
    jobs = [
        (t, how, t.file.removesuffix(".csv") + suffix, limit)
        for t in plan.tables()
        for how, suffix, limit in writers
    ]
    processes = [
        context.Process(target=_one_file, args=(folder, plan, table, how, name, limit))
        for table, how, name, limit in jobs
    ]
    at_once = max(2, os.cpu_count() or 1)  # a survey of many repeats must not fork dozens
    for start in range(0, len(processes), at_once):
        wave = processes[start : start + at_once]
        for process in wave:
            process.start()
        for process in wave:
            process.join()
    failed = [job[2] for job, p in zip(jobs, processes, strict=True) if p.exitcode]
    if failed:
        raise RuntimeError(f"{', '.join(failed)} could not be written")


def _one_file(
    folder: Path, plan: Plan, table: Table, how: str, name: str, label_limit: int
) -> None:
    """In a child process: one file (``how`` is pyreadstat's write_sav or write_dta). A failure
    is one line on stderr and exit status 1, never a traceback quoting the data."""
    try:
        import pyreadstat

        frame, labels, value_labels = frame_of(folder, plan, table)
        if label_limit:
            labels = {k: (v or "")[:label_limit] for k, v in labels.items()}
        getattr(pyreadstat, how)(
            frame, str(folder / name), column_labels=labels, variable_value_labels=value_labels
        )
    except Exception as e:
        print(f"{name}: {type(e).__name__}", file=sys.stderr)
        os._exit(1)


def frame_of(
    folder: Path, plan: Plan, table: Table | None = None
) -> tuple[Any, dict[str, str | None], dict[str, dict[float, str]]]:
    """A table's CSV read back with pandas' C parser, its columns turned into what statistics
    tools want (codes behind labels, numbers as numbers, dates as dates), with variable and
    value labels."""
    import pandas

    table = table or plan.tables()[0]
    columns = [c for c in table.columns if c.kind != "file"]
    names = variable_names([*table.fixed, *(c.name for c in columns)])
    read = pandas.read_csv(
        folder / table.file,
        dtype=str,
        keep_default_na=False,
        na_values=[],
        encoding="utf-8",
    )
    frame = pandas.DataFrame({names[n]: read[n] for n in table.fixed})
    if "received" in table.fixed:
        frame[names["received"]] = _days(read["received"])
    if "index" in table.fixed:  # "parent_index" stays text: "2.1" is a path, not a number
        frame[names["index"]] = pandas.to_numeric(read["index"], errors="coerce")
    value_labels: dict[str, dict[float, str]] = {}
    for column in columns:
        name = names[column.name]
        values = read[column.name]
        when = column.question.type if column.question is not None else ""
        if when == "date":
            frame[name] = _days(values)
        elif when == "datetime":
            frame[name] = pandas.to_datetime(values, format="%Y-%m-%dT%H:%M", errors="coerce")
        elif column.kind == "one":
            frame[name] = values.map(_codes(column, plan)).astype("float64")
            value_labels[name] = {float(i + 1): lab for i, (_c, lab) in enumerate(column.labels)}
        elif column.kind in ("flag", "number", "count"):
            frame[name] = pandas.to_numeric(values, errors="coerce").astype("float64")
            if column.kind == "flag":
                value_labels[name] = {0.0: _("not chosen"), 1.0: _("chosen")}
        else:  # text as typed: the CSV's guard against formulas is not needed here
            frame[name] = values.str.replace(UNDO_GUARD, "", regex=True)
    labels: dict[str, str | None] = {names[c.name]: plan.text(c) for c in columns}
    return frame, labels, value_labels


def _days(values: Any) -> Any:
    """ISO days as dates (what SPSS writes as DATE and Stata as %td); anything else empty."""
    import pandas

    return pandas.to_datetime(values, format="%Y-%m-%d", errors="coerce").dt.date


def _codes(column: Column, plan: Plan) -> dict[str, float]:
    """What a "one" column's cells read as (labels, or codes with --values codes) → 1…n:
    each cell as the CSV wrote it, made safe (the plan keeps labels distinct as cells)."""
    shown = [cell(code if plan.options.codes else label) for code, label in column.labels]
    codes = {text: float(i + 1) for i, text in enumerate(shown)}
    if len(codes) < len(shown):  # never merge two answers into one code
        raise ValueError(f"{column.name}: two choices read the same in the table")
    return codes
