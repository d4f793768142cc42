"""``report.html``: one self-contained, offline page summarising a set of bundles.

Per survey version: responses by month; per closed question a table of counts, the percentage
of those asked and of those who answered, "no answer" (asked, left empty) and "not asked" (skip
logic passed it by), with bars labelled by their counts; a summary of number answers; free-text
answers, each linked to its testimony page when it has one (and the page links back); files
linked to their scrubbed copies. ``--by QUESTION`` (or ``--by month``) adds to every closed
question a table broken down by the answers to QUESTION. A warnings section lists what a
reviewer must not miss. Bars are plain HTML, so the page loads nothing, prints on A4 and reads
in the reviewer's language (the interface's catalogs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surveys.model import MAX_REPEATS, NUMBER_TYPES, TEXT_TYPES, Question
from surveys.repeats import key_of

from .columns import Plan
from .rendering import render
from .rows import number_bins, number_summary, row_options

#: ``--by month``: break results down by the month a submission arrived.
BY_MONTH = "month"
#: The by-value of a submission that did not answer the breakdown question.
NO_ANSWER = "\0"


@dataclass
class Tally:
    """One closed question among some submissions."""

    asked: int = 0
    answered: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Tally) -> None:
        self.asked += other.asked
        self.answered += other.answered
        self.counts.update(other.counts)


@dataclass
class VersionStats:
    survey_id: str
    version: str
    plan: Plan | None
    count: int = 0
    months: Counter[str] = field(default_factory=Counter)
    #: question name → breakdown value ("" for everyone) → tally
    tallies: dict[str, dict[str, Tally]] = field(default_factory=dict)
    #: by value → submissions with it
    groups: Counter[str] = field(default_factory=Counter)
    numbers: dict[str, list[float]] = field(default_factory=dict)
    texts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: (submission id, file name, path relative to the version folder)
    files: list[tuple[str, str, str]] = field(default_factory=list)
    #: per repeat, its instances in all submissions (what its questions are counted over)
    instances: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        # Decide once per version what each question contributes, not once per submission.
        survey = self.plan.survey if self.plan else None
        questions = survey.answerable_questions if survey else []
        # Month questions are counted like choices: one row per month of occurrence.
        self._closed = [
            q for q in questions if q.choices or q.type in NUMBER_TYPES or q.type == "month"
        ]
        # A repeat's question is counted per instance (every incident of every testimony).
        repeat_of = survey.repeat_of if survey else {}
        self._plan = [
            (q.name, bool(q.choices) or q.type == "month", q.type in NUMBER_TYPES)
            for q in self._closed
            if q.name not in repeat_of
        ]
        self._repeat_plan = [
            (
                q.name,
                bool(q.choices) or q.type == "month",
                q.type in NUMBER_TYPES,
                repeat_of[q.name],
            )
            for q in self._closed
            if q.name in repeat_of
        ]
        self._chains = (
            {name: [*survey.repeat_chain[name], name] for name in survey.repeats} if survey else {}
        )
        self._texts = [
            q.name for q in questions if q.type in TEXT_TYPES and q.name not in repeat_of
        ]
        self._by = self.plan.options.by if self.plan else None
        self._by_question = survey.by_name.get(self._by or "") if survey else None

    def merge(self, other: VersionStats) -> None:
        """Add the counts of a partial (a worker's batch) to these."""
        self.count += other.count
        self.months.update(other.months)
        self.groups.update(other.groups)
        for name, by_value in other.tallies.items():
            mine = self.tallies.setdefault(name, {})
            for key, tally in by_value.items():
                mine.setdefault(key, Tally()).merge(tally)
        for name, values in other.numbers.items():
            self.numbers.setdefault(name, []).extend(values)
        for name, items in other.texts.items():
            self.texts.setdefault(name, []).extend(items)
        self.files += other.files
        self.instances.update(other.instances)

    def _add_instances(
        self, answers: dict[str, Any], asked: set[str] | None, groups: list[str]
    ) -> None:
        """Count the questions of repeats over their instances (the breakdown is the
        submission's)."""
        found = {
            repeat: list(_instances(answers, chain, ())) for repeat, chain in self._chains.items()
        }
        for repeat, instances in found.items():
            self.instances[repeat] += len(instances)
        for name, counts_choices, is_number, repeat in self._repeat_plan:
            by_value = self.tallies.setdefault(name, {"": Tally()})
            for path, instance in found[repeat]:
                if asked is not None and key_of(name, path) not in asked:
                    continue
                value = instance.get(name)
                answered = value is not None and value != []
                for key in ("", *groups):
                    tally = by_value.setdefault(key, Tally())
                    tally.asked += 1
                    if answered:
                        tally.answered += 1
                        if counts_choices:
                            tally.counts.update(value if type(value) is list else [str(value)])
                if is_number and answered:
                    self.numbers.setdefault(name, []).append(float(value))  # type: ignore[arg-type]

    def _groups_of(self, received: str, answers: dict[str, Any]) -> list[str]:
        if not self._by:
            return []
        if self._by == BY_MONTH:
            return [received[:7]]
        if self._by_question is None:
            return []
        value = answers.get(self._by)
        if value is None:
            return [NO_ANSWER]
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    def add(
        self,
        submission_id: str,
        received: str,
        answers: dict[str, Any],
        asked: set[str] | None = None,
        attachments: Sequence[Any] = (),
    ) -> None:
        """Count one submission; ``asked`` is None when its skip logic is unknown."""
        self.count += 1
        self.months[received[:7]] += 1
        groups = self._groups_of(received, answers)
        if groups:
            self.groups.update(groups)
        tallies = self.tallies
        for name, counts_choices, is_number in self._plan:
            by_value = tallies.get(name)
            if by_value is None:
                by_value = tallies[name] = {"": Tally()}
            if asked is not None and name not in asked:
                for key in groups:
                    if key not in by_value:
                        by_value[key] = Tally()
                continue
            value = answers.get(name)
            answered = value is not None and value != []
            for key in ("", *groups) if groups else ("",):
                tally = by_value.get(key)
                if tally is None:
                    tally = by_value[key] = Tally()
                tally.asked += 1
                if answered:
                    tally.answered += 1
                    if counts_choices:
                        if type(value) is list:
                            tally.counts.update(value)
                        else:
                            tally.counts[str(value)] += 1
            if is_number and answered:
                self.numbers.setdefault(name, []).append(float(value))  # type: ignore[arg-type]
        if self._repeat_plan:
            self._add_instances(answers, asked, groups)
        for name in self._texts:
            value = answers.get(name)
            if value is not None:
                self.texts.setdefault(name, []).append((submission_id, str(value)))
        for attachment in attachments:
            path = attachment.scrubbed or attachment.original
            self.files.append((submission_id, attachment.name, path.removeprefix("../")))


@dataclass
class Warnings:
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Copies of a submission set aside (another copy of the same id is used).
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    #: Follow-ups shown apart: they claim a testimony's codename without a proof from its key.
    unproven_follow_ups: int = 0
    violations: list[tuple[str, list[str]]] = field(default_factory=list)
    unknown_versions: list[tuple[str, str, str]] = field(default_factory=list)
    located: list[tuple[str, str]] = field(default_factory=list)
    not_scrubbed: list[tuple[str, str, str]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.failed
            or self.conflicts
            or self.unproven_follow_ups
            or self.violations
            or self.unknown_versions
            or self.located
            or self.other
        )


@dataclass
class Row:
    """One line of a question's table."""

    label: str
    count: int
    of_asked: float | None  # percent
    of_answered: float | None
    kind: str = "choice"  # "choice", "no-answer", "not-asked"


@dataclass
class QuestionTable:
    question: Question
    rows: list[Row]
    asked: int
    answered: int
    widest: int
    #: with --by: column labels and, per row of ``rows`` (choices only), "n (p%)" per group
    by_columns: list[str] = field(default_factory=list)
    by_rows: list[tuple[str, list[tuple[int, float | None]]]] = field(default_factory=list)
    by_answered: list[int] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)  # numbers: n, mean, median, …
    bins: list[tuple[str, int]] = field(default_factory=list)
    #: a repeat's question: the repeat's label and its instances in all (it is counted per one)
    per: tuple[str, int] | None = None


