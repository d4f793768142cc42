"""A summary safe to publish (issue 31): small counts suppressed, and an attacker holding every
table of a release cannot work any of them out.

The attack is a linear program (scipy's linprog, a test-only dependency): for each suppressed
cell, the smallest and the largest value it can take given every shown count, total and the
number of respondents. No suppressed cell may be determined, and each must stay somewhere in an
interval at least the threshold wide.
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from scipy.optimize import linprog

from crypto.keys import ReviewerKey
from portal import create_app
from portal.config import Config
from reviewer.crosstab import OTHER
from reviewer.public import PublicTable, public_tables, suppress
from reviewer.public_cross import public_crosses
from surveys import load_survey_file, load_survey_text

from .conftest import ROOT, RunCli, submit_needs
from .helpers import decrypt

THRESHOLD = 5
EXAMPLES = ROOT / "examples"


def bounds(
    cells: list[int | None], total: int | None, respondents: int, additive: bool
) -> list[tuple[float, float]]:
    """The interval the attacker can put each suppressed cell in (linprog, both ways)."""
    hidden = [i for i, c in enumerate(cells) if c is None]
    shown = sum(c for c in cells if c is not None)
    equalities: tuple[list[list[float]], list[float]] | tuple[None, None] = (None, None)
    if additive and total is not None:
        equalities = ([[1.0] * len(hidden)], [float(total - shown)])
    # Without a shown total, a single-answer table's cells still add up to at most everyone.
    upper = ([[1.0] * len(hidden)], [float(respondents - shown)]) if additive else (None, None)
    found = []
    for k in range(len(hidden)):
        objective = [0.0] * len(hidden)
        objective[k] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                [sign * v for v in objective],
                A_ub=upper[0],
                b_ub=upper[1],
                A_eq=equalities[0],
                b_eq=equalities[1],
                bounds=[(0, respondents)] * len(hidden),
            )
            assert result.status == 0, result.message
            ends.append(sign * result.fun)
        found.append((ends[0], ends[1]))
    return found


def attack(table: PublicTable, respondents: int) -> list[tuple[float, float]]:
    cells = [c.count for c in table.cells]
    return bounds(cells, table.total, respondents, table.kind != "multiple")


def release(counts: list[int], additive: bool) -> tuple[list[int | None], int | None]:
    hidden, total_hidden = suppress(counts, THRESHOLD, additive)
    cells = [None if h else c for c, h in zip(counts, hidden, strict=True)]
    return cells, None if total_hidden else sum(counts)


def assert_safe(counts: list[int], respondents: int, additive: bool = True) -> None:
    cells, total = release(counts, additive)
    assert all(c is None for c, n in zip(cells, counts, strict=True) if 0 < n < THRESHOLD)
    for (low, high), true in zip(
        bounds(cells, total, respondents, additive),
        [n for c, n in zip(cells, counts, strict=True) if c is None],
        strict=True,
    ):
        assert low <= true <= high
        assert high - low >= THRESHOLD, (counts, cells, total, low, high)


def test_one_small_cell_takes_a_second_with_it_so_the_total_gives_neither_away() -> None:
    cells, total = release([1, 12, 30, 7], additive=True)
    assert cells == [None, 12, 30, None] and total == 50  # 1, then the smallest other: 7
    assert_safe([1, 12, 30, 7], 50)


def test_two_small_cells_that_add_up_below_the_threshold_take_a_third() -> None:
    cells, total = release([1, 2, 30, 6], additive=True)
    assert cells == [None, None, 30, None] and total == 39
    assert_safe([1, 2, 30, 6], 39)


def test_a_table_that_cannot_hide_its_small_cells_hides_its_total() -> None:
    cells, total = release([1, 2], additive=True)
    assert cells == [None, None] and total is None
    assert_safe([1, 2], 30)


def test_multiple_choice_cells_stand_alone() -> None:
    cells, _ = release([1, 20, 0], additive=False)
    assert cells == [None, 20, 0]
    assert_safe([1, 20, 0], 30, additive=False)


def test_a_small_skewed_data_set_of_30_respondents_with_one_category_of_one() -> None:
    assert_safe([1, 29], 30)
    assert_safe([1, 3, 26], 30)
    assert_safe([0, 1, 0, 29], 30)


def test_random_tables_never_give_a_suppressed_cell_away() -> None:
    rng = random.Random(31)
    for _ in range(150):
        counts = [rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 15, 40]) for _ in range(rng.randint(2, 7))]
        # A release needs at least THRESHOLD respondents (public_tables publishes none below).
        respondents = max(sum(counts) + rng.randint(0, 10), THRESHOLD)
        assert_safe(counts, respondents)
        assert_safe(counts, respondents, additive=False)


@pytest.mark.parametrize("threshold", [1, 2])
def test_a_threshold_below_three_is_refused(
    published: RunCli, tmp_path: Path, threshold: int
) -> None:
    args = ["--out", tmp_path / "o", "--public", tmp_path / "p", "--threshold", str(threshold)]
    result = published("decrypt", tmp_path / "none.glas", "--key", tmp_path / "k", *args)
    assert result.exit_code == 2


@pytest.mark.slow  # 30 respondents through the portal; the rules are checked in make check
def test_a_release_from_real_submissions_hides_what_it_must_and_nothing_else(
    published: RunCli, reviewer: tuple[Path, ReviewerKey], passphrase_file: Path, tmp_path: Path
) -> None:
    """Thirty needs assessments with known answers: counts equal to the test's own, the small
    ones suppressed and unrecoverable, no free text (canaries) and no submission id."""
    rng = random.Random(7)
    ages = ["under_25"] * 1 + ["25_34"] * 17 + ["35_44"] * 9 + ["45_plus"] * 3
    rng.shuffle(ages)
    canaries = [f"canary-{i}-{rng.randrange(10**9)}" for i in range(30)]
    for i, age in enumerate(ages):
        client = create_app(Config.from_env()).test_client()  # thirty respondents
        submit_needs(
            client,
            services_wanted=["condoms", "legal"] if i % 3 else ["shelter"],
            visits_per_month=str(i),
            age_group=age,
            suggestions=canaries[i],
        )
    bundle = tmp_path / "all.glas"
    assert published("export", "--out", bundle).exit_code == 0
    out, public = tmp_path / "out", tmp_path / "public"
    done = decrypt(published, out, [bundle], [reviewer[0]], passphrase_file)
    assert done.exit_code == 0, done.output
    result = published(
        "decrypt", bundle, "--key", reviewer[0], "--passphrase-file", passphrase_file,
        "--out", tmp_path / "out2", "--public", public,
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    with (public / "needs-assessment" / "summary.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    age = load_survey_file(EXAMPLES / "needs-assessment.yaml").by_name["age_group"]
    label = {c.label: c.name for c in age.choices}
    shown = {label[r["answer"]]: r["count"] for r in rows if r["question"] == age.label}
    # 1 and 3 are below 5, together only 4: the next smallest (9) is suppressed with them.
    assert shown == {"under_25": "suppressed", "25_34": "17", "35_44": "suppressed",
                     "45_plus": "suppressed"}  # fmt: skip
    assert {r["answered"] for r in rows if r["question"] == age.label} == {"30"}
    services = load_survey_file(EXAMPLES / "needs-assessment.yaml").by_name["services_wanted"]
    wanted = {c.label: c.name for c in services.choices}
    counted = {"condoms": 20, "legal": 20, "shelter": 10}
    for row in rows:
        if row["question"] == services.label:
            name = wanted[row["answer"]]
            assert row["count"] == str(counted.get(name, 0)), row

    texts = "".join(p.read_text(encoding="utf-8") for p in public.rglob("*") if p.is_file())
    assert not [c for c in canaries if c in texts]
    answers = next((out / "needs-assessment").iterdir()) / "answers.json"
    ids = re.findall(r'"id": ?"([0-9a-f]{32})"', answers.read_text())
    assert len(ids) == 30 and not [i for i in ids if i in texts]
    assert "Content-Security-Policy" in (public / "needs-assessment" / "summary.html").read_text()
    # The attack on every table of this release: no suppressed cell is pinned down.
    survey = load_survey_file(EXAMPLES / "needs-assessment.yaml")
    documents = [item["answers"] for item in json.loads(answers.read_text())]
    respondents, tables = public_tables(survey, documents, THRESHOLD, "en")
    assert respondents == 30 and any(t.suppressed for t in tables)
    for table in tables:
        for low, high in attack(table, respondents):
            assert high - low >= THRESHOLD, (table.question, low, high)


CROSSED = load_survey_text(
    b"""
