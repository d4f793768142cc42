"""Lookups in attached files and choice lists: ``pulldata()`` and ``instance(…)/root/item[…]``.

ODK forms look values up in a CSV the form carries (``pulldata('clinics', 'district',
'code', ${clinic})``) or in a list (``instance('clinics')/root/item[name = ${clinic}]/label``).
Glas keeps no files beside a survey: the lookup is written into the rule as
``lookup(${clinic}, 'k1', 'v1', …)`` with the pairs from the attached file (or the choice
list), so the server, the browser and the reviewer's tools evaluate it alike. A lookup in a
file not attached yet leaves the form a draft that names the file; a lookup of another shape
(counting items, a path deeper than one column) is refused, saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .lists import RawChoice

#: instance('name')/root/item[predicate]/column
INSTANCE = re.compile(r"instance\s*\(\s*(['\"])(?P<name>[^'\"]+)\1\s*\)\s*/\s*root\s*/\s*item\s*\[")
PULLDATA = re.compile(r"pulldata\s*\(")
KEY_PREDICATE = re.compile(r"^\s*(?P<key>[A-Za-z_][A-Za-z0-9_.:-]*)\s*=\s*(?P<value>.+?)\s*$", re.S)
COLUMN = re.compile(r"\s*/\s*(?P<column>[A-Za-z_][A-Za-z0-9_.:-]*)")


class LookupError_(ValueError):
    """A lookup Glas cannot keep the meaning of (the message says why)."""


@dataclass(frozen=True)
class Found:
    """A source of rows by instance or file name, or None while its file is not attached."""

    rows: list[RawChoice] | None
    file_name: str


Source = Callable[[str, bool], Found]


def rewrite(text: str, source: Source) -> tuple[str, list[str]]:
    """``text`` with every lookup written as ``lookup(…)``, and the files it still waits for
    (then the lookup reads as '' in the text returned)."""
    missing: list[str] = []
    text = _pulldata(text, source, missing)
    text = _instances(text, source, missing)
    return text, missing


def _pulldata(text: str, source: Source, missing: list[str]) -> str:
    while match := PULLDATA.search(text):
        end = _closing(text, match.end(), "(", ")")
        args = _split(text[match.end() : end])
        if len(args) != 4 or not all(_quoted(a) for a in args[:3]):
            raise LookupError_(
                "pulldata() takes a file, a column, a key column and a key, the first three "
                "in quotes"
            )
        name, column, key_column = (_quoted(a) for a in args[:3])
        found = source(name, True)
        replacement = _lookup(found, key_column, column, args[3], missing)
        text = text[: match.start()] + replacement + text[end + 1 :]
    return text


def _instances(text: str, source: Source, missing: list[str]) -> str:
    while match := INSTANCE.search(text):
        close = _closing(text, match.end(), "[", "]")
        predicate = KEY_PREDICATE.match(text[match.end() : close])
        column = COLUMN.match(text, close + 1)
        if predicate is None or column is None:
            raise LookupError_(
                f"instance('{match.group('name')}'): Glas reads a lookup of one column by one "
                "key, as instance('list')/root/item[name = ${q}]/label"
            )
        found = source(match.group("name"), False)
        replacement = _lookup(
            found,
            predicate.group("key"),
            column.group("column"),
            predicate.group("value"),
            missing,
        )
        text = text[: match.start()] + replacement + text[column.end() :]
    return text


def _lookup(found: Found, key: str, column: str, value: str, missing: list[str]) -> str:
    if found.rows is None:
        if found.file_name not in missing:
            missing.append(found.file_name)
        return "''"
    pairs = []
    for row in found.rows:
        cells = {"name": row.name, "label": _label(row.label), **row.columns}
        if key not in cells or column not in cells:
            raise LookupError_(
                f"{found.file_name} has no column '{key if key not in cells else column}'"
            )
        pairs += [_literal(cells[key]), _literal(cells[column])]
    return f"lookup({value}, {', '.join(pairs)})" if pairs else "''"


def _label(label: object) -> str:
    if isinstance(label, dict):
        return str(label.get("default") or next(iter(label.values()), ""))
    return str(label or "")


def _literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "") + '"'


def _quoted(argument: str) -> str:
    argument = argument.strip()
    if len(argument) >= 2 and argument[0] == argument[-1] and argument[0] in "'\"":
        return argument[1:-1]
    return ""


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    """The index of the bracket that closes the one just before ``start`` (quotes skipped)."""
    depth, quote = 1, ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return index
    raise LookupError_(f"a '{opening}' is never closed")


def _split(text: str) -> list[str]:
    """Arguments at the top level of ``text``, split at commas outside brackets and quotes."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [p.strip() for p in parts]
