"""``glas retention``: delete what the retention rule says is due (for a daily timer)."""

from __future__ import annotations

import click

from ..storage import today
from ..storage.retention import apply_retention, retention
from .reviewers import open_store


@click.group("retention")
def command() -> None:
    """How long submissions stay on the server (set on the organizer pages)."""


@command.command("apply")
def apply() -> None:
    """Delete submissions that are past the retention periods (overwriting their files)."""
    store = open_store()
    rule = retention(store)
    deleted = apply_retention(store, today())
    click.echo(
        f"Deleted {deleted} submissions (exported after {rule.exported_days} days, "
        f"any after {rule.all_days} days; None means kept)."
    )
