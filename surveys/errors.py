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


class TooMuchWork(SurveyError):
    """Raised when answers would make one request walk more repeat instances, evaluate more
    rules or compute a longer value than it may (``limit`` names which, for the message)."""

    def __init__(self, limit: str, allowed: int) -> None:
        super().__init__(f"The answers ask for more than one request may do: {limit} {allowed}.")
        self.limit = limit
        self.allowed = allowed
