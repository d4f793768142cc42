"""The warning feed for respondents: newest first, in their language, printable for the wall."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from surveys.alerts import Alert
from surveys.messages import N_
from surveys.model import localized

from .. import current_store
from ..i18n import current_language
from ..storage.alerts import current_feed
from . import bp

DANGER_LABELS = {
    "violence": N_("Violence"),
    "robbery": N_("Robbery"),
    "refused_payment": N_("Refused to pay"),
    "condom_removal": N_("Removed the condom"),
    "threats": N_("Threats"),
    "police": N_("Police abuse"),
    "other": N_("Other danger"),
}
#: The printable page holds the newest warnings up to about this many characters of text, so
#: that it stays one A4 page in large type; the page says when there are more.
PRINT_BUDGET = 1400


@bp.get("/alerts")
def alerts() -> ResponseReturnValue:
    return render_template("respondent/alerts.html", **_context(printable=False))


@bp.get("/alerts/print")
def alerts_print() -> ResponseReturnValue:
    return render_template("respondent/alerts_print.html", **_context(printable=True))


def _context(printable: bool) -> dict[str, object]:
    shown = current_feed(current_store())
    if shown is None:
        return {"shown": None, "items": [], "more": False}
    language = current_language().code
    items = [_item(alert, language) for alert in shown.feed.newest_first()]
    kept = items
    if printable:
        budget, kept = PRINT_BUDGET, []
        for item in items:
            budget -= len(item["area"]) + len(item["description"]) + 40
            if budget < 0 and kept:
                break
            kept.append(item)
    return {"shown": shown, "items": kept, "more": len(kept) < len(items)}


def _item(alert: Alert, language: str) -> dict[str, str]:
    return {
        "month": alert.month,
        "danger": DANGER_LABELS[alert.danger],
        "area": localized(alert, "area", language),
        "description": localized(alert, "description", language),
    }
