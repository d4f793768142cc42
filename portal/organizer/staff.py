"""Staff: invite a colleague (account + organizer onion key, shown once), reset, remove."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from .. import current_store
from ..errors import StorageError
from ..staff import Invitation, invite, reinvite, remove
from ..storage.organizers import SETUP_VALID, organizers
from . import bp
from .auth import confirm_first
from .forms import StaffForm


@dataclass(frozen=True)
class StaffMember:
    name: str
    state: str  # "active", "awaiting setup" or "removed"


@bp.get("/staff")
def staff() -> ResponseReturnValue:
    return _page(None)


@bp.post("/staff")
def invite_staff() -> ResponseReturnValue:
    form = StaffForm()
    name = (form.name.data or "").strip()
    if not form.validate() or not name:
        flash(gettext("Please give a name."), "error")
        return redirect(url_for(".staff"))
    try:
        invitation = invite(current_store(), name, g.organizer)
    except StorageError as e:
        flash(str(e), "error")
        return redirect(url_for(".staff"))
    return _page(invitation)


@bp.post("/staff/<name>/reset")
def reset_staff(name: str) -> ResponseReturnValue:
    try:
        invitation = reinvite(current_store(), name, g.organizer)
    except StorageError:
        abort(404)
    return _page(invitation)


@bp.post("/staff/<name>/remove")
def remove_staff(name: str) -> ResponseReturnValue:
    if name == g.organizer:
        flash(gettext("You cannot remove yourself; ask a colleague."), "error")
        return redirect(url_for(".staff"))
    asked = confirm_first(
        gettext("Remove %(name)s?", name=name),
        gettext("Their onion key stops working and they are logged out everywhere, now."),
        gettext("Yes, remove them"),
        url_for(".staff"),
    )
    if asked is not None:
        return asked
    try:
        remove(current_store(), name, g.organizer)
    except StorageError:
        abort(404)
    flash(gettext("Removed: their onion key no longer works and they are logged out."))
    return redirect(url_for(".staff"))


def _page(invitation: Invitation | None) -> str:
    store = current_store()
    revoked = {c.name for c in store.onion_clients() if c.revoked is not None}
    members = []
    for row in organizers(store):
        if row.name in revoked:
            state = "removed"
        else:
            state = "active" if row.password_hash else "awaiting setup"
        members.append(StaffMember(row.name, state))
    return render_template(
        "organizer/staff.html",
        members=members,
        form=StaffForm(),
        invitation=invitation,
        days=SETUP_VALID.days,
    )