id: crossed
language: en
title: Crossed
questions:
  - name: age
    type: select_one
    label: Age
    choices: [{name: a, label: A}, {name: b, label: B}, {name: c, label: C}, {name: d, label: D}]
  - name: denied
    type: select_one
    label: Denied care
    choices: [{name: "yes", label: "Yes"}, {name: "no", label: "No"}, {name: maybe, label: Maybe}]
""",
    "crossed.yaml",
)


def joint_attack(answers: list[dict[str, str]]) -> list[tuple[float, float, int]]:
    """Every suppressed cell of a release of both one-way tables and their two-way table, as an
    attacker bounds it from everything shown at once: (low, high, true value) per cell.

    Unknowns: each one-way table's suppressed cells and its "no answer" count (known when its
    total is shown), and the two-way table's suppressed inner cells. Equations: each one-way
    table's cells and no-answer count add up to the respondents; each two-way row and column
    adds up to its shown total; a two-way side's last category ("everyone else") holds that
    side's suppressed cells and its no-answers."""
    n = len(answers)
    _, tables = public_tables(CROSSED, answers, THRESHOLD, "en")
    by_name = {t.question: t for t in tables}
    (crossed,) = public_crosses(CROSSED, answers, [("age", "denied")], THRESHOLD, "en")
    assert crossed.table is not None
    variables: list[tuple[str, int]] = []  # (what, true value)
    equalities: list[tuple[dict[int, float], float]] = []

    def unknown(what: str, true: int) -> int:
        variables.append((what, true))
        return len(variables) - 1

    others = {}
    for name in ("age", "denied"):
        table = by_name[name]
        true = Counter(a.get(name) for a in answers)
        row: dict[int, float] = {}
        shown = 0
        for cell in table.cells:
            if cell.count is None:
                row[unknown(f"{name}={cell.code}", true[cell.code])] = 1.0
            else:
                shown += cell.count
        no_answer = n - sum(v for k, v in true.items() if k is not None)
        others[name] = float(n - shown)  # everyone not in a shown cell
        if table.total is None:
            row[unknown(f"{name} no answer", no_answer)] = 1.0
        else:
            shown += n - table.total
        equalities.append((row, float(n - shown)))
    table = crossed.table
    inner: dict[tuple[int, int], int] = {}
    truth = Counter(
        (
            a.get("age") if a.get("age") in table.rows else "",
            a.get("denied") if a.get("denied") in table.columns else "",
        )
        for a in answers
    )
    for i, r in enumerate(table.rows):
        for j, c in enumerate(table.columns):
            if table.cells[i][j] is None:
                inner[i, j] = unknown(f"{r}x{c}", truth[r, c])
    for i in range(len(table.rows)):
        known = sum(x for x in table.cells[i] if x is not None)
        row = {inner[i, j]: 1.0 for j in range(len(table.columns)) if (i, j) in inner}
        equalities.append((row, float(table.row_totals[i] - known)))
    for j in range(len(table.columns)):
        known = sum(line[j] for line in table.cells if line[j] is not None)
        column = {inner[i, j]: 1.0 for i in range(len(table.rows)) if (i, j) in inner}
        equalities.append((column, float(table.column_totals[j] - known)))
    # The "everyone else" category of each side is what its one-way table does not show.
    for name, side, totals in (("age", table.rows, table.row_totals),
                               ("denied", table.columns, table.column_totals)):  # fmt: skip
        if OTHER in side:
            assert totals[side.index(OTHER)] == others[name]
    a_eq = [[row.get(k, 0.0) for k in range(len(variables))] for row, _ in equalities if row]
    b_eq = [value for row, value in equalities if row]
    found = []
    for k, (_, true) in enumerate(variables):
        ends = []
        for sign in (1.0, -1.0):
            objective = [0.0] * len(variables)
            objective[k] = sign
            result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=[(0, n)] * len(variables))
            assert result.status == 0, result.message
            ends.append(sign * result.fun)
        found.append((ends[0], ends[1], true))
    return found


