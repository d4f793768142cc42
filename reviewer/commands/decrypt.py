"""``glas decrypt``: the reviewer's command that turns bundles into evidence, offline."""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

import click

from crypto.bundle import (
    BundleReader,
)
from crypto.envelope import SUBMISSION_ID_PATTERN
from crypto.keys import ReviewerKey
from crypto.reviewer import Conflict, Decryptor, Duplicate, Failed, Processed, Result
from glas.cli import BadInput, Failure
from glas.messages import _, ngettext, speaking
from glas.passphrase import read_passphrase
from reviewer.columns import Options
from reviewer.output import ReviewerOutput, trusted_definitions
from reviewer.public import DEFAULT_THRESHOLD, LOWEST_THRESHOLD
from reviewer.release import Publication, ReleaseRefused, release_pairs, write_public
from reviewer.report import BY_MONTH
from reviewer.tables import version_folder
from surveys.followups import FOLLOW_UP_ID
from surveys.model import Survey

PROGRESS_EVERY = 1000
bundle_argument = click.argument(
    "bundles", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


@click.command("decrypt")
@bundle_argument
@click.option(
    "--key",
    "key_files",
    required=True,
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A private key file (repeat for several reviewers' keys).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the tables, testimonies, files and report (created if missing).",
)
@click.option(
    "--passphrase-file",
    "passphrase_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Passphrase of each --key, in the same order (one file serves all keys).",
)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=os.cpu_count() or 1,
    show_default="all cores",
    help="Processes that open submissions in parallel.",
)
@click.option(
    "--language",
    help="Language of choice labels and of the report (default: the survey's, and yours).",
)
@click.option(
    "--values",
    type=click.Choice(["labels", "codes"]),
    default="labels",
    show_default=True,
    help="Choice answers in the tables as their labels or as their codes.",
)
@click.option(
    "--by",
    "by",
    metavar="QUESTION",
    help="Break every table of the report down by the answers to QUESTION (or 'month').",
)
@click.option(
    "--public",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write a summary safe to publish there: closed questions and month trends, "
    "small counts suppressed (see its README).",
)
@click.option(
    "--threshold",
    type=click.IntRange(LOWEST_THRESHOLD),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="With --public: counts below this are suppressed (never below 3).",
)
@click.option(
    "--public-question",
    "chosen",
    multiple=True,
    metavar="QUESTION",
    help="With --public: publish only these questions (repeat the option; default: every "
    "choice and month question).",
)
@click.option(
    "--public-cross",
    "crossings",
    multiple=True,
    metavar="FIRST,SECOND",
    help="With --public: add a two-way table of two single-answer questions (repeat the option).",
)
@click.option("--quiet", is_flag=True, help="No progress on stderr (for scripts).")
@click.option("--timings", is_flag=True, help="Print how long each phase took, on stderr.")
def command(
    bundles: tuple[Path, ...],
    key_files: tuple[Path, ...],
    out: Path,
    passphrase_files: tuple[Path, ...],
    workers: int,
    language: str | None,
    values: str,
    by: str | None,
    public: Path | None,
    threshold: int,
    chosen: tuple[str, ...],
    crossings: tuple[str, ...],
    quiet: bool,
    timings: bool,
) -> None:
    """Decrypt BUNDLES into tables, testimonies, files and report.html."""
    # Everything written from here on is plaintext: readable by the reviewer's account only.
    os.umask(0o077)
    code = language.strip().lower() if language else None
    with speaking(code):
        if by:
            _check_by(by, bundles)
        options = Options(code, values == "codes", by)
        publish = None
        if public is not None:
            surveys = [s for b in bundles for s in _definitions(b)]
            try:
                pairs = release_pairs(surveys, chosen, crossings)
            except ReleaseRefused as e:
                raise BadInput(str(e)) from None
            publish = Publication(public, threshold, chosen or None, pairs)
        _decrypt(
            bundles, key_files, out, passphrase_files, workers, options, quiet, timings, publish
        )


def _by_survey(output: ReviewerOutput, out: Path) -> dict[str, tuple[Survey, list[Path]]]:
    """Each survey's definition (one of its versions) and its versions' answers.json."""
    found: dict[str, tuple[Survey, list[Path]]] = {}
    for version, survey in sorted(output.definitions.items()):
        table = version_folder(out, survey.id, version) / "answers.json"
        if survey.id == FOLLOW_UP_ID or not table.exists():
            continue
        files = found.get(survey.id, (survey, []))[1]
        found[survey.id] = (survey, [*files, table])
    return found


def _decrypt(
    bundles: tuple[Path, ...],
    key_files: tuple[Path, ...],
    out: Path,
    passphrase_files: tuple[Path, ...],
    workers: int,
    options: Options,
    quiet: bool,
    timings: bool,
    publish: Publication | None = None,
) -> None:
    keys = _load_keys(key_files, passphrase_files)
    out.mkdir(parents=True, exist_ok=True)
    output = ReviewerOutput(out, options, tuple(keys))
    output.key_file = key_files[0] if key_files else None
    counts = {"opened": 0, "failed": 0, "not_for_us": 0, "duplicates": 0, "conflicts": 0}
    started = time.perf_counter()
    with Decryptor(keys, output.scratch, workers, output.check) as decryptor:
        for bundle in bundles:
            with BundleReader(bundle) as reader:
                output.add_bundle(bundle.name, reader.created, reader.surveys)
                results = decryptor.decrypt(reader, output.place_file, output.processor())
                for result in results:
                    _take(result, output, counts, quiet, bundle)
        for failed in decryptor.finish():
            _take(failed, output, counts, quiet)
    output.close()
    output.close_tables()
    phases = [("decrypt + CSV + JSON + XLSX", time.perf_counter() - started)]
    start = time.perf_counter()
    for problem in output.write_stat_files():
        click.echo(problem, err=True)
        output.report.warnings.other.append(problem)
    output.write_merged()
    phases.append(("SPSS + Stata, versions joined", time.perf_counter() - start))
    start = time.perf_counter()
    output.report.duplicates = counts["duplicates"]
    output.write_report(datetime.date.today().isoformat())
    phases.append(("report", time.perf_counter() - start))
    if not quiet and counts["opened"] >= PROGRESS_EVERY:
        click.echo("", err=True)
    if timings:
        for name, seconds in phases:
            click.echo(f"timing {name}: {seconds:.2f} s", err=True)
    if publish is not None:
        language = options.language or "en"
        write_public(
            publish.folder,
            _by_survey(output, out),
            publish.threshold,
            language,
            publish.chosen,
            publish.crossings,
        )
        click.echo(
            _("Public summary: %(folder)s (read its README.txt first).", folder=publish.folder)
        )
    _finish(counts, out, key_files, bundles)


def _take(
    result: Result,
    output: ReviewerOutput,
    counts: dict[str, int],
    quiet: bool,
    bundle: Path | None = None,
) -> None:
    """Write out (or count, or report) one result of the decryptor."""
    if isinstance(result, Duplicate):
        counts["duplicates"] += 1
        return
    if isinstance(result, Conflict):
        counts["conflicts"] += 1
        output.add_conflict(result.submission_id, result.reason)
        _tell_failure(result.submission_id, result.reason)
        return
    if isinstance(result, Failed):
        counts["not_for_us" if result.not_for_us else "failed"] += 1
        output.add_failure(result.submission_id, result.reason)
        _tell_failure(result.submission_id, result.reason, bundle)
        return
    if isinstance(result, Processed):
        failures = output.add_summary(result.summary)
        added = result.count
    else:
        failures = output.add(result)
        added = 1
    for submission_id, reason in failures:
        _tell_failure(submission_id, reason)
    counts["failed"] += len(failures)
    counts["opened"] += added - len(failures)
    if not quiet and counts["opened"] // PROGRESS_EVERY != (
        (counts["opened"] - added) // PROGRESS_EVERY
    ):
        _progress(counts["opened"])


