"""The public summary's two-way tables: which are made, and how they read (the protection of
their cells is reviewer/crosstab.py's)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surveys.model import Survey

from .crosstab import OTHER, CrossTable, categories, cross
from .public import HIDDEN, PublicTable, public_tables, safe


@dataclass(frozen=True)
class Crossed:
    """A two-way table and the one-way tables of its sides (whose shown counts it keeps)."""

    rows: PublicTable
    columns: PublicTable
    table: CrossTable | None  # None: not published (a small count could not be protected)


#: The combined category of a two-way table's side (see reviewer/crosstab.py).
OTHER_LABEL = "Other answers or no answer"
#: A two-way table with more cells than this is not made (months over many years, say).
MAX_CROSS_CELLS = 10_000


def public_crosses(
    survey: Survey,
    answers: list[dict[str, Any]],
    pairs: Sequence[tuple[str, str]],
    threshold: int,
    language: str,
    one_way: Mapping[str, PublicTable] | None = None,
) -> list[Crossed]:
    """The two-way tables of ``pairs`` (question names that :func:`crossable` allows);
    ``one_way``: the release's one-way tables by question, when made already (their shown
    answers are the two-way tables' categories)."""
    by_name = one_way
    if by_name is None:
        needed = sorted({name for pair in pairs for name in pair})
        by_name = {
            t.question: t for t in public_tables(survey, answers, threshold, language, needed)[1]
        }
    found = []
    for first, second in pairs:
        if first not in by_name or second not in by_name or first == second:
            continue
        sides = by_name[first], by_name[second]
        shown = [[c.code for c in side.cells if c.count is not None] for side in sides]
        rows = categories(shown[0], (a.get(first) for a in answers))
        columns = categories(shown[1], (a.get(second) for a in answers))
        pairs_of = [(a.get(first), a.get(second)) for a in answers]
        table = None
        if len(rows) * len(columns) <= MAX_CROSS_CELLS:
            table = cross(pairs_of, rows, columns, threshold)
        found.append(Crossed(*sides, table))
    return found


def cross_note(survey_id: str, crossed: Crossed) -> str:
    name = f"{survey_id}: {crossed.rows.question} by {crossed.columns.question}"
    if crossed.table is None:
        return f"{name} is not published: a small count in it could not be protected"
    inner = sum(c is None for line in crossed.table.cells for c in line)
    return f"{name}, {inner} inner counts suppressed"


def _side_labels(side: PublicTable, codes: Sequence[str]) -> list[str]:
    labels = {c.code: c.label for c in side.cells}
    return [labels.get(code, code) if code != OTHER else OTHER_LABEL for code in codes]


def cross_html(crossed: Crossed) -> str:
    title = f"{crossed.rows.title} \u00d7 {crossed.columns.title}"
    parts = [f"<section><h2>{html.escape(title)}</h2>"]
    table = crossed.table
    if table is None:
        parts.append("<p>Not published: a small count in it could not be protected.</p>")
        return "".join(parts) + "</section>\n"
    parts.append(
        "<p>Each cell: the count and its share of its column (column %). The categories are "
        "the answers the one-way tables show; everyone else is in the last.</p>"
        "<table><tr><th></th>"
    )
    parts += [
        f"<th>{html.escape(label)}</th>" for label in _side_labels(crossed.columns, table.columns)
    ]
    parts.append("<th>all</th></tr>")
    rows = _side_labels(crossed.rows, table.rows)
    for label, line, total in zip(rows, table.cells, table.row_totals, strict=True):
        parts.append(f"<tr><th>{html.escape(label)}</th>")
        for count, column_total in zip(line, table.column_totals, strict=True):
            if count is None:
                parts.append(f'<td class="n">{HIDDEN}</td>')
            else:
                share = f" ({round(100 * count / column_total)}%)" if column_total else ""
                parts.append(f'<td class="n">{count}{share}</td>')
        parts.append(f'<td class="n">{total}</td></tr>')
    parts.append("<tr><th>all</th>")
    parts += [f'<td class="n">{n}</td>' for n in table.column_totals]
    parts.append(f'<td class="n">{sum(table.column_totals)}</td></tr></table></section>\n')
    return "".join(parts)


def cross_csv(crossed: list[Crossed]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rows", "row answer", "columns", "column answer", "count"])
    for item in crossed:
        table = item.table
        if table is None:
            continue
        rows = _side_labels(item.rows, table.rows)
        columns = _side_labels(item.columns, table.columns)
        for row, line in zip(rows, table.cells, strict=True):
            for column, count in zip(columns, line, strict=True):
                texts = (item.rows.title, row, item.columns.title, column)
                writer.writerow([*map(safe, texts), "suppressed" if count is None else count])
    return out.getvalue()
