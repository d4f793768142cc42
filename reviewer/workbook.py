"""``answers.xlsx``: the answers of one survey version plus a codebook, for spreadsheet users.

Written after the CSV, by streaming it into openpyxl's write-only mode, so a workbook of any
size needs memory for one row.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from surveys.model import Survey

from .tables import cell

SHEET_TITLE_LENGTH = 31  # Excel's limit


def write_workbook(folder: Path, survey_id: str, survey: Survey | None) -> Path:
    """Write ``answers.xlsx`` from ``answers.csv`` in ``folder``; return its path."""
    book = Workbook(write_only=True)
    answers = book.create_sheet(survey_id[:SHEET_TITLE_LENGTH])
    with open(folder / "answers.csv", newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            # The CSV's cells were neutralised when written by cell().
            answers.append([_safe(value) for value in row])
    codebook = book.create_sheet("codebook")
    codebook.append(["question", "type", "text", "hint", "choice", "choice label"])
    # Labels come from the bundle's definitions: written through cell(), never as formulas.
    for question in survey.questions if survey else ():
        texts = [question.name, question.type, question.label, question.hint, "", ""]
        codebook.append([cell(t) for t in texts])
        for choice in question.choices:
            texts = [question.name, "", "", "", choice.name, choice.label]
            codebook.append([cell(t) for t in texts])
    path = folder / "answers.xlsx"
    book.save(path)
    return path


def _safe(value: str) -> str:
    """openpyxl stores any text starting with "=" as a formula: a second guard behind cell()."""
    return "'" + value if value.startswith("=") else value
