"""A bundle that was tampered with or damaged: the affected submission is named, the rest open."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from crypto.bundle import SubmissionRecord
from crypto.keys import ReviewerKey

from .conftest import RunCli
from .helpers import open_bundle, submit_testimony, version_folder


@pytest.fixture
def bundle(client: FlaskClient, published: RunCli, tmp_path: Path) -> Path:
    """Three testimonies, the second with a two-chunk attachment."""
    submit_testimony(client, "first testimony text")
    submit_testimony(
        client, "second testimony text", attachment=b"\x89PNG\r\n\x1a\n" + b"\x89PNG" * 40_000
    )
    submit_testimony(client, "third testimony text")
    path = tmp_path / "export.glas"
    assert published("export", "--out", path).exit_code == 0
    return path


def members(bundle: Path) -> dict[str, tuple[int, int, int]]:
    """Member name -> (header offset, data offset, size) in the raw bundle file."""
    with tarfile.open(bundle) as tar:
        return {m.name: (m.offset, m.offset_data, m.size) for m in tar.getmembers()}


def second_submission(bundle: Path) -> tuple[str, list[tuple[int, int, int]]]:
    layout = members(bundle)
    parts = [n for n in layout if n.count("/") == 2]
    submission_id = parts[0].split("/")[1]
    return submission_id, [layout[f"submissions/{submission_id}.json"], layout[parts[0]]]


def flipped(bundle: Path, position: int, tmp_path: Path) -> Path:
    data = bytearray(bundle.read_bytes())
    data[position] ^= 0x20
    copy = tmp_path / f"flipped-{position}.glas"
    copy.write_bytes(bytes(data))
    return copy


def test_a_byte_flip_anywhere_in_one_submission_fails_only_that_submission(
    bundle: Path, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> None:
    target, regions = second_submission(bundle)
    positions = []
    for header, data, size in regions:
        positions += range(header, header + 512, 37)  # the tar header of the member
        positions += range(data, data + size, max(1, size // 40))  # and its contents
        positions.append(data + size - 1)
    for position in positions:
        opened, failed = open_bundle(
            flipped(bundle, position, tmp_path), reviewer[1], tmp_path / "o"
        )
        texts = sorted(o.answers["answers"]["what_happened"] for o in opened)
        assert texts == ["first testimony text", "third testimony text"], position
        assert target in {f.submission_id for f in failed}, position


def test_cli_names_the_tampered_submission_decrypts_the_rest_and_exits_1(
    bundle: Path,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    target, regions = second_submission(bundle)
    _header, data, size = regions[1]
    damaged = flipped(bundle, data + size // 2, tmp_path)
    out = tmp_path / "out"
    result = published(
        "decrypt", damaged, "--key", reviewer[0], "--out", out, "--passphrase-file", passphrase_file
    )
    assert result.exit_code == 1
    assert f"Submission {target}: Failed authentication" in result.output
    folder = version_folder(out, "testimony")
    rows = (folder / "answers.csv").read_text().splitlines()
    assert len(rows) == 3 and not any(target in row for row in rows)
    assert not any((folder / "files").rglob(f"{target}/*"))
    assert target in (out / "report.html").read_text()


def rewrite_record(bundle: Path, tmp_path: Path, change: dict[str, str]) -> Path:
    """Re-pack the bundle with one record's metadata changed (and its checksum made valid)."""
    out = tmp_path / "moved.glas"
    with tarfile.open(bundle) as src, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as dst:
        changed = False
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if (
                member.name.endswith(".json")
                and member.name.startswith("submissions/")
                and not changed
            ):
                record = SubmissionRecord.from_json(data)
                for field, value in change.items():
                    setattr(record, field, value)
                data = record.to_json()
                member.size = len(data)
                changed = True
            dst.addfile(member, io.BytesIO(data))
    return out


@pytest.mark.parametrize(
    "change",
    [
        {"survey_id": "needs-assessment"},
        {"version": "0" * 64},
        {"submission_id": "f" * 32},
    ],
)
def test_moving_a_submission_to_another_survey_version_or_id_is_detected(
    bundle: Path, reviewer: tuple[Path, ReviewerKey], tmp_path: Path, change: dict[str, str]
) -> None:
    opened, failed = open_bundle(
        rewrite_record(bundle, tmp_path, change), reviewer[1], tmp_path / "o"
    )
    assert len(opened) == 2
    # If the moved submission has attachments, they are also named: their record no longer
    # matches. A record whose id no longer matches its name is refused before any key is used.
    assert any("authentication" in f.reason or "another submission" in f.reason for f in failed)
    assert len({f.submission_id for f in failed}) == len(failed) <= 2


def test_a_truncated_bundle_is_reported_not_silently_shortened(
    bundle: Path, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> None:
    cut = tmp_path / "cut.glas"
    cut.write_bytes(bundle.read_bytes()[: members(bundle)["end.json"][0]])
    opened, failed = open_bundle(cut, reviewer[1], tmp_path / "o")
    assert len(opened) == 3
    assert any("cut short" in f.reason for f in failed)


def test_wrong_passphrase_is_one_clear_line_and_exit_2(
    bundle: Path, published: RunCli, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all\n")
    result = published(
        "decrypt", bundle, "--key", reviewer[0], "--out", tmp_path / "o", "--passphrase-file", wrong
    )
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: Wrong passphrase for {reviewer[0]}."


def test_key_of_someone_else_is_one_clear_line_and_exit_2(
    bundle: Path,
    published: RunCli,
    other_reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    result = published(
        "decrypt",
        bundle,
        "--key",
        other_reviewer[0],
        "--out",
        tmp_path / "o",
        "--passphrase-file",
        passphrase_file,
    )
    assert result.exit_code == 2
    assert "open none of the submissions" in result.output.strip().splitlines()[-1]


def test_manifest_definitions_travel_with_the_bundle(bundle: Path) -> None:
    with tarfile.open(bundle) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    (definition,) = manifest["surveys"].values()
    assert definition["id"] == "testimony"
