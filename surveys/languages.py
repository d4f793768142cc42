"""Language names as XLSForms write them (``label::English``, ``label::Shqip (sq)``, ``Tetun``)
and their codes, and which languages are written right to left.

Kobo and ODK forms name a language by its English name, by its own name, by a code, or by a
name with the code in brackets (``English (en)``). The names and codes come from CLDR through
``langcodes`` (a well-kept library) rather than a table of our own. A name it cannot tell is
still accepted: it gets a private-use code (``x-…``) and the import says so, so organizers can
give it the right one.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .loader import LANGUAGE_CODE

if TYPE_CHECKING:
    from types import ModuleType


def _langcodes() -> ModuleType:
    """langcodes, imported when a language is first looked up: its tables take a quarter of a
    second to load, which every server process would otherwise pay at start."""
    import langcodes

    return langcodes


BRACKETED = re.compile(r"\(([^()]+)\)\s*$")
#: Scripts written right to left (CLDR's): Arabic, Hebrew, Thaana, Syriac, N'Ko, Adlam…
RTL_SCRIPTS = frozenset(
    {"Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Mand", "Samr", "Mend", "Rohg", "Yezi"}
)


def language_code(text: str) -> str:
    """The code of a language as a form names it, or "" when it cannot be told.

    ``English (en)`` and ``english_(en)`` give ``en`` (the bracket wins); ``English``,
    ``Shqip``, ``македонски`` and ``mk`` give ``en``, ``sq``, ``mk`` and ``mk``; ``Tetun``
    gives ``tet`` and ``Dari`` ``fa-AF``."""
    text = " ".join(text.replace("_", " ").split())
    bracket = BRACKETED.search(text)
    if bracket:
        return _standard(bracket.group(1).strip())
    coded = _standard(text)
    if coded:
        return coded
    try:
        found = _langcodes().find(text)
    except (LookupError, ValueError):
        return ""
    return _standard(str(found))


def private_code(name: str) -> str:
    """A code for a language no one could name: ``x-`` and up to 8 letters of its name."""
    letters = re.sub(r"[^a-z0-9]", "", name.lower())[:8]
    return f"x-{letters or 'lang'}"


def right_to_left(code: str) -> bool:
    """Whether text in this language runs right to left (ar, fa, fa-AF, ur, he, ps, ckb…)."""
    if code.startswith("x-"):
        return False
    try:
        return _langcodes().Language.get(code).maximize().script in RTL_SCRIPTS
    except (LookupError, ValueError):
        return False


def language_name(code: str, in_language: str = "") -> str:
    """The language's own name (``العربية``), or in ``in_language``; the code if unknown."""
    if code.startswith("x-"):
        return code
    try:
        name = _langcodes().Language.get(code).display_name(in_language or code)
    except (LookupError, ValueError):
        return code
    return name if name and not name.lower().startswith("unknown") else code


def _standard(text: str) -> str:
    """A well-formed language code for ``text`` if it is one, else ''."""
    candidate = text.replace("_", "-")
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,2}", candidate):
        return ""
    if not _langcodes().tag_is_valid(candidate):
        return ""
    code = _langcodes().standardize_tag(candidate)
    return code if LANGUAGE_CODE.match(code) else ""
