"""The JavaScript path: what the page's script fetches, the resumable upload API, and storing a
submission the browser sealed itself.

The server never sees plaintext here. It hands out a submission id to bind the ciphertext to,
takes attachment payloads as numbered ciphertext chunks (:mod:`portal.storage.uploads`), and on
the final form post checks what it can check without the key: the upload belongs to this survey
version, there is one key slot per current reviewer key, and every payload has the shape of a
whole secretstream. The reviewer's tools check the rest (tags, answers against the rules).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from flask import abort, current_app, g, jsonify, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from crypto.bundle import SubmissionRecord
from crypto.envelope import SEALED_KEY_SIZE, KeySlot, is_answers_size, size_bucket
from surveys import answers as rules
from surveys.expressions import choice_values
from surveys.messages import Message, SurveyText
from surveys.model import Question, Survey

from .. import csrf, current_config, current_store
from ..errors import UploadError, UploadIncomplete, render_error
from ..i18n import translate
from ..security import allow_browser_crypto
from ..storage import PublishedSurvey, today
from ..storage.uploads import UPLOAD_CHUNK_SIZE
from . import bp, work

CLIENT_FORMAT = "glas-client-1"
#: The form field that carries a browser-sealed submission (nothing else is posted with it).
ENVELOPE_FIELD = "glas_envelope"
#: libsodium for survey pages, and its "sumo" build (with Argon2id) for reading replies.
SODIUM_BUNDLES = frozenset({"sodium.js", "sodium-sumo.js"})
#: The bundle's address changes with its content, so a cached copy can be kept for long.
SODIUM_MAX_AGE = 365 * 24 * 3600
KEY_ID = re.compile(r"^[0-9a-f]{40}$")


@bp.get("/static/js/vendor/<name>")
def sodium_bundle(name: str) -> ResponseReturnValue:
    """libsodium for the worker, gzipped when the browser accepts it (1 MB becomes 322 KB)."""
    if name not in SODIUM_BUNDLES:
        abort(404)
    static = Path(current_app.static_folder or "")
    plain = static / "js" / "vendor" / name
    zipped = plain.with_name(plain.name + ".gz")
    use_gzip = request.accept_encodings["gzip"] > 0 and zipped.is_file()
    if not plain.is_file():
        abort(404)
    response = send_file(
        zipped if use_gzip else plain,
        mimetype="text/javascript",
        conditional=True,
        etag=True,
        max_age=SODIUM_MAX_AGE,
    )
    if use_gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    allow_browser_crypto()
    return response


def sodium_url(name: str = "sodium.js") -> str:
    """A bundle's address, versioned by its content so browsers may cache it for long; empty
    when it was never built (then pages stay on the no-JavaScript path)."""
    path = Path(current_app.static_folder or "") / "js" / "vendor" / name
    try:
        stat = path.stat()
    except FileNotFoundError:
        return ""
    version = _content_version(path, stat.st_mtime_ns)
    return url_for("respondent.sodium_bundle", name=name, v=version)


@functools.cache
def _content_version(path: Path, mtime_ns: int) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "blake2b").hexdigest()[:16]


@bp.get("/s/<survey_id>/v/<version>.json")
def client_definition(survey_id: str, version: str) -> ResponseReturnValue:
    """What the script needs to build and seal the answers document like the server does."""
    published = _published_version(survey_id, version)
    store = current_store()
    body = {
        "format": CLIENT_FORMAT,
        "survey": survey_id,
        "version": version,
        "recipients": [key.to_line() for key in store.recipients(survey_id)],
        "questions": [_rules(published.survey, q) for q in published.survey.answerable_questions],
        # The skip logic walk, as the page runs it (the page carries the same).
        "walk": published.survey.browser_walk,
    }
    response = jsonify(body)
    # Reviewer keys can change without a new version: revalidate, but cheaply (ETag).
    response.add_etag()
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.post("/s/<survey_id>/uploads/challenge")
def upload_challenge(survey_id: str) -> ResponseReturnValue:
    """A proof-of-work challenge for the page's worker to solve before it asks for an upload."""
    _published_or_404(survey_id)
    csrf.protect()
    bits = work.current_bits()
    response = jsonify(challenge=work.new_challenge(bits), bits=bits)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/s/<survey_id>/uploads")
