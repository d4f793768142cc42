"""Reviewer keys: add (with the fingerprint to check by phone), list, remove."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from crypto import KeyFormatError
from crypto.keys import PublicKey

from .. import current_store
from ..errors import StorageError
from . import bp
from .auth import confirm_first, record
from .forms import ReviewerForm


@bp.get("/reviewers")
def reviewers() -> ResponseReturnValue:
    rows = current_store().reviewers()
    keys = {row.id: PublicKey(row.public_key) for row in rows}
    return render_template("organizer/reviewers.html", rows=rows, keys=keys, form=ReviewerForm())


@bp.post("/reviewers")
def add_reviewer() -> ResponseReturnValue:
    form = ReviewerForm()
    if form.validate():
        try:
            key = PublicKey.from_line((form.key.data or "").strip())
            current_store().add_reviewer((form.name.data or "").strip(), key)
        except (KeyFormatError, StorageError) as e:
            flash(str(e), "error")
        else:
            record("added a reviewer key", f"{form.name.data} {key.readable_fingerprint}")
            ask_to_check(form.name.data or "", key.readable_fingerprint)
    else:
        flash(gettext("Please give a name and a key."), "error")
    return redirect(url_for(".reviewers"))


def ask_to_check(name: str, fingerprint: str) -> None:
    """A key is only as good as the check of its fingerprint with its holder."""
    flash(
        gettext(
            "Added. Check this fingerprint with %(name)s in person or by phone: %(fp)s",
            name=name,
            fp=fingerprint,
        )
    )


@bp.post("/reviewers/<int:reviewer_id>/remove")
def remove_reviewer(reviewer_id: int) -> ResponseReturnValue:
    store = current_store()
    key = next((r for r in store.reviewers() if r.id == reviewer_id and r.active), None)
    if key is None:
        abort(404)
    asked = confirm_first(
        gettext("Remove the key of %(name)s?", name=key.name),
        gettext(
            "New submissions are no longer sealed to it. What was already sealed to it stays "
            "readable with it, and with the other reviewers' keys."
        ),
        gettext("Yes, remove the key"),
        url_for(".reviewers"),
    )
    if asked is not None:
        return asked
    name = store.deactivate_reviewer(reviewer_id)
    record("removed a reviewer key", name)
    flash(gettext("Removed. New submissions are no longer sealed to this key."))
    return redirect(url_for(".reviewers"))
