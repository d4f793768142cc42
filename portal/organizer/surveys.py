"""The survey designer: list, create, edit, preview, publish, close; XLSForm in and out."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, gettext

from glas.languages import LANGUAGES
from surveys import SurveyDefinitionError, xlsform
from surveys.followups import FOLLOW_UP_ID
from surveys.languages import language_name
from surveys.model import localized
from surveys.xlsform.limits import MAX_ATTACHMENT_BYTES
from surveys.xlsform.writer import write_xlsform

from .. import current_store
from ..errors import StorageError
from ..storage import designer
from ..storage.languages import fallback_language
from . import bp
from .auth import confirm_first, record
from .drafts import (
    text_of,
    with_text,
)
from .forms import (
    QUESTION_KINDS,
    RULE_OPERATORS,
    FormUploadForm,
    NewSurveyForm,
    SettingsForm,
    UploadForm,
)
from .languages import completeness, incomplete_languages
from .rules import Labels, in_words

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/surveys")
def surveys() -> ResponseReturnValue:
    store = current_store()
    summaries = designer.survey_summaries(store)
    language = str(get_locale() or "en")
    titles = {}
    for summary in summaries:  # in the organizer's language, where the survey has it
        survey = store.latest_definition(summary.id)
        if survey is not None:
            titles[summary.id] = localized(survey, "title", language)
    return render_template(
        "organizer/surveys.html",
        surveys=summaries,
        titles=titles,
        follow_up_id=FOLLOW_UP_ID,
        fallback=fallback_language(current_store()),
        interface_languages=LANGUAGES.values(),
        new=NewSurveyForm(),
        upload=UploadForm(),
    )


@bp.post("/surveys")
def create_survey() -> ResponseReturnValue:
    form = NewSurveyForm()
    if not form.validate():
        return _form_problems(form, url_for(".surveys"))
    draft = {
        "id": form.id.data,
        "title": form.title.data,
        "kind": form.kind.data,
        "language": form.language.data or "en",
        "questions": [],
    }
    try:
        designer.create_survey(current_store(), draft)
    except StorageError as e:
        flash(str(e), "error")
        return redirect(url_for(".surveys"))
    record("created a survey", str(form.id.data))
    return redirect(url_for(".edit_survey", survey_id=form.id.data))


@bp.post("/surveys/import")
def import_xlsform() -> ResponseReturnValue:
    form = FormUploadForm()
    if not form.validate():
        return _form_problems(form, url_for(".surveys"))
    upload = form.file.data
    attached = {
        (f.filename or "file").rsplit("/", 1)[-1]: f.stream.read(MAX_ATTACHMENT_BYTES + 1)
        for f in form.attachments.data or []
        if getattr(f, "filename", "")
    }
    try:
        imported = xlsform.import_xlsform(
            upload.stream.read(), upload.filename or "form.xlsx", attached
        )
    except SurveyDefinitionError as e:
        return render_template("organizer/problems.html", problems=e.lines()), 422
    store = current_store()
    designer.keep_draft(store, imported.definition)
    survey_id = str(imported.definition["id"])
    record("imported an XLSForm", survey_id)
    if imported.warnings or imported.missing_files:  # read before publishing
        return render_template(
            "organizer/import_warnings.html",
            warnings=imported.warnings,
            survey_id=survey_id,
            missing=imported.missing_files,
            languages=[f"{language_name(code)} ({code})" for code in imported.languages],
        )
    flash(gettext("Imported. Check the preview, then publish."))
    return redirect(url_for(".edit_survey", survey_id=survey_id))


@bp.get("/surveys/<survey_id>")
def edit_survey(survey_id: str) -> ResponseReturnValue:
    store = current_store()
    row = designer.survey_row(store, survey_id)
    draft = designer.load_draft(store, survey_id)
    if row is None or draft is None:
        abort(404)
    settings = SettingsForm(data=_settings_data(draft))
    problems: list[str] = []
    empty = not draft.get("questions")
    try:
        designer.draft_survey(draft)
    except SurveyDefinitionError as e:
        problems = [line.removeprefix("draft: ").removeprefix("draft:") for line in e.lines()]
    if empty:  # a new survey is not an error: the page guides instead (and says why not yet)
        problems = [p for p in problems if "'questions'" not in p]
    done = completeness(draft)
    blockers = list(problems)
    if empty:
        blockers.insert(0, gettext("The survey has no question yet."))
    if not any(r.active for r in store.reviewers()):
        blockers.append(gettext("No reviewer key is registered: nobody could read the answers."))
    return render_template(
        "organizer/survey.html",
        kind_names={kind: str(name) for kind, name, _what in QUESTION_KINDS},
        rule_words=words_for(
            {
                str(q.get("name")): (
                    text_of(q.get("label"), draft.get("language", "en")),
                    {
                        str(c.get("name")): text_of(c.get("label"), draft.get("language", "en"))
                        for c in q.get("choices", [])
                        if isinstance(c, dict)
                    },
                )
                for q in draft.get("questions", [])
            }
        ),
        row=row,
        draft=draft,
        settings=settings,
        problems=problems,
        empty=empty,
        blockers=blockers,
        reviewers=store.reviewers(),
        chosen=designer.chosen_reviewers(store, survey_id),
        draft_language=draft.get("language", "en"),
        completeness=done,
        all_languages=LANGUAGES,
        incomplete=[LANGUAGES[code].name for code, (n, total) in done.items() if n < total],
    )


@bp.post("/surveys/<survey_id>/settings")
def save_settings(survey_id: str) -> ResponseReturnValue:
    draft = draft_or_404(survey_id)
    form = SettingsForm()
    if not form.validate():
        return _form_problems(form, url_for(".edit_survey", survey_id=survey_id))
    language = draft.get("language", "en")
    draft["title"] = with_text(draft.get("title"), form.title.data or "", language)
    description = with_text(draft.get("description"), form.description.data or "", language)
    values = {"description": description, "pages": form.pages.data, "replies": form.replies.data}
    for key, value in values.items():
        if value:
            draft[key] = value
        else:
            draft.pop(key, None)
    return save_and_return(survey_id, draft, "changed the settings of a survey")


@bp.post("/surveys/<survey_id>/reviewers")
def choose_reviewers(survey_id: str) -> ResponseReturnValue:
    draft_or_404(survey_id)
    chosen = {int(v) for v in request.form.getlist("reviewer") if v.isdigit()}
    store = current_store()
    known = {r.id for r in store.reviewers() if r.active}
    designer.choose_reviewers(store, survey_id, chosen & known)
    record("chose the reviewers of a survey", survey_id)
    flash(gettext("Saved."))
    return redirect(url_for(".edit_survey", survey_id=survey_id))


@bp.get("/surveys/<survey_id>/preview")
def preview(survey_id: str) -> ResponseReturnValue:
    draft = draft_or_404(survey_id)
    try:
        survey = designer.draft_survey(draft)
    except SurveyDefinitionError as e:
        return render_template("organizer/problems.html", problems=e.lines()), 422
    language = survey.language
    labels = {
        q.name: (localized(q, "label", language), {c.name: c.label for c in q.choices})
        for q in survey.questions
    }
    return render_template("organizer/preview.html", survey=survey, rule_words=words_for(labels))


@bp.post("/surveys/<survey_id>/publish")
def publish(survey_id: str) -> ResponseReturnValue:
    store = current_store()
    draft = designer.load_draft(store, survey_id)
    missing = incomplete_languages(draft) if draft is not None else []
    if missing and not request.form.get("incomplete_ok"):
        names = ", ".join(LANGUAGES[code].name for code in missing)
        flash(
            gettext(
                "Not published: the survey is not complete in %(languages)s. Respondents "
                "reading those languages would see its texts in the survey's own language. "
                "Translate them, or publish anyway.",
                languages=names,
            ),
            "error",
        )
        return redirect(url_for(".edit_survey", survey_id=survey_id) + "#publish")
    try:
        digest = designer.publish_draft(store, survey_id, g.organizer)
    except SurveyDefinitionError as e:
        return render_template("organizer/problems.html", problems=e.lines()), 422
    except StorageError as e:
        flash(str(e), "error")
        return redirect(url_for(".edit_survey", survey_id=survey_id))
    flash(gettext("Published. Respondents now answer version %(v)s.", v=digest[:12]))
    return redirect(url_for(".surveys"))


@bp.post("/surveys/<survey_id>/discard")
def discard(survey_id: str) -> ResponseReturnValue:
    asked = confirm_first(
        gettext("Discard every change since the last publication?"),
        gettext("The draft goes back to the published version. This cannot be undone."),
        gettext("Yes, discard the changes"),
        url_for(".edit_survey", survey_id=survey_id),
    )
    if asked is not None:
        return asked
    designer.discard_draft(current_store(), survey_id)
    record("discarded a draft", survey_id)
    return redirect(url_for(".surveys"))


@bp.post("/surveys/<survey_id>/close")
def close_survey(survey_id: str) -> ResponseReturnValue:
    return _close(survey_id, True)


@bp.post("/surveys/<survey_id>/reopen")
def reopen_survey(survey_id: str) -> ResponseReturnValue:
    return _close(survey_id, False)


def _close(survey_id: str, closing: bool) -> ResponseReturnValue:
    if closing:
        row = designer.survey_row(current_store(), survey_id)
        if row is None:
            abort(404)
        asked = confirm_first(
            gettext("Close the survey %(title)s?", title=row.title),
            gettext(
                "Respondents can no longer answer it; what they sent stays, and you can "
                "reopen it later."
            ),
            gettext("Yes, close it"),
            url_for(".surveys"),
        )
        if asked is not None:
            return asked
    try:
        designer.set_closed(current_store(), survey_id, closing)
    except StorageError:
        abort(404)
    record("closed a survey" if closing else "reopened a survey", survey_id)
    return redirect(url_for(".surveys"))


@bp.get("/surveys/<survey_id>/xlsform")
def export_xlsform(survey_id: str) -> ResponseReturnValue:
    store = current_store()
    draft = designer.load_draft(store, survey_id)
    if draft is None:
        abort(404)
    try:
        survey = designer.draft_survey(draft)
    except SurveyDefinitionError as e:
        return render_template("organizer/problems.html", problems=e.lines()), 422
    record("exported an XLSForm", survey_id)
    return send_file(
        BytesIO(write_xlsform(survey)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"{survey_id}.xlsx",
    )


def words_for(labels: Labels) -> Callable[[str], str]:
    """The template's ``rule_words``: a rule in the organizer's words ('' if not of the
    builder's shape)."""
    operators = {key: str(label) for key, label in RULE_OPERATORS}
    joins = {"and": gettext("and"), "or": gettext("or")}
    return lambda text: in_words(text or "", labels, operators, joins)


def draft_or_404(survey_id: str) -> dict[str, Any]:
    draft = designer.load_draft(current_store(), survey_id)
    if draft is None:
        abort(404)
    return draft


def save_and_return(
    survey_id: str, draft: dict[str, Any], action: str, detail: str = ""
) -> ResponseReturnValue:
    designer.save_draft(current_store(), survey_id, draft)
    record(action, f"{survey_id} {detail}".strip())
    return redirect(url_for(".edit_survey", survey_id=survey_id))


def _settings_data(draft: dict[str, Any]) -> dict[str, Any]:
    language = draft.get("language", "en")
    return {
        "title": text_of(draft.get("title"), language),
        "description": text_of(draft.get("description"), language),
        "pages": bool(draft.get("pages")),
        "replies": bool(draft.get("replies")),
    }


def _form_problems(form: Any, back: str) -> ResponseReturnValue:
    for field, errors in form.errors.items():
        for error in errors:
            flash(f"{getattr(form, field).label.text}: {error}", "error")
    return redirect(back)


@bp.record_once
def add_template_globals(state: BlueprintSetupState) -> None:
    """The preview renders questions with the respondents' own macro, which needs these."""
    from ..respondent.views import question_globals

    state.app.jinja_env.globals.update(question_globals())
