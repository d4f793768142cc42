"""The organizers' home page, the audit log, and uploads of replies and the warning feed."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from crypto import CryptoError
from crypto.signing import SignerKey
from surveys import SurveyError

from .. import current_store
from ..errors import StorageError
from ..storage import today
from ..storage.alerts import current_feed, import_feed, trust_signer, trusted_signers
from ..storage.budget import refused_recently
from ..storage.organizers import audit_log
from ..storage.replies import import_reply, set_show_reviewer_names, show_reviewer_names
from . import bp
from .audit_words import action_words, actor_words
from .auth import record
from .forms import SignerForm, UploadForm
from .keys import ask_to_check


@bp.get("/")
def index() -> ResponseReturnValue:
    store = current_store()
    return render_template(
        "organizer/index.html",
        surveys=store.published_surveys(),
        waiting=store.count_submissions(pending_only=True),
        refused=refused_recently(store, today()),
        budget_mb=store.config.daily_budget_bytes // (1024 * 1024),
    )


@bp.get("/audit")
def audit() -> ResponseReturnValue:
    return render_template(
        "organizer/audit.html",
        rows=audit_log(current_store()),
        action_words=action_words,
        actor_words=actor_words,
    )


@bp.get("/replies")
def replies() -> ResponseReturnValue:
    return render_template(
        "organizer/replies.html",
        form=UploadForm(),
        show_names=show_reviewer_names(current_store()),
    )


@bp.post("/replies/names")
def reply_names() -> ResponseReturnValue:
    """Whether respondents read "From Ana" or "From the centre" (the default)."""
    show = bool(request.form.get("show"))
    set_show_reviewer_names(current_store(), show)
    record("showed reviewer names on replies" if show else "hid reviewer names on replies")
    flash(gettext("Saved."))
    return redirect(url_for(".replies"))


@bp.post("/replies")
def upload_replies() -> ResponseReturnValue:
    """File reply files written offline by ``glas reply`` (several at once)."""
    form = UploadForm()
    if not form.validate():
        flash(gettext("Please choose reply files."), "error")
        return redirect(url_for(".replies"))
    store = current_store()
    filed = again = 0
    for upload in form.file.raw_data or []:
        try:
            if import_reply(store, upload.stream.read()):
                filed += 1
            else:
                again += 1
        except (StorageError, CryptoError) as e:
            flash(f"{upload.filename}: {e}", "error")
    record("uploaded replies", str(filed))
    flash(ngettext("%(num)d reply filed.", "%(num)d replies filed.", filed))
    if again:
        flash(
            ngettext(
                "%(num)d reply was filed before; not filed again.",
                "%(num)d replies were filed before; not filed again.",
                again,
            )
        )
    return redirect(url_for(".replies"))


@bp.get("/alerts")
def alerts() -> ResponseReturnValue:
    return _alerts_page(UploadForm())


@bp.post("/alerts/signers")
def trust_alert_signer() -> ResponseReturnValue:
    """Trust the centre's offline signing key (its fingerprint checked in person)."""
    form = SignerForm()
    if not form.validate():
        flash(gettext("Please give a name and a key."), "error")
        return redirect(url_for(".alerts"))
    try:
        key = SignerKey.from_line((form.key.data or "").strip())
        trust_signer(current_store(), (form.name.data or "").strip(), key)
    except (CryptoError, StorageError) as e:
        flash(str(e), "error")
        return redirect(url_for(".alerts"))
    record("trusted a warning-feed signer", f"{form.name.data} {key.readable_fingerprint}")
    ask_to_check(form.name.data or "", key.readable_fingerprint)
    return redirect(url_for(".alerts"))


def _alerts_page(form: UploadForm) -> str:
    store = current_store()
    return render_template(
        "organizer/alerts.html",
        form=form,
        feed=current_feed(store),
        signers=trusted_signers(store),
        signer_form=SignerForm(),
    )


@bp.post("/alerts")
def upload_alerts() -> ResponseReturnValue:
    """Publish a warning feed signed offline (``glas alerts sign``); a bad signature or an
    unknown key is refused and the feed shown stays as it was."""
    form = UploadForm()
    if not form.validate():
        flash(gettext("Please choose the signed feed file."), "error")
        return redirect(url_for(".alerts"))
    upload = form.file.data
    store = current_store()
    try:
        shown = import_feed(store, upload.stream.read(), upload.filename or "feed")
    except (CryptoError, SurveyError, StorageError) as e:
        flash(str(e), "error")
        return _alerts_page(form), 422
    record("published the warning feed", f"{len(shown.feed.alerts)} warnings")
    count = len(shown.feed.alerts)
    flash(ngettext("Published %(num)d warning.", "Published %(num)d warnings.", count))
    return redirect(url_for(".alerts"))
