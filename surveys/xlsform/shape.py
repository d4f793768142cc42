"""Small pieces shared by the readers of a form: a value with its row, an expression as Glas
reads it, a number cell, a one-choice list."""

from __future__ import annotations

import re
from typing import Any

from ..document import Located, LocatedList

#: Paths to the form's own answers, as XPath writes them: relative (``../x``, ``./x``, which
#: pyxform itself writes for ``or_other``) or absolute (``/data/inputs/source``, as CHT forms
#: do). Read as a reference to the answer of that name. Not a path after ')' or ']': that is
#: a lookup's (``instance('l')/root/item[…]/label``).
QUOTED = re.compile(r"('[^']*'|\"[^\"]*\")")
PATH = re.compile(
    r"(?<![\w)\]'\"$}.])(?:(?:\.\./)+|\./|/(?:[A-Za-z_][A-Za-z0-9_.-]*/)*)([A-Za-z_][A-Za-z0-9_.-]*)"
)


def question_names(children: list[Any]) -> set[str]:
    found: set[str] = set()
    for element in children:
        if isinstance(element, dict):
            if element.get("type") in ("group", "repeat", "loop"):
                found |= question_names(element.get("children") or [])
            else:
                found.add(str(element.get("name")).lower())
    return found


def expression(text: Any) -> str:
    """An expression as Glas reads it: pyxform's own relative paths (``../name``, in the
    rules it writes for ``or_other``) as references."""
    parts = QUOTED.split(str(text).strip())  # odd parts are quoted texts: left alone
    return "".join(
        part if index % 2 else PATH.sub(lambda m: "${" + m.group(1) + "}", part)
        for index, part in enumerate(parts)
    )


def number(value: Any) -> Any:
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


def one_choice(name: str, label: str, line: int) -> LocatedList:
    choice = Located(name=name, label=label)
    choice.line, choice.key_lines = line, {"name": line, "label": line}
    listed = LocatedList([choice])
    listed.line = line
    return listed


def put(mapping: Located, key: str, value: Any, line: int) -> None:
    mapping[key] = value
    mapping.key_lines[key] = line
