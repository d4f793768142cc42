"""A summary a centre can publish: counts of closed questions and month trends, with every small
cell suppressed and enough others suppressed that none can be worked back from what is shown.

With a few hundred respondents in one city, a cell of 1 or 2 ("trans women, Tetovo, beaten by
police, March") can point at a person. Statistical offices publish such tables with a threshold
rule and complementary suppression (tau-argus, sdcMicro); this does the same for one-way tables:

* every count from 1 to ``threshold - 1`` is suppressed (primary suppression; 0 is shown: it
  names nobody);
* in a table whose cells add up to its shown total (one answer per respondent: single choice,
  yes/no, month), one suppressed cell could be read off the total, and two small ones would be
  pinned within a few: more cells are suppressed, the smallest first, until at least two are and
  together they hold at least ``threshold`` respondents, so each lies somewhere in an interval at
  least ``threshold`` wide; when the table runs out of cells, its total is suppressed too;
* a multiple-choice table's cells do not add up to anything shown, so each stands alone.

Only closed questions outside repeats and month questions are published: no free text, files,
ids, numbers or days. Percentages are of the respondents who answered, for shown cells only.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from surveys.model import Question, Survey, localized

from .rows import months_spanned

DEFAULT_THRESHOLD = 5
#: How a suppressed count is shown (an en dash).
HIDDEN = "\u2013"
LOWEST_THRESHOLD = 3
SINGLE = ("select_one", "yes_no")
HEAD = (
    '<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'\">"
    "<title>{title}</title><style>body{{font:11pt sans-serif;max-width:42em;margin:1em auto}}"
    "table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #999;"
    "padding:.2em .5em;text-align:left}}td.n{{text-align:right}}@page{{size:A4;margin:15mm}}"
    "section{{break-inside:avoid}}</style></head><body>\n"
)


@dataclass(frozen=True)
class Cell:
    label: str
    count: int | None  # None: suppressed
    percent: int | None
    code: str = ""  # the answer it counts (a choice's name, or the month)


@dataclass(frozen=True)
class PublicTable:
    question: str
    title: str
    kind: str  # "single", "multiple" or "month"
    cells: tuple[Cell, ...]
    total: int | None  # respondents who answered; None: suppressed

    @property
    def suppressed(self) -> int:
        return sum(cell.count is None for cell in self.cells)


def suppress(counts: Sequence[int], threshold: int, additive: bool) -> tuple[list[bool], bool]:
    """Which cells to suppress, and whether the total must go too (see the module's rules)."""
    hidden = [0 < c < threshold for c in counts]
    if not additive or not any(hidden):
        return hidden, False
    order = sorted((c, i) for i, c in enumerate(counts) if not hidden[i] and c > 0)
    while sum(hidden) < 2 or sum(c for c, h in zip(counts, hidden, strict=True) if h) < threshold:
        if not order:
            return hidden, True  # the table cannot hide them: its total goes too
        hidden[order.pop(0)[1]] = True
    return hidden, False


def public_tables(
    survey: Survey,
    answers: Iterable[dict[str, Any]],
    threshold: int,
    language: str,
    chosen: Sequence[str] | None = None,
) -> tuple[int, list[PublicTable]]:
    """The respondents counted, and one table per published question of ``survey`` (those
    ``chosen``, or every one that can be)."""
    questions = [
        q
        for q in survey.answerable_questions
        if _published(survey, q) and (chosen is None or q.name in chosen)
    ]
    tallies: dict[str, Counter[str]] = {q.name: Counter() for q in questions}
    answered: Counter[str] = Counter()
    respondents = 0
    for item in answers:
        respondents += 1
        for question in questions:
            value = item.get(question.name)
            if value in (None, "", []):
                continue
            answered[question.name] += 1
            for one in value if isinstance(value, list) else [value]:
                tallies[question.name][str(one)] += 1
    if respondents < threshold:  # too few to hide anyone among: nothing is published
        return respondents, []
    tables = [_table(q, tallies[q.name], answered[q.name], threshold, language) for q in questions]
    return respondents, tables


def publishable(survey: Survey, question: Question) -> bool:
    """Whether a question can be in a public summary (see the module's docstring)."""
    return _published(survey, question)


def crossable(survey: Survey, question: Question) -> bool:
    """Whether a question can be a side of a two-way table: one answer per respondent."""
    return _published(survey, question) and question.type != "select_multiple"


def _published(survey: Survey, question: Question) -> bool:
    if question.name in survey.repeat_of:
        return False  # counted per instance, not per respondent: not in this release
    return question.type in (*SINGLE, "select_multiple", "month") and (
        question.type == "month" or bool(question.choices)
    )


def _table(
    question: Question, tally: Counter[str], answered: int, threshold: int, language: str
) -> PublicTable:
    if question.type == "month":
        labels = [(m, m) for m in months_spanned(tally)]
        kind = "month"
    else:
        labels = [(c.name, localized(c, "label", language)) for c in question.choices]
        kind = "multiple" if question.type == "select_multiple" else "single"
    counts = [tally.get(name, 0) for name, _ in labels]
    hidden, total_hidden = suppress(counts, threshold, additive=kind != "multiple")
    if 0 < answered < threshold:
        total_hidden = True
    cells = tuple(
        Cell(
            label,
            None if hide else count,
            None if hide or total_hidden or not answered else round(100 * count / answered),
            code,
        )
        for (code, label), count, hide in zip(labels, counts, hidden, strict=True)
    )
    title = localized(question, "label", language)
    return PublicTable(question.name, title, kind, cells, None if total_hidden else answered)


def summary_csv(tables: list[PublicTable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "answer", "count", "percent", "answered"])
    for table in tables:
        answered = "" if table.total is None else table.total
        for cell in table.cells:
            count = "suppressed" if cell.count is None else cell.count
            percent = "" if cell.percent is None else cell.percent
            writer.writerow([safe(table.title), safe(cell.label), count, percent, answered])
    return out.getvalue()


def safe(text: str) -> str:
    """No cell a spreadsheet would run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def summary_html(
    survey: Survey, n: int, tables: list[PublicTable], threshold: int, lang: str, more: str = ""
) -> str:
    title = html.escape(localized(survey, "title", lang))
    parts = [HEAD.format(lang=html.escape(lang), title=title), f"<h1>{title}</h1>"]
    if n < threshold:
        parts.append(f"<p>Fewer than {threshold} respondents: nothing is published.</p>")
    else:
        parts.append(
            f"<p>{n} respondents. Counts from 1 to {threshold - 1}, and as many others as keep "
            f"them from being worked out, are shown as “{HIDDEN}”.</p>"
        )
    for table in tables:
        answered = f"fewer than {threshold}" if table.total is None else str(table.total)
        parts.append(f"<section><h2>{html.escape(table.title)}</h2><p>Answered: {answered}")
        if table.kind == "multiple":
            parts.append(" (several answers each)")
        parts.append("</p>" + _chart(table) + "<table><tr><th></th><th>n</th><th>%</th></tr>")
        for cell in table.cells:
            count = HIDDEN if cell.count is None else str(cell.count)
            percent = "" if cell.percent is None else f"{cell.percent}%"
            parts.append(
                f'<tr><td>{html.escape(cell.label)}</td><td class="n">{count}</td>'
                f'<td class="n">{percent}</td></tr>'
            )
        parts.append("</table></section>\n")
    parts.append(more + "</body></html>\n")
    return "".join(parts)


def _chart(table: PublicTable) -> str:
    """Bars of the shown counts as inline SVG (no script; prints as it shows)."""
    shown = [c.count or 0 for c in table.cells]
    top = max(shown, default=0) or 1
    width, bar = 360, 14
    rows = [
        f'<rect x="0" y="{i * (bar + 4)}" width="{max(1, round(width * v / top)) if v else 0}" '
        f'height="{bar}" fill="#3b6ea5"/>'
        for i, v in enumerate(shown)
    ]
    height = max(1, len(shown) * (bar + 4))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(table.title)}">{"".join(rows)}</svg>'
    )
