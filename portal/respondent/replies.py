"""Codenames for respondents, and reading replies with one.

After a testimony the respondent gets a codename, shown once (the thanks page takes it out of
the session as it shows it). Reading replies with JavaScript: the browser derives the keys
(static/js/glas-replies.js) and fetches boxed replies by login id; the codename never leaves it.
Without JavaScript: the server derives the keys from the codename in memory for that request
only. A wrong codename and a codename without replies get the same page after the same work:
one key derivation, one query.
"""

from __future__ import annotations

import base64

from flask import jsonify, render_template, request, session
from flask.typing import ResponseReturnValue

from crypto import CryptoError
from crypto.codename import CodenameKeys, derive, new_codename, open_reply
from surveys import Survey

from .. import csrf, current_store
from ..security import allow_browser_crypto
from ..storage.replies import delete_reply, replies_for
from . import bp

CODENAME_SESSION_KEY = "codename"


def issue_codename(survey: Survey) -> tuple[str, CodenameKeys] | None:
    """For a testimony (or a survey with `replies: true`): a new codename and its keys (nothing
    is stored yet)."""
    if not survey.gives_codename:
        return None
    codename = new_codename()
    return codename, derive(codename)


def remember_codename(codename: str) -> None:
    """Once the submission is stored: keep the codename until the thanks page shows it."""
    session[CODENAME_SESSION_KEY] = codename


def reply_key_text(keys: CodenameKeys) -> str:
    """How the respondent's public key travels inside the sealed answers document."""
    return base64.b64encode(keys.public_key).decode("ascii")


def take_codename() -> str | None:
    """The codename to show on the thanks page, once."""
    codename = session.pop(CODENAME_SESSION_KEY, None)
    return str(codename) if codename else None


@bp.get("/replies")
def replies_form() -> ResponseReturnValue:
    allow_browser_crypto()
    return render_template("respondent/replies.html", asked=False, replies=[], codename="")


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
    return _replies_page(codename, derive(codename))


@bp.post("/replies/delete")
def delete() -> ResponseReturnValue:
    """Delete one read reply, then show the rest (the same page as reading)."""
    csrf.protect()
    codename = request.form.get("codename", "")
    keys = derive(codename)
    delete_reply(current_store(), keys.login_id, request.form.get("reply", ""))
    return _replies_page(codename, keys)


def _replies_page(codename: str, keys: CodenameKeys) -> ResponseReturnValue:
    shown = []
    for reply_id, reply, sender in replies_for(current_store(), keys.login_id):
        try:
            shown.append({"id": reply_id, "text": open_reply(reply, keys), "sender": sender})
        except CryptoError:
            continue
    allow_browser_crypto()
    return render_template("respondent/replies.html", asked=True, replies=shown, codename=codename)
