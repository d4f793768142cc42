"""Codenames for respondents, and reading replies with one.

With JavaScript the survey page makes the codename in the browser (static/js/glas-form.js)
and seals its public key and login id into the answers; the server never sees it. Without
JavaScript the server makes it while sealing the answers and shows it, on every reload, until
the respondent confirms she has written it down. Meanwhile a cookie holds it sealed with a key
the app made in memory when it started and never writes anywhere (a restart makes every such
cookie unreadable), so no cookie, URL, log or file holds the codename itself. Nothing is stored
on the server: the reply box is opened when the first reply arrives.

Reading replies with JavaScript: the browser checks the codename, derives the keys
(static/js/glas-replies.js) and fetches boxed replies by login id; the codename never leaves
it, and the form cannot post before the scripts are ready. Without JavaScript the server checks
the typed codename (a typo is named by group, before any lookup) and derives the keys in memory
for that one request. A codename without replies gets the same page after the same work.
"""

from __future__ import annotations

import base64
import json
import time

import nacl.exceptions
import nacl.secret
import nacl.utils
from flask import current_app, jsonify, render_template, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

from crypto import CryptoError
from crypto.codename import (
    LOGIN_ID,
    CodenameCheck,
    CodenameKeys,
    check,
    derive,
    new_codename,
    open_reply,
)
from surveys import Survey
from surveys.schema import REPLY_KEY

from .. import csrf, current_store
from ..i18n import translate
from ..security import allow_browser_crypto
from ..storage.replies import delete_reply, replies_for, show_reviewer_names
from . import bp
from .followups import FollowUpRefused, send_follow_up

PENDING_COOKIE = "pending"
PENDING_KEY_EXTENSION = "glas.pending_key"
#: How long a shown codename may be shown again (reload) before it is gone for good.
PENDING_SECONDS = 3600
MAX_PENDING_COOKIE = 400


def issue_codename(survey: Survey) -> tuple[str, CodenameKeys] | None:
    """For a testimony (or a survey with `replies: true`) sent without JavaScript: a new
    codename and its keys (nothing is stored)."""
    if not survey.gives_codename:
        return None
    codename = new_codename()
    return codename, derive(codename)


def reply_fields(keys: CodenameKeys) -> dict[str, str]:
    """What the sealed answers carry for replies: the codename's public key and login id.
    Only a reviewer reads them; the reply file names both so that the server can open a box."""
    return {
        "reply_key": base64.b64encode(keys.public_key).decode("ascii"),
        "reply_login": keys.login_id,
    }


@bp.record_once
def make_pending_key(state: BlueprintSetupState) -> None:
    """Made when the app is created: in gunicorn's master, before it forks the workers, so that
    every worker opens what another sealed (a reload may reach either)."""
    state.app.extensions[PENDING_KEY_EXTENSION] = nacl.utils.random(32)


def _box() -> nacl.secret.SecretBox:
    return nacl.secret.SecretBox(current_app.extensions[PENDING_KEY_EXTENSION])


def remember_codename(response: Response, survey_id: str, codename: str) -> Response:
    """Keep a server-made codename, sealed, until the respondent confirms she wrote it down."""
    sealed = json.dumps({"s": survey_id, "c": codename, "t": int(time.time()) + PENDING_SECONDS})
    value = base64.urlsafe_b64encode(_box().encrypt(sealed.encode())).decode("ascii")
    response.set_cookie(
        PENDING_COOKIE, value, path="/s/", httponly=True, samesite="Strict", secure=False
    )
    return response


def pending_codename(survey_id: str) -> str | None:
    """The codename waiting to be confirmed for this survey, if the cookie still opens."""
    value = request.cookies.get(PENDING_COOKIE, "")
    if not value or len(value) > MAX_PENDING_COOKIE:
        return None
    try:
        opened = json.loads(_box().decrypt(base64.urlsafe_b64decode(value)))
    except (ValueError, TypeError, nacl.exceptions.CryptoError):
        return None
    if opened.get("s") != survey_id or int(opened.get("t", 0)) < time.time():
        return None
    return str(opened["c"])


def forget_codename(response: Response) -> Response:
    response.delete_cookie(PENDING_COOKIE, path="/s/", httponly=True, samesite="Strict")
    return response


