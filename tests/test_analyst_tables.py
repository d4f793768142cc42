"""Tables an analyst can use as they come (issue 31): a survey edited once is one table with a
``version`` column; repeats (also a repeat inside a repeat) reach SPSS and Stata with their
labels; dates are dates in .sav, .dta and .xlsx; the XLSX opens with a frozen, filtered
header. Every count is checked against counts made here from the answers as they were sealed."""

from __future__ import annotations

import csv
import datetime
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from openpyxl import load_workbook

from crypto.keys import ReviewerKey
from reviewer.merged import FOLDER
from surveys import load_survey_text
from surveys.model import Survey

from .conftest import RunCli
from .helpers import decrypt
from .synthetic import sealed_record, write_bundle

VERSION_1 = """
id: incidents
language: en
title: Incidents
questions:
  - {name: visited, type: date, label: "Day of the visit"}
  - name: helped
    type: select_one
    label: Were you helped?
    choices: [{name: "yes", label: "Yes"}, {name: "no", label: "No"}]
  - {name: visits, type: integer, label: "How many visits?"}
  - name: kind
    type: select_one
    label: Who did it?
    group: incident
    choices: [{name: police, label: Police}, {name: client, label: A client}]
  - {name: when, type: month, label: "When did it happen?", group: incident}
  - {name: who, type: text, label: "Who was there?", group: person}
groups:
  - {name: incident, label: "Each time it happened", repeat: true}
  - {name: person, label: "Each person there", repeat: true, parent: incident}
"""
#: The second version: "helped" got a third choice (so it is kept apart), a question is new.
VERSION_2 = VERSION_1.replace(
    '{name: "no", label: "No"}]', '{name: "no", label: "No"}, {name: partly, label: Partly}]'
).replace(
    "  - {name: visits,", "  - {name: city, type: text, label: 'Which city?'}\n  - {name: visits,"
)
DAYS = ("2026-09-14", "2026-10-02", "2026-11-20")


def answers_of(survey: Survey, rng: random.Random) -> dict[str, Any]:
    helped = [c.name for c in survey.by_name["helped"].choices]
    answers: dict[str, Any] = {
        "visited": f"2026-0{rng.randint(1, 9)}-{rng.randint(10, 28)}",
        "helped": rng.choice(helped),
        "visits": rng.randint(0, 9),
    }
    if "city" in survey.by_name:
        answers["city"] = rng.choice(["Skopje", "Tetovo"])
    incidents = []
    for _ in range(rng.randint(0, 3)):
        people = [{"who": f"Person {rng.randint(1, 99)}"} for _ in range(rng.randint(0, 2))]
        incident: dict[str, Any] = {
            "kind": rng.choice(["police", "client"]),
            "when": f"2026-{rng.randint(1, 12):02d}",
        }
        if people:
            incident["person"] = people
        incidents.append(incident)
    if incidents:
        answers["incident"] = incidents
    return answers


@pytest.fixture(scope="module")
def made(
    tmp_path_factory: pytest.TempPathFactory,
    reviewer: tuple[Path, ReviewerKey],
) -> tuple[list[Path], list[tuple[Survey, str, dict[str, Any]]]]:
    """Two bundles, one per version (23 and 17 submissions), and what each submission said."""
    folder = tmp_path_factory.mktemp("bundles")
    rng = random.Random(31)
    bundles, made = [], []
    for text, count in ((VERSION_1, 23), (VERSION_2, 17)):
        survey = load_survey_text(text.encode(), "incidents.yaml")
        records = []
        for i in range(count):
            answers = answers_of(survey, rng)
            records.append(sealed_record(survey, answers, [reviewer[1].public_key], DAYS[i % 3]))
            made.append((survey, DAYS[i % 3], answers))
        bundles.append(write_bundle(folder / f"v{len(bundles) + 1}.glas", survey, records))
    return bundles, made


