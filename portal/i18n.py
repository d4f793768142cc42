"""Languages: chosen with a plain link (no JavaScript), remembered in the session.

Tor Browser sends ``Accept-Language: en-US`` whatever its user reads, so the picker is on every
page and the choice is remembered; ``Accept-Language`` only decides the first page, and only
among languages that have a complete catalog.

Two languages are in play. The *text language* is the one the respondent chose: any language
of the portal's interface, or of a published survey (Arabic, Dari, Romani…). The *interface
language* is the catalog the page's buttons and messages come from: the text language when
the portal has it, else the fallback the organizers chose (English unless they chose another).
A survey's texts are shown in the text language, and the page's ``lang`` and ``dir`` follow
it (right to left for Arabic, Dari, Urdu, Hebrew…).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.dates import get_month_names
from flask import Flask, current_app, g, request, session
from flask_babel import Babel, get_locale, get_translations, refresh

from glas.languages import DEFAULT_LANGUAGE, LANGUAGES, Language
from surveys.languages import language_name, right_to_left
from surveys.messages import Message, SurveyText
from surveys.model import localized

SESSION_KEY = "lang"
#: The field a form's language buttons post (base.html): the page comes back with its answers.
LANGUAGE_FIELD = "glas_lang"


#: app.extensions key: what the app offers beyond its interface (see register_i18n).
OFFER_EXTENSION = "glas.languages"


def offered() -> tuple[dict[str, Language], str]:
    """The survey languages this app offers beyond the interface's, and the fallback interface
    language; asked once per request."""
    found = g.get("glas_offered")
    if found is None:
        provider = current_app.extensions.get(OFFER_EXTENSION)
        found = provider() if provider is not None else ({}, DEFAULT_LANGUAGE)
        g.glas_offered = found
    return found  # type: ignore[no-any-return]


def _known(code: object) -> bool:
    return code in LANGUAGES or code in offered()[0]


def text_language() -> str:
    """The language the respondent reads: chosen (?lang=), remembered, or her browser's.
    Decided once per request (a page of 150 repeat instances asks for it a thousand times)."""
    decided = g.get("glas_text_language")
    if decided is not None:
        return str(decided)
    chosen = request.args.get("lang")
    if _known(chosen):
        session[SESSION_KEY] = chosen
        found = str(chosen)
    elif _known(session.get(SESSION_KEY)):
        found = str(session[SESSION_KEY])
    else:
        found = request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE
    g.glas_text_language = found
    return found


def select_language() -> str:
    """The interface's catalog (Flask-Babel's locale): the text language when the portal has
    it, else the organizers' fallback."""
    code = text_language()
    return code if code in LANGUAGES else offered()[1]


def switch_language(code: str) -> None:
    """Use ``code`` from now on (this request's page included), if the portal offers it."""
    if _known(code):
        session[SESSION_KEY] = code
        g.glas_text_language = code
        g.pop("glas_translations", None)
        refresh()


def current_language() -> Language:
    """The interface language (its catalog)."""
    return LANGUAGES.get(str(get_locale()), LANGUAGES[DEFAULT_LANGUAGE])


def page_language() -> Language:
    """The language the page is in, for ``lang`` and ``dir``: the text language."""
    code = text_language()
    return LANGUAGES.get(code) or offered()[0].get(code) or current_language()


def survey_language(code: str) -> Language:
    """A survey language as the picker shows it: its own name, its direction."""
    return Language(code, language_name(code), "rtl" if right_to_left(code) else "ltr")


def translate(message: object) -> str:
    """Show a surveys.messages.Message (or any text) in the respondent's language."""
    if isinstance(message, SurveyText):
        return localized(message.item, message.field, text_language())
    if not isinstance(message, Message):
        return str(message)
    # As Flask-Babel's gettext and ngettext do, with this request's catalog looked up once.
    if message.plural is not None and message.count is not None:
        params = {k: v for k, v in message.params.items() if k != "num"}
        text = _translations().ungettext(message.template, message.plural, message.count)
        return str(text % {"num": message.count, **params})
    text = _translations().ugettext(message.template)
    return str(text % message.params) if message.params else str(text)


def month_names() -> list[str]:
    """The twelve month names in the page's language, as a month stands alone ("December")."""
    names = get_month_names("wide", context="stand-alone", locale=str(get_locale() or "en"))
    return [str(names[m]) for m in range(1, 13)]


def month_name(month: str) -> str:
    """ "YYYY-MM" as people say it in the page's language: "December 2026", "декември 2026"."""
    year, number = month.split("-")
    return f"{month_names()[int(number) - 1]} {year}"


def _translations() -> Any:
    """This request's catalog (forgotten when switch_language changes the language)."""
    found = g.get("glas_translations")
    if found is None:
        found = g.glas_translations = get_translations()
    return found


def register_i18n(
    app: Flask, offer: Callable[[], tuple[dict[str, Language], str]] | None = None
) -> None:
    """``offer``: the survey languages the app offers beyond the interface's (by code) and
    the fallback interface language; the respondent app reads them from the published
    surveys and the organizers' setting."""
    Babel(app, locale_selector=select_language)
    # Flask-Babel looks its catalog up anew for every string a template translates (a page of
    # 150 repeat instances: a quarter of its time); the same lookup, once per request.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    if offer is not None:
        app.extensions[OFFER_EXTENSION] = offer
    app.jinja_env.globals["translate"] = translate
    # A survey's own texts, in the respondent's language where the survey has them.
    app.jinja_env.globals["local"] = lambda item, field: localized(item, field, text_language())

    @app.context_processor
    def language_context() -> dict[str, Any]:
        extra = [lang for code, lang in offered()[0].items() if code not in LANGUAGES]
        return {
            "languages": [*LANGUAGES.values(), *extra],
            "language": page_language(),
        }
