"""``glas decrypt`` and ``glas verify``: the reviewer's commands, run on the offline machine."""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

import click

from crypto.bundle import BundleReader, DamagedRecord, PartStream, RawRecord, Truncated
from crypto.keys import ReviewerKey
from crypto.reviewer import Decryptor, Duplicate, Failed, Processed
from surveys.output import ReviewerOutput, trusted_definitions

from . import BadInput, Failure
from .messages import _, ngettext
from .passphrase import read_passphrase

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
@click.option("--quiet", is_flag=True, help="No progress on stderr (for scripts).")
@click.option("--timings", is_flag=True, help="Print how long each phase took, on stderr.")
def command(
    bundles: tuple[Path, ...],
    key_files: tuple[Path, ...],
    out: Path,
    passphrase_files: tuple[Path, ...],
    workers: int,
    quiet: bool,
    timings: bool,
) -> None:
    """Decrypt BUNDLES into tables, testimonies, files and report.html."""
    # Everything written from here on is plaintext: readable by the reviewer's account only.
    os.umask(0o077)
    keys = _load_keys(key_files, passphrase_files)
    out.mkdir(parents=True, exist_ok=True)
    output = ReviewerOutput(out)
    counts = {"opened": 0, "failed": 0, "not_for_us": 0, "duplicates": 0}
    started = time.perf_counter()
    with Decryptor(keys, workers) as decryptor:
        for bundle in bundles:
            with BundleReader(bundle) as reader:
                output.add_bundle(bundle.name, reader.created, reader.surveys)
                results = decryptor.decrypt(reader, output.place_file, output.processor())
                for result in results:
                    if isinstance(result, Processed):
                        output.add_summary(result.summary)
                        counts["opened"] += result.count
                        if not quiet and counts["opened"] % PROGRESS_EVERY < result.count:
                            _progress(counts["opened"])
                        continue
                    if isinstance(result, Duplicate):
                        counts["duplicates"] += 1
                        continue
                    if isinstance(result, Failed):
                        counts["not_for_us" if result.not_for_us else "failed"] += 1
                        output.add_failure(result.submission_id, result.reason)
                        click.echo(f"Submission {result.submission_id}: {result.reason}", err=True)
                        continue
                    output.add(result)
                    counts["opened"] += 1
                    if not quiet and counts["opened"] % PROGRESS_EVERY == 0:
                        _progress(counts["opened"])
    output.close_tables()
    phases = [("decrypt + CSV + JSON", time.perf_counter() - started)]
    start = time.perf_counter()
    output.write_workbooks()
    phases.append(("XLSX", time.perf_counter() - start))
    start = time.perf_counter()
    output.report.duplicates = counts["duplicates"]
    output.write_report(datetime.date.today().isoformat())
    phases.append(("report", time.perf_counter() - start))
    if not quiet and counts["opened"] >= PROGRESS_EVERY:
        click.echo("", err=True)
    if timings:
        for name, seconds in phases:
            click.echo(f"timing {name}: {seconds:.2f} s", err=True)
    _finish(counts, out, key_files, bundles)


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


@click.command("verify")
@bundle_argument
def verify(bundles: tuple[Path, ...]) -> None:
    """Check BUNDLES for damage and survey-version digests, without any private key."""
    problems = 0
    for bundle in bundles:
        found, records, parts = _verify_one(bundle)
        for line in found:
            click.echo(f"{bundle.name}: {line}", err=True)
        problems += len(found)
        state = _("intact") if not found else _("%(num)d problem(s)", num=len(found))
        click.echo(
            _(
                "%(bundle)s: %(records)d submissions, %(parts)d attachments, %(state)s.",
                bundle=bundle.name,
                records=records,
                parts=parts,
                state=state,
            )
        )
    if problems:
        raise Failure(_("%(num)d problem(s) found (listed above).", num=problems))


def _verify_one(bundle: Path) -> tuple[list[str], int, int]:
    problems: list[str] = []
    records = parts = 0
    with BundleReader(bundle) as reader:
        definitions = trusted_definitions(reader.surveys)
        bad = set(reader.surveys) - set(definitions)
        problems += [f"survey version {d[:12]} does not match its definition" for d in sorted(bad)]
        expected: dict[str, set[str]] = {}
        for entry in reader.raw_entries():
            if isinstance(entry, RawRecord):
                parsed = entry.parse()
                records += 1
                if isinstance(parsed, DamagedRecord):
                    problems.append(f"submission {parsed.submission_id}: {parsed.reason}")
                    continue
                expected[parsed.submission_id] = set(parsed.parts)
                if parsed.version not in definitions:
                    problems.append(f"submission {parsed.submission_id}: unknown survey version")
            elif isinstance(entry, PartStream):
                parts += 1
                if entry.part not in expected.get(entry.submission_id, set()):
                    problems.append(f"submission {entry.submission_id}: unexpected {entry.part}")
                expected.get(entry.submission_id, set()).discard(entry.part)
                while entry.source.read(1024 * 1024):  # to the end: the member is all there
                    pass
            elif isinstance(entry, DamagedRecord):
                records += 1
                problems.append(f"submission {entry.submission_id}: {entry.reason}")
            elif isinstance(entry, Truncated):
                problems.append(entry.reason)
        problems += [
            f"submission {sid}: {part} is missing"
            for sid, missing in expected.items()
            for part in sorted(missing)
        ]
    return problems, records, parts