def _instances(
    answers: dict[str, Any], chain: list[str], path: tuple[int, ...]
) -> Iterator[tuple[tuple[int, ...], dict[str, Any]]]:
    """Every instance of the last repeat of ``chain`` (its outer repeats first), with its path."""
    found = answers.get(chain[0])
    for index, instance in enumerate(found if isinstance(found, list) else [], 1):
        if index > MAX_REPEATS or not isinstance(instance, dict):
            break
        if len(chain) == 1:
            yield (*path, index), instance
        else:
            yield from _instances(instance, chain[1:], (*path, index))


def percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


class Report:
    def __init__(self) -> None:
        self.versions: dict[tuple[str, str], VersionStats] = {}
        self.warnings = Warnings()
        self.duplicates = 0
        #: What the reader should know about the tables (versions joined, questions kept apart).
        self.notes: list[str] = []

    def stats(self, survey_id: str, version: str, plan: Plan | None) -> VersionStats:
        key = (survey_id, version)
        if key not in self.versions:
            self.versions[key] = VersionStats(survey_id, version, plan)
        return self.versions[key]

    def write(self, path: Path, bundles: list[tuple[str, str]], generated: str) -> None:
        sections = [
            _section(stats)
            for stats in sorted(self.versions.values(), key=lambda s: (s.survey_id, s.version))
        ]
        page = render(
            "report.html",
            sections=sections,
            warnings=self.warnings,
            notes=self.notes,
            bundles=bundles,
            generated=generated,
            duplicates=self.duplicates,
        )
        path.write_text(page, encoding="utf-8")