def _definitions(bundle: Path) -> list[Survey]:
    """The survey versions a bundle describes (those whose definition hashes right)."""
    with BundleReader(bundle) as reader:
        return list(trusted_definitions(reader.surveys).values())


def _check_by(by: str, bundles: tuple[Path, ...]) -> None:
    """``--by`` names "month" (of arrival), or a choice or month question (of occurrence) of a
    survey in the bundles: say so before the long part, not after."""
    if by == BY_MONTH:
        return
    for bundle in bundles:
        for survey in _definitions(bundle):
            question = survey.by_name.get(by)
            # A repeat's question has an answer per instance, not one per submission.
            if (
                question is not None
                and (question.choices or question.type == "month")
                and by not in survey.repeat_of
            ):
                return
    raise BadInput(
        _(
            "--by %(name)s: no survey in these bundles has a choice or month question of that "
            "name (or give 'month', the month a submission arrived).",
            name=by,
        )
    )


def _load_keys(
    key_files: tuple[Path, ...], passphrase_files: tuple[Path, ...]
) -> list[ReviewerKey]:
    if len(passphrase_files) not in (0, 1, len(key_files)):
        raise BadInput(_("Give one --passphrase-file for all keys, or one per --key, in order."))
    keys = []
    for i, key_file in enumerate(key_files):
        source = passphrase_files[min(i, len(passphrase_files) - 1)] if passphrase_files else None
        keys.append(
            ReviewerKey.load(
                key_file, read_passphrase(source, _("Passphrase for %(file)s", file=key_file))
            )
        )
    return keys


def _tell_failure(submission_id: str, reason: str, bundle: Path | None = None) -> None:
    if bundle is not None and not SUBMISSION_ID_PATTERN.match(submission_id):
        click.echo(f"{bundle.name}: {reason}", err=True)  # the bundle itself, not one submission
    else:
        click.echo(f"Submission {submission_id}: {reason}", err=True)


def _progress(opened: int) -> None:
    end = "\r" if sys.stderr.isatty() else "\n"
    click.echo(_("Opened %(num)d submissions…", num=opened), err=True, nl=False)
    click.echo(end, err=True, nl=False)


def _finish(
    counts: dict[str, int], out: Path, key_files: tuple[Path, ...], bundles: tuple[Path, ...]
) -> None:
    opened, failed, not_for_us = counts["opened"], counts["failed"], counts["not_for_us"]
    if opened == 0 and failed == 0 and not_for_us:
        names = ", ".join(str(k) for k in key_files)
        raise BadInput(
            _("The key(s) %(names)s open none of the submissions in the bundle(s).", names=names)
        )
    click.echo(
        ngettext(
            "Decrypted %(num)d submission into %(folder)s (see %(report)s).",
            "Decrypted %(num)d submissions into %(folder)s (see %(report)s).",
            opened,
            folder=out,
            report=out / "report.html",
        )
    )
    if counts["duplicates"]:
        click.echo(
            _(
                "Skipped %(num)d duplicate(s) found in more than one bundle.",
                num=counts["duplicates"],
            )
        )
    if failed or not_for_us:
        raise Failure(
            _(
                "%(num)d submission(s) could not be opened (listed above).",
                num=failed + not_for_us,
            )
        )
