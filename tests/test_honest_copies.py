"""The reviewer is shown one honest copy of each submission, whatever a bundle holds.

Whoever carries a bundle can rewrite it: file a forged record under another name, give a
damaged copy before the good one, or two different copies of one id. The reviewer's tools key
every copy by the id sealed inside it, refuse a record filed under another name, use the copy
that opens, and report every copy they set aside. A damaged manifest (no attacker needed) gives
one row per submission, not one per recursion.
"""

from __future__ import annotations

import csv
from pathlib import Path

from flask.testing import FlaskClient

from crypto.bundle import BundleReader, SubmissionRecord
from crypto.envelope import new_submission_id
from crypto.keys import ReviewerKey

from .conftest import RunCli, submit_needs
from .helpers import decrypt, submit_testimony, version_folder
from .hostile import Crafted, flip, jpeg, member_layout, rebuild, versions, without_definition

REAL = "He took my passport at the station."
FORGED = "FORGED-TEXT written by whoever rewrote the bundle"


def exported(published: RunCli, path: Path) -> Path:
    assert published("export", "--out", path).exit_code == 0
    return path


def record_ids(bundle: Path, survey_id: str) -> list[str]:
    with BundleReader(bundle) as reader:
        return [
            e.submission_id
            for e in reader
            if isinstance(e, SubmissionRecord) and e.survey_id == survey_id
        ]


def rows(out: Path, survey_id: str) -> list[dict[str, str]]:
    with open(version_folder(out, survey_id) / "answers.csv", encoding="utf-8") as table:
        return list(csv.DictReader(table))


def forge_copy(bundle: Path, key: ReviewerKey, tmp_path: Path, filed_as: str | None) -> Path:
    """The bundle plus a testimony sealed under the real testimony's id (anyone can seal to a
    reviewer's public key), filed under ``filed_as`` or, when None, under that same id."""
    (real_id,) = record_ids(bundle, "testimony")
    version = versions(bundle)["testimony"]
    crafted = Crafted(key.public_key, tmp_path / "crafted")
    crafted.folder.mkdir()
    answers = {"what_happened": FORGED, "who": ["police"]}
    crafted.seal(
        "testimony",
        version,
        crafted.document("testimony", version, answers),
        submission_id=real_id,
    )
    if filed_as is not None:
        crafted.filed_as[real_id] = filed_as
    target = tmp_path / "rewritten.glas"
    rebuild(bundle, target, crafted)
    return target


def test_a_record_filed_under_another_name_is_refused_and_the_real_testimony_is_shown(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, REAL, attachment=jpeg())
    honest = exported(published, tmp_path / "honest.glas")
    (real_id,) = record_ids(honest, "testimony")
    other_id = new_submission_id()
    forged = forge_copy(honest, reviewer[1], tmp_path, filed_as=other_id)

    checked = published("verify", forged)
    assert checked.exit_code == 1
    assert f"submissions/{other_id}.json: The record inside names another submission" in (
        checked.output
    )

    out = tmp_path / "out"
    result = decrypt(published, out, [forged], [reviewer[0]], passphrase_file)
    assert result.exit_code == 1, result.output
    assert f"Submission {other_id}: The record inside names another submission" in result.output
    (row,) = rows(out, "testimony")
    assert row["submission_id"] == real_id
    page = (version_folder(out, "testimony") / "testimonies" / f"{real_id}.html").read_text()
    assert REAL in page and "FORGED" not in page
    assert not (version_folder(out, "testimony") / "testimonies" / f"{other_id}.html").exists()
    files = version_folder(out, "testimony") / "files" / "original"
    assert [p.name for p in files.iterdir()] == [real_id]
    assert len(list((files / real_id).iterdir())) == 1, "no forged attachment beside hers"


def test_a_copy_that_fails_to_open_given_first_does_not_hide_the_good_copy(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, REAL, attachment=jpeg((64, 48)))
    good = exported(published, tmp_path / "good.glas")
    (real_id,) = record_ids(good, "testimony")
    _, offset, size = member_layout(good)[f"submissions/{real_id}/file-0"]
    damaged = flip(good, offset + size // 2, tmp_path / "damaged.glas")

    out = tmp_path / "out"
    result = decrypt(published, out, [damaged, good], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    assert "Decrypted 1 submission" in result.output
    assert f"Submission {real_id}: An earlier copy could not be opened" in result.output
    (row,) = rows(out, "testimony")
    assert row["submission_id"] == real_id
    report = (out / "report.html").read_text()
    assert "An earlier copy could not be opened" in report
    assert "could not be opened.</strong>" not in report, "no failure is left in the report"


def test_a_damaged_copy_in_a_worker_batch_does_not_hide_the_good_copy(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    submit_needs(client, services_wanted=["legal"], suggestions="kept")
    good = exported(published, tmp_path / "good.glas")
    (needs_id,) = record_ids(good, "needs-assessment")
    _, offset, size = member_layout(good)[f"submissions/{needs_id}.json"]
    damaged = flip(good, offset + size // 3, tmp_path / "damaged.glas")

    out = tmp_path / "out"
    args = ["--workers", "2"]
    result = published(
        "decrypt", damaged, good, "--key", reviewer[0], "--passphrase-file", passphrase_file,
        "--out", out, *args,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [r["submission_id"] for r in rows(out, "needs-assessment")] == [needs_id]
    assert "An earlier copy could not be opened" in (out / "report.html").read_text()


def test_two_different_authentic_copies_keep_the_first_and_report_the_other(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, REAL)
    honest = exported(published, tmp_path / "honest.glas")
    (real_id,) = record_ids(honest, "testimony")
    # The forged copy is filed under the real id, in a bundle of its own given second.
    second = forge_copy(honest, reviewer[1], tmp_path, filed_as=None)

    out = tmp_path / "out"
    result = decrypt(published, out, [honest, second], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    assert f"Submission {real_id}: A different copy of this submission" in result.output
    assert "Skipped 1 duplicate" in result.output  # the honest copy inside the second bundle
    assert [r["submission_id"] for r in rows(out, "testimony")] == [real_id]
    page = (version_folder(out, "testimony") / "testimonies" / f"{real_id}.html").read_text()
    assert REAL in page and "FORGED" not in page
    assert "A different copy of this submission" in (out / "report.html").read_text()


def test_a_version_whose_definition_is_missing_or_damaged_gives_one_row_per_submission(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, "The first testimony of two.")
    submit_testimony(client, "The second testimony, with a photo.", attachment=jpeg())
    honest = exported(published, tmp_path / "honest.glas")
    ids = sorted(record_ids(honest, "testimony"))
    for damaged in (False, True):
        bundle = without_definition(honest, tmp_path / f"d{damaged}.glas", "testimony", damaged)
        out = tmp_path / f"out-{damaged}"
        result = decrypt(published, out, [bundle], [reviewer[0]], passphrase_file)
        assert result.exit_code == 0, result.output
        found = rows(out, "testimony")
        assert sorted(r["submission_id"] for r in found) == ids
        report = (out / "report.html").read_text()
        assert "2 submissions name a survey version this bundle does not describe" in report
