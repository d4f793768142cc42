"""Names unique in the whole survey, as Glas's answers need them.

XLSForm names are unique per group: a household roster and a list of children may both ask
``age``. Glas keys answers by name across the survey, so the second ``age`` becomes
``<group>_age`` (said in a warning); pyxform refuses a ``${age}`` that could mean either, so no
rule is left pointing at the wrong one. A name Glas cannot use as written (an XML name with
letters beyond ASCII) is made into one it can, and every rule that read it is rewritten.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..loader import QUESTION_NAME, RESERVED_NAMES
from .notes import Notes, Where

REFERENCE = re.compile(r"\$\{([^}]*)\}")
RULE_KEYS = ("relevant", "constraint", "calculation", "choice_filter", "repeat_count")


class Names:
    def __init__(self, notes: Notes) -> None:
        self.notes = notes
        self.taken: set[str] = set()
        self.renamed: dict[str, str] = {}  # a name as written → the one kept, where unique
        self.dropped: set[str] = set()  # rows set aside: a rule that reads one reads ''
        self.questions: set[str] = set()  # every question's name: a group gives way to them

    def claim(self, name: str, parent: str, where: Where, group: bool = False) -> str:
        """The name this element is kept under. A group named like a question takes another
        name, so that rules reading the question's answer still read it."""
        wanted = name
        invalid = not QUESTION_NAME.match(name) or name in RESERVED_NAMES
        if invalid:
            wanted = _ascii(name)
        if group and wanted.lower() in self.questions:
            wanted = f"{wanted}_group"
        if wanted.lower() in self.taken and parent:
            wanted = f"{parent}_{wanted}"[:120]
        base, number = wanted, 1
        while wanted.lower() in self.taken:
            number += 1
            wanted = f"{base[: 120 - len(str(number)) - 1]}_{number}"
        self.taken.add(wanted.lower())
        if wanted != name:
            if invalid:
                self.renamed.setdefault(name, wanted)
            self.notes.warn(
                where.at("name"),
                f"'{name}' is kept as '{wanted}' "
                + (
                    "(names in Glas use letters a-z, digits, '_', '.' and '-')"
                    if invalid
                    else "(the name is used more than once in the form)"
                ),
            )
        return wanted

    def rewrite(self, *items: Any) -> None:
        """Rules that name a renamed element read its new name; rules that read a row set
        aside read it as empty, as ODK reads an answer not given (and say so)."""
        if not self.renamed and not self.dropped:
            return
        dropped = self.dropped - self.taken

        def new(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in dropped:
                return "''"
            return "${" + self.renamed.get(name, name) + "}"

        for listed in items:
            for item in listed:
                for key in RULE_KEYS:
                    text = item.get(key)
                    if not isinstance(text, str):
                        continue
                    read = {m.group(1) for m in REFERENCE.finditer(text)} & dropped
                    for name in sorted(read):
                        self.notes.warn(
                            Where("survey", item.key_lines.get(key, item.line), key),
                            f"it reads '{name}', a row set aside: read as empty",
                        )
                    item[key] = REFERENCE.sub(new, text)


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9_.-]+", "_", plain).strip("_.-")
    if not plain or not re.match(r"[A-Za-z_]", plain):
        plain = f"q_{plain}"
    if plain in RESERVED_NAMES:
        plain = f"{plain}_"
    return plain[:120]
