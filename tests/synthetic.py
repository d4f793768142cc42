"""Synthetic needs assessments sealed into a real bundle, without a server: for tests that need
hundreds of submissions and for bench/decrypt.py (which needs 100,000).

Answers follow the survey's rules (skip logic included), so the reviewer's check finds nothing
to warn about and every count can be computed independently from what was made.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from crypto.bundle import BundleWriter, SubmissionRecord
from crypto.envelope import Binding, Sealer, new_submission_id
from crypto.keys import PublicKey
from surveys.logic import apply_skip_logic, typed_values
from surveys.model import Survey

ANSWERS_FORMAT = "glas-answers-1"
PADDED_SIZE = 2048


def synthetic_answers(survey: Survey, rng: random.Random) -> dict[str, Any]:
    """Answers a respondent could have given: optional questions left out one time in five,
    skipped questions never answered."""
    answers: dict[str, Any] = {}
    for q in survey.answerable_questions:
        if rng.random() < 0.2 and not q.required:
            continue
        if q.type in ("select_one", "scale", "yes_no"):
            answers[q.name] = rng.choice(q.choices).name
        elif q.type == "select_multiple":
            picked = {c.name for c in q.choices if rng.random() < 0.3} or {q.choices[0].name}
            answers[q.name] = [c.name for c in q.choices if c.name in picked]
        elif q.type == "integer":
            answers[q.name] = rng.randint(0, 20)
        elif q.type in ("text", "textarea"):
            answers[q.name] = "Synthetic suggestion number " + str(rng.randint(0, 10**6))
    asked, _ = apply_skip_logic(survey, typed_values(answers))
    return {name: value for name, value in answers.items() if name in asked}


def sealed_record(
    survey: Survey, answers: dict[str, Any], recipients: list[PublicKey], received: str
) -> SubmissionRecord:
    """One submission as the server stores it: sealed to ``recipients``, received that day."""
    version = survey.digest()
    binding = Binding(survey.id, version, new_submission_id())
    sealer = Sealer(binding, recipients)
    document = {
        "format": ANSWERS_FORMAT,
        "survey": survey.id,
        "version": version,
        "answers": answers,
        "files": [],
    }
    return SubmissionRecord(
        binding.submission_id,
        survey.id,
        version,
        received,
        PADDED_SIZE,
        sealer.slots,
        sealer.seal_answers(document),
        [],
    )


def write_bundle(path: Path, survey: Survey, records: list[SubmissionRecord]) -> Path:
    writer = BundleWriter(path, "2026-11-01", {survey.digest(): survey.to_dict()})
    for record in records:
        writer.add(record, {})
    writer.commit()
    return path
