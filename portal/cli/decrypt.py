"""``glas decrypt``: open a bundle on the reviewer's offline machine."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from crypto.bundle import BundleReader, SubmissionRecord
from crypto.keys import ReviewerKey
from crypto.reviewer import Failed, Opened, decrypt_bundle
from surveys import Survey, SurveyDefinitionError, load_survey_text
from surveys.tables import SurveyTable, attachment_names

from . import BadInput, Failure
from .passphrase import passphrase_file_option, read_passphrase


@click.command("decrypt")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your private key file.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the tables and attachments (created if missing).",
)
@passphrase_file_option
def command(bundle: Path, key_file: Path, out: Path, passphrase_file: Path | None) -> None:
    """Decrypt BUNDLE into answers.csv, answers.json and files/ per survey."""
    # Everything written from here on is plaintext: readable by the reviewer's account only.
    os.umask(0o077)
    key = ReviewerKey.load(key_file, read_passphrase(passphrase_file, f"Passphrase for {key_file}"))
    out.mkdir(parents=True, exist_ok=True)
    writer = _Output(out)
    opened = failed = not_for_us = 0
    with BundleReader(bundle) as reader:
        writer.surveys = _definitions(reader.surveys)
        for result in decrypt_bundle(reader, [key], writer.place_file):
            if isinstance(result, Opened):
                writer.add(result)
                opened += 1
            elif isinstance(result, Failed):
                not_for_us += result.not_for_us
                failed += not result.not_for_us
                click.echo(f"Submission {result.submission_id}: {result.reason}", err=True)
    writer.close()
    if opened == 0 and failed == 0 and not_for_us:
        raise BadInput(f"The key in {key_file} opens none of the submissions in {bundle}.")
    click.echo(f"Decrypted {opened} submission{'s' if opened != 1 else ''} into {out}.")
    if failed or not_for_us:
        raise Failure(f"{failed + not_for_us} submission(s) could not be opened (listed above).")


class _Output:
    """Route each opened submission to its survey's table and its files to the right folder."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.surveys: dict[str, Survey] = {}
        self.tables: dict[str, SurveyTable] = {}

    def table(self, survey_id: str, version: str) -> SurveyTable:
        if survey_id not in self.tables:
            folder = self.out / survey_id
            self.tables[survey_id] = SurveyTable(folder, survey_id, self.surveys.get(version))
        return self.tables[survey_id]

    def place_file(self, record: SubmissionRecord, answers: dict[str, Any], part: str) -> Path:
        folder = (
            self.table(record.survey_id, record.version).folder / "files" / record.submission_id
        )
        folder.mkdir(parents=True, exist_ok=True)
        names = attachment_names(list(answers.get("files") or []))
        return folder / names.get(part, part)

    def add(self, result: Opened) -> None:
        record = result.record
        table = self.table(record.survey_id, record.version)
        table.add(
            record.submission_id, record.received, record.version, result.answers, result.files
        )

    def close(self) -> None:
        for table in self.tables.values():
            table.close()


def _definitions(raw: dict[str, Any]) -> dict[str, Survey]:
    """Survey versions shipped in the bundle; a definition must hash to the digest it claims."""
    surveys = {}
    for digest, definition in raw.items():
        try:
            survey = load_survey_text(json.dumps(definition).encode("utf-8"), "bundle manifest")
        except SurveyDefinitionError:
            continue
        if survey.digest() == digest:
            surveys[digest] = survey
    return surveys
