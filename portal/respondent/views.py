"""Landing page, survey forms and the no-JavaScript submission path."""

from __future__ import annotations

from typing import Any

from flask import abort, g, make_response, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from crypto.bundle import SubmissionRecord
from crypto.codename import groups_of
from crypto.envelope import Binding, Sealer, file_part, new_submission_id, size_bucket
from surveys.answers import (
    FileInfo,
    answers_document,
    check_document_size,
    form_walk,
    validate_answers,
)
from surveys.expressions import choice_values, references
from surveys.filetypes import UNKNOWN_TYPE, sniff
from surveys.logic import form_values, next_page
from surveys.messages import N_, Message
from surveys.model import MAX_INSTANCES, MAX_REPEATS, Question, Survey
from surveys.repeats import Walk, key_of, split_key

from .. import csrf, current_config, current_store
from ..i18n import LANGUAGE_FIELD, switch_language, text_language
from ..sealing import EncryptingFile, SealedUpload, SealingRequest
from ..storage import PublishedSurvey, today
from . import bp
from .browser import ENVELOPE_FIELD, client_messages, sodium_url, store_sealed_in_browser
from .codenames import (
    forget_codename,
    issue_codename,
    pending_codename,
    remember_codename,
    reply_fields,
)
from .instances import SHOWN_FIELD, change_instances, newly_asked
from .pace import TOO_FAST, take_send
from .pages import (
    NAV_FIELD,
    current_page,
    instance_layout,
    month_options,
    new_groups,
    page_of,
    render_survey,
    requested_move,
)

MAX_FILENAME = 255
#: A field people never see (hidden by CSS, skipped by keyboard and screen readers). Form-filling
#: bots do fill it: they get the thank-you page, and nothing is stored.
HONEYPOT = "website"
LOOK_AGAIN = N_("Your answers above brought up this question. Please answer it if it applies.")


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("respondent/index.html", surveys=current_store().published_surveys())


@bp.get("/protection")
def protection() -> ResponseReturnValue:
    """What the short notice above each form links to: how answers are protected, in full."""
    return render_template("respondent/protection.html")


@bp.get("/s/<survey_id>")
def survey(survey_id: str) -> ResponseReturnValue:
    published = _published_or_404(survey_id)
    return render_survey(published, {}, {})


@bp.record_once
def add_template_globals(state: BlueprintSetupState) -> None:
    # Globals, not context: the question macro is imported without the page's context.
    state.app.jinja_env.globals.update(sodium_url=sodium_url, **question_globals())


def question_globals() -> dict[str, Any]:
    """What the question macro calls, for the respondents' pages and the organizers' preview."""
    return {
        "client_messages": client_messages,
        "new_groups": new_groups,
        "instance_layout": instance_layout,
        "month_options": month_options,
        "offered": offered,
        "choice_values": choice_values,
        "max_repeats": MAX_REPEATS,
        "max_instances": MAX_INSTANCES,
        "key_of": key_of,
    }


def offered(question: Question, values: dict[str, list[str]], key: str = "") -> set[str]:
    """The choices a cascading select offers given the answers on earlier pages (all of them
    for any other question): the others are in the page, hidden, for the script to show.
    In a repeat's instance (``key`` is "name#n") its filter reads that instance's answers; one
    it reads that is not given yet offers every choice (the page cannot wait for it: the
    answer is checked when the page is sent)."""
    tree = question.choice_filter_tree
    if tree is None:
        return {c.name for c in question.choices}
    found = g.get("glas_walk")  # the request's walk: its values, read once
    given = dict(found.given) if found is not None else form_values(values)
    _, _, index = key.partition("#")
    if index:
        suffix = "#" + index
        if any(r not in given and r + suffix not in given for r in references(tree)):
            return {c.name for c in question.choices}
        given.update({k.removesuffix(suffix): v for k, v in given.items() if k.endswith(suffix)})
        given["#"] = index
    return {c.name for c in question.choices_for(given)}


