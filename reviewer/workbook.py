"""``answers.xlsx`` (answers and a codebook) and ``codebook.csv``, for spreadsheet users.

Written after the CSV, by streaming it into xlsxwriter's constant-memory mode: a workbook of any
size needs memory for one row, and 100,000 rows take seconds, not minutes. Number and 0/1
columns are written as numbers (so a spreadsheet can sum them); every text cell went through
:func:`reviewer.tables.cell` and is written as a string, never as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from .columns import FIXED_COLUMNS, Plan
from .tables import cell

SHEET_TITLE_LENGTH = 31  # Excel's limit
CODEBOOK_HEADER = ("column", "question", "type", "text", "hint", "choice", "choice label")
NUMERIC_KINDS = frozenset({"number", "flag"})


def codebook_rows(plan: Plan) -> Iterator[list[str]]:
    """What every column means, in the plan's language: one row per column, one per choice."""
    yield list(CODEBOOK_HEADER)
    for column in plan.columns:
        question = column.question
        if question is None:
            continue
        if column.kind == "flag":
            choice = next(c for c in question.choices if c.name == column.choice)
            texts = [column.name, question.name, "0/1", plan.label(question), "", choice.name]
            yield [cell(t) for t in (*texts, plan.label(choice))]
            continue
        hint = plan.label(question, "hint") if question.hint else ""
        yield [
            cell(t) for t in (column.name, question.name, question.type, plan.label(question))
        ] + [
            cell(hint),
            "",
            "",
        ]
        if column.kind in ("one", "many"):
            for code, label in column.labels:
                yield ["", "", "", "", "", cell(code), cell(label)]


def write_workbook(folder: Path, survey_id: str, plan: Plan) -> Path:
    """Write ``answers.xlsx`` from ``answers.csv`` in ``folder``, and ``codebook.csv``."""
    import xlsxwriter  # only when a workbook is written: the rest of glas starts faster

    path = folder / "answers.xlsx"
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    answers = book.add_worksheet(survey_id[:SHEET_TITLE_LENGTH] or "answers")
    numeric = [False] * len(FIXED_COLUMNS) + [c.kind in NUMERIC_KINDS for c in plan.columns]
    write_string, write_number = answers.write_string, answers.write_number
    with open(folder / "answers.csv", newline="", encoding="utf-8") as f:
        for r, row in enumerate(csv.reader(f)):
            for c, value in enumerate(row):
                if not value:
                    continue
                if r and c < len(numeric) and numeric[c]:
                    try:
                        write_number(r, c, float(value))
                        continue
                    except ValueError:
                        pass
                write_string(r, c, value)
    codebook = book.add_worksheet("codebook")
    rows = list(codebook_rows(plan))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value:
                codebook.write_string(r, c, value)
    book.close()
    with open(folder / "codebook.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path