def random_answers(rng: random.Random, n: int) -> list[dict[str, str]]:
    ages = rng.choices("abcd", weights=[1, 10, 6, rng.choice([0, 1, 3])], k=n)
    answers = []
    for age in ages:
        item = {"age": age}
        if rng.random() < 0.9:
            item["denied"] = rng.choices(["yes", "no", "maybe"], weights=[4, 6, 1])[0]
        answers.append(item)
    return answers


def test_a_two_way_table_gives_no_suppressed_cell_away_beside_its_one_way_tables() -> None:
    rng = random.Random(33)
    checked = published = 0
    for _ in range(40):
        answers = random_answers(rng, rng.choice([30, 45, 80]))
        (crossed,) = public_crosses(CROSSED, answers, [("age", "denied")], THRESHOLD, "en")
        if crossed.table is None:
            continue  # not published: nothing to attack
        published += 1
        flat = [c for line in crossed.table.cells for c in line]
        assert all(c is None or c == 0 or c >= THRESHOLD for c in flat)
        for low, high, true in joint_attack(answers):
            assert low - 1e-6 <= true <= high + 1e-6
            assert high - low >= THRESHOLD - 1e-6, (low, high, true)
            checked += 1
    assert published >= 20 and checked >= 100, (published, checked)


def test_the_small_skewed_set_of_30_with_a_category_of_one_crossed() -> None:
    answers = [{"age": "a", "denied": "yes"}] + [
        {"age": "b" if i % 3 else "c", "denied": "no" if i % 4 else "yes"} for i in range(29)
    ]
    (crossed,) = public_crosses(CROSSED, answers, [("age", "denied")], THRESHOLD, "en")
    if crossed.table is not None:
        for low, high, _ in joint_attack(answers):
            assert high - low >= THRESHOLD - 1e-6
    # The one respondent aged "a" is in no cell of her own: her age is not shown one-way.
    assert crossed.table is None or "a" not in crossed.table.rows


