"""What an import says to the organizer: warnings (set aside) and problems (refused), each by
sheet, row and column, and where in the survey sheet each question came from.

pyxform's normalised form keeps no row numbers, so :class:`Rows` finds each element's row by
walking the survey sheet in the same order as the form's elements (both follow the sheet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem


@dataclass(frozen=True)
class Where:
    sheet: str
    row: int = 0
    column: str = ""

    def __str__(self) -> str:
        text = f"{self.sheet} sheet"
        if self.row:
            text += f", row {self.row}"
        if self.column:
            text += f", column '{self.column}'"
        return text

    def at(self, column: str) -> Where:
        return Where(self.sheet, self.row, column)


@dataclass
class Notes:
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _once: set[str] = field(default_factory=set)

    def warn(self, where: Where, message: str, once: str = "") -> None:
        """Something set aside. With ``once``, only its first place is named (a column used
        on every row is one warning, not hundreds)."""
        if once:
            if once in self._once:
                return
            self._once.add(once)
        self.warnings.append(f"{where}: {message}")

    def problem(self, where: Where, message: str) -> None:
        self.problems.append(Problem(0, f"{where}: {message}"))


#: The rows that close a group, repeat or loop (they may repeat its name).
CLOSING = re.compile(r"end[ _](group|repeat|loop|looped group|lgroup)")


def row_name(row: dict[str, Any]) -> str:
    for key, value in row.items():
        if str(key).strip().lower() == "name":
            return str(value).strip()
    return ""


def row_type(row: dict[str, Any]) -> str:
    for key, value in row.items():
        if str(key).strip().lower() == "type":
            return " ".join(str(value).split()).lower()
    return ""


class Rows:
    """Row numbers of the survey sheet's elements, found in order."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.cursor = 0

    def find(self, name: str) -> int:
        """The row of the next element called ``name``; the current row when none is (an
        element pyxform made itself, such as ``<name>_other`` or a repeat's count)."""
        for index in range(self.cursor, len(self.rows)):
            row = self.rows[index]
            if row_name(row) == name and not CLOSING.match(row_type(row)):
                self.cursor = index + 1
                return index + 2
        return self.cursor + 1

    def raw(self, number: int) -> dict[str, Any]:
        index = number - 2
        return self.rows[index] if 0 <= index < len(self.rows) else {}
