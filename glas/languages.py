"""The interface's languages: the web pages, the ``glas`` command and the reviewer's report all
speak these, from the same catalogs (``portal/translations``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_LANGUAGE = "en"
#: The compiled catalogs, found beside this package without importing the web portal.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "portal" / "translations"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself: that is how people find theirs
    direction: str = "ltr"


LANGUAGES = {
    lang.code: lang
    for lang in (
        Language("en", "English"),
        Language("mk", "Македонски"),
        Language("sq", "Shqip"),
        Language("sr", "Srpski"),
        Language("ru", "Русский"),
        Language("uk", "Українська"),
    )
}
