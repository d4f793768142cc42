"""Languages of the interface: chosen with a plain link (no JavaScript), remembered in the session.

Tor Browser sends ``Accept-Language: en-US`` whatever its user reads, so the picker is on every
page and the choice is remembered; ``Accept-Language`` only decides the first page, and only
among languages that have a complete catalog.
"""

from __future__ import annotations

from typing import Any

from babel.dates import get_month_names
from flask import Flask, request, session
from flask_babel import Babel, get_locale, gettext, ngettext, refresh

from glas.languages import DEFAULT_LANGUAGE, LANGUAGES, Language
from surveys.messages import Message, SurveyText
from surveys.model import localized

SESSION_KEY = "lang"
#: The field a form's language buttons post (base.html): the page comes back with its answers.
LANGUAGE_FIELD = "glas_lang"


def select_language() -> str:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session[SESSION_KEY] = chosen
        return chosen
    remembered = session.get(SESSION_KEY)
    if remembered in LANGUAGES:
        return str(remembered)
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def switch_language(code: str) -> None:
    """Use ``code`` from now on (this request's page included), if the portal has it."""
    if code in LANGUAGES:
        session[SESSION_KEY] = code
        refresh()


def current_language() -> Language:
    return LANGUAGES.get(str(get_locale()), LANGUAGES[DEFAULT_LANGUAGE])


def translate(message: object) -> str:
    """Show a surveys.messages.Message (or any text) in the respondent's language."""
    if isinstance(message, SurveyText):
        return localized(message.item, message.field, current_language().code)
    if not isinstance(message, Message):
        return str(message)
    if message.plural is not None and message.count is not None:
        params = {k: v for k, v in message.params.items() if k != "num"}  # ngettext adds it
        return str(ngettext(message.template, message.plural, message.count, **params))
    return str(gettext(message.template, **message.params))


def month_names() -> list[str]:
    """The twelve month names in the page's language, as a month stands alone ("December")."""
    names = get_month_names("wide", context="stand-alone", locale=str(get_locale() or "en"))
    return [str(names[m]) for m in range(1, 13)]


def month_name(month: str) -> str:
    """ "YYYY-MM" as people say it in the page's language: "December 2026", "декември 2026"."""
    year, number = month.split("-")
    return f"{month_names()[int(number) - 1]} {year}"


def register_i18n(app: Flask) -> None:
    Babel(app, locale_selector=select_language)
    app.jinja_env.globals["translate"] = translate
    # A survey's own texts, in the respondent's language where the survey has them.
    app.jinja_env.globals["local"] = lambda item, field: localized(
        item, field, current_language().code
    )

    @app.context_processor
    def language_context() -> dict[str, Any]:
        return {"languages": list(LANGUAGES.values()), "language": current_language()}