def _turn_page(
    published: PublishedSurvey, values: dict[str, list[str]], found: Walk, move: int
) -> ResponseReturnValue:
    """Next or Back without JavaScript: check this page's answers, then show the nearest page
    that asks anything given the answers so far."""
    survey = published.survey
    page = current_page(survey)
    if move > 0:
        brought_up = _brought_up(published, values, found)
        if brought_up is not None:
            return brought_up
        names = {q.name for q in survey.pages[page]}
        validated = validate_answers(survey, values, None, only=names, found=found)
        if not validated.ok:
            return render_survey(published, values, validated.errors, page, found), 422
    target = next_page(survey, page, found.asked, move)
    return render_survey(published, values, {}, page if target is None else target, found)


def _brought_up(
    published: PublishedSurvey, values: dict[str, list[str]], found: Walk
) -> ResponseReturnValue | None:
    """Without JavaScript, an answer in a repeat's instance can bring up a question of the same
    instance the page did not show: the page comes back with it shown and marked, once."""
    if SHOWN_FIELD not in values:
        return None
    survey = published.survey
    brought = newly_asked(survey, current_page(survey), values, found)
    if not brought:
        return None
    errors = {key: Message(LOOK_AGAIN) for key in brought}
    return render_survey(published, values, errors, current_page(survey), found), 422


@bp.post("/s/<survey_id>")
def submit(survey_id: str) -> ResponseReturnValue:
    """Seal and store one submission; files are encrypted while they stream in. The survey is
    walked once for the request (surveys.answers.form_walk): page turns, follow-ups brought
    up, validation and the page drawn again all read that walk."""
    published = _published_or_404(survey_id)
    store = current_store()
    recipients = store.recipients(survey_id)
    if not recipients:
        abort(503)
    binding = Binding(survey_id, published.version, new_submission_id())
    sealer = Sealer(binding, recipients)
    upload = SealedUpload(sealer, store.blobs.new_incoming(), current_config().max_files)
    assert isinstance(request, SealingRequest)
    request.sealed_upload = upload
    stored = False
    issued = None
    try:
        # Parsing the form: from here on every file part is ciphertext on disk.
        if any(not isinstance(name, str) for name in (*request.form, *request.files)):
            abort(400)  # a part without a usable name (found by tests/test_request_fuzz.py)
        csrf.protect()
        if request.form.get(HONEYPOT):
            return redirect(url_for(".thanks", survey_id=survey_id), code=303)
        survey = published.survey
        values = request.form.to_dict(flat=False)
        chosen = request.form.get(LANGUAGE_FIELD)
        if chosen is not None:
            # Another language, without JavaScript: the page comes back with every answer.
            switch_language(chosen)
            return render_survey(published, values, {}, current_page(survey))
        nav = request.form.get(NAV_FIELD, "")
        if nav.startswith(("add:", "remove:")):
            if not change_instances(survey, values, nav):
                abort(400)
            return render_survey(published, values, {}, current_page(survey))
        if ENVELOPE_FIELD in request.form:
            refused = store_sealed_in_browser(published, request.form[ENVELOPE_FIELD])
            if refused is not None:
                return refused
            # The page made this testimony's codename; an older one the server made and the
            # respondent never confirmed must not be shown in its place.
            return forget_codename(redirect(url_for(".thanks", survey_id=survey_id), code=303))
        kept, infos = _attachments(published, upload)
        found = form_walk(survey, values, infos)
        move = requested_move()
        if survey.multipage and move:
            return _turn_page(published, values, found, move)
        brought_up = _brought_up(published, values, found)
        if brought_up is not None:
            return brought_up
        validated = validate_answers(survey, values, infos, found=found)
        if not validated.ok:
            page = page_of(survey, next(iter(validated.errors)))
            return render_survey(published, values, validated.errors, page, found), 422
        if not take_send():
            # Too many sends from this session too fast: the answers come back, kept.
            page = current_page(survey)
            return render_survey(published, values, {}, page, found, notice=TOO_FAST), 429
        # Files of skipped questions are dropped like their answers.
        listed = {info.part for infos in validated.files.values() for info in infos}
        kept = [part for part in kept if part.index in listed]
        for part in upload.parts:
            if part in kept:
                part.finish()
            else:
                part.path.unlink(missing_ok=True)
        document = answers_document(survey_id, published.version, validated, text_language())
        check_document_size(document)
        issued = issue_codename(survey)
        if issued is not None:
            document.update(reply_fields(issued[1]))
        answers = sealer.seal_answers(document)
        size = len(answers) + sum(p.ciphertext_size for p in kept)
        record = SubmissionRecord(
            submission_id=binding.submission_id,
            survey_id=survey_id,
            version=published.version,
            received=today().isoformat(),
            size_bucket=size_bucket(size),
            slots=sealer.slots,
            answers=answers,
            parts=[file_part(p.index) for p in kept],
        )
        store.save_submission(record, upload.incoming if kept else None)
        stored = bool(kept)
    finally:
        try:
            upload.close()
        finally:
            if not stored:
                store.blobs.discard(upload.incoming)
    response = redirect(url_for(".thanks", survey_id=survey_id), code=303)
    if issued is not None:
        remember_codename(response, survey_id, issued[0])
    return response


