"""The folder a reviewer gets from ``glas decrypt``: tables, testimonies, files and a report.

::

    OUT/report.html                                   every bundle of this run, with warnings
    OUT/<survey>/<version>/answers.csv|json|xlsx     one row per submission
    OUT/<survey>/<version>/testimonies/              one page per testimony, and index.html
    OUT/<survey>/<version>/files/original/<id>/      attachments exactly as sent (unscrubbed)
    OUT/<survey>/<version>/files/scrubbed/<id>/      copies without EXIF/XMP/GPS (images only)

Work per submission (re-checking the rules, rendering rows and testimony pages, counting for the
report) is done by :func:`reviewer.summary.summarize`, which the decrypting worker processes run
on whole batches; this process only writes what they rendered and adds up their counts.

Every submission stands alone: its document is checked against the schema of its version before
anything uses it, and whatever still goes wrong while rendering or writing it makes *that*
submission a failure with a reason. The run always finishes with every table and the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from crypto.keys import ReviewerKey
from surveys.errors import SurveyDefinitionError
from surveys.loader import load_survey_text
from surveys.model import Survey
from surveys.schema import document_problem

from .columns import Options, Plan
from .filenames import file_name, inside, unique_in
from .media import MediaReport, Scrubber
from .merged import FOLDER, Version, write_merged
from .report import Report
from .statfiles import write_stat_files
from .summary import Summary, could_not, summarize
from .tables import SurveyTable, version_folder
from .testimonies import Attachment, TestimonyPages
from .threads import link_threads

#: Where attachments are decrypted before their content says what to call them.
SCRATCH_FOLDER = ".partial"
PAGE_TAKEN = "A page for this submission was written already in this run; this copy is set aside."


class OpenedSubmission(Protocol):
    """What the reviewer's decryption hands over (crypto.reviewer.Opened has this shape)."""

    @property
    def record(self) -> Any: ...
    @property
    def answers(self) -> dict[str, Any]: ...
    @property
    def files(self) -> dict[str, Path]: ...


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
    """The output folder of one ``glas decrypt`` run, filled submission by submission."""

    def __init__(
        self, out: Path, options: Options | None = None, keys: tuple[ReviewerKey, ...] = ()
    ) -> None:
        self.out = out
        self.options = options or Options()
        self.keys = keys
        #: The key file the testimony pages' reply command names (the first one given).
        self.key_file: Path | None = None
        self.proven: set[str] = set()
        self.definitions: dict[str, Survey] = {}
        self.plans: dict[str, Plan] = {}
        self.tables: dict[str, SurveyTable] = {}
        self.testimonies: dict[str, TestimonyPages] = {}
        self.report = Report()
        self.bundles: list[tuple[str, str]] = []
        self.scratch = out / SCRATCH_FOLDER
        self.scrubber = Scrubber()

    def close(self) -> None:
        """End the scrubbing child and remove the scratch folder (left empty by the decryptor)."""
        self.scrubber.close()
        if self.scratch.is_dir():
            for leftover in self.scratch.iterdir():
                leftover.unlink(missing_ok=True)
            self.scratch.rmdir()

    def add_bundle(self, name: str, created: str, surveys: dict[str, Any]) -> None:
        self.bundles.append((name, created))
        for version, survey in trusted_definitions(surveys).items():
            if version not in self.definitions:
                self.definitions[version] = survey
                self.plans[version] = Plan(survey, self.options)

    def processor(self) -> Callable[[list[Any]], Summary]:
        """The batch processor for the decrypting workers (it carries the definitions)."""
        plans, keys = dict(self.plans), self.keys
        return lambda opened: summarize(plans, opened, keys=keys)

    def check(self, record: Any, document: dict[str, Any]) -> str | None:
        """Why an opened document must not be used (wrong shape for its version), or None."""
        survey = self.definitions.get(record.version)
        return document_problem(survey, record.survey_id, record.version, document)

    def place_file(self, record: Any, answers: dict[str, Any], part: str, head: bytes) -> Path:
        """Where a decrypted attachment goes: named for its content, inside the output folder."""
        folder = self._folder(record) / "files" / "original" / str(record.submission_id)
        declared = next(
            (str(f["name"]) for f in answers.get("files") or [] if f"file-{f['part']}" == part),
            part,
        )
        target = unique_in(folder, file_name(declared, head))
        inside(self.out, target)
        folder.mkdir(parents=True, exist_ok=True)
        return target

    def add(self, opened: OpenedSubmission) -> list[tuple[str, str]]:
        """One submission opened in this process (it may have attachments); return failures."""
        record = opened.record
        try:
            return self._add(opened)
        except Exception as e:  # hostile content: it costs one submission, never the run
            self._discard(record, opened.files)
            reason = could_not(e)
            self.add_failure(record.submission_id, reason)
            return [(record.submission_id, reason)]

    def _add(self, opened: OpenedSubmission) -> list[tuple[str, str]]:
        record, document = opened.record, opened.answers
        folder = self._folder(record)
        relative: dict[str, str] = {}
        attachments: list[Attachment] = []
        names = {f"file-{f['part']}": str(f["name"]) for f in document.get("files") or []}
        located: list[tuple[str, str]] = []
        not_scrubbed: list[tuple[str, str, str]] = []
        for part, path in opened.files.items():
            attachment, media = self._scrub(record.submission_id, folder, path, names.get(part))
            # Tables point at the scrubbed copy where there is one: the original may carry GPS.
            relative[part] = (media.scrubbed or path).relative_to(folder).as_posix()
            attachments.append(attachment)
            if media.has_location:
                located.append((record.submission_id, attachment.name))
            if media.scrubbed is None:
                not_scrubbed.append((record.submission_id, attachment.name, media.note))
        summary = summarize(
            self.plans,
            [opened],
            {record.submission_id: relative},
            {record.submission_id: attachments},
            self.keys,
        )
        if summary.failures:
            self._discard(record, opened.files)
        failures = self._write(summary)
        for item in summary.unknown:
            self._add_unknown(item)
        if not summary.failures:  # its attachments' warnings, once, only if it was written
            self.report.warnings.located += located
            self.report.warnings.not_scrubbed += not_scrubbed
        return failures

    def add_summary(self, summary: Summary) -> list[tuple[str, str]]:
        """Write what a batch rendered; return the submissions that failed in it."""
        failures = self._write(summary)
        for item in summary.unknown:  # opened by a worker, never with files
            try:
                self._add_unknown(item)
            except Exception as e:  # hostile content: it costs one submission, never the run
                reason = could_not(e)
                self.add_failure(item.record.submission_id, reason)
                failures.append((item.record.submission_id, reason))
        return failures

    def _add_unknown(self, item: OpenedSubmission) -> None:
        """A submission whose version this run has no definition for: a plain table, its
        columns taken from the answers, written once (never sent round again)."""
        record, document = item.record, item.answers
        self.report.warnings.unknown_versions.append(
            (record.submission_id, record.survey_id, record.version)
        )
        self._table(record.version, self._folder(record)).add_unknown(
            record.submission_id, record.received, record.version, document
        )
        self.report.stats(record.survey_id, record.version, None).add(
            record.submission_id, record.received, document.get("answers") or {}
        )

    def _write(self, summary: Summary) -> list[tuple[str, str]]:
        """Write a summary's rows, pages and counts; return its failures."""
        for (survey_id, version), stats in summary.stats.items():
            self.report.stats(survey_id, version, self.plans.get(version)).merge(stats)
            table = self._table(version, version_folder(self.out, survey_id, version))
            if version in summary.rows:
                table.write_block(summary.rows[version])
        self.report.warnings.violations += summary.violations
        self.proven.update(summary.proven)
        for version, submission_id, received, page, excerpt in summary.testimonies:
            if version not in self.testimonies:
                plan = self.plans[version]
                survey = self.definitions[version]
                folder = version_folder(self.out, survey.id, version)
                title = plan.label(survey, "title")
                self.testimonies[version] = TestimonyPages(folder, survey, title, self.key_file)
            try:
                self.testimonies[version].write(submission_id, received, page, excerpt)
            except FileExistsError:
                summary.failures.append((submission_id, PAGE_TAKEN))
        failures = list(summary.failures)
        for submission_id, reason in failures:
            self.add_failure(submission_id, reason)
        return failures

    def add_failure(self, submission_id: str, reason: str) -> None:
        self.report.warnings.failed.append((submission_id, reason))

    def add_conflict(self, submission_id: str, reason: str) -> None:
        self.report.warnings.conflicts.append((submission_id, reason))

    def close_tables(self) -> None:
        for table in self.tables.values():
            table.close()
        for pages in self.testimonies.values():
            pages.close()
        # Write-backs under the page of the testimony with the same codename.
        unproven = link_threads(self.out, self.proven)
        self.report.warnings.unproven_follow_ups = unproven

    def write_stat_files(self) -> list[str]:
        """answers.sav and answers.dta of every version with a definition; returns the
        problems (one per version that could not be written), which never stop the run."""
        problems = []
        for table in self.tables.values():
            if table.plan.survey is not None:
                problems += write_stat_files(table.folder, table.plan)
        return problems

    def write_merged(self) -> None:
        """One table per survey across its versions (reviewer/merged.py); what it says goes
        to the report, and a failure costs that survey's joined table, never the run."""
        by_survey: dict[str, list[Version]] = {}
        for table in self.tables.values():
            if table.plan.survey is not None:
                by_survey.setdefault(table.plan.survey.id, []).append(
                    Version(table.folder, table.plan)
                )
        for survey_id, versions in by_survey.items():
            try:
                self.report.notes += write_merged(self.out, survey_id, versions)
            except Exception as e:  # hostile or unusual content: the versions' tables stand
                self.report.warnings.other.append(
                    f"{survey_id}: {FOLDER} not written ({type(e).__name__})"
                )

    def write_report(self, generated: str) -> Path:
        path = self.out / "report.html"
        self.report.write(path, self.bundles, generated)
        return path

    def _scrub(
        self, submission_id: str, folder: Path, path: Path, name: str | None
    ) -> tuple[Attachment, MediaReport]:
        scrubbed_folder = folder / "files" / "scrubbed" / submission_id
        media = self.scrubber.inspect_and_scrub(path, scrubbed_folder, path.stem)
        note = (
            "carries a location (GPS): share only the scrubbed copy"
            if media.has_location
            else media.note
        )
        attachment = Attachment(
            name if name is not None else path.name,
            "../" + path.relative_to(folder).as_posix(),
            "../" + media.scrubbed.relative_to(folder).as_posix() if media.scrubbed else "",
            note,
        )
        return attachment, media

    def _discard(self, record: Any, files: dict[str, Path]) -> None:
        """Remove what a failed submission left: its originals and scrubbed copies."""
        folder = self._folder(record) / "files"
        for kind in ("original", "scrubbed"):
            copies = folder / kind / str(record.submission_id)
            if copies.is_dir():
                for path in copies.iterdir():
                    path.unlink(missing_ok=True)
                copies.rmdir()
        for path in files.values():
            path.unlink(missing_ok=True)

    def _folder(self, record: Any) -> Path:
        folder = version_folder(self.out, record.survey_id, record.version)
        inside(self.out, folder)
        return folder

    def _table(self, version: str, folder: Path) -> SurveyTable:
        if version not in self.tables:
            plan = self.plans.get(version) or Plan(None, self.options)
            self.tables[version] = SurveyTable(folder, plan)
        return self.tables[version]
