"""Reading replies with a codename, and writing back under it.

Reading with JavaScript: the browser checks the codename, derives the keys
(static/js/glas-replies.js) and fetches boxed replies by login id; the codename never leaves
it, and the form cannot post before the scripts are ready. Without JavaScript the server
checks the typed codename (a typo is named by group, before any lookup) and derives the keys in
memory for that one request. A codename without replies gets the same page after the same work.
"""

from __future__ import annotations

import base64

from flask import jsonify, render_template, request
from flask.typing import ResponseReturnValue

from crypto import CryptoError
from crypto.codename import (
    LOGIN_ID,
    MAX_CODENAME_CHARACTERS,
    CodenameKeys,
    check,
    derive_all,
    groups_of,
    open_reply,
)
from surveys.followups import FOLLOW_UP_ID
from surveys.schema import REPLY_KEY

from .. import csrf, current_config, current_store
from ..i18n import month_name, month_names, text_language, translate
from ..security import allow_browser_crypto
from ..storage.replies import delete_reply, has_box, replies_for
from . import bp, work
from .codenames import codename_messages, codename_problem, reply_fields
from .followups import FollowUpRefused, send_follow_up
from .pace import TOO_FAST, take_send


@bp.get("/replies")
def replies_form() -> ResponseReturnValue:
    allow_browser_crypto()
    return _page(asked=False, replies=[], codename="")


@bp.post("/replies/fetch")
def fetch_replies() -> ResponseReturnValue:
    """The JavaScript path: boxed replies for a login id the browser derived itself."""
    csrf.protect()
    login_id = str((request.get_json(silent=True) or {}).get("login_id", ""))
    found = [
        {
            "id": reply_id,
            "from": reply.sender.to_line(),
            "sender": sender,
            "box": base64.b64encode(reply.box).decode("ascii"),
            "dated": reply.dated,
        }
        for reply_id, reply, sender in replies_for(current_store(), login_id)
    ]
    return jsonify(replies=found)


@bp.post("/replies/remove")
def remove_reply() -> ResponseReturnValue:
    csrf.protect()
    data = request.get_json(silent=True) or {}
    delete_reply(current_store(), str(data.get("login_id", "")), str(data.get("reply", "")))
    return jsonify(removed=True)


@bp.post("/replies")
def replies() -> ResponseReturnValue:
    csrf.protect()
    codename, keys = typed_codename(), _typed_keys()
    if keys is None:
        return _typo_page(codename)
    return _replies_page(codename, keys)


@bp.post("/replies/delete")
def delete() -> ResponseReturnValue:
    """Delete one read reply, then show the rest (the same page as reading)."""
    csrf.protect()
    codename, keys = typed_codename(), _typed_keys()
    if keys is None:
        return _typo_page(codename)
    delete_reply(current_store(), keys.login_id, request.form.get("reply", ""))
    return _replies_page(codename, keys)


@bp.post("/replies/write")
def write_back() -> ResponseReturnValue:
    """Without JavaScript: a follow-up under the codename typed (derived in memory only)."""
    csrf.protect()
    codename, keys = typed_codename(), _typed_keys()
    if keys is None:
        return _typo_page(codename)
    message = request.form.get("message", "")
    if not take_send():  # too many sends from this session: the message comes back, kept
        return _replies_page(
            codename, keys, write_problem=translate(TOO_FAST), message=message
        ), 429
    try:
        send_follow_up(
            current_store(), message, reply_fields(keys), keys=keys, language=text_language()
        )
    except FollowUpRefused as e:
        return _replies_page(
            codename, keys, write_problem=translate(e.reason), message=message
        ), 422
    return _replies_page(codename, keys, sent=True)


@bp.post("/replies/challenge")
def follow_up_challenge() -> ResponseReturnValue:
    """A proof-of-work challenge for a write-back, as an upload slot has (work.py)."""
    csrf.protect()
    bits = work.current_bits()
    response = jsonify(challenge=work.new_challenge(bits), bits=bits)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/replies/write.json")
def write_back_from_browser() -> ResponseReturnValue:
    """With JavaScript: the login id and public key the browser derived (never the codename),
    and a solved proof of work: a write-back costs a flooder what an upload slot does."""
    csrf.protect()
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    try:
        work.check(data.get("challenge"), data.get("work"), current_config().upload_work_bits)
    except work.WorkRefused as e:
        return jsonify(error=str(e)), 403
    login_id, reply_key = str(data.get("login_id", "")), str(data.get("reply_key", ""))
    if LOGIN_ID.fullmatch(login_id) is None or REPLY_KEY.fullmatch(reply_key) is None:
        return jsonify(error="bad request"), 400
    proof = data.get("reply_proof")
    try:
        send_follow_up(
            current_store(),
            str(data.get("message", "")),
            {"reply_key": reply_key, "reply_login": login_id},
            proof=proof if isinstance(proof, dict) else None,
            language=text_language(),
        )
    except FollowUpRefused as e:
        return jsonify(error=translate(e.reason)), 422
    return jsonify(sent=True)


def _replies_page(codename: str, keys: CodenameKeys, **extra: object) -> str:
    shown = []
    for reply_id, reply, sender in replies_for(current_store(), keys.login_id):
        try:
            opened = open_reply(reply, keys)
        except CryptoError:
            continue
        month = month_name(opened.month) if opened.month else ""
        shown.append({"id": reply_id, "text": opened.text, "sender": sender, "month": month,
                      "sort": opened.month or ""})  # fmt: skip
    # Newest first: the month is inside each box (the server keeps no date).
    shown.sort(key=lambda reply: str(reply["sort"]), reverse=True)
    allow_browser_crypto()
    return _page(asked=True, replies=shown, codename=codename, **extra)


def _typed_keys() -> CodenameKeys | None:
    """The keys of the codename the form sent, derived only if it passes its check: of the
    newest version whose box exists (a codename passes the checks of two versions 1 time in
    100,000; then the older derivation is tried too), else of the newest."""
    codename = typed_codename()
    found = derive_all(codename) if check(codename).ok else []
    for keys in found[:-1]:
        if has_box(current_store(), keys.login_id):
            return keys
    return found[-1] if found else None


def _typo_page(codename: str) -> ResponseReturnValue:
    allow_browser_crypto()
    problem = codename_problem(check(codename))
    return _page(asked=False, replies=[], codename=codename, problem=problem), 422


def _page(**context: object) -> str:
    # The follow-up's reviewers: the page's script proves the codename to each of them.
    recipients = [key.to_line() for key in current_store().recipients(FOLLOW_UP_ID)]
    codename = str(context.get("codename", ""))
    return render_template(
        "respondent/replies.html",
        codename_messages=codename_messages(),
        recipients=recipients,
        month_names=month_names(),
        codename_groups=groups_of(codename) if codename else [],
        **context,
    )


def typed_codename() -> str:
    """The codename the form sent: its five fields (or one, pasted whole) joined."""
    return " ".join(request.form.getlist("codename"))[:MAX_CODENAME_CHARACTERS]
