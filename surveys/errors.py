"""The one exception tree of the surveys package."""

from __future__ import annotations

from dataclasses import dataclass


class SurveyError(Exception):
    """Base of every error raised by :mod:`surveys`."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a survey definition, and where (line 0 when unknown)."""

    line: int
    message: str


class SurveyDefinitionError(SurveyError, ValueError):
    """Raised when a survey definition file is malformed; lists every problem with its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """Return one ``file:line: message`` line per problem, as compilers print them."""
        return [
            f"{self.source}:{p.line}: {p.message}" if p.line else f"{self.source}: {p.message}"
            for p in self.problems
        ]
