"""A form's languages and its translatable texts, as pyxform hands them over.

pyxform gives a text as a string (no language named) or as ``{language as written: text}``,
where ``default`` stands for the columns without a language. Glas keeps ``{code: text}`` with a
text in the survey's own language: a form's languages are told by name or code
(:mod:`~surveys.xlsform.languages`), a language no one can name gets a private code with a
warning, and a text missing in the survey's language borrows another language's, said once.
"""

from __future__ import annotations

from typing import Any

from ..document import Located
from ..languages import language_code, private_code
from .notes import Notes, Where

DEFAULT = "default"


def _language_names(value: Any, found: dict[str, None]) -> None:
    """Every language name used in a text mapping anywhere in ``value`` (in order met)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("label", "hint", "jr:constraintMsg", "jr:requiredMsg", "guidance_hint"):
                if isinstance(item, dict):
                    for name in item:
                        found.setdefault(str(name), None)
            elif isinstance(item, dict | list):
                _language_names(item, found)
    elif isinstance(value, list):
        for item in value:
            _language_names(item, found)


class Texts:
    """The form's language codes, and its texts turned into Glas's shape."""

    def __init__(self, form: dict[str, Any], notes: Notes) -> None:
        self.notes = notes
        names: dict[str, None] = {}
        _language_names(form, names)
        written_default = str(form.get("default_language") or DEFAULT)
        self.codes: dict[str, str] = {}
        for name in [n for n in (written_default, *names) if n != DEFAULT]:
            if name not in self.codes:
                self.codes[name] = self._code(name)
        if written_default != DEFAULT:
            self.language = self.codes[written_default]
        elif DEFAULT in names or not self.codes:
            self.language = "en"  # XLSForm's unnamed columns: English unless the form says
        else:
            self.language = self.codes[next(n for n in names if n != DEFAULT)]
        self.codes[DEFAULT] = self.language
        self._borrowed: set[str] = set()

    def _code(self, name: str) -> str:
        code = language_code(name)
        if not code:
            code = private_code(name)
            self.notes.warn(
                Where("survey", 1, f"label::{name}"),
                f"'{name}' is no language Glas can name: its texts are kept under the code "
                f"'{code}'; write the language as 'Name (code)' in the form, or change the code "
                "in the designer",
                once=f"language {name}",
            )
        return code

    @property
    def languages(self) -> list[str]:
        """Every language code, the survey's own first."""
        others = sorted(set(self.codes.values()) - {self.language})
        return [self.language, *others]

    def text(self, value: Any, where: Where) -> Any:
        """A str, or a Located {code: text} holding the survey's language."""
        if value is None:
            return ""
        if not isinstance(value, dict):
            return str(value).strip()
        texts: dict[str, str] = {}
        for name, text in value.items():
            if not isinstance(text, str) or not text.strip():
                continue
            code = self.codes.get(str(name)) or self._code(str(name))
            if name == DEFAULT and code in texts:
                continue  # the named language's own column wins over the unnamed one
            texts[code] = text.strip()
        if not texts:
            return ""
        if self.language not in texts:
            code, text = next(iter(texts.items()))
            texts[self.language] = text
            self.notes.warn(
                where,
                f"no text in the survey's language ({self.language}): the {code} text is used",
                once=f"borrowed {where.column}",
            )
        if len(texts) == 1:
            return texts[self.language]
        mapping = Located(texts)
        mapping.line, mapping.key_lines = where.row, dict.fromkeys(texts, where.row)
        return mapping

    def substitute(self, value: Any, old: str, new: Any) -> Any:
        """``value`` with ``old`` replaced by ``new`` (a text, or texts by language): a loop's
        ``%(label)s`` made into each choice's label."""
        if isinstance(value, dict):
            replacement = new if isinstance(new, dict) else {}
            return {
                lang: str(text).replace(old, str(replacement.get(lang, _plain(new))))
                for lang, text in value.items()
            }
        if isinstance(value, str):
            return value.replace(old, _plain(new))
        return value


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get(DEFAULT) or next(iter(value.values()), ""))
    return str(value or "")
