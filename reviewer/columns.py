"""The columns of a survey version's tables, decided once per version, as an analyst wants them.

KoboToolbox's exports are the reference: a choice answer shows its *label* in the chosen
language (or its code with ``--values codes``); a multi-select keeps the joined answer and adds
one 0/1 column per choice (``question/choice``), empty when the question was not answered; a
file column points at the scrubbed copy when there is one (the original may carry GPS).
Headers are the question names (stable, short, what statistics tools want); the codebook maps
them to question texts and choice labels.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from glas.messages import _
from surveys.model import (
    DATETIME,
    MAX_REPEATS,
    NUMBER_TYPES,
    SINGLE_CHOICE_TYPES,
    Group,
    Question,
    Survey,
    localized,
)

from .sheet import Day, Moment

FIXED_COLUMNS = ("submission_id", "received", "survey_version")
#: A repeat's table, Kobo's way: one row per instance, linked to its submission and numbered;
#: a repeat inside a repeat also names the instance it is in ("parent_index").
REPEAT_COLUMNS = ("submission_id", "index")
NESTED_REPEAT_COLUMNS = ("submission_id", "parent_index", "index")
#: Joins several choices in one cell; a choice code never contains it.
JOIN = ";"
#: What a spreadsheet runs as a formula when a cell starts with it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: The answers that are dates, how the sheet marks them and what they must look like.
WHEN = {
    "date": (Day, re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")),
    "datetime": (Moment, DATETIME),
}


def repeat_file(name: str) -> str:
    """A repeat's table beside answers.csv (its name is letters, digits, "_", "." and "-" only)."""
    return f"answers_{name}.csv"


