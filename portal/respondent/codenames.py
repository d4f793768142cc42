"""Codenames for respondents: made, kept until written down, and checked as typed.

With JavaScript the survey page makes the codename in the browser (static/js/glas-form.js)
and seals its public key and login id into the answers; the server never sees it. Without
JavaScript the server makes it while sealing the answers and shows it, on every reload, until
the respondent confirms she has written it down. Meanwhile a cookie holds it sealed with a key
the app made in memory when it started and never writes anywhere (a restart makes every such
cookie unreadable), so no cookie, URL, log or file holds the codename itself. Nothing is stored
on the server: the reply box is opened when the first reply arrives.

Several app servers on one PostgreSQL (behind Onionbalance the thanks page may come from
another node than the one that sealed the answers) derive that key from the secret they share
instead: a cookie made by one opens on all. The cost: whoever holds the database *and* the
respondent's browser within the hour the cookie lives can read the codename from it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

import nacl.exceptions
import nacl.secret
import nacl.utils
from flask import current_app, request
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

from crypto.codename import CodenameCheck, CodenameKeys, derive, new_codename
from surveys import Survey

from .. import STORE_EXTENSION
from . import bp

PENDING_COOKIE = "pending"
PENDING_KEY_EXTENSION = "glas.pending_key"
PENDING_KEY_CONTEXT = b"glas-pending-codename-1"
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
    every worker opens what another sealed (a reload may reach either). With several nodes,
    derived from their shared secret, so that every node opens it."""
    store = state.app.extensions.get(STORE_EXTENSION)
    key = nacl.utils.random(32)
    if store is not None and store.shared:
        secret = state.app.config["SECRET_KEY"]
        secret = secret if isinstance(secret, bytes) else str(secret).encode()
        key = hashlib.blake2b(PENDING_KEY_CONTEXT, key=secret[:64], digest_size=32).digest()
    state.app.extensions[PENDING_KEY_EXTENSION] = key


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


def _empty() -> str:
    return str(gettext("Please type your codename."))


def _length(typed: int) -> str:
    return str(
        gettext("A codename has 30 digits in 5 groups; you typed %(num)d digits.", num=typed)
    )


def _typos(count: int, groups: str) -> str:
    return str(
        ngettext(
            "There is a typo in group %(groups)s. Please check it against your note.",
            "There are typos in groups %(groups)s. Please check them against your note.",
            count,
            groups=groups,
        )
    )


def codename_problem(checked: CodenameCheck) -> str | None:
    """What is wrong with a typed codename, in the page's language (None when it is fine)."""
    if checked.ok:
        return None
    if checked.empty:
        return _empty()
    if checked.length is not None:
        return _length(checked.length)
    return _typos(len(checked.typo_groups), ", ".join(str(n) for n in checked.typo_groups))


def codename_messages() -> dict[str, str]:
    """The same messages for the script, which checks before anything is sent ({n} and
    {groups} are filled in there)."""
    return {
        "empty": _empty(),
        "length": _length(999).replace("999", "{n}"),
        "typo": _typos(1, "{groups}"),
        "typos": _typos(2, "{groups}"),
    }
