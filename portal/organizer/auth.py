"""Logging in and out, account setup, and the check that guards every other organizer page.

Sessions are Flask's signed cookie holding the account id, its session epoch, a random session
token and the time of the last request. The server keeps the token's hash: logging out deletes
it, so a copy of the cookie made before stops working too. A request after 30 idle minutes, or
after "log out everywhere" (which raises the epoch), finds itself logged out.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import segno
from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from surveys.messages import Message

from .. import csrf, current_store
from ..errors import AccountError, CodeReused, LoginFailed, LoginThrottled
from ..i18n import translate
from ..storage.organizers import (
    account_for_setup,
    audit,
    close_session,
    complete_setup,
    log_in,
    log_out_everywhere,
    open_session,
    password_problem,
    provisioning_uri,
    session_valid,
)
from . import bp
from .forms import LoginForm, SetupForm

IDLE_SECONDS = 30 * 60
PUBLIC_ENDPOINTS = {"organizer.login", "organizer.setup", "static"}


@bp.before_request
def require_login() -> ResponseReturnValue | None:
    """Every organizer page needs a fresh session; every POST a CSRF token."""
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    organizer_id, epoch, seen = (session.get(k) for k in ("organizer", "epoch", "seen"))
    fresh = isinstance(seen, int) and clock() - seen < IDLE_SECONDS
    if (
        not isinstance(organizer_id, int)
        or not fresh
        or not session_valid(current_store(), organizer_id, epoch, session.get("token"))
    ):
        close_session(current_store(), session.get("token"))
        session.clear()
        if fresh is False and organizer_id is not None:
            flash(gettext("You were logged out after 30 minutes without activity."))
        return redirect(url_for("organizer.login"))
    session["seen"] = int(clock())
    g.organizer = str(session.get("name"))
    return None


def clock() -> float:
    """Seconds since the epoch (a function, so tests can move time on)."""
    return time.time()


def confirm_first(
    question: str,
    consequence: str,
    yes: str,
    back: str,
    details: Sequence[str] = (),
    carry: Mapping[str, str] | None = None,
) -> ResponseReturnValue | None:
    """A page that asks before something cannot be undone (it works without JavaScript: the
    same form is posted again, with what was posted and ``carry``, confirmed); None once it
    was confirmed. ``details`` say exactly what would go."""
    if request.form.get("confirmed") == "yes":
        return None
    return confirmation_page(question, consequence, yes, back, details, carry)


def confirmation_page(
    question: str,
    consequence: str,
    yes: str,
    back: str,
    details: Sequence[str] = (),
    carry: Mapping[str, str] | None = None,
) -> ResponseReturnValue:
    """The page :func:`confirm_first` shows, for a use case that decides itself when to ask."""
    carried = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in ("csrf_token", "confirmed") and name not in (carry or {})
    ]
    carried += list((carry or {}).items())
    page = render_template(
        "organizer/confirm.html",
        question=question,
        consequence=consequence,
        yes=yes,
        back=back,
        details=details,
        carried=carried,
    )
    return page, 200


def record(action: str, detail: str = "") -> None:
    """Add the current organizer's action to the audit log."""
    audit(current_store(), g.organizer, action, detail)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        store = current_store()
        try:
            row = log_in(
                store, form.name.data or "", form.password.data or "", form.code.data or ""
            )
        except LoginThrottled:
            flash(gettext("Too many attempts. Please wait a minute and try again."), "error")
            status = 429
        except CodeReused:
            flash(
                gettext(
                    "That code was just used. Wait for the next code on your phone, then log in."
                ),
                "error",
            )
            status = 401
        except LoginFailed:
            flash(gettext("The name, passphrase or code is not right."), "error")
            status = 401
        else:
            _start_session(row.id, row.name, row.session_epoch)
            audit(store, row.name, "logged in")
            return redirect(url_for("organizer.index"))
    elif request.method == "POST":
        status = 400
    return render_template("organizer/login.html", form=form), status


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str) -> ResponseReturnValue:
    store = current_store()
    row = account_for_setup(store, token)
    if row is None:
        abort(404)
    form = SetupForm()
    status = 200
    if form.validate_on_submit():
        problem = password_problem(form.password.data or "", form.again.data or "")
        if problem is None:
            try:
                complete_setup(store, token, form.password.data or "", form.code.data or "")
            except AccountError as e:
                problem = Message(str(e))
            else:
                audit(store, row.name, "set up the account")
                session.clear()
                flash(
                    gettext(
                        "Your account is ready. Please log in with the next code your app "
                        "shows: wait until the one you just used changes."
                    )
                )
                return redirect(url_for("organizer.login"))
        flash(translate(problem), "error")
        status = 422
    elif request.method == "POST":  # the page says what is missing, not the browser
        flash(gettext("Please fill in the passphrase twice and the code from your phone."), "error")
        status = 422
    uri = provisioning_uri(row)
    page = render_template(
        "organizer/setup.html",
        form=form,
        name=row.name,
        qr=qr_data_uri(uri),
        # In groups of four, as authenticator apps show and accept it.
        secret=" ".join(row.totp_secret[i : i + 4] for i in range(0, len(row.totp_secret), 4)),
    )
    return page, status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    record("logged out")
    close_session(current_store(), session.get("token"))
    session.clear()
    return redirect(url_for("organizer.login"))


@bp.post("/logout-everywhere")
def logout_everywhere() -> ResponseReturnValue:
    record("logged out everywhere")
    log_out_everywhere(current_store(), int(session["organizer"]))
    session.clear()
    return redirect(url_for("organizer.login"))


def _start_session(organizer_id: int, name: str, epoch: int) -> None:
    session.clear()
    token = open_session(current_store(), organizer_id)
    session.update(organizer=organizer_id, name=name, epoch=epoch, token=token, seen=int(clock()))


def qr_data_uri(text: str) -> str:
    """A QR code as an inline SVG image (img-src allows data:, nothing is fetched)."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)
