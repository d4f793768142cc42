"""``glas verify``: check bundles for damage before (or without) decrypting, with no key."""

from __future__ import annotations

from pathlib import Path

import click

from crypto.bundle import (
    MANIFEST_NAME,
    SUBMISSIONS_DIR,
    TRAILER_NAME,
    BundleReader,
    DamagedRecord,
    PartStream,
    RawRecord,
    Truncated,
)
from crypto.errors import BundleFormatError
from glas.cli import Failure
from glas.messages import _
from reviewer.output import trusted_definitions

from .decrypt import bundle_argument


@click.command("verify")
@bundle_argument
def command(bundles: tuple[Path, ...]) -> None:
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
    """Read the whole bundle, hashing every member; name each member that is damaged,
    missing or unexpected. Problems are keyed by member, so each is named once."""
    problems: dict[str, str] = {}
    records = parts = 0
    try:
        reader = BundleReader(bundle, digests=True)
    except BundleFormatError as e:
        return [f"{MANIFEST_NAME}: {e}"], 0, 0
    with reader:
        definitions = trusted_definitions(reader.surveys)
        for digest in sorted(set(reader.surveys) - set(definitions)):
            problems[f"{MANIFEST_NAME} ({digest[:12]})"] = (
                "a survey definition does not match its version digest"
            )
        expected: dict[str, set[str]] = {}
        for entry in reader.raw_entries():
            if isinstance(entry, RawRecord):
                parsed = entry.parse()
                records += 1
                if isinstance(parsed, DamagedRecord):
                    problems.setdefault(entry.name, parsed.reason)
                    continue
                expected[parsed.submission_id] = set(parsed.parts)
                if parsed.version not in definitions:
                    problems.setdefault(entry.name, "its survey version is not in the manifest")
            elif isinstance(entry, PartStream):
                parts += 1
                name = f"{SUBMISSIONS_DIR}/{entry.submission_id}/{entry.part}"
                if entry.part not in expected.get(entry.submission_id, set()):
                    problems.setdefault(name, "an attachment no record lists")
                expected.get(entry.submission_id, set()).discard(entry.part)
                while entry.source.read(1024 * 1024):  # to the end: every byte is hashed
                    pass
            elif isinstance(entry, DamagedRecord):
                records += 1
                problems.setdefault(entry.name, entry.reason)
            elif isinstance(entry, Truncated):
                problems.setdefault(TRAILER_NAME, entry.reason)
        for sid, missing in expected.items():
            for part in sorted(missing):
                problems.setdefault(f"{SUBMISSIONS_DIR}/{sid}/{part}", "missing")
        _compare_digests(reader, problems)
    return [f"{name}: {reason}" for name, reason in problems.items()], records, parts


def _compare_digests(reader: BundleReader, problems: dict[str, str]) -> None:
    """Hold what was read against what end.json lists for every member."""
    trailer = reader.trailer
    if trailer is None:
        return  # no good end.json: named already as a problem
    if trailer.members is None:
        click.echo(
            _(
                "%(bundle)s was written before bundles carried member digests: damage inside an "
                "attachment shows only when it is decrypted.",
                bundle=reader.path.name,
            ),
            err=True,
        )
        return
    listed = dict(trailer.members)
    for name, digest in reader.digests:
        promised = listed.pop(name, None)
        if promised is None:
            problems.setdefault(name, "not listed in end.json (added or renamed)")
        elif promised != digest:
            problems.setdefault(name, "damaged (its digest does not match end.json)")
    for name in listed:
        problems.setdefault(name, "missing or unreadable")
