"""The folder a reviewer gets from ``glas decrypt``: tables, testimonies, files and a report.

::

    OUT/report.html                                   every bundle of this run, with warnings
    OUT/<survey>/<version>/answers.csv|json|xlsx     one row per submission
    OUT/<survey>/<version>/testimonies/              one page per testimony, and index.html
    OUT/<survey>/<version>/files/original/<id>/      attachments exactly as sent
    OUT/<survey>/<version>/files/scrubbed/<id>/      copies without EXIF/XMP/GPS (images only)

Work per submission (re-checking the rules, rendering rows, counting for the report) is done by
:func:`summarize`, a pure function that the decrypting worker processes run on whole batches;
this process only writes what they rendered and adds up their counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .answers import check_document
from .errors import SurveyDefinitionError
from .loader import load_survey_text
from .media import inspect_and_scrub
from .model import Survey
from .report import Report, VersionStats
from .tables import RenderedRows, SurveyTable, attachment_names, render_row, version_folder
from .testimonies import Attachment, TestimonyPages
from .workbook import write_workbook


class OpenedSubmission(Protocol):
    """What the reviewer's decryption hands over (crypto.reviewer.Opened has this shape)."""

    @property
    def record(self) -> Any: ...
    @property
    def answers(self) -> dict[str, Any]: ...
    @property
    def files(self) -> dict[str, Path]: ...


@dataclass
class Summary:
    """What a batch of opened submissions contributes to the output."""

    rows: dict[str, RenderedRows] = field(default_factory=dict)
    stats: dict[tuple[str, str], VersionStats] = field(default_factory=dict)
    violations: list[tuple[str, list[str]]] = field(default_factory=list)
    testimonies: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    unknown: list[Any] = field(default_factory=list)  # versions without a definition


def summarize(
    definitions: dict[str, Survey],
    opened: list[Any],
    files: dict[str, dict[str, str]] | None = None,
) -> Summary:
    """Check, render and count a batch of opened submissions (safe to run in a worker)."""
    summary = Summary()
    for item in opened:
        record, document = item.record, item.answers
        survey = definitions.get(record.version)
        if survey is None:
            summary.unknown.append(item)
            continue
        problems = check_document(survey, document)
        if problems:
            summary.violations.append((record.submission_id, problems))
        columns = survey.answer_columns
        relative = (files or {}).get(record.submission_id, {})
        row = render_row(
            columns, record.submission_id, record.received, record.version, document, relative
        )
        summary.rows.setdefault(record.version, RenderedRows()).add(*row)
        key = (record.survey_id, record.version)
        if key not in summary.stats:
            summary.stats[key] = VersionStats(record.survey_id, record.version, survey)
        summary.stats[key].add(record.submission_id, record.received, document.get("answers") or {})
        if survey.kind == "testimony":
            summary.testimonies.append(
                (record.version, record.submission_id, record.received, document)
            )
    return summary


def trusted_definitions(shipped: dict[str, Any]) -> dict[str, Survey]:
    """A bundle's survey definitions by digest, each kept only if it hashes to its digest."""
    trusted = {}
    for digest, definition in shipped.items():
        try:
            survey = load_survey_text(json.dumps(definition).encode("utf-8"), "manifest")
        except SurveyDefinitionError:
            continue
        if survey.digest() == digest:
            trusted[digest] = survey
    return trusted


