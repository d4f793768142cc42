"""``glas surveys``: import survey definitions and publish them."""

from __future__ import annotations

from pathlib import Path

import click

from glas.cli import BadInput
from glas.messages import _
from surveys import SurveyDefinitionError, load_survey_file
from surveys.xlsform import load_xlsform_with_warnings
from surveys.xlsform_writer import write_xlsform

from ..errors import StorageError
from .reviewers import open_store, record


@click.group("surveys")
def command() -> None:
    """Manage surveys."""


@command.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Make this version the one respondents answer.")
def import_(file: Path, publish: bool) -> None:
    """Import a YAML, JSON or XLSForm (.xlsx) definition; errors name the line or row."""
    try:
        warnings: list[str] = []
        if file.suffix.lower() in (".xlsx", ".xlsm"):
            survey, warnings = load_xlsform_with_warnings(file)
        else:
            survey = load_survey_file(file)
    except SurveyDefinitionError as e:
        # Every problem on its own line, compiler style; the last line sums up for scripts.
        for line in e.lines()[:-1]:
            click.echo(line, err=True)
        raise BadInput(e.lines()[-1]) from e
    for line in warnings:  # set aside, by sheet, row and column: the organizer reads them
        click.echo(_("warning: %(where)s", where=line), err=True)
    action = "imported and published a survey" if publish else "imported a survey"
    store = open_store()
    try:
        with store.transaction():  # the version, its publication and the audit line: or none
            digest = store.import_survey(survey, publish=publish)
            record(store, action, f"{survey.id} version {digest[:12]}")
    except StorageError as e:
        raise BadInput(str(e)) from e
    if publish:
        click.echo(_("Survey %(id)s version %(v)s published.", id=survey.id, v=digest[:12]))
    else:
        click.echo(
            _("Survey %(id)s version %(v)s imported (not published).", id=survey.id, v=digest[:12])
        )


@command.command("export")
@click.argument("survey_id")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx to write.",
)
def export(survey_id: str, out: Path) -> None:
    """Write the survey's newest version as an XLSForm workbook."""
    survey = open_store().latest_definition(survey_id)
    if survey is None:
        raise BadInput(_("There is no survey '%(id)s'.", id=survey_id))
    out.write_bytes(write_xlsform(survey))
    click.echo(_("Wrote %(file)s.", file=out))
