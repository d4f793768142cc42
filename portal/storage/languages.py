"""The interface language respondents get when they read a survey in a language the portal's
interface does not have (the survey's texts in Arabic, its buttons in this one)."""

from __future__ import annotations

from sqlalchemy import delete, select

from glas.languages import DEFAULT_LANGUAGE, LANGUAGES

from .models import SettingRow
from .store import Store

FALLBACK_KEY = "fallback_language"


def fallback_language(store: Store) -> str:
    with store.session() as s:
        value = s.scalar(select(SettingRow.value).where(SettingRow.key == FALLBACK_KEY))
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def set_fallback_language(store: Store, code: str) -> None:
    if code not in LANGUAGES:
        raise ValueError(f"not an interface language: {code}")
    with store.session() as s:
        s.execute(delete(SettingRow).where(SettingRow.key == FALLBACK_KEY))
        s.add(SettingRow(key=FALLBACK_KEY, value=code))
