"""The designer's check builder: "The answer must be [at least / at most / more than / less
than / other than] [a value, or another question's answer]", every row holding, written as the
constraint expression the engine evaluates (``. >= 18 and . <= ${age}``). A hand-written check
of this shape opens in the builder; any other stays as text under "Advanced".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveys.expressions import ExpressionError, parse

from .rules import NUMBER, quote

#: The builder's words and the comparison each writes.
CHECK_OPERATORS = {"at_least": ">=", "at_most": "<=", "more": ">", "less": "<", "is_not": "!="}
#: Rows the form offers (a check of more conditions stays as text).
CHECK_ROWS = 2


@dataclass(frozen=True)
class Check:
    operator: str  # a key of CHECK_OPERATORS
    value: str = ""  # a number, day or text; or
    question: str = ""  # the name of the question whose answer it is compared with


def check_expression(checks: list[Check]) -> str:
    """The checks as one constraint: every row must hold."""
    parts = []
    for c in checks:
        if c.question:
            other = f"${{{c.question}}}"
        elif NUMBER.match(c.value):
            other = c.value
        else:
            other = quote(c.value)
        parts.append(f". {CHECK_OPERATORS[c.operator]} {other}")
    return " and ".join(parts)


def checks_of(text: str) -> list[Check] | None:
    """The builder's rows for a check written by hand, or None when it has another shape."""
    if not text.strip():
        return []
    try:
        tree = parse(text, allow_self=True)
    except ExpressionError:
        return None
    leaves: list[Any] = []
    while isinstance(tree, list) and tree[:1] == ["and"]:
        leaves.append(tree[2])
        tree = tree[1]
    leaves.append(tree)
    leaves.reverse()
    if len(leaves) > CHECK_ROWS:
        return None
    words = {sign: word for word, sign in CHECK_OPERATORS.items()}
    found = []
    for leaf in leaves:
        if not (leaf[0] == "cmp" and leaf[1] in words and leaf[2] == ["self"]):
            return None
        kind, value = leaf[3][0], leaf[3][1] if len(leaf[3]) > 1 else ""
        if kind in ("num", "str"):
            found.append(Check(words[leaf[1]], str(value)))
        elif kind == "ref":
            found.append(Check(words[leaf[1]], question=str(value)))
        else:
            return None
    return found