@bp.get("/s/<survey_id>/thanks")
def thanks(survey_id: str) -> ResponseReturnValue:
    """The thanks page; with a codename made here, shown on every reload until confirmed."""
    return _thanks_page(_published_or_404(survey_id), pending_codename(survey_id))


@bp.post("/s/<survey_id>/thanks")
def confirm_codename(survey_id: str) -> ResponseReturnValue:
    """She has written the codename down: forget it (a box left unticked shows it again)."""
    published = _published_or_404(survey_id)
    csrf.protect()
    codename = pending_codename(survey_id)
    if codename is not None and not request.form.get("written"):
        return _thanks_page(published, codename, 422, unconfirmed=True)
    return forget_codename(_thanks_page(published, None, confirmed=True))


def _thanks_page(
    published: PublishedSurvey, codename: str | None, status: int = 200, **context: object
) -> Response:
    """The thanks page, never cached: it may show a codename."""
    page = render_template(
        "respondent/thanks.html",
        published=published,
        codename=codename,
        groups=groups_of(codename) if codename else [],
        **context,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _published_or_404(survey_id: str) -> PublishedSurvey:
    published = current_store().published(survey_id)
    if published is None:
        abort(404)
    return published


def _attachments(
    published: PublishedSurvey, upload: SealedUpload
) -> tuple[list[EncryptingFile], dict[str, list[FileInfo]]]:
    """Match sealed parts to file questions; drop empty inputs and files for no question."""
    if any(not part.complete for part in upload.parts):
        abort(400)  # the form was cut off mid-file
    survey = published.survey
    kept: list[EncryptingFile] = []
    infos: dict[str, list[FileInfo]] = {}
    for name, storage in request.files.items(multi=True):
        part = storage.stream
        assert isinstance(part, EncryptingFile)
        if not _file_field(survey, name) or (not storage.filename and part.plaintext_size == 0):
            continue
        kept.append(part)
        infos.setdefault(name, []).append(_file_info(storage, part))
    return kept, infos


def _file_field(survey: Survey, field: str) -> bool:
    """Whether a form field is a file question's (in a repeat: "name#n" of an instance)."""
    split = split_key(field)
    question = survey.by_name.get(split[0]) if split else None
    if split is None or question is None or question.type != "file":
        return False
    return len(split[1]) == len(survey.repeat_chain[question.name])


def _file_info(storage: FileStorage, part: EncryptingFile) -> FileInfo:
    """Describe a file by what its bytes are: the declared type is the sender's word only."""
    name = (storage.filename or "attachment")[:MAX_FILENAME]
    kind = sniff(part.head)
    mime = kind.mime if kind else UNKNOWN_TYPE
    return FileInfo(name=name, type=mime, size=part.plaintext_size, part=part.index)
