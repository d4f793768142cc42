"""Benchmark: the CPU time of the costliest POSTs we can build, and the memory of the largest
calculation (issue 27: every request's work is bounded, whatever the survey or the answers).

    .venv/bin/python bench/request_cost.py [ROUNDS]        (ROUNDS defaults to 20)

In one process, through the real app (Flask's test client: no network, so only the server's
own CPU time is counted, with time.process_time), against:

- the example surveys (needs assessment, testimony): every answer at its longest, wrong ones
  to make the page come back with every message (422), and a correct one that is sealed;
- the docs' nested example (people, and each person's needs: a repeat in a repeat) asking for
  50 by 50 instances (refused, 413), and the most the budget allows, every answer missing so
  that the whole page comes back with its messages;
- a survey of 25 calculations that each double the last, stored behind the importer's back
  (which refuses it): refused when a value passes the cap.

Baseline, in the same run: GET / (the landing page), the cheapest request there is. Goal: the
costliest POST within 50 ms of CPU. Memory: the peak growth (tracemalloc) of the doubling POST,
which the cap bounds (100,000 characters a value).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from click.testing import CliRunner
from werkzeug.test import TestResponse

from crypto.keys import ReviewerKey
from glas.cli import cli
from portal import create_app
from portal.config import Config
from portal.respondent.pace import SESSION_KEY
from portal.storage import Store
from surveys import Question, Survey
from surveys.model import MAX_INSTANCES, MAX_REPEATS

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 50

NESTED = """
id: family
title: Family
groups:
  - {name: person, label: Person, repeat: true}
  - {name: need, label: Need, repeat: true, parent: person}
questions:
  - name: relation
    type: select_one
    label: Who is this person to you?
    required: true
    group: person
    choices: [{name: partner, label: Partner}, {name: child, label: Child}]
  - {name: what, type: text, label: "What does this person need?", required: true, group: need}
  - {name: people, type: calculate, calculation: "count(${person})"}
  - {name: comment, type: text, label: "Anything else?"}
"""


def doubling() -> Survey:
    """25 calculations, each the last one twice: built directly, as the importer refuses it."""
    questions = [Question("x", "text", "Eight characters")]
    for i in range(1, 26):
        before = "x" if i == 1 else f"c{i - 1}"
        calculation = f"concat(${{{before}}}, ${{{before}}})"
        questions.append(Question(f"c{i}", "calculate", "", calculation=calculation))
    return Survey("doubling", "Doubling", questions=tuple(questions))


def form(client: Any, survey: str) -> dict[str, Any]:
    page = client.get(f"/s/{survey}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return {"csrf_token": token}


def posting(client: Any, path: str, fields: dict[str, Any]) -> Callable[[], TestResponse]:
    """A POST whose body is encoded once, here: only the server's work is timed."""
    body = urlencode(fields, doseq=True).encode("ascii")
    kind = "application/x-www-form-urlencoded"
    return lambda: client.post(path, data=body, content_type=kind)


def fresh_pace(client: Any) -> None:
    with client.session_transaction() as session:
        session.pop(SESSION_KEY, None)


def timed(call: Callable[[], TestResponse], rounds: int) -> tuple[list[float], int]:
    times, status = [], 0
    for _ in range(rounds):
        prepare = getattr(call, "prepare", None)
        if prepare is not None:  # untimed: what a real respondent's session would be
            prepare()
        start = time.process_time()
        status = call().status_code
        times.append(time.process_time() - start)
    return times, status


def main(rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="glas-bench-"))
    os.environ["GLAS_DATA_DIR"] = str(work / "data")
    os.environ.pop("GLAS_DATABASE_URL", None)
    key, passphrase = work / "ana.key", work / "passphrase"
    passphrase.write_text("benchmark passphrase, not a secret\n")
    ReviewerKey.generate().save(key, b"benchmark passphrase, not a secret")
    run = CliRunner()
    assert run.invoke(cli, ["reviewers", "add", str(key), "--name", "Ana"]).exit_code == 0
    nested = work / "family.yaml"
    nested.write_text(NESTED)
    for path in (ROOT / "examples/needs-assessment.yaml", ROOT / "examples/testimony.yaml", nested):
        result = run.invoke(cli, ["surveys", "import", str(path), "--publish"])
        assert result.exit_code == 0, result.output
    store = Store(Config.from_env())
    store.import_survey(doubling(), publish=True)
    store.close()
    app = create_app(Config.from_env())
    client = app.test_client()

    cases: dict[str, Callable[[], TestResponse]] = {}
    cases["GET / (baseline)"] = lambda: client.get("/")
    needs = form(client, "needs-assessment")
    long_text = "ш" * 1000
    cases["needs assessment, all wrong (422)"] = posting(
        client,
        "/s/needs-assessment",
        {**needs, "services_wanted": ["nope"] * 50, "visits_per_month": "1e999999",
         "suggestions": long_text, "age_group": "x" * 500},
    )  # fmt: skip
    sealed = posting(
        client,
        "/s/needs-assessment",
        {**needs, "services_wanted": ["legal", "doctor"], "visits_per_month": "4",
         "suggestions": "ш" * 400},
    )  # fmt: skip
    # Each round a session that has not sent yet (the pace allows a few sends a session).
    sealed.prepare = lambda: fresh_pace(client)  # type: ignore[attr-defined]
    cases["needs assessment, sealed (303)"] = sealed
    testimony = form(client, "testimony")
    cases["testimony, all wrong (422)"] = posting(
        client,
        "/s/testimony",
        {**testimony, "what_happened": "", "who": ["x"] * 50, "anything_else": long_text},
    )
    family = form(client, "family")
    asked = {"person": str(MAX_REPEATS)}
    for p in range(1, MAX_REPEATS + 1):
        asked[f"need#{p}"] = str(MAX_REPEATS)
        asked[f"relation#{p}"] = "child"
        asked.update({f"what#{p}#{n}": "School" for n in range(1, MAX_REPEATS + 1)})
    cases[f"nested, {MAX_REPEATS} by {MAX_REPEATS} (413)"] = posting(
        client, "/s/family", {**family, **asked}
    )
    people = 4
    most = {"person": str(people)}
    most.update({f"need#{p}": str(MAX_INSTANCES // people - 1) for p in range(1, people + 1)})
    cases[f"nested, {MAX_INSTANCES} instances, all missing (422)"] = posting(
        client, "/s/family", {**family, **most}
    )
    cases["nested, add another at the budget"] = posting(
        client, "/s/family", {**family, **most, "glas_nav": "add:need#1"}
    )
    double = form(client, "doubling")
    cases["doubling calculations (413)"] = posting(
        client, "/s/doubling", {**double, "x": "12345678"}
    )

    print(f"CPU time per request, median of {rounds} (ms), this machine:")
    medians = {}
    for name, call in cases.items():
        times, status = timed(call, rounds)
        medians[name] = statistics.median(times) * 1000
        print(f"  {name:45s} {medians[name]:8.1f}   max {max(times) * 1000:7.1f}   HTTP {status}")
    baseline = medians.pop("GET / (baseline)")
    costliest = max(medians, key=lambda n: medians[n])
    print(
        f"Costliest POST: {costliest}: {medians[costliest]:.1f} ms "
        f"({medians[costliest] / baseline:.1f} times GET /); goal {GOAL_MS} ms: "
        + ("met" if medians[costliest] <= GOAL_MS else "NOT met")
    )
    tracemalloc.start()
    cases["doubling calculations (413)"]()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Largest calculation (doubling): peak memory {peak / 2**20:.1f} MiB (cap: 100,000 "
          "characters a value)")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
