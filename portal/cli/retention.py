"""``glas retention``: delete what the retention rule says is due (for a daily timer)."""

from __future__ import annotations

import click

from glas.messages import _, ngettext

from ..storage import today
from ..storage.retention import apply_retention, retention
from .reviewers import open_store, operator


@click.group("retention")
def command() -> None:
    """How long submissions stay on the server (set on the organizer pages)."""


@command.command("apply")
def apply() -> None:
    """Delete submissions that are past the retention periods (overwriting their files)."""
    store = open_store()
    rule = retention(store)
    deleted = apply_retention(store, today(), operator())
    kept = _("kept")
    click.echo(
        ngettext(
            "Deleted %(num)d submission (exported: after %(exported)s days; any: after "
            "%(all)s days).",
            "Deleted %(num)d submissions (exported: after %(exported)s days; any: after "
            "%(all)s days).",
            deleted,
            exported=kept if rule.exported_days is None else rule.exported_days,
            all=kept if rule.all_days is None else rule.all_days,
        )
    )
