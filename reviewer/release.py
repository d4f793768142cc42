"""The folder ``glas decrypt --public DIR`` writes: per survey, the one-way tables (and two-way
tables asked for), in HTML and CSV, and a README saying what was suppressed and why."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glas.messages import _
from surveys.model import Survey

from .public import crossable, public_tables, publishable, summary_csv, summary_html
from .public_cross import cross_csv, cross_html, cross_note, public_crosses


@dataclass(frozen=True)
class Publication:
    """What ``glas decrypt --public`` was asked to write."""

    folder: Path
    threshold: int
    chosen: tuple[str, ...] | None  # None: every question that can be published
    crossings: tuple[tuple[str, str], ...]


class ReleaseRefused(ValueError):
    """The questions asked for cannot be published as asked (the message says which)."""


def release_pairs(
    surveys: Sequence[Survey], chosen: Sequence[str], crossings: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """Check the analyst's choice against the surveys before the long part; return the pairs
    ("FIRST,SECOND") to cross. Each name must be publishable in some survey, each pair
    crossable in one survey that has both."""
    for name in chosen:
        if not any(name in s.by_name and publishable(s, s.by_name[name]) for s in surveys):
            raise ReleaseRefused(
                _(
                    "--public-question %(name)s: no survey in these bundles has a choice or "
                    "month question of that name outside a repeat.",
                    name=name,
                )
            )
    pairs = []
    for text in crossings:
        first, comma, second = (part.strip() for part in text.partition(","))
        if not comma or not first or not second or first == second:
            raise ReleaseRefused(
                _("--public-cross %(pair)s: give two question names, FIRST,SECOND.", pair=text)
            )
        if not any(
            first in s.by_name
            and second in s.by_name
            and crossable(s, s.by_name[first])
            and crossable(s, s.by_name[second])
            for s in surveys
        ):
            raise ReleaseRefused(
                _(
                    "--public-cross %(pair)s: no survey in these bundles has both as "
                    "single-answer questions (single choice, yes/no or month) outside a repeat.",
                    pair=text,
                )
            )
        pairs.append((first, second))
    return tuple(pairs)


def write_public(
    folder: Path,
    surveys: dict[str, tuple[Survey, list[Path]]],
    threshold: int,
    language: str,
    chosen: Sequence[str] | None = None,
    crossings: Sequence[tuple[str, str]] = (),
) -> list[Path]:
    """For each survey (its newest definition and its versions' answers.json): summary.html
    and summary.csv in ``folder/<survey>/`` (crosstabs.csv with two-way tables), and one
    README for the release. ``chosen``: the questions to publish (None: every one that can
    be); ``crossings``: pairs of questions to cross, where a survey has both."""
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    notes = []
    for survey_id, (survey, tables_json) in sorted(surveys.items()):
        here = [(a, b) for a, b in crossings if a in survey.by_name and b in survey.by_name]
        names = {q.name for q in survey.answerable_questions} & {
            *(chosen if chosen is not None else survey.by_name),
            *(n for pair in here for n in pair),
        }
        answers = [{k: a[k] for k in names if k in a} for a in _answers(tables_json)]
        # One pass over the answers for every one-way table, the crossed questions' included.
        wanted = None if chosen is None else [*chosen, *(q for pair in here for q in pair)]
        n, every = public_tables(survey, answers, threshold, language, wanted)
        tables = [t for t in every if chosen is None or t.question in chosen]
        one_way = {t.question: t for t in every}
        crossed = []
        if n >= threshold:
            crossed = public_crosses(survey, answers, here, threshold, language, one_way)
        out = folder / survey_id
        out.mkdir(exist_ok=True)
        (out / "summary.csv").write_text(summary_csv(tables), encoding="utf-8")
        page = summary_html(
            survey, n, tables, threshold, language, "".join(map(cross_html, crossed))
        )
        (out / "summary.html").write_text(page, "utf-8")
        written += [out / "summary.html", out / "summary.csv"]
        if crossed:
            (out / "crosstabs.csv").write_text(cross_csv(crossed), encoding="utf-8")
            written.append(out / "crosstabs.csv")
        hidden = sum(t.suppressed for t in tables)
        shown = str(n) if n >= threshold else f"fewer than {threshold}"
        notes.append(f"{survey_id}: {shown} respondents, {len(tables)} tables, {hidden} suppressed")
        notes += [cross_note(survey_id, c) for c in crossed]
    readme = folder / "README.txt"
    readme.write_text(_readme(threshold, notes), encoding="utf-8")
    return [readme, *written]


def _answers(files: list[Path]) -> Iterable[dict[str, Any]]:
    for path in files:
        for item in json.loads(path.read_text(encoding="utf-8")):
            answers = item.get("answers")
            if isinstance(answers, dict):
                yield answers


def _readme(threshold: int, notes: list[str]) -> str:
    return (
        "A summary safe to publish, made by glas decrypt --public.\n\n"
        "What is in it: counts of the closed questions (single and multiple choice, yes/no) and\n"
        "of month questions, per survey, in summary.html (with charts) and summary.csv. Nothing\n"
        "else: no written answer, file, submission id, number or date finer than a month.\n\n"
        f"What is suppressed and why: every count from 1 to {threshold - 1} (a small count can\n"
        "point at a person), and in each table whose counts add up to its total, as many more\n"
        "(the smallest first) as it takes for the hidden counts to hold at least\n"
        f"{threshold} respondents between at least two cells, so that none can be worked out\n"
        "from the total and the other cells; where a table has not enough cells, its total is\n"
        "suppressed too. A survey with fewer respondents than that has no tables at all.\n"
        "Questions asked inside repeats are not in this release (they count incidents, not\n"
        "respondents: a cell of three incidents may be one person).\n\n"
        "Two-way tables (crosstabs.csv, and at the end of summary.html): their categories are\n"
        "the answers the one-way tables show, and one for everyone else, so their margins give\n"
        "nothing away; every inner count below the threshold is suppressed with three others\n"
        "in a rectangle, chosen so that each of them could be anything in an interval at least\n"
        f"{threshold} wide. A two-way table whose small counts cannot be protected that way is\n"
        "not published.\n\n" + "\n".join(notes) + "\n"
    )
