"""The longest value a calculation can make, worked out from the survey before anyone answers.

A calculation such as ``concat(${c}, ${c})`` doubles what it reads; twenty-five of them in a row
turn eight typed characters into gigabytes. The walk refuses any value longer than
:data:`~surveys.expressions.MAX_CALCULATION_LENGTH` as it is built; here the importer refuses,
by row, a calculation that *can* exceed it, so that no published survey makes a respondent's
honest answers fail.

The bound is an upper bound: every answer at its longest (a text at its ``max_length``, a
multi-select with every choice), every repeat at the most instances it may have.
"""

from __future__ import annotations

from typing import Any

from .expressions import MAX_CALCULATION_LENGTH, Tree
from .model import MAX_REPEATS, Question, Survey

#: The longest text a number becomes (surveys/expressions.py: at most 1e300, 15 digits).
NUMBER_TEXT = 320
#: The longest text an answer of each kind is, beyond text and choices.
TYPE_TEXT = {"integer": 19, "decimal": 27, "date": 10, "month": 7, "time": 5, "datetime": 16}
#: Functions whose result is at most as long as their first argument.
SHORTENING = {"substr", "substring-before", "substring-after", "normalize-space", "string",
              "once", "selected-at"}  # fmt: skip
#: Functions whose result is a truth value, or a date or a time written out.
SHORT = {"selected": 1, "regex": 1, "contains": 1, "starts-with": 1, "ends-with": 1,
         "boolean": 1, "boolean-from-string": 1, "date": 10, "today": 10, "now": 16}  # fmt: skip


def calculation_bounds(survey: Survey) -> dict[str, int]:
    """Per calculate question, the most characters its value can hold."""
    found: dict[str, int] = {}
    for name in survey.calculations:
        _calculation(survey, name, found, set())
    return found


def too_long(survey: Survey) -> list[tuple[str, int]]:
    """The calculations that can make a value longer than a calculated value may hold."""
    bounds = calculation_bounds(survey)
    return [(n, bounds[n]) for n in survey.calculations if bounds[n] > MAX_CALCULATION_LENGTH]


def _calculation(survey: Survey, name: str, found: dict[str, int], seen: set[str]) -> int:
    if name in found:
        return found[name]
    if name in seen:  # a cycle: refused by the logic check already; count it as unbounded
        return MAX_CALCULATION_LENGTH + 1
    seen.add(name)
    found[name] = _longest(survey.calculations[name], survey, found, seen)
    return found[name]


def _question(survey: Survey, name: str, found: dict[str, int], seen: set[str]) -> int:
    if name in survey.calculations:
        return _calculation(survey, name, found, seen)
    question = survey.by_name.get(name)
    if question is None:  # a repeat: its number of instances
        return 3
    return answer_length(question)


def answer_length(question: Question) -> int:
    """The longest text an answer to ``question`` is, as rules read it."""
    if question.type in ("text", "textarea"):
        return question.effective_max_length
    if question.type == "select_multiple":
        return sum(len(c.name) + 1 for c in question.choices)
    if question.choices:
        return max((len(c.name) for c in question.choices), default=0)
    if question.type == "file":
        return question.effective_max_files * 256
    return TYPE_TEXT.get(question.type, 0)


def _longest(tree: Any, survey: Survey, found: dict[str, int], seen: set[str]) -> int:
    if not isinstance(tree, list):
        return 0
    op = tree[0]
    if op == "str":
        return len(tree[1])
    if op in ("ref", "idx"):
        return _question(survey, tree[1], found, seen)
    if op == "refs":  # every instance's answer, for join(); a node-set is one repeat's answers
        return _question(survey, tree[1], found, seen) * MAX_REPEATS
    if op == "map":
        return max((len(label) for label in tree[1].values()), default=0)
    if op in ("num", "math", "pos"):
        return NUMBER_TEXT
    if op in ("not", "and", "or", "cmp"):
        return 1
    if op != "call":
        return NUMBER_TEXT
    return _call(tree[1], tree[2:], survey, found, seen)


def _call(
    name: str, args: list[Tree], survey: Survey, found: dict[str, int], seen: set[str]
) -> int:
    lengths = [_longest(a, survey, found, seen) for a in args]
    if name == "concat":
        return sum(lengths)
    if name == "join":
        # The separator between every two of at most MAX_REPEATS values.
        return lengths[0] * MAX_REPEATS + sum(lengths[1:])
    if name in ("if",):
        return max(lengths[1:])
    if name == "coalesce":
        return max(lengths)
    if name in SHORTENING:
        return lengths[0]
    if name == "jr:choice-name":
        return lengths[1]
    if name == "format-date":  # %b, the longest directive, is 3 characters for 2 written
        return lengths[1] * 2
    if name in SHORT:
        return SHORT[name]
    return NUMBER_TEXT