class ReviewerOutput:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.definitions: dict[str, Survey] = {}
        self.tables: dict[str, SurveyTable] = {}
        self.testimonies: dict[str, TestimonyPages] = {}
        self.report = Report()
        self.bundles: list[tuple[str, str]] = []

    def add_bundle(self, name: str, created: str, surveys: dict[str, Any]) -> None:
        self.bundles.append((name, created))
        self.definitions.update(trusted_definitions(surveys))

    def processor(self) -> Callable[[list[Any]], Summary]:
        """The batch processor for the decrypting workers (it carries the definitions)."""
        definitions = dict(self.definitions)
        return lambda opened: summarize(definitions, opened)

    def place_file(self, record: Any, answers: dict[str, Any], part: str) -> Path:
        folder = self._folder(record) / "files" / "original" / str(record.submission_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / attachment_names(list(answers.get("files") or [])).get(part, part)

    def add(self, opened: OpenedSubmission) -> None:
        """One submission opened in this process (it may have attachments)."""
        record, document = opened.record, opened.answers
        folder = self._folder(record)
        relative: dict[str, str] = {}
        attachments: list[Attachment] = []
        names = {f"file-{f.get('part')}": str(f.get("name")) for f in document.get("files") or []}
        for part, path in opened.files.items():
            relative[part] = path.relative_to(folder).as_posix()
            attachments.append(self._scrub(record.submission_id, folder, path, names.get(part)))
        summary = summarize(self.definitions, [opened], {record.submission_id: relative})
        self.add_summary(summary, {record.submission_id: attachments})
        for item in summary.unknown:  # no definition: plain table, columns from the answers
            self.report.warnings.unknown_versions.append(
                (record.submission_id, record.survey_id, record.version)
            )
            self._table(record.version, folder, None).add(
                record.submission_id, record.received, record.version, item.answers, relative
            )
            self.report.stats(record.survey_id, record.version, None).add(
                record.submission_id, record.received, document.get("answers") or {}
            )

    def add_summary(
        self, summary: Summary, attachments: dict[str, list[Attachment]] | None = None
    ) -> None:
        for (survey_id, version), stats in summary.stats.items():
            survey = self.definitions.get(version)
            self.report.stats(survey_id, version, survey).merge(stats)
            table = self._table(version, version_folder(self.out, survey_id, version), survey)
            if version in summary.rows:
                table.write_block(summary.rows[version])
        self.report.warnings.violations += summary.violations
        for version, submission_id, received, document in summary.testimonies:
            survey = self.definitions[version]
            if version not in self.testimonies:
                folder = version_folder(self.out, survey.id, version)
                self.testimonies[version] = TestimonyPages(folder, survey)
            self.testimonies[version].add(
                submission_id, received, document, (attachments or {}).get(submission_id, [])
            )
        for item in summary.unknown:
            if not attachments:  # opened by a worker: handle it here like any other
                self.add(item)

    def add_failure(self, submission_id: str, reason: str) -> None:
        self.report.warnings.failed.append((submission_id, reason))

    def close_tables(self) -> None:
        for table in self.tables.values():
            table.close()
        for pages in self.testimonies.values():
            pages.close()

    def write_workbooks(self) -> None:
        for version, table in self.tables.items():
            write_workbook(table.folder, table.folder.parent.name, self.definitions.get(version))

    def write_report(self, generated: str) -> Path:
        path = self.out / "report.html"
        self.report.write(path, self.bundles, generated)
        return path

    def _scrub(self, submission_id: str, folder: Path, path: Path, name: str | None) -> Attachment:
        scrubbed = folder / "files" / "scrubbed" / submission_id / path.name
        media = inspect_and_scrub(path, scrubbed)
        shown = name or path.name
        if media.has_location:
            self.report.warnings.located.append((submission_id, shown))
        if not media.scrubbed:
            self.report.warnings.not_scrubbed.append((submission_id, shown, media.note))
        note = (
            "carries a location (GPS): share only the scrubbed copy"
            if media.has_location
            else media.note
        )
        return Attachment(
            shown,
            "../" + path.relative_to(folder).as_posix(),
            "../" + scrubbed.relative_to(folder).as_posix() if media.scrubbed else "",
            note,
        )

    def _folder(self, record: Any) -> Path:
        return version_folder(self.out, record.survey_id, record.version)

    def _table(self, version: str, folder: Path, survey: Survey | None) -> SurveyTable:
        if version not in self.tables:
            self.tables[version] = SurveyTable(folder, survey)
        return self.tables[version]