def test_crossing_is_asked_by_name_and_refused_with_a_reason(
    published: RunCli, reviewer: tuple[Path, ReviewerKey], passphrase_file: Path, tmp_path: Path
) -> None:
    for i in range(6):
        client = create_app(Config.from_env()).test_client()
        submit_needs(client, services_wanted=["condoms"], age_group=["25_34", "35_44"][i % 2])
    bundle = tmp_path / "all.glas"
    assert published("export", "--out", bundle).exit_code == 0
    common = ["--key", reviewer[0], "--passphrase-file", passphrase_file, "--out", tmp_path / "o"]
    for bad in ("age_group", "age_group,services_wanted", "age_group,nothing", "a,a"):
        result = published("decrypt", bundle, *common, "--public", tmp_path / "p",
                           "--public-cross", bad)  # fmt: skip
        assert result.exit_code == 2 and "--public-cross" in result.output, result.output
    refused = published("decrypt", bundle, *common, "--public", tmp_path / "p",
                        "--public-question", "suggestions")  # fmt: skip
    assert refused.exit_code == 2 and "suggestions" in refused.output
    chosen = ["--public-question", "age_group", "--public-cross", "age_group,feel_safe"]
    done = published("decrypt", bundle, *common, "--public", tmp_path / "p", *chosen)
    assert done.exit_code == 0, done.output
    summary = tmp_path / "p" / "needs-assessment"
    rows = list(csv.DictReader((summary / "summary.csv").read_text(encoding="utf-8").splitlines()))
    assert {r["question"] for r in rows} == {"How old are you?"}  # only what was chosen
    crossed = list(
        csv.DictReader((summary / "crosstabs.csv").read_text(encoding="utf-8").splitlines())
    )
    assert {r["rows"] for r in crossed} == {"How old are you?"} and crossed
    assert "age_group by feel_safe" in (tmp_path / "p" / "README.txt").read_text()
