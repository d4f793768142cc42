"""``glas retention``: delete what the retention rule says is due (for a daily timer)."""

from __future__ import annotations

import click

from glas.messages import _, ngettext

from ..storage import today
from ..storage.retention import apply_retention, due, retention
from .reviewers import open_store, operator


@click.group("retention")
def command() -> None:
    """How long submissions stay on the server (set on the organizer pages)."""


@command.command("apply")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted now.")
def apply(dry_run: bool) -> None:
    """Delete submissions that are past the retention periods (overwriting their files).

    The periods were confirmed by an organizer, with a preview, on the Submissions page;
    a daily timer runs this. --dry-run shows what it would delete today."""
    store = open_store()
    rule = retention(store)
    if dry_run:
        preview = due(store, rule, today())
        click.echo(
            ngettext(
                "%(num)d submission would be deleted now.",
                "%(num)d submissions would be deleted now.",
                preview.total,
            )
        )
        for _id, title, count in preview.per_survey:
            click.echo(f"  {title}: {count}")
        return
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