def create_upload(survey_id: str) -> ResponseReturnValue:
    published = _published_or_404(survey_id)
    csrf.protect()
    if not current_store().recipients(survey_id):
        abort(503)
    asked = request.get_json(silent=True)
    asked = asked if isinstance(asked, dict) else {}
    try:
        work.check(asked.get("challenge"), asked.get("proof"), current_config().upload_work_bits)
    except work.WorkRefused as e:
        return jsonify(error=str(e)), 403
    # The page says how many ciphertext bytes it will send; that much is reserved.
    announced = asked.get("bytes")
    reserve = announced if type(announced) is int and announced >= 0 else None
    # The page makes a testimony's codename itself: nothing of it reaches the server.
    upload = current_store().uploads.create(survey_id, published.version, reserve)
    body: dict[str, object] = {
        "upload": upload.token,
        "submission_id": upload.submission_id,
        "version": upload.version,
        "chunk_size": UPLOAD_CHUNK_SIZE,
        "url": url_for(".create_upload", survey_id=survey_id) + "/" + upload.token,
    }
    return jsonify(body), 201


@bp.put("/s/<survey_id>/uploads/<token>/<part>/<int:index>")
def put_chunk(survey_id: str, token: str, part: str, index: int) -> ResponseReturnValue:
    csrf.protect()
    store = current_store()
    upload = store.uploads.open(token)
    if upload.survey_id != survey_id:
        abort(404)
    if request.content_length is None:
        abort(411)
    stored = store.uploads.put_chunk(upload, part, index, request.stream, request.content_length)
    return jsonify(stored=stored), 201 if stored else 200


@bp.post("/s/<survey_id>/uploads/<token>/<part>/finish")
def finish_part(survey_id: str, token: str, part: str) -> ResponseReturnValue:
    csrf.protect()
    store = current_store()
    upload = store.uploads.open(token)
    if upload.survey_id != survey_id:
        abort(404)
    count = (request.get_json(silent=True) or {}).get("chunks")
    if type(count) is not int:
        raise UploadIncomplete('Say how many chunks were sent: {"chunks": n}.')
    return jsonify(size=store.uploads.finish(upload, part, count))


