"""The designer's translations: every text of a draft in the survey's language beside another
language, how complete each language is, and a warning before publishing an incomplete one.

Respondents read Macedonian, Albanian or a Cyrillic language, and a survey shown in English to
them is a survey they cannot answer. The portal offers the interface languages of portal/i18n;
a survey text missing in one of them falls back to the survey's own language, string by string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from glas.languages import LANGUAGES
from surveys.model import QUESTION_TEXTS

from .. import current_store
from ..storage import designer
from ..storage.languages import set_fallback_language
from . import bp
from .auth import record
from .drafts import text_of

MAX_TEXT = 20_000


@dataclass(frozen=True)
class Slot:
    """One translatable text of a draft: where it is, what it is, its text in the survey's
    own language and in the language being edited."""

    key: str
    what: str
    source: str
    text: str


def _places(draft: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str]]:
    """(key, description, holder, field) for every text that has a source text."""
    found: list[tuple[str, str, dict[str, Any], str]] = []
    for field in ("title", "description"):
        found.append((field, field.capitalize(), draft, field))
    for g, group in enumerate(draft.get("groups", [])):
        found.append((f"g{g}.label", f"Group {group.get('name')}: label", group, "label"))
    for q, question in enumerate(draft.get("questions", [])):
        for field in QUESTION_TEXTS:
            found.append(
                (
                    f"q{q}.{field}",
                    f"{question.get('name')}: {field.replace('_', ' ')}",
                    question,
                    field,
                )
            )
        for c, choice in enumerate(question.get("choices", [])):
            what = f"{question.get('name')}: choice {choice.get('name')}"
            found.append((f"q{q}.c{c}", what, choice, "label"))
    language = draft.get("language", "en")
    return [p for p in found if text_of(p[2].get(p[3]), language).strip()]


def translated(value: Any, language: str) -> str:
    """The text of ``value`` in ``language`` only (a plain string is the survey's language)."""
    return str(value.get(language) or "") if isinstance(value, dict) else ""


def slots(draft: dict[str, Any], language: str) -> list[Slot]:
    source = draft.get("language", "en")
    return [
        Slot(key, what, text_of(holder.get(field), source), translated(holder.get(field), language))
        for key, what, holder, field in _places(draft)
    ]


def completeness(draft: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """For each portal language other than the survey's own: (texts translated, texts)."""
    source = draft.get("language", "en")
    places = _places(draft)
    return {
        code: (
            sum(1 for _, _, holder, field in places if translated(holder.get(field), code).strip()),
            len(places),
        )
        for code in LANGUAGES
        if code != source
    }


def incomplete_languages(draft: dict[str, Any]) -> list[str]:
    """The portal languages the draft does not have every text in."""
    return [code for code, (done, total) in completeness(draft).items() if done < total]


def apply(draft: dict[str, Any], language: str, values: dict[str, str]) -> None:
    """Set the texts of ``language`` from the form; an empty field removes that translation."""
    source = draft.get("language", "en")
    for key, _, holder, field in _places(draft):
        if key not in values:
            continue
        text = values[key].strip()[:MAX_TEXT]
        old = holder.get(field)
        texts = dict(old) if isinstance(old, dict) else {source: str(old)}
        if text:
            texts[language] = text
        else:
            texts.pop(language, None)
        holder[field] = texts if len(texts) > 1 else texts[source]


@bp.route("/surveys/<survey_id>/translations/<language>", methods=["GET", "POST"])
def translations(survey_id: str, language: str) -> ResponseReturnValue:
    """Every text of the draft in its own language beside ``language``, to edit."""
    store = current_store()
    draft = designer.load_draft(store, survey_id)
    row = designer.survey_row(store, survey_id)
    if draft is None or row is None or language not in LANGUAGES:
        abort(404)
    if language == draft.get("language", "en"):
        return redirect(url_for(".edit_survey", survey_id=survey_id))
    if request.method == "POST":
        apply(draft, language, {k: v for k, v in request.form.items() if k != "csrf_token"})
        designer.save_draft(store, survey_id, draft)
        record("translated a survey", f"{survey_id} {language}")
        flash(gettext("Translations saved."))
        return redirect(url_for(".translations", survey_id=survey_id, language=language))
    done, total = completeness(draft)[language]
    return render_template(
        "organizer/translations.html",
        row=row,
        target=LANGUAGES[language],
        source=LANGUAGES.get(draft.get("language", "en")),
        source_code=draft.get("language", "en"),
        slots=slots(draft, language),
        done=done,
        total=total,
    )


@bp.post("/languages/fallback")
def save_fallback_language() -> ResponseReturnValue:
    """The interface language respondents get with a survey language the portal lacks."""
    code = request.form.get("fallback", "")
    if code not in LANGUAGES:
        abort(400)
    set_fallback_language(current_store(), code)
    record("chose the fallback interface language", code)
    flash(
        gettext(
            "Saved. Respondents reading a survey in a language the portal's interface does not "
            "have see its buttons and messages in %(language)s.",
            language=LANGUAGES[code].name,
        )
    )
    return redirect(url_for(".surveys"))
