"""The codebook: what every column of the tables means, in the plan's language, as a sheet
of ``answers.xlsx`` and as ``codebook.csv``."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from glas.messages import _

from .columns import Column, Plan, cell, repeat_file
from .sheet import Workbook, row_xml

CODEBOOK_HEADER = (
    "table", "column", "question", "type", "text", "hint", "choice", "choice label"
)  # fmt: skip


def codebook_rows(plan: Plan) -> Iterator[list[str]]:
    """One row per column (the main table's, then each repeat's), then one per choice of a
    choice question."""
    yield list(CODEBOOK_HEADER)
    for table in plan.tables():
        for row in _rows_of(plan, table.columns):
            yield [cell(table.file), *row]


def _rows_of(plan: Plan, columns: list[Column]) -> Iterator[list[str]]:
    for column in columns:
        question = column.question
        if column.repeat is not None:
            text = plan.label(column.repeat) if column.repeat.label else ""
            detail = _("instances; their answers: %(file)s", file=repeat_file(column.name))
            yield [cell(t) for t in (column.name, column.name, "repeat", text, detail, "", "")]
            continue
        if question is None:
            continue
        if column.kind == "flag":
            choice = next(c for c in question.choices if c.name == column.choice)
            texts = [column.name, question.name, "0/1", plan.label(question), "", choice.name]
            yield [cell(t) for t in (*texts, plan.label(choice))]
            continue
        hint = plan.label(question, "hint") if question.hint else ""
        texts5 = (column.name, question.name, question.type, plan.label(question), hint)
        yield [cell(t) for t in texts5] + ["", ""]
        if column.kind in ("one", "many"):
            for code, label in column.labels:
                yield ["", "", "", "", "", cell(code), cell(label)]


def write_codebook(book: Workbook, folder: Path, plan: Plan) -> None:
    rows = list(codebook_rows(plan))
    book.add_sheet("codebook", rows[0])
    book.write_rows("".join(row_xml(row) for row in rows[1:]))
    with open(folder / "codebook.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
