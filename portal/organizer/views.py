"""Organizer pages. Reachable only through the client-authorised organizer onion (or loopback)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from .. import current_store
from . import bp


@bp.get("/")
def index() -> ResponseReturnValue:
    store = current_store()
    return render_template(
        "organizer/index.html",
        surveys=store.published_surveys(),
        waiting=sum(1 for _ in store.pending_export()),
    )
