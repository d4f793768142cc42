"""The designer's rule builder: "Ask only if [question] [is / is not / includes / is more than /
is less than] [answer]", joined by and / or, written as the very expression the engine
evaluates (so respondents get it on both paths). A hand-written rule that fits this shape opens
in the builder; any other stays as text for experts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from surveys.expressions import ExpressionError, parse

#: The builder's words and the comparison each writes.
OPERATORS = {"is": "=", "is_not": "!=", "includes": "selected", "more": ">", "less": "<"}
JOINS = ("and", "or")
#: Rows the form offers (a rule of more conditions stays as text).
ROWS = 3
NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Condition:
    question: str
    operator: str  # a key of OPERATORS
    value: str


def expression(conditions: list[Condition], join: str) -> str:
    """The rule as an expression: ``${q} = 'v'``, ``selected(${q}, 'v')``, ``${n} > 3``…"""
    parts = []
    for c in conditions:
        value = (
            c.value if NUMBER.match(c.value) and c.operator in ("more", "less") else quote(c.value)
        )
        if c.operator == "includes":
            parts.append(f"selected(${{{c.question}}}, {value})")
        else:
            parts.append(f"${{{c.question}}} {OPERATORS[c.operator]} {value}")
    return f" {join if join in JOINS else 'and'} ".join(parts)


def conditions(text: str) -> tuple[list[Condition], str] | None:
    """The builder's rows for a rule written by hand, or None when it has another shape."""
    if not text.strip():
        return [], "and"
    try:
        tree = parse(text)
    except ExpressionError:
        return None
    joins: set[str] = set()
    leaves: list[Any] = []
    _flatten(tree, joins, leaves)
    if len(joins) > 1 or not 1 <= len(leaves) <= ROWS:
        return None
    found = [_condition(leaf) for leaf in leaves]
    if any(c is None for c in found):
        return None
    return [c for c in found if c is not None], (joins.pop() if joins else "and")


def _flatten(tree: Any, joins: set[str], leaves: list[Any]) -> None:
    if isinstance(tree, list) and tree and tree[0] in JOINS:
        joins.add(tree[0])
        _flatten(tree[1], joins, leaves)
        _flatten(tree[2], joins, leaves)
    else:
        leaves.append(tree)


def _condition(tree: Any) -> Condition | None:
    words = {value: key for key, value in OPERATORS.items()}
    literal = ("str", "num")
    if tree[0] == "cmp" and tree[1] in words and tree[2][0] == "ref" and tree[3][0] in literal:
        return Condition(tree[2][1], words[tree[1]], str(tree[3][1]))
    if tree[:2] == ["call", "selected"] and tree[2][0] == "ref" and tree[3][0] in literal:
        return Condition(tree[2][1], "includes", str(tree[3][1]))
    return None


def quote(text: str) -> str:
    """Text as a literal of a rule: in single quotes, or double ones if it holds a single."""
    return f'"{text}"' if "'" in text else f"'{text}'"


#: What the words of a rule need to know of each question: its label and its choices' labels.
Labels = Mapping[str, tuple[str, Mapping[str, str]]]


def in_words(
    text: str, labels: Labels, words: Mapping[str, str], join_words: Mapping[str, str]
) -> str:
    """A rule of the builder's shape as organizers read it: “Did something happen?” is “Yes”
    and …; '' for any other rule (the page shows the expression then)."""
    found = conditions(text) if text.strip() else None
    if not found or not found[0]:
        return ""
    rows, join = found
    parts = []
    for condition in rows:
        label, choices = labels.get(condition.question, (condition.question, {}))
        answer = choices.get(condition.value, condition.value)
        parts.append(f"“{label}” {words.get(condition.operator, condition.operator)} “{answer}”")
    return f" {join_words.get(join, join)} ".join(parts)
