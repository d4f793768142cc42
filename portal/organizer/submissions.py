"""Submissions as the server knows them (counts per day), export bundles, retention."""

from __future__ import annotations

import os

from flask import flash, g, redirect, render_template, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from .. import current_store
from ..storage import today
from ..storage.designer import counts_per_day
from ..storage.export import export_bundle
from ..storage.retention import Retention, apply_retention, retention, set_retention
from . import bp
from .auth import record
from .forms import RetentionForm

BUNDLE_TYPE = "application/octet-stream"


@bp.get("/submissions")
def submissions() -> ResponseReturnValue:
    store = current_store()
    rule = retention(store)
    form = RetentionForm(data={"exported_days": rule.exported_days, "all_days": rule.all_days})
    return render_template(
        "organizer/submissions.html",
        counts=counts_per_day(store),
        waiting=store.count_submissions(pending_only=True),
        form=form,
    )


@bp.post("/submissions/export")
def download_export() -> ResponseReturnValue:
    """Write a bundle of everything not yet exported into the data dir (ciphertext only) and
    send it. The file is unlinked as soon as it is open, so nothing is left behind."""
    store = current_store()
    name = f"glas-{today().isoformat()}-{os.urandom(4).hex()}.glasbundle"
    path = store.config.data_dir / name
    count = export_bundle(store, path)
    if count == 0:
        flash(gettext("Nothing new to export."))
        return redirect(url_for(".submissions"))
    record("downloaded an export bundle", f"{count} submissions")
    handle = path.open("rb")
    path.unlink()
    return send_file(handle, mimetype=BUNDLE_TYPE, as_attachment=True, download_name=name)


@bp.post("/submissions/retention")
def save_retention() -> ResponseReturnValue:
    form = RetentionForm()
    if not form.validate():
        flash(gettext("Days are whole numbers from 0 to 36500, or empty to keep."), "error")
        return redirect(url_for(".submissions"))
    store = current_store()
    rule = Retention(form.exported_days.data, form.all_days.data)
    with store.transaction():
        set_retention(store, rule)
        record("changed retention", f"exported {rule.exported_days}, all {rule.all_days}")
    deleted = apply_retention(store, today(), g.organizer)
    flash(
        ngettext(
            "Saved. %(num)d submission was deleted now.",
            "Saved. %(num)d submissions were deleted now.",
            deleted,
        )
    )
    return redirect(url_for(".submissions"))
