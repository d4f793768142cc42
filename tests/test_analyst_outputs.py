"""What an analyst gets from 200 needs assessments: labelled tables, SPSS and Stata files that
carry their labels, and a report whose every count matches counts made here independently."""

from __future__ import annotations

import csv
import html
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyreadstat
import pytest

from crypto.keys import ReviewerKey
from surveys import load_survey_file
from surveys.model import Survey

from .conftest import EXAMPLES, RunCli
from .helpers import decrypt
from .synthetic import sealed_record, synthetic_answers, write_bundle

COUNT = 200
MONTHS = ("2026-09-14", "2026-10-02", "2026-11-20")


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey_file(EXAMPLES / "needs-assessment.yaml")


@pytest.fixture
def made(
    survey: Survey, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> tuple[Path, list[tuple[str, dict[str, Any]]]]:
    """A bundle of 200 submissions, and (received day, answers) of each as made."""
    rng = random.Random(18)
    key = reviewer[1].public_key
    made, records = [], []
    for i in range(COUNT):
        answers = synthetic_answers(survey, rng)
        records.append(sealed_record(survey, answers, [key], MONTHS[i % 3]))
        made.append((MONTHS[i % 3], answers))
    return write_bundle(tmp_path / "200.glas", survey, records), made


@pytest.fixture
def decrypting(
    made: tuple[Path, list[tuple[str, dict[str, Any]]]],
    run_cli: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
) -> Callable[..., Path]:
    """`glas decrypt` of the 200 into OUT (with more options); returns the version folder."""

    def decrypt_into(out: Path, *more: str) -> Path:
        result = decrypt(Extra(run_cli, more), out, [made[0]], [reviewer[0]], passphrase_file)
        assert result.exit_code == 0, result.output
        (folder,) = (out / "needs-assessment").iterdir()
        return folder

    return decrypt_into


@dataclass
class Extra:
    """The CLI runner with options added after the helper's own."""

    run: RunCli
    more: tuple[str, ...]

    def __call__(self, *args: object) -> Any:
        return self.run(*args, *self.more)  # type: ignore[arg-type]


def question_block(report: str, folder: Path, name: str) -> str:
    start = report.index(f'id="needs-assessment-{folder.name}-{name}"')
    return report[start : report.index("</div>", start)]


def counts_in(block: str) -> dict[str, int]:
    """The first table of a question: row label → count."""
    table = block[: block.index("</table>")]
    rows = re.findall(r'<th>([^<]*)</th>\s*<td class="n">(\d+)</td>', table)
    return {html.unescape(label): int(n) for label, n in rows}


def test_csv_shows_labels_and_a_column_per_choice(
    made: tuple[Path, list[tuple[str, dict[str, Any]]]],
    survey: Survey,
    decrypting: Callable[..., Path],
    tmp_path: Path,
) -> None:
    _, answers = made
    folder = decrypting(tmp_path / "out")
    with open(folder / "answers.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == COUNT
    labels = {c.label for c in survey.by_name["most_important"].choices}
    assert {r["most_important"] for r in rows} <= labels | {""}
    expected = Counter(a["services_wanted"].count("legal") for _, a in answers)
    assert Counter(int(r["services_wanted/legal"]) for r in rows) == expected
    codes = decrypting(tmp_path / "codes", "--values", "codes")
    with open(codes / "answers.csv", newline="", encoding="utf-8") as f:
        assert {r["age_group"] for r in csv.DictReader(f)} <= {
            "under_25", "25_34", "35_44", "45_plus", ""
        }  # fmt: skip
    macedonian = decrypting(tmp_path / "mk", "--language", "mk")
    assert "Под 25" in (macedonian / "answers.csv").read_text(encoding="utf-8")
    assert "Одговор" in (tmp_path / "mk" / "report.html").read_text(encoding="utf-8")


def test_spss_and_stata_files_carry_variable_and_value_labels(
    made: tuple[Path, list[tuple[str, dict[str, Any]]]],
    survey: Survey,
    decrypting: Callable[..., Path],
    tmp_path: Path,
) -> None:
    _, answers = made
    folder = decrypting(tmp_path / "out")
    question = survey.by_name["most_important"]
    for reader, name in (
        (pyreadstat.read_sav, "answers.sav"),
        (pyreadstat.read_dta, "answers.dta"),
    ):
        frame, meta = reader(str(folder / name))
        assert len(frame) == COUNT
        value_labels = meta.variable_value_labels["most_important"]
        assert [value_labels[float(i + 1)] for i in range(len(question.choices))] == [
            c.label for c in question.choices
        ]
        assert meta.column_names_to_labels["most_important"] == question.label
        chosen = Counter(frame["most_important"].dropna().map(value_labels))
        by_label = {c.name: c.label for c in question.choices}
        made_counts = Counter(
            by_label[a["most_important"]] for _, a in answers if "most_important" in a
        )
        assert chosen == made_counts
        assert frame["services_wanted_legal"].sum() == sum(
            "legal" in a["services_wanted"] for _, a in answers
        )


def test_report_counts_match_counts_made_independently(
    made: tuple[Path, list[tuple[str, dict[str, Any]]]],
    survey: Survey,
    decrypting: Callable[..., Path],
    tmp_path: Path,
) -> None:
    _, answers = made
    out = tmp_path / "out"
    folder = decrypting(out, "--by", "age_group")
    report = (out / "report.html").read_text(encoding="utf-8")
    for question in survey.closed_questions:
        if not question.choices:
            continue
        block = question_block(report, folder, question.name)
        shown = counts_in(block)
        asked = [a for _, a in answers if _asked(survey, a, question.name)]
        answered = [a[question.name] for a in asked if question.name in a]
        for choice in question.choices:
            n = sum(choice.name in (v if isinstance(v, list) else [v]) for v in answered)
            assert shown[choice.label] == n, (question.name, choice.name)
        assert shown["No answer"] == len(asked) - len(answered), question.name
        assert shown["Not asked"] == COUNT - len(asked), question.name
    barriers = counts_in(question_block(report, folder, "health_barriers"))
    assert barriers["Not asked"] > 0  # skip logic: only those who did not always see a doctor
    # --by age_group: most_important broken down by age group, "n (p%)" per cell.
    block = question_block(report, folder, "most_important")
    by_table = block[block.index("</table>") + 8 :]
    for choice in survey.by_name["most_important"].choices:
        row = re.search(rf"<tr><th>{re.escape(choice.label)}</th>(.*?)</tr>", by_table)
        assert row is not None
        cells = [int(n) for n in re.findall(r'<td class="n">(\d+) \(', row.group(1))]
        expected = [
            sum(
                1
                for _, a in answers
                if a.get("age_group") == group.name and a.get("most_important") == choice.name
            )
            for group in survey.by_name["age_group"].choices
            if any(a.get("age_group") == group.name for _, a in answers)
        ]
        no_group = sum(
            1 for _, a in answers if "age_group" not in a and a.get("most_important") == choice.name
        )
        assert cells == [*expected, no_group]
    months = Counter(day[:7] for day, _ in answers)
    for month, n in months.items():
        assert re.search(rf"<th>{month}</th><td class=\"bar\"><span[^>]*></span><b>{n}</b>", report)


def _asked(survey: Survey, answers: dict[str, Any], name: str) -> bool:
    """Asked, by the one rule of the example that skips: health_barriers follows saw_doctor."""
    if name == "health_barriers":
        return answers.get("saw_doctor") in ("sometimes", "no")
    return True


def test_by_refuses_a_question_the_bundles_do_not_have(
    made: tuple[Path, list[tuple[str, dict[str, Any]]]],
    run_cli: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    bundle, _ = made
    result = run_cli(
        "decrypt", bundle, "--key", reviewer[0], "--passphrase-file", passphrase_file,
        "--out", tmp_path / "out", "--by", "suggestions",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--by suggestions" in result.output
    assert not (tmp_path / "out").exists()  # refused before anything was decrypted


FORMULA_LABELS = """
id: formula-labels
title: Labels that read alike once made safe
questions:
  - name: pick
    type: select_one
    label: Pick one
    choices:
      - {name: quoted, label: "'=x"}
      - {name: bare, label: "=x"}
      - {name: twin, label: "Same"}
      - {name: twin2, label: "Same"}
"""


def test_choice_labels_that_read_alike_once_defused_stay_apart_in_sav_and_dta(
    run_cli: RunCli, reviewer: tuple[Path, ReviewerKey], passphrase_file: Path, tmp_path: Path
) -> None:
    from surveys import load_survey_text

    survey = load_survey_text(FORMULA_LABELS.encode(), "formula-labels.yaml")
    key = reviewer[1].public_key
    picks = ["quoted", "bare", "bare", "twin", "twin2", "twin2", "twin2"]
    records = [sealed_record(survey, {"pick": p}, [key], "2026-11-02") for p in picks]
    bundle = write_bundle(tmp_path / "labels.glas", survey, records)
    out = tmp_path / "out"
    result = decrypt(run_cli, out, [bundle], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    (folder,) = (out / "formula-labels").iterdir()
    for name in ("answers.sav", "answers.dta"):
        read = pyreadstat.read_sav if name.endswith("sav") else pyreadstat.read_dta
        frame, meta = read(str(folder / name))
        labels = meta.variable_value_labels["pick"]
        assert len(set(labels.values())) == 4, labels
        by_label = Counter(labels[v] for v in frame["pick"])
        assert by_label["'=x"] == 1
        assert by_label["=x (bare)"] == 2
        assert by_label["Same"] == 1 and by_label["Same (twin2)"] == 3
