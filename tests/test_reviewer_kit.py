"""The reviewer kit: several bundles and keys, workbook, report, testimonies, scrubbing, verify."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from PIL import Image

from crypto.keys import ReviewerKey

from .conftest import EXAMPLES, FEED, ROOT, RunCli, gps_photo, submit_needs
from .helpers import decrypt, version_folder


def test_several_bundles_merge_without_duplicates(
    two_bundles: list[Path],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    result = decrypt(published, out, [*two_bundles, two_bundles[0]], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    assert "Skipped 3 duplicate(s)" in result.output
    rows = (version_folder(out, "needs-assessment") / "answers.csv").read_text().splitlines()
    assert len(rows) == 1 + 3
    assert "'=HYPERLINK(evil)" in "\n".join(rows)  # a formula is defused for spreadsheets


def test_two_keys_each_open_what_is_sealed_to_them(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    other_reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    submit_needs(client, services_wanted=["legal"])
    assert published("reviewers", "add", other_reviewer[0], "--name", "Boris").exit_code == 0
    submit_needs(client, services_wanted=["doctor"])  # sealed to Ana and Boris
    bundle = tmp_path / "b.glas"
    published("export", "--out", bundle)
    only_boris = decrypt(
        published, tmp_path / "boris", [bundle], [other_reviewer[0]], passphrase_file
    )
    assert only_boris.exit_code == 1 and "no key slot" in only_boris.output
    both = decrypt(
        published, tmp_path / "both", [bundle], [reviewer[0], other_reviewer[0]], passphrase_file
    )
    assert both.exit_code == 0 and "Decrypted 2 submissions" in both.output


def test_workbook_holds_every_answer_as_labels_numbers_and_a_codebook(
    decrypted: Path,
) -> None:
    folder = version_folder(decrypted, "needs-assessment")
    book = load_workbook(folder / "answers.xlsx", read_only=True)
    answers = [list(r) for r in book["needs-assessment"].iter_rows(values_only=True)]
    assert len(answers) == 2 + 3  # what each column means, its name, then the rows
    header = answers[1]
    cells = {c for row in answers for c in row if c}
    labels = {"A doctor or nurse who does not judge;Legal advice", "Under 25", "Legal advice"}
    assert labels - {"Legal advice"} <= cells and 4 in cells and 12 in cells  # numbers as numbers
    legal = header.index("services_wanted/legal")
    assert sorted(row[legal] for row in answers[2:]) == [0, 0, 1]
    codebook = [list(r) for r in book["codebook"].iter_rows(values_only=True)]
    book.close()
    assert ["answers.csv", None, None, None, None, None, "legal", "Legal advice"] in codebook
    assert (folder / "codebook.csv").read_text().count("Legal advice") == 2


def test_report_is_self_contained_and_links_only_into_its_folder(
    decrypted: Path,
) -> None:
    out = decrypted
    report = (out / "report.html").read_text()
    assert "http://" not in report and "https://" not in report
    assert "src=" not in report  # bars are HTML: no images, no scripts
    for link in re.findall(r'href="([^"#]+)', report):
        assert not link.startswith(("/", "..")) and (out / link).is_file(), link
    survey = __import__("surveys").load_survey_file(EXAMPLES / "needs-assessment.yaml")
    for question in survey.closed_questions:
        assert f'id="needs-assessment-{survey.digest()[:12]}-{question.name}"' in report
    assert "He took my passport" in report  # free text is listed


def test_gps_photo_is_scrubbed_and_flagged_original_kept(
    decrypted: Path,
) -> None:
    out = decrypted
    folder = version_folder(out, "testimony")
    (original,) = (folder / "files" / "original").glob("*/photo.jpg")
    (scrubbed,) = (folder / "files" / "scrubbed").glob("*/photo.jpg")
    assert original.read_bytes() == gps_photo() or b"Exif" in original.read_bytes()
    with Image.open(original) as image:
        assert image.getexif().get_ifd(0x8825)
    with Image.open(scrubbed) as image:
        assert not image.getexif() and image.size == (32, 24)
    report = (out / "report.html").read_text()
    assert "1 attachment carries a location (GPS)" in report and "photo.jpg" in report


def test_each_testimony_gets_a_readable_page_and_an_index(
    decrypted: Path,
) -> None:
    out = decrypted
    pages = version_folder(out, "testimony") / "testimonies"
    index = (pages / "index.html").read_text()
    (page,) = [p for p in pages.glob("*.html") if p.name != "index.html"]
    text = page.read_text()
    assert page.name in index
    assert "What happened?" in text and "He took my passport and hit me." in text
    assert "Police" in text  # choice labels, not names
    assert "scrubbed copy" in text and "../files/scrubbed/" in text
    assert 'href="../../../report.html#testimony-' in text  # and the report links here


def test_testimony_pages_speak_the_language_asked_for(
    two_bundles: list[Path],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "mk"
    result = published(
        "decrypt", *two_bundles, "--key", reviewer[0], "--passphrase-file", passphrase_file,
        "--out", out, "--language", "mk",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pages = version_folder(out, "testimony") / "testimonies"
    (page,) = [p for p in pages.glob("*.html") if p.name != "index.html"]
    text = page.read_text()
    assert '<html lang="mk">' in text and "Што се случи?" in text and "Сведоштво" in text
    report = (out / "report.html").read_text()
    assert f'href="testimony/{pages.parent.name}/testimonies/{page.name}"' in report


def test_answers_breaking_their_version_rules_are_warned_about(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
    app,  # type: ignore[no-untyped-def]
) -> None:
    from crypto.bundle import SubmissionRecord
    from crypto.envelope import Binding, Sealer, new_submission_id
    from portal import current_store

    with app.app_context():
        store = current_store()
        published_survey = store.published("needs-assessment")
        binding = Binding("needs-assessment", published_survey.version, new_submission_id())
        sealer = Sealer(binding, store.recipients())
        forged = {"answers": {"visits_per_month": 400}, "files": []}  # bypassing the form
        store.save_submission(
            SubmissionRecord(
                binding.submission_id,
                binding.survey_id,
                binding.version,
                "2024-05-01",
                1024,
                sealer.slots,
                sealer.seal_answers(forged),
                [],
            ),
            None,
        )
    bundle = tmp_path / "b.glas"
    published("export", "--out", bundle)
    out = tmp_path / "out"
    assert decrypt(published, out, [bundle], [reviewer[0]], passphrase_file).exit_code == 0
    report = (out / "report.html").read_text()
    assert "1 submission breaks its survey version" in report and binding.submission_id in report
    assert "at most 31" in report and "needs an answer" in report


def test_verify_checks_a_bundle_without_any_key(
    two_bundles: list[Path], published: RunCli, tmp_path: Path
) -> None:
    good = published("verify", *two_bundles)
    assert good.exit_code == 0 and "intact" in good.output
    damaged = tmp_path / "damaged.glas"
    data = bytearray(two_bundles[0].read_bytes())
    with tarfile.open(two_bundles[0]) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("submissions/"))
    data[member.offset_data + 30] ^= 0x01
    damaged.write_bytes(bytes(data))
    bad = published("verify", damaged)
    assert bad.exit_code == 1 and "damaged" in bad.output


def without_web_stack(*args: object, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `glas ARGS` as on a reviewer's laptop: Flask, Werkzeug, SQLAlchemy, Alembic, stem,
    gunicorn and the rest of the server's packages cannot be imported."""
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "without_web_stack.py"), *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
    )