def _section(stats: VersionStats) -> dict[str, Any]:
    plan = stats.plan
    survey = plan.survey if plan else None
    folder = f"{stats.survey_id}/{stats.version[:12]}"
    months = sorted(stats.months.items())
    return {
        "stats": stats,
        "id": f"{stats.survey_id}-{stats.version[:12]}",
        "title": plan.label(survey, "title") if plan and survey else stats.survey_id,
        "folder": folder,
        "testimonies": survey is not None and survey.kind == "testimony",
        "months": months,
        "widest_month": max((n for _, n in months), default=0),
        "tables": [_table(stats, q) for q in stats._closed] if plan else [],
        "texts": [
            (plan.label(survey.by_name[n]), stats.texts.get(n, []))
            for n in stats._texts
            if stats.texts.get(n)
        ]
        if plan and survey
        else [],
        "by": _by_label(stats),
        # --by a question this survey does not ask: said, not silently left out.
        "by_missing": bool(plan and stats._by and stats._by != BY_MONTH and not stats._by_question),
    }


def _by_label(stats: VersionStats) -> str:
    if not stats._by or not stats.plan:
        return ""
    if stats._by == BY_MONTH:
        return BY_MONTH
    question = stats._by_question
    return stats.plan.label(question) if question else ""


def _table(stats: VersionStats, question: Question) -> QuestionTable:
    assert stats.plan is not None
    plan = stats.plan
    tallies = stats.tallies.get(question.name, {})
    overall = tallies.get("", Tally())
    rows = [
        Row(
            label,
            overall.counts.get(name, 0),
            percent(overall.counts.get(name, 0), overall.asked),
            percent(overall.counts.get(name, 0), overall.answered),
        )
        for name, label in row_options(stats.plan, question, tallies.values())
    ]
    no_answer = overall.asked - overall.answered
    rows.append(Row("", no_answer, percent(no_answer, overall.asked), None, "no-answer"))
    repeat = plan.survey.repeat_of.get(question.name) if plan.survey else None
    whole = stats.instances[repeat] if repeat else stats.count
    rows.append(Row("", whole - overall.asked, None, None, "not-asked"))
    table = QuestionTable(
        question, rows, overall.asked, overall.answered, max((r.count for r in rows), default=0)
    )
    if repeat and plan.survey:
        group = plan.survey.group_by_name[repeat]
        table.per = (plan.label(group) if group.label else repeat, whole)
    if question.type in NUMBER_TYPES:
        values = stats.numbers.get(question.name, [])
        if values:
            table.summary = number_summary(values)
            table.bins = number_bins(values, question.type == "integer")
            table.widest = max(n for _, n in table.bins)
    elif _by_label(stats):
        _breakdown(table, stats, question, tallies)
    return table


def _breakdown(
    table: QuestionTable, stats: VersionStats, question: Question, tallies: dict[str, Tally]
) -> None:
    assert stats.plan is not None
    keys = sorted(k for k in stats.groups if k)
    by_question = stats._by_question
    if by_question is not None:
        order = {c.name: i for i, c in enumerate(by_question.choices)}
        keys.sort(key=lambda k: order.get(k, len(order)))
        names = {c.name: stats.plan.label(c) for c in by_question.choices}
    else:
        names = {}
    table.by_columns = [names.get(k, k) if k != NO_ANSWER else "" for k in keys]
    groups = [tallies.get(k, Tally()) for k in keys]
    table.by_answered = [g.answered for g in groups]
    for name, label in row_options(stats.plan, question, tallies.values()):
        cells = [
            (g.counts.get(name, 0), percent(g.counts.get(name, 0), g.answered)) for g in groups
        ]
        table.by_rows.append((label, cells))
