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
from pathlib import Path

import pytest
from scipy.optimize import linprog

from crypto.keys import ReviewerKey
from portal import create_app
from portal.config import Config
from reviewer.public import PublicTable, public_tables, suppress
from surveys import load_survey_file

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
    for _ in range(300):
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