def cell(value: Any) -> str:
    """A value as spreadsheet text that no spreadsheet runs as a formula.

    Every cell we write — data, headers, codebook, in CSV and XLSX — comes through here, since
    question names, labels and answers all may come from a hostile bundle.
    """
    if value is None:
        return ""
    if type(value) in (int, float):
        return str(value)  # a number is never a formula, and "-3" stays a number
    text = JOIN.join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def distinct_labels(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """(code, label) pairs whose labels stay distinct as cells: two choices whose labels read
    the same once made safe ("=x" and "'=x", or one label twice) get their code added, so no
    table, value label or count ever merges two answers."""
    seen: set[str] = set()
    found = []
    for code, label in pairs:
        shown, n = label, 1
        while cell(shown) in seen:
            n += 1
            shown = f"{label} ({code})" if n == 2 else f"{label} ({code} {n})"
        seen.add(cell(shown))
        found.append((code, shown))
    return tuple(found)


@dataclass(frozen=True)
class Options:
    """How a reviewer wants the outputs: choice labels in ``language`` (None: the survey's own
    language), or the codes the answers are stored as; ``by``: the question (or "month") the
    report breaks every table down by."""

    language: str | None = None
    codes: bool = False
    by: str | None = None


@dataclass(frozen=True)
class Table:
    """One of a plan's tables: the main one (``repeat`` empty) or a repeat's, with its fixed
    columns and the answer columns after them."""

    repeat: str
    fixed: tuple[str, ...]
    columns: list[Column]

    @property
    def file(self) -> str:
        return repeat_file(self.repeat) if self.repeat else "answers.csv"

    @property
    def header(self) -> list[str]:
        return [cell(c) for c in (*self.fixed, *(c.name for c in self.columns))]


@dataclass(frozen=True)
class Column:
    """One answer column: ``kind`` is "text", "number", "one", "many", "flag", "file" or
    "count" (a repeat's number of instances; its answers are in the repeat's own table)."""

    name: str
    kind: str
    question: Question | None
    choice: str = ""  # the choice of a "flag" column
    labels: tuple[tuple[str, str], ...] = ()  # (code, label) of "one" and "many"
    repeat: Group | None = None  # the repeat a "count" column counts


class Plan:
    """Every answer column of one version; rows are made by :meth:`cells`."""

    def __init__(self, survey: Survey | None, options: Options) -> None:
        self.survey = survey
        self.options = options
        self.language = (
            options.language
            if survey is not None and options.language in survey.languages
            else (survey.language if survey is not None else "")
        )
        #: Each repeat's columns (its table's, after its fixed ones), outer repeats first.
        self.repeats: dict[str, list[Column]] = {}
        self.columns = self._level(survey, "") if survey else []
        self._steps = self._steps_of(self.columns)
        self._repeat_steps = {name: self._steps_of(c) for name, c in self.repeats.items()}
        #: The repeats inside another one (their tables name the instance they are in).
        self.nested = {n for n in self.repeats if survey and survey.repeat_chain[n]}
        every = [*self.columns, *(c for columns in self.repeats.values() for c in columns)]
        #: The texts most cells hold (choice labels or codes, as the tables show them), which
        #: the sheet names by index instead of repeating.
        self.shared_strings = sorted(
            {cell(text) for c in every for pair in c.labels for text in pair} - {""}
        )
        self.shared_index = {text: i for i, text in enumerate(self.shared_strings)}

    @property
    def header(self) -> list[str]:
        return [*FIXED_COLUMNS, *(c.name for c in self.columns)]

    def tables(self) -> list[Table]:
        """The main table, then each repeat's (outer repeats first)."""
        found = [Table("", FIXED_COLUMNS, self.columns)]
        for name, columns in self.repeats.items():
            fixed = NESTED_REPEAT_COLUMNS if name in self.nested else REPEAT_COLUMNS
            found.append(Table(name, fixed, columns))
        return found

    def texts(self, columns: list[Column], fixed: tuple[str, ...] = FIXED_COLUMNS) -> list[str]:
        """What each column of a table means, in this plan's language: the header row above
        the names in the XLSX (the names stay the stable handles scripts use)."""
        return [cell(t) for t in (*(fixed_text(name) for name in fixed), *map(self.text, columns))]

    def text(self, column: Column) -> str:
        if column.repeat is not None:
            label = self.label(column.repeat) if column.repeat.label else column.name
            return _("%(repeat)s: how many", repeat=label)
        question = column.question
        if question is None:
            return column.name
        if column.kind == "flag":
            choice = next(c for c in question.choices if c.name == column.choice)
            return f"{self.label(question)}: {self.label(choice)}"
        return self.label(question) or column.name

    def label(self, item: Any, field: str = "label") -> str:
        """An item's text in this plan's language (falling back to the survey's own)."""
        return localized(item, field, self.language)

    def _columns_of(self, question: Question) -> list[Column]:
        if question.type == "file":
            return [Column(question.name, "file", question)]
        if not question.choices:
            kind = "number" if question.type in NUMBER_TYPES else "text"
            return [Column(question.name, kind, question)]
        labels = distinct_labels([(c.name, self.label(c)) for c in question.choices])
        if question.type in SINGLE_CHOICE_TYPES:
            return [Column(question.name, "one", question, labels=labels)]
        flags = [
            Column(f"{question.name}/{c.name}", "flag", question, choice=c.name)
            for c in question.choices
        ]
        return [Column(question.name, "many", question, labels=labels), *flags]

    def _level(self, survey: Survey, level: str) -> list[Column]:
        """The columns of one level's table (the main one, or a repeat's): its questions', and
        a count for each repeat inside it, whose own table comes after."""
        columns: list[Column] = []
        inner = []
        for block in survey.blocks_in[level]:
            if isinstance(block, Question):
                if block.answerable:
                    columns += self._columns_of(block)
            else:
                columns.append(Column(block.name, "count", None, repeat=block))
                inner.append(block.name)
        for name in inner:
            self.repeats[name] = []  # its place, outer repeats first
            self.repeats[name] = self._level(survey, name)
        return columns

    def _steps_of(self, columns: list[Column]) -> list[tuple[str, str, Any]]:
        return [self._step(c) for c in columns if c.kind != "flag"]

    def repeat_rows(
        self, submission_id: str, answers: dict[str, Any], files: dict[str, list[str]]
    ) -> dict[str, list[list[Any]]]:
        """Each repeat's rows of one submission: the submission's id, the number of the
        instance it is in (a repeat inside a repeat: "2", or "2.1" deeper), its own number,
        then its cells. ``files`` lists the attachments by key ("photo#2")."""
        found: dict[str, list[list[Any]]] = {}
        self._rows_in(submission_id, answers, (), files, found)
        return found

    def _rows_in(
        self,
        submission_id: str,
        answers: dict[str, Any],
        path: tuple[int, ...],
        files: dict[str, list[str]],
        found: dict[str, list[list[Any]]],
    ) -> None:
        for name, steps in self._repeat_steps.items():
            instances = answers.get(name)
            if not isinstance(instances, list):
                continue
            rows = found.setdefault(name, [])
            for index, instance in enumerate(instances[:MAX_REPEATS], 1):
                if not isinstance(instance, dict):
                    continue
                at = (*path, index)
                suffix = "".join(f"#{i}" for i in at)
                own = {k.removesuffix(suffix): v for k, v in files.items() if k.endswith(suffix)}
                parent = [".".join(map(str, path))] if path else []
                rows.append([submission_id, *parent, index, *self._cells(steps, instance, own)])
                self._rows_in(submission_id, instance, at, files, found)

    def _step(self, column: Column) -> tuple[str, str, Any]:
        """What :meth:`cells` does for a column, with its lookup table made once (labels made
        safe for a spreadsheet here, once). A multi-select's step also makes its 0/1 columns,
        which then have no step of their own."""
        labels = {
            code: cell(code if self.options.codes else label) for code, label in column.labels
        }
        if column.kind == "one":
            return "one", column.name, labels
        if column.kind == "many":
            return "many", column.name, (labels, tuple(code for code, _ in column.labels))
        when = WHEN.get(column.question.type) if column.question is not None else None
        if when is not None:  # a date stays text in the CSV and becomes a date in the XLSX
            return "when", column.name, when
        return column.kind, column.name, None

    def cells(self, answers: dict[str, Any], files: dict[str, list[str]]) -> list[Any]:
        """The answer cells of one submission, as they should read: numbers as numbers, all
        text made safe for a spreadsheet (:func:`cell`)."""
        return self._cells(self._steps, answers, files)

    @staticmethod
    def _cells(
        steps: list[tuple[str, str, Any]], answers: dict[str, Any], files: dict[str, list[str]]
    ) -> list[Any]:
        row: list[Any] = []
        append = row.append
        for kind, name, extra in steps:
            if kind == "file":  # files are listed beside the answers, not in them
                listed = files.get(name)
                append(cell(JOIN.join(listed)) if listed else None)
                continue
            value = answers.get(name)
            if kind == "count":
                append(len(value) if type(value) is list else None)
                continue
            if value is None:
                append(None)
                if kind == "many":
                    row.extend([None] * len(extra[1]))
            elif kind == "one":
                label = extra.get(value)
                append(label if label is not None else cell(value))
            elif kind == "many":
                table, codes = extra
                if type(value) is list:
                    append(cell(JOIN.join([table.get(v) or str(v) for v in value])))
                    row.extend([1 if code in value else 0 for code in codes])
                else:
                    append(cell(value))
                    row.extend([None] * len(codes))
            elif type(value) is int or (type(value) is float and math.isfinite(value)):
                append(value)  # a number is never a formula
            elif kind == "when" and type(value) is str and extra[1].fullmatch(value):
                append(extra[0](value))
            else:
                append(cell(value))
        return row


def fixed_text(name: str) -> str:
    """What a fixed column (the same in every table) means, in the reviewer's language."""
    texts = {
        "submission_id": _("Submission"),
        "received": _("Day received"),
        "survey_version": _("Survey version"),
        "index": _("Number"),
        "parent_index": _("Inside number"),
    }
    return texts.get(name, name)


def plan_for_unknown(answers: dict[str, Any], known: list[str]) -> list[str]:
    """Columns of a version without a definition: names in the order answers reveal them."""
    return [*known, *(name for name in answers if name not in known)]