@pytest.fixture(scope="module")
def out(
    made: tuple[list[Path], list[tuple[Survey, str, dict[str, Any]]]],
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = decrypt(RunCli(), out, made[0], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_two_versions_make_one_table_with_a_version_column_and_a_changed_question_apart(
    made: tuple[list[Path], list[tuple[Survey, str, dict[str, Any]]]], out: Path
) -> None:
    _, sent = made
    first, second = sent[0][0].digest()[:12], sent[-1][0].digest()[:12]
    joined = rows(out / "incidents" / FOLDER / "answers.csv")
    assert len(joined) == len(sent) == 40
    assert Counter(r["survey_version"] for r in joined) == {first: 23, second: 17}
    # Asked the same way in both versions: one column, every answer counted once.
    assert Counter(int(r["visits"]) for r in joined) == Counter(a["visits"] for _, _, a in sent)
    assert Counter(r["received"] for r in joined) == Counter(day for _, day, _ in sent)
    # Only in the second version: empty for the first's rows.
    assert Counter(r["city"] for r in joined) == Counter(a.get("city", "") for _, _, a in sent)
    # Its choices changed: one column per version, never one column of two questions.
    assert "helped" not in joined[0]
    by_version = {first: f"helped_v{first[:6]}", second: f"helped_v{second[:6]}"}
    for version, column in by_version.items():
        counted = Counter(r[column] for r in joined if r["survey_version"] == version)
        labels = {"yes": "Yes", "no": "No", "partly": "Partly"}
        expected = Counter(labels[a["helped"]] for s, _, a in sent if s.digest()[:12] == version)
        assert counted == expected
        assert all(r[column] == "" for r in joined if r["survey_version"] != version)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"incidents/{FOLDER}" in report and "kept apart" in report and "helped" in report
    # Repeats are joined too: one row per incident of either version.
    incidents = rows(out / "incidents" / FOLDER / "answers_incident.csv")
    assert len(incidents) == sum(len(a.get("incident", [])) for _, _, a in sent)


def test_repeats_reach_spss_and_stata_with_their_labels_and_a_key_to_join_on(
    made: tuple[list[Path], list[tuple[Survey, str, dict[str, Any]]]], out: Path
) -> None:
    _, sent = made
    incidents = [i["kind"] for _, _, a in sent for i in a.get("incident", [])]
    people = [
        p["who"] for _, _, a in sent for i in a.get("incident", []) for p in i.get("person", [])
    ]
    folders = [p for p in (out / "incidents").iterdir() if p.name != FOLDER]
    for folder in [*folders, out / "incidents" / FOLDER]:
        for read, suffix in ((pyreadstat.read_sav, ".sav"), (pyreadstat.read_dta, ".dta")):
            frame, meta = read(str(folder / f"answers_incident{suffix}"))
            assert list(frame.columns[:2]) == ["submission_id", "index"]
            labels = meta.variable_value_labels["kind"]
            assert sorted(labels.values()) == ["A client", "Police"]
            assert meta.column_names_to_labels["kind"] == "Who did it?"
            nested, _ = read(str(folder / f"answers_person{suffix}"))
            assert list(nested.columns[:3]) == ["submission_id", "parent_index", "index"]
            if folder.name == FOLDER:  # all of them: counts equal what was sealed
                assert Counter(frame["kind"].map(labels)) == Counter(
                    {"police": "Police", "client": "A client"}[k] for k in incidents
                )
                assert sorted(nested["who"]) == sorted(people)
                assert set(frame["submission_id"]) <= set(
                    r["submission_id"] for r in rows(folder / "answers.csv")
                )


def test_dates_are_dates_in_sav_dta_and_xlsx(
    made: tuple[list[Path], list[tuple[Survey, str, dict[str, Any]]]], out: Path
) -> None:
    _, sent = made
    visited = Counter(datetime.date.fromisoformat(a["visited"]) for _, _, a in sent)
    folder = out / "incidents" / FOLDER
    for read, suffix in ((pyreadstat.read_sav, ".sav"), (pyreadstat.read_dta, ".dta")):
        frame, meta = read(str(folder / f"answers{suffix}"))
        assert Counter(frame["visited"]) == visited
        assert Counter(frame["received"]) == Counter(
            datetime.date.fromisoformat(d) for _, d, _ in sent
        )
        assert meta.original_variable_types["visited"] in ("DATE11", "%td")
    book = load_workbook(folder / "answers.xlsx")
    sheet = book["incidents"]
    names = [c.value for c in sheet[2]]
    column = names.index("visited") + 1
    cells = [sheet.cell(row, column).value for row in range(3, sheet.max_row + 1)]
    assert Counter(c.date() for c in cells) == visited  # read back as dates, not text
    book.close()


def test_the_workbook_opens_with_texts_and_names_frozen_above_a_filter(out: Path) -> None:
    (folder,) = [p for p in (out / "incidents").iterdir() if p.name != FOLDER][:1]
    book = load_workbook(folder / "answers.xlsx")
    sheet = book.worksheets[0]
    texts, names = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert names[:3] == ["submission_id", "received", "survey_version"]
    assert texts[names.index("helped")] == "Were you helped?"
    assert texts[names.index("incident")] == "Each time it happened: how many"
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:{sheet.cell(2, len(names)).column_letter}{sheet.max_row}"
    assert sheet.column_dimensions["A"].width >= 10
    assert book["codebook"].freeze_panes == "A2"
    book.close()