def store_sealed_in_browser(
    published: PublishedSurvey, envelope_text: str
) -> ResponseReturnValue | None:
    """Store a submission the browser sealed; return an error page, or None when stored."""
    store = current_store()
    try:
        envelope = json.loads(envelope_text)
        upload = store.uploads.open(str(envelope["upload"]))
        slots = [_slot(s) for s in envelope["slots"]]
        answers = base64.b64decode(envelope["answers"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError, UploadError):
        return _refused(400)
    if upload.survey_id != published.survey.id or upload.version != published.version:
        return _refused(409)
    expected = {key.key_id for key in store.recipients(published.survey.id)}
    if {s.key_id for s in slots} != expected or len(slots) != len(expected):
        return _refused(409)
    if not is_answers_size(len(answers)):
        return _refused(400)
    with store.uploads.locked(upload):
        parts = store.uploads.parts_of(upload)
        if parts is None:
            return _refused(400)
        size = len(answers) + sum(n for _, n in parts)
        record = SubmissionRecord(
            submission_id=upload.submission_id,
            survey_id=upload.survey_id,
            version=upload.version,
            received=today().isoformat(),
            size_bucket=size_bucket(size),
            slots=slots,
            answers=answers,
            parts=[p for p, _ in parts],
        )
        store.save_uploaded(record, upload)
    store.uploads.discard(upload)
    return None


def client_messages(question: Question) -> Markup:
    """The messages the script may show for this question, in the respondent's language, as
    the JSON of an HTML attribute: worked out once a request per question, however many
    instances of a repeat draw it."""
    made: dict[int, Markup] = g.setdefault("glas_client_messages", {})
    found = made.get(id(question))
    if found is None:
        found = made[id(question)] = htmlsafe_json_dumps(_client_messages(question))
    return found


def _client_messages(question: Question) -> dict[str, str]:
    messages: dict[str, Message | SurveyText] = {
        "required": Message(rules.ATTACH_FILE if question.type == "file" else rules.NEEDS_ANSWER),
        "characters": Message(rules.CHARACTERS),
    }
    if question.required_message:
        messages["required"] = SurveyText(question, "required_message")
    if question.choice_filter:
        messages["offered"] = Message(rules.NOT_OFFERED)
    if question.constraint:
        messages["constraint"] = (
            SurveyText(question, "constraint_message")
            if question.constraint_message
            else Message(rules.NOT_ALLOWED)
        )
    if question.type == "integer":
        messages["integer"] = Message(rules.WHOLE_NUMBER)
    if question.type == "decimal":
        messages["decimal"] = Message(rules.NUMBER)
    if question.type == "date":
        messages["date"] = Message(rules.DATE)
    if question.type == "month":
        messages["month"] = Message(rules.MONTH_NEEDED)
    if question.type == "time":
        messages["time"] = Message(rules.TIME_NEEDED)
    if question.type == "datetime":
        messages["datetime"] = Message(rules.DATETIME_NEEDED)
    low, high, key = {
        "date": (rules.DATE_AFTER, rules.DATE_BEFORE, "day"),
        "month": (rules.MONTH_AFTER, rules.MONTH_BEFORE, "month"),
    }.get(question.type, (rules.NUMBER_AT_LEAST, rules.NUMBER_AT_MOST, "n"))
    if question.minimum is not None:
        messages["minimum"] = Message(low, {key: question.minimum})
    if question.maximum is not None:
        messages["maximum"] = Message(high, {key: question.maximum})
    if question.min_length is not None:
        messages["min_length"] = Message.counted(rules.AT_LEAST_CHARACTERS, question.min_length)
    if question.type in ("text", "textarea"):
        limit = question.effective_max_length
        messages["max_length"] = Message.counted(rules.AT_MOST_CHARACTERS, limit)
    if question.type == "file":
        limit = question.effective_max_files
        messages["max_files"] = Message.counted(rules.AT_MOST_FILES, limit)
        messages["accept"] = Message(rules.FILE_KINDS, {"kinds": ", ".join(question.accept)})
    return {name: translate(message) for name, message in messages.items()}


def _rules(survey: Survey, question: Question) -> dict[str, Any]:
    """One question as the script validates it: the same rules as surveys.answers."""
    return {
        "name": question.name,
        "type": question.type,
        "required": question.required,
        "choices": [c.name for c in question.choices],
        "minimum": question.minimum,
        "maximum": question.maximum,
        "min_length": question.min_length,
        "max_length": question.effective_max_length,
        "max_files": question.effective_max_files,
        "accept": list(question.accept),
        "relevant": survey.relevance[question.name],
        "constraint": question.constraint_tree,
        **_choice_filter(question),
        **({"calculation": survey.calculations[question.name]} if question.calculation else {}),
        **(
            {"repeat": survey.repeat_of[question.name]} if question.name in survey.repeat_of else {}
        ),
    }


def _choice_filter(question: Question) -> dict[str, Any]:
    """A cascading select's filter and every choice's columns, as the script evaluates them."""
    if question.choice_filter_tree is None:
        return {}
    return {
        "choice_filter": question.choice_filter_tree,
        "columns": {c.name: choice_values(c.name, c.columns) for c in question.choices},
    }


def _slot(data: Any) -> KeySlot:
    key_id, sealed = str(data["key_id"]), base64.b64decode(data["sealed_key"], validate=True)
    if not KEY_ID.match(key_id) or len(sealed) != SEALED_KEY_SIZE:
        raise ValueError("malformed key slot")
    return KeySlot(key_id, sealed)


def _refused(code: int) -> ResponseReturnValue:
    if code == 409:
        title = gettext("The survey or its reviewers changed while you were answering.")
    else:
        title = gettext("What your browser sent could not be read.")
    return render_error(code, str(title), str(gettext("Please reload the page and answer again.")))


def _published_or_404(survey_id: str) -> PublishedSurvey:
    published = current_store().published(survey_id)
    if published is None:
        abort(404)
    return published


def _published_version(survey_id: str, version: str) -> PublishedSurvey:
    published = _published_or_404(survey_id)
    if published.version != version:
        abort(404)
    return published
