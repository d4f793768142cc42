"""``glas surveys``: import survey definitions and publish them."""

from __future__ import annotations

from pathlib import Path

import click

from glas.cli import BadInput
from glas.messages import _
from surveys import SurveyDefinitionError, load_survey_file
from surveys.languages import language_name
from surveys.xlsform import XLSFORM_SUFFIXES, import_xlsform
from surveys.xlsform.writer import write_xlsform

from ..errors import StorageError
from ..storage import designer
from .reviewers import open_store, record


@click.group("surveys")
def command() -> None:
    """Manage surveys."""


@command.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Make this version the one respondents answer.")
@click.option(
    "--attach",
    "attached",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file the XLSForm's choices or lookups read (its media: CSV, XML, GeoJSON).",
)
def import_(file: Path, publish: bool, attached: tuple[Path, ...]) -> None:
    """Import a YAML or JSON definition, or an XLSForm (.xlsx, .xls, .csv) with the files it
    reads; errors name the line, or the sheet, row and column."""
    try:
        warnings: list[str] = []
        missing: tuple[str, ...] = ()
        if file.suffix.lower() in XLSFORM_SUFFIXES:
            imported = import_xlsform(_read(file), file.name, {p.name: _read(p) for p in attached})
            survey, warnings, missing = imported.survey, imported.warnings, imported.missing_files
            draft = imported.definition
        else:
            if attached:
                raise BadInput(_("Only an XLSForm has files to attach."))
            survey = load_survey_file(file)
    except SurveyDefinitionError as e:
        # Every problem on its own line, compiler style; the last line sums up for scripts.
        for line in e.lines()[:-1]:
            click.echo(line, err=True)
        raise BadInput(e.lines()[-1]) from e
    for line in warnings:  # set aside, by sheet, row and column: the organizer reads them
        click.echo(_("warning: %(where)s", where=line), err=True)
    store = open_store()
    if survey is None:  # its choices or lookups are in files not attached: a draft waits
        if publish:
            raise BadInput(
                _("%(file)s needs %(files)s: attach them with --attach to publish it.",
                  file=file.name, files=", ".join(missing))
            )  # fmt: skip
        designer.keep_draft(store, draft)
        record(store, "imported an XLSForm", str(draft["id"]))
        click.echo(
            _("Survey %(id)s imported as a draft: it waits for %(files)s (import it again with "
              "--attach).", id=draft["id"], files=", ".join(missing))
        )  # fmt: skip
        return
    action = "imported and published a survey" if publish else "imported a survey"
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
    names = ", ".join(f"{language_name(code)} ({code})" for code in survey.languages)
    click.echo(_("Respondents will be able to answer it in: %(languages)s", languages=names))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise BadInput(_("Cannot read %(file)s: %(why)s", file=path, why=e.strerror)) from e


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
