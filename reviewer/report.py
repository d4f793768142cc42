"""``report.html``: one self-contained, offline page summarising a set of bundles.

Per survey version: responses by day, a chart per closed question (bar charts of choice counts,
histograms of numbers), free-text answers; and a warnings section listing what a reviewer must
not miss: submissions that failed authentication, answers breaking their version's rules,
unknown survey versions, and attachments that carry a location. Charts are PNGs embedded as
``data:`` URIs: the page loads nothing from anywhere.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surveys.model import NUMBER_TYPES, TEXT_TYPES, Question, Survey

from .rendering import render

CHART_DPI = 80
MAX_BARS = 30


@dataclass
class Chart:
    question: Question
    image: str  # data: URI


@dataclass
class VersionStats:
    survey_id: str
    version: str
    survey: Survey | None
    count: int = 0
    days: Counter[str] = field(default_factory=Counter)
    choices: dict[str, Counter[str]] = field(default_factory=dict)
    numbers: dict[str, list[float]] = field(default_factory=dict)
    texts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def merge(self, other: VersionStats) -> None:
        """Add the counts of a partial (a worker's batch) to these."""
        self.count += other.count
        self.days.update(other.days)
        for name, counter in other.choices.items():
            self.choices.setdefault(name, Counter()).update(counter)
        for name, values in other.numbers.items():
            self.numbers.setdefault(name, []).extend(values)
        for name, items in other.texts.items():
            self.texts.setdefault(name, []).extend(items)

    def __post_init__(self) -> None:
        # Decide once per version what each question contributes, not once per submission.
        questions = self.survey.answerable_questions if self.survey else []
        self._choices = [
            (q.name, self.choices.setdefault(q.name, Counter())) for q in questions if q.choices
        ]
        self._numbers = [
            (q.name, self.numbers.setdefault(q.name, []))
            for q in questions
            if q.type in NUMBER_TYPES
        ]
        self._texts = [
            (q.name, self.texts.setdefault(q.name, [])) for q in questions if q.type in TEXT_TYPES
        ]

    def add(self, submission_id: str, received: str, answers: dict[str, Any]) -> None:
        self.count += 1
        self.days[received] += 1
        for name, counter in self._choices:
            value = answers.get(name)
            if value is not None:
                counter.update(value if isinstance(value, list) else (value,))
        for name, numbers in self._numbers:
            value = answers.get(name)
            if value is not None:
                numbers.append(float(value))
        for name, texts in self._texts:
            value = answers.get(name)
            if value is not None:
                texts.append((submission_id, str(value)))


@dataclass
class Warnings:
    failed: list[tuple[str, str]] = field(default_factory=list)
    violations: list[tuple[str, list[str]]] = field(default_factory=list)
    unknown_versions: list[tuple[str, str, str]] = field(default_factory=list)
    located: list[tuple[str, str]] = field(default_factory=list)
    not_scrubbed: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.failed or self.violations or self.unknown_versions or self.located)


class Report:
    def __init__(self) -> None:
        self.versions: dict[tuple[str, str], VersionStats] = {}
        self.warnings = Warnings()
        self.duplicates = 0

    def stats(self, survey_id: str, version: str, survey: Survey | None) -> VersionStats:
        key = (survey_id, version)
        if key not in self.versions:
            self.versions[key] = VersionStats(survey_id, version, survey)
        return self.versions[key]

    def write(self, path: Path, bundles: list[tuple[str, str]], generated: str) -> None:
        sections = []
        for stats in sorted(self.versions.values(), key=lambda s: (s.survey_id, s.version)):
            sections.append(
                {
                    "stats": stats,
                    "days_chart": _bar_chart(sorted(stats.days.items()), "Responses by day"),
                    "charts": _charts(stats),
                    "texts": [(stats.survey.question(n), items) for n, items in stats.texts.items()]
                    if stats.survey
                    else [],
                }
            )
        page = render(
            "report.html",
            sections=sections,
            warnings=self.warnings,
            bundles=bundles,
            generated=generated,
            duplicates=self.duplicates,
        )
        path.write_text(page, encoding="utf-8")


def _charts(stats: VersionStats) -> list[Chart]:
    charts = []
    for question in stats.survey.closed_questions if stats.survey else ():
        if question.choices:
            counts = stats.choices.get(question.name, Counter())
            bars = [(c.label, counts.get(c.name, 0)) for c in question.choices]
            charts.append(Chart(question, _bar_chart(bars, question.label, horizontal=True)))
        else:
            charts.append(
                Chart(question, _histogram(stats.numbers.get(question.name, []), question.label))
            )
    return charts


def _bar_chart(bars: list[tuple[str, int]], title: str, horizontal: bool = False) -> str:
    figure, axes = _figure(max(2.2, 0.35 * min(len(bars), MAX_BARS) + 1) if horizontal else 3)
    labels = [_short(label) for label, _ in bars[:MAX_BARS]]
    values = [value for _, value in bars[:MAX_BARS]]
    from matplotlib.ticker import MaxNLocator

    count_axis = axes.xaxis if horizontal else axes.yaxis
    count_axis.set_major_locator(MaxNLocator(integer=True))  # responses are whole numbers
    if horizontal:
        axes.barh(labels[::-1], values[::-1], color="#6b2d8f")
        axes.set_xlabel("responses")
        axes.set_xlim(0, max([1, *values]))
    else:
        axes.bar(labels, values, color="#6b2d8f")
        axes.set_ylabel("responses")
        axes.set_ylim(0, max([1, *values]))
        axes.tick_params(axis="x", labelrotation=45)
    axes.set_title(_short(title, 80), fontsize=10)
    return _png(figure)


def _histogram(values: list[float], title: str) -> str:
    figure, axes = _figure(3)
    if values:
        axes.hist(values, bins=min(20, max(1, len(set(values)))), color="#6b2d8f")
    axes.set_ylabel("responses")
    axes.set_title(_short(title, 80), fontsize=10)
    return _png(figure)


def _figure(height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")  # no display on the reviewer's machine, and none needed
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, height), dpi=CHART_DPI, layout="constrained")
    return figure, axes


def _png(figure: Any) -> str:
    from matplotlib import pyplot

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    pyplot.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _short(text: str, limit: int = 40) -> str:
    """Shorten a label for a chart, and keep it plain text: matplotlib reads "$...$" as math,
    and a hostile label would fail to draw."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")
