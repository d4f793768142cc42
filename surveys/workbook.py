"""``answers.xlsx``: the answers of one survey version plus a codebook, for spreadsheet users.

Written after the CSV, by streaming it into openpyxl's write-only mode, so a workbook of any
size needs memory for one row.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from .model import Survey

SHEET_TITLE_LENGTH = 31  # Excel's limit


def write_workbook(folder: Path, survey_id: str, survey: Survey | None) -> Path:
    """Write ``answers.xlsx`` from ``answers.csv`` in ``folder``; return its path."""
    book = Workbook(write_only=True)
    answers = book.create_sheet(survey_id[:SHEET_TITLE_LENGTH])
    with open(folder / "answers.csv", newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            answers.append(row)
    codebook = book.create_sheet("codebook")
    codebook.append(["question", "type", "text", "hint", "choice", "choice label"])
    for question in survey.questions if survey else ():
        codebook.append([question.name, question.type, question.label, question.hint, "", ""])
        for choice in question.choices:
            codebook.append([question.name, "", "", "", choice.name, choice.label])
    path = folder / "answers.xlsx"
    book.save(path)
    return path
