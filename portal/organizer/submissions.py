"""Submissions as the server knows them (counts per day), export bundles, retention."""

from __future__ import annotations

import os

from flask import flash, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date, gettext, ngettext

from .. import current_store
from ..storage import today
from ..storage.designer import counts_per_day, survey_summaries
from ..storage.export import export_bundle
from ..storage.retention import Due, Retention, apply_retention, due, retention, set_retention
from . import bp
from .auth import confirmation_page, record
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
        titles={s.id: s.title for s in survey_summaries(store)},
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
    """Save the periods; when the new rule would delete submissions now, first say exactly
    which (per survey, the oldest day, how many never exported) and ask. The confirmation
    carries the count it showed: if more became due meanwhile, it asks again."""
    form = RetentionForm()
    if not form.validate():
        flash(gettext("Days are whole numbers from 0 to 36500, or empty to keep."), "error")
        return redirect(url_for(".submissions"))
    store = current_store()
    rule = Retention(form.exported_days.data, form.all_days.data)
    preview = due(store, rule, today())
    confirmed = request.form.get("confirmed") == "yes"
    shown = request.form.get("previewed", type=int) if confirmed else None
    if preview.total and (shown is None or preview.total > shown):
        return _ask_before_deleting(preview)
    with store.transaction():
        set_retention(store, rule)
        record("changed retention", f"exported {rule.exported_days}, all {rule.all_days}")
    if not preview.total:
        flash(gettext("Saved. No submission is due for deletion now."))
        return redirect(url_for(".submissions"))
    deleted = apply_retention(store, today(), g.organizer)
    flash(
        ngettext(
            "Saved. %(num)d submission was deleted.",
            "Saved. %(num)d submissions were deleted.",
            deleted,
        )
    )
    return redirect(url_for(".submissions"))


def _ask_before_deleting(preview: Due) -> ResponseReturnValue:
    details = [
        ngettext("%(title)s — %(num)d submission", "%(title)s — %(num)d submissions", n, title=t)
        for _, t, n in preview.per_survey
    ]
    if preview.oldest is not None:
        details.append(
            gettext("The oldest arrived on %(day)s.", day=format_date(preview.oldest, "long"))
        )
    if preview.unexported:
        details.append(
            ngettext(
                "%(num)d of them was never exported: the reviewers do not have it.",
                "%(num)d of them were never exported: the reviewers do not have them.",
                preview.unexported,
            )
        )
    return confirmation_page(
        ngettext(
            "Delete %(num)d submission now?", "Delete %(num)d submissions now?", preview.total
        ),
        gettext(
            "These periods delete them as soon as you confirm, and nobody can bring them back. "
            "Nothing is saved or deleted until you confirm."
        ),
        ngettext(
            "Yes, delete %(num)d submission and save",
            "Yes, delete %(num)d submissions and save",
            preview.total,
        ),
        url_for(".submissions"),
        details,
        {"previewed": str(preview.total)},
    )
