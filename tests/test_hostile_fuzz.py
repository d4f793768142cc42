"""Fuzz what the reviewer's tools parse: mutated images through the scrubbing cage, random
answers documents through the schema and everything that renders a document that passes it.

Nothing may escape: a mutated image is scrubbed or marked "check by hand", a random document is
refused with a reason or rendered whole. Memory of the reviewer's process stays bounded.
"""

from __future__ import annotations

import random
import resource
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from crypto.bundle import SubmissionRecord
from reviewer.columns import Options, Plan
from reviewer.media import NOT_SCRUBBED, MediaReport, Scrubber
from reviewer.summary import summarize
from surveys.loader import load_survey_file
from surveys.model import Survey
from surveys.schema import document_problem

from .conftest import EXAMPLES
from .hostile import image_with_gps, png_with_exif

IMAGES = 3_000
DOCUMENTS = 3_000


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        action = rng.random()
        at = rng.randrange(len(out)) if out else 0
        if action < 0.6 and out:
            out[at] = rng.randrange(256)  # flip a byte
        elif action < 0.75:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif action < 0.9 and out:
            del out[at : at + rng.randint(1, 64)]
        else:
            out = out[: max(8, at)]  # cut short
    return bytes(out)


@pytest.mark.slow
def test_mutated_images_are_scrubbed_or_marked_and_nothing_escapes(tmp_path: Path) -> None:
    seeds = [image_with_gps(kind) for kind in ("JPEG", "PNG", "WEBP", "TIFF", "HEIF")]
    seeds.append(png_with_exif(b"MM\x00*\x00\x00\x00\x08\x00\x01\x88\x25\x00\x04"))
    for kind in ("GIF", "BMP"):
        path = tmp_path / f"seed.{kind}"
        Image.new("P" if kind == "GIF" else "RGB", (9, 7)).save(path, kind)
        seeds.append(path.read_bytes())
    rng = random.Random(14)
    outcomes = {"scrubbed": 0, "by hand": 0}
    start = rss_mib()
    with Scrubber() as scrubber:
        for i in range(IMAGES):
            original = tmp_path / "original"
            original.write_bytes(mutate(rng.choice(seeds), rng))
            report = scrubber.inspect_and_scrub(original, tmp_path / "scrubbed", f"image-{i}")
            assert isinstance(report, MediaReport)
            if report.scrubbed is not None:
                assert report.scrubbed.is_file()
                report.scrubbed.unlink()
                outcomes["scrubbed"] += 1
            else:
                assert report.note.startswith(NOT_SCRUBBED), report.note
                outcomes["by hand"] += 1
    assert outcomes["scrubbed"] > IMAGES // 10 and outcomes["by hand"] > IMAGES // 10, outcomes
    assert rss_mib() - start < 64  # decoding happens in the child; this process stays small


@pytest.mark.slow
def test_a_bomb_image_costs_the_child_not_the_reviewer(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")  # 400 megapixels, a few kB on disk
    start = rss_mib()
    with Scrubber() as scrubber:
        report = scrubber.inspect_and_scrub(bomb, tmp_path / "scrubbed", "bomb")
        assert report.scrubbed is None and "megapixels" in report.note
        ok = tmp_path / "ok.png"
        Image.new("RGB", (4, 4)).save(ok, "PNG")
        assert scrubber.inspect_and_scrub(ok, tmp_path / "scrubbed", "ok").scrubbed is not None
    assert rss_mib() - start < 64


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "TIFF", "HEIF"])
def test_gps_is_found_and_removed_in_every_image_type_the_forms_accept(
    kind: str, tmp_path: Path
) -> None:
    original = tmp_path / "photo"
    original.write_bytes(image_with_gps(kind))
    with Scrubber() as scrubber:
        report = scrubber.inspect_and_scrub(original, tmp_path / "scrubbed", "photo")
    assert report.has_location, report
    assert report.scrubbed is not None
    with Image.open(report.scrubbed) as clean:
        assert not clean.getexif() and "xmp" not in clean.info


# Random documents ----------------------------------------------------------------------------


def examples() -> list[Survey]:
    return [load_survey_file(EXAMPLES / f"{n}.yaml") for n in ("testimony", "needs-assessment")]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.random()
    if pick < 0.25:
        alphabet = ["a", "é", "証", "\x01", "\n", "=", "-", "$", "\ud800", "<", "'", " "]
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
    if pick < 0.4:
        return rng.choice([0, -1, 2**70, 10**18, True, None, 1e308, -0.0, 3.5])
    if pick < 0.55 and depth < 3:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if pick < 0.65 and depth < 3:
        return {random_value(rng, 3) if rng.random() < 0.2 else "k": random_value(rng, depth + 1)}
    return rng.choice(["street", "yes", "police", "2024-05-31", "12", "1.5", ""])


def random_document(survey: Survey, rng: random.Random) -> Any:
    """A document near the valid shape, with random damage: most pass some checks, not all."""
    names = [q.name for q in survey.answerable_questions]
    if rng.random() < 0.15:
        names.append(rng.choice(["extra", "=x", "a b", "evidence"]))
    answers: Any = {}
    for name in rng.sample(names, rng.randint(0, len(names))):
        question = survey.by_name.get(name)
        if question is not None and question.choices and rng.random() < 0.6:
            chosen = [c.name for c in question.choices][: rng.randint(1, 2)]
            answers[name] = chosen if question.type == "select_multiple" else chosen[0]
        elif question is not None and question.type == "integer" and rng.random() < 0.6:
            answers[name] = rng.randint(-5, 50)
        else:
            answers[name] = random_value(rng)
    files: Any = []
    if rng.random() < 0.3:
        entry = {"question": "evidence", "part": 0, "name": "a", "type": "image/jpeg", "size": 3}
        files = [{k: (random_value(rng) if rng.random() < 0.1 else v) for k, v in entry.items()}]
    document: Any = {"format": "glas-answers-1", "answers": answers, "files": files}
    if rng.random() < 0.1:
        document = random_value(rng)
    elif rng.random() < 0.1:
        document[rng.choice(["answers", "files", "reply_key", "language", "other"])] = (
            random_value(rng) if rng.random() < 0.5 else rng.choice(ODD_LANGUAGE_TAGS)
        )
    return document


#: Tags the document's pattern lets through but no catalogue knows (the page still renders).
ODD_LANGUAGE_TAGS = ["a", "x-a", "i-klingon", "root", "und", "Zzzzzzzz-A1-b2-c3-d4", "mk-x-y"]


class Opened:
    def __init__(self, record: SubmissionRecord, answers: Any) -> None:
        self.record, self.answers, self.files = record, answers, {}


def test_random_documents_are_refused_with_a_reason_or_rendered_whole() -> None:
    rng = random.Random(15)
    surveys = examples()
    definitions = {s.digest(): s for s in surveys}
    passed = refused = 0
    for i in range(DOCUMENTS):
        survey = rng.choice(surveys)
        document = random_document(survey, rng)
        problem = document_problem(survey, survey.id, survey.digest(), document)
        if problem is not None:
            assert isinstance(problem, str) and problem
            refused += 1
            continue
        record = SubmissionRecord(
            f"{i:032x}", survey.id, survey.digest(), "2026-11-01", 1024, [], b"", []
        )
        summary = summarize(
            {v: Plan(s, Options()) for v, s in definitions.items()}, [Opened(record, document)]
        )
        assert not summary.failures, (document, summary.failures)
        passed += 1
    assert passed > DOCUMENTS // 10 and refused > DOCUMENTS // 10, (passed, refused)