def codename_problem(checked: CodenameCheck) -> str | None:
    """What is wrong with a typed codename, in the page's language (None when it is fine)."""
    if checked.ok:
        return None
    if checked.empty:
        return str(gettext("Please type your codename."))
    if checked.length is not None:
        return str(
            gettext(
                "A codename has 30 digits in 5 groups; you typed %(num)d digits.",
                num=checked.length,
            )
        )
    groups = ", ".join(str(n) for n in checked.typo_groups)
    return str(
        ngettext(
            "There is a typo in group %(groups)s. Please check it against your note.",
            "There are typos in groups %(groups)s. Please check them against your note.",
            len(checked.typo_groups),
            groups=groups,
        )
    )


def codename_messages() -> dict[str, str]:
    """The same messages for the script, which checks before anything is sent."""
    return {
        "empty": gettext("Please type your codename."),
        "length": gettext(
            "A codename has 30 digits in 5 groups; you typed %(num)d digits.", num=999
        ).replace("999", "{n}"),
        "typo": ngettext(
            "There is a typo in group %(groups)s. Please check it against your note.",
            "There are typos in groups %(groups)s. Please check them against your note.",
            1,
            groups="{groups}",
        ),
        "typos": ngettext(
            "There is a typo in group %(groups)s. Please check it against your note.",
            "There are typos in groups %(groups)s. Please check them against your note.",
            2,
            groups="{groups}",
        ),
    }


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
            "sender": sender if show_reviewer_names(current_store()) else "",
            "box": base64.b64encode(reply.box).decode("ascii"),
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
    codename = request.form.get("codename", "")
    problem = codename_problem(check(codename))
    if problem is not None:
        allow_browser_crypto()
        return _page(asked=False, replies=[], codename=codename, problem=problem), 422
    return _replies_page(codename, derive(codename))


@bp.post("/replies/delete")
def delete() -> ResponseReturnValue:
    """Delete one read reply, then show the rest (the same page as reading)."""
    csrf.protect()
    codename = request.form.get("codename", "")
    keys = derive(codename)
    delete_reply(current_store(), keys.login_id, request.form.get("reply", ""))
    return _replies_page(codename, keys)


@bp.post("/replies/write")
def write_back() -> ResponseReturnValue:
    """Without JavaScript: a follow-up under the codename typed (derived in memory only)."""
    csrf.protect()
    codename = request.form.get("codename", "")
    problem = codename_problem(check(codename))
    if problem is not None:
        allow_browser_crypto()
        return _page(asked=False, replies=[], codename=codename, problem=problem), 422
    keys = derive(codename)
    message = request.form.get("message", "")
    try:
        send_follow_up(current_store(), message, reply_fields(keys))
    except FollowUpRefused as e:
        return _replies_page(
            codename, keys, write_problem=translate(e.reason), message=message
        ), 422
    return _replies_page(codename, keys, sent=True)


@bp.post("/replies/write.json")
def write_back_from_browser() -> ResponseReturnValue:
    """With JavaScript: the login id and public key the browser derived; never the codename."""
    csrf.protect()
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    login_id, reply_key = str(data.get("login_id", "")), str(data.get("reply_key", ""))
    if LOGIN_ID.fullmatch(login_id) is None or REPLY_KEY.fullmatch(reply_key) is None:
        return jsonify(error="bad request"), 400
    try:
        send_follow_up(
            current_store(),
            str(data.get("message", "")),
            {"reply_key": reply_key, "reply_login": login_id},
        )
    except FollowUpRefused as e:
        return jsonify(error=translate(e.reason)), 422
    return jsonify(sent=True)


def _replies_page(codename: str, keys: CodenameKeys, **extra: object) -> str:
    named = show_reviewer_names(current_store())
    shown = []
    for reply_id, reply, sender in replies_for(current_store(), keys.login_id):
        try:
            text = open_reply(reply, keys)
        except CryptoError:
            continue
        shown.append({"id": reply_id, "text": text, "sender": sender if named else ""})
    allow_browser_crypto()
    return _page(asked=True, replies=shown, codename=codename, **extra)


def _page(**context: object) -> str:
    return render_template(
        "respondent/replies.html", codename_messages=codename_messages(), **context
    )
