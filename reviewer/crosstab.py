"""Two-way tables for the public summary ("denied health care" by "age group"), safe beside the
one-way tables of the same release.

Why the categories are not simply the answers: the one-way tables already publish each answer's
count, or suppress it. If a two-way table showed its margins by answer, a suppressed one-way
count could be read off it; if it left out those who did not answer, the difference to the
one-way count would be a small count given away. So each side's categories are the answers
whose one-way count is *shown*, plus one "other answers or no answer" category holding everyone
else (derivable already: respondents minus the shown counts). Every margin of a two-way table is
then something the release shows or implies already, and its inner cells are a table with known
margins, protected like this (the hypercube method of tau-argus, one rectangle at a time):

* every inner count from 1 to ``threshold - 1`` is suppressed;
* for each, a rectangle of four suppressed cells (its own, one in its row, one in its column and
  the one opposite) is chosen such that moving ``d`` from one diagonal to the other keeps every
  margin: any such cell can then lie anywhere in an interval ``min(diagonal) + min(other
  diagonal)`` wide, which the rectangle is chosen to make at least ``threshold`` — for all four
  corners, as they move together. More suppressed cells only widen the intervals.
* when no rectangle can protect a small cell, the table is not published (and the README says so).

Only questions with one answer per respondent (single choice, yes/no, month) are crossed: a
multiple-choice question's answers do not add up to its respondents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product
from typing import Any

#: The category of everyone whose answer is not shown on its own (suppressed, or no answer).
OTHER = ""


@dataclass(frozen=True)
class CrossTable:
    """Rows by the first question's categories, columns by the second's."""

    rows: tuple[str, ...]  # category codes (OTHER for the combined one)
    columns: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]  # None: suppressed
    row_totals: tuple[int, ...]
    column_totals: tuple[int, ...]


def categories(shown: Iterable[str], answers: Iterable[Any]) -> list[str]:
    """One side's categories: the shown answers in their order, then OTHER if anyone is in it."""
    own = list(shown)
    rest = any(_category(a, own) == OTHER for a in answers)
    return [*own, OTHER] if rest else own


def _category(answer: Any, shown: list[str]) -> str:
    return answer if isinstance(answer, str) and answer in shown else OTHER


def cross(
    pairs: list[tuple[Any, Any]],
    rows: list[str],
    columns: list[str],
    threshold: int,
) -> CrossTable | None:
    """The protected two-way table of (first answer, second answer) pairs, one per respondent,
    or None when some small cell cannot be protected."""
    counts = Counter((_category(a, rows), _category(b, columns)) for a, b in pairs)
    grid = [[counts.get((r, c), 0) for c in columns] for r in rows]
    hidden = [[0 < n < threshold for n in line] for line in grid]
    for i, j in product(range(len(rows)), range(len(columns))):
        if 0 < grid[i][j] < threshold and not _protected(grid, hidden, i, j, threshold):
            return None
    return CrossTable(
        tuple(rows),
        tuple(columns),
        tuple(
            tuple(None if hidden[i][j] else grid[i][j] for j in range(len(columns)))
            for i in range(len(rows))
        ),
        tuple(sum(line) for line in grid),
        tuple(sum(line[j] for line in grid) for j in range(len(columns))),
    )


def _protected(grid: list[list[int]], hidden: list[list[bool]], i: int, j: int, t: int) -> bool:
    """Suppress the cheapest rectangle through (i, j) wide enough; False if there is none."""
    best: tuple[int, int, int, int] | None = None
    for k, m in product(range(len(grid)), range(len(grid[0]))):
        if k == i or m == j:
            continue
        width = min(grid[i][j], grid[k][m]) + min(grid[i][m], grid[k][j])
        if width < t:
            continue
        corners = ((i, m), (k, j), (k, m))
        new = sum(not hidden[a][b] for a, b in corners)
        cost = (new, sum(grid[a][b] for a, b in corners if not hidden[a][b]), k, m)
        if best is None or cost < best:
            best = cost
    if best is None:
        return False
    _, _, k, m = best
    for a, b in ((i, m), (k, j), (k, m)):
        hidden[a][b] = True
    return True