@pytest.mark.slow  # 10 s of subprocesses; the same commands run in-process in make check
def test_every_reviewer_command_runs_without_the_web_stack(
    two_bundles: list[Path],
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    out, key = tmp_path / "offline", reviewer[0]
    new_key, signing_key = tmp_path / "new.key", tmp_path / "signing.key"
    runs = {
        "help": without_web_stack("--help"),
        "keys new": without_web_stack(
            "keys", "new", "--out", new_key, "--passphrase-file", passphrase_file
        ),
        "keys show": without_web_stack("keys", "show", key),
        "verify": without_web_stack("verify", *two_bundles),
        "decrypt": without_web_stack(
            "decrypt",
            *two_bundles,
            "--key",
            key,
            "--passphrase-file",
            passphrase_file,
            "--out",
            out,
        ),
    }
    (testimony,) = json.loads(
        next((out / "testimony").glob("*/answers.json")).read_text(encoding="utf-8")
    )
    runs["reply"] = without_web_stack(
        "reply",
        out,
        testimony["id"][:8],
        "--key",
        key,
        "--passphrase-file",
        passphrase_file,
        "--message-file",
        "-",
        "--out",
        tmp_path / "r.reply",
        stdin="We can help.",
    )
    runs["alerts keygen"] = without_web_stack(
        "alerts", "keygen", "--out", signing_key, "--passphrase-file", passphrase_file
    )
    runs["alerts sign"] = without_web_stack(
        "alerts",
        "sign",
        FEED,
        "--key",
        signing_key,
        "--passphrase-file",
        passphrase_file,
        "--out",
        tmp_path / "feed.signed",
    )
    for name, run in runs.items():
        assert run.returncode == 0, f"glas {name}: {run.stderr}"
        assert "blocked import" not in run.stderr, f"glas {name}: {run.stderr}"
        assert "server module loaded" not in run.stderr, f"glas {name}: {run.stderr}"
    assert (out / "report.html").is_file() and (tmp_path / "r.reply").is_file()


def test_a_server_command_on_the_reviewer_install_says_what_is_missing() -> None:
    run = without_web_stack("serve")
    assert run.returncode == 2
    assert "runs on the server" in run.stderr and "glas[server]" in run.stderr
    assert "Traceback" not in run.stderr
