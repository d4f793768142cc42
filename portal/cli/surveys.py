"""``glas surveys``: import survey definitions and publish them."""

from __future__ import annotations

from pathlib import Path

import click

from surveys import SurveyDefinitionError, load_survey_file

from ..errors import StorageError
from . import BadInput
from .reviewers import open_store


@click.group("surveys")
def command() -> None:
    """Manage surveys."""


@command.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Make this version the one respondents answer.")
def import_(file: Path, publish: bool) -> None:
    """Import a YAML or JSON survey definition; errors name the file and line."""
    try:
        survey = load_survey_file(file)
    except SurveyDefinitionError as e:
        # Every problem on its own line, compiler style; the last line sums up for scripts.
        for line in e.lines()[:-1]:
            click.echo(line, err=True)
        raise BadInput(e.lines()[-1]) from e
    try:
        digest = open_store().import_survey(survey, publish=publish)
    except StorageError as e:
        raise BadInput(str(e)) from e
    state = "published" if publish else "imported (not published)"
    click.echo(f"Survey {survey.id} version {digest[:12]} {state}.")
