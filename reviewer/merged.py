"""One table per survey across its versions: ``OUT/<survey>/all-versions/``.

A survey edited after it was published has several versions, each with its own folder (its
questions are fixed, so its columns are). An analyst wants one table: the versions' rows one
after the other, columns united by question name, the ``survey_version`` column saying where
each row comes from. A question asked the same way in every version that has it is one column
(empty in the versions without it). A question whose type or choices changed is *kept apart*:
one column per version, named ``<question>_v<version>``, since putting "Yes/No" answers and a
five-point scale into one column would count different questions as one. What was kept apart
is said in the report and in the folder's codebook.

Made from the versions' CSV files after they are written, row by row (memory for one row);
the XLSX, codebook and SPSS/Stata files come from the same writers as a version's.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from glas.messages import _

from .codebook import write_codebook
from .columns import WHEN, Column, Plan
from .sheet import Day, Workbook, row_xml
from .statfiles import write_stat_files

FOLDER = "all-versions"
#: What a table cell is read back as, for the XLSX (the CSV keeps the text as it is).
NUMERIC = ("number", "count", "flag")


@dataclasses.dataclass
class Version:
    """One version's folder and plan (its CSV files are written and closed)."""

    folder: Path
    plan: Plan


class MergedPlan(Plan):
    """A plan whose columns are the union of several versions' (see the module's docstring).

    It answers what the XLSX, codebook and SPSS/Stata writers ask of a plan; ``sources``
    says, per table and per version, which of the version's columns fills each merged one.
    """

    def __init__(self, versions: list[Version]) -> None:
        first = versions[0].plan
        self.survey = first.survey
        self.options = first.options
        self.language = first.language
        self.apart: list[str] = []
        self.nested: set[str] = set()
        self.repeats = {}
        self.sources: dict[str, list[dict[str, str]]] = {}
        self.columns = self._unite("", [(v.plan.columns, v.folder.name) for v in versions])
        names = list(dict.fromkeys(n for v in versions for n in v.plan.repeats))
        for name in names:
            having = [
                (v.plan.repeats[name], v.folder.name) for v in versions if name in v.plan.repeats
            ]
            self.repeats[name] = self._unite(name, having)
            if any(name in v.plan.nested for v in versions):
                self.nested.add(name)
        self.shared_strings, self.shared_index = [], {}

    def _unite(
        self,
        table: str,
        having: list[tuple[list[Column], str]],
    ) -> list[Column]:
        """The united columns of one table; records each version's sources for it."""
        shapes: dict[str, set[tuple[Any, ...]]] = {}
        for columns, _version in having:
            for column in columns:
                shapes.setdefault(_question_of(column), set()).add(_shape(column))
        changed = {name for name, found in shapes.items() if len(found) > 1}
        for name in sorted(changed):
            self.apart.append(f"{table}/{name}" if table else name)
        united: dict[str, Column] = {}
        sources: list[dict[str, str]] = []
        for columns, version in having:
            source = {}
            for column in columns:
                name = column.name
                if _question_of(column) in changed:
                    question, _, choice = name.partition("/")
                    name = f"{question}_v{version[:6]}" + (f"/{choice}" if choice else "")
                united.setdefault(name, dataclasses.replace(column, name=name))
                source[name] = column.name
            sources.append(source)
        self.sources[table] = sources
        return list(united.values())


def _question_of(column: Column) -> str:
    """The question (or repeat) a column belongs to: a multi-select's 0/1 columns go with it."""
    return column.name.partition("/")[0]


def _shape(column: Column) -> tuple[Any, ...]:
    """What must be the same for two versions' columns to be one: kind, type and choices."""
    question_type = column.question.type if column.question is not None else ""
    return (column.kind, question_type, column.choice, column.labels)


def write_merged(out: Path, survey_id: str, versions: list[Version]) -> list[str]:
    """Write ``OUT/<survey>/all-versions/`` for a survey seen in several versions; return the
    lines the report shows (what was kept apart), and problems, never raising for content."""
    versions = [v for v in versions if v.plan.survey is not None]
    if len(versions) < 2:
        return []
    folder = out / survey_id / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    plan = MergedPlan(versions)
    book = Workbook(folder / "answers.xlsx")
    for table in plan.tables():
        name, fixed, columns = table.repeat, table.fixed, table.columns
        book.add_sheet(name or survey_id, table.header, plan.texts(columns, fixed))
        with open(folder / table.file, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(table.header)
            having = [v for v in versions if not name or name in v.plan.repeats]
            for version, source in zip(having, plan.sources[name], strict=True):
                for row in _rows(version.folder / table.file, fixed, columns, source):
                    writer.writerow(row)
                    book.write_rows(row_xml(_typed(row, fixed, columns)))
    write_codebook(book, folder, plan)
    book.close()
    lines = [
        _(
            "%(survey)s: the versions' answers are joined in %(folder)s.",
            survey=survey_id,
            folder=f"{survey_id}/{FOLDER}",
        )
    ]
    if plan.apart:
        lines.append(
            _(
                "%(survey)s: these questions changed between versions and are kept apart, one "
                "column per version: %(names)s.",
                survey=survey_id,
                names=", ".join(plan.apart),
            )
        )
    return lines + write_stat_files(folder, plan)


def _rows(
    path: Path, fixed: tuple[str, ...], columns: list[Column], source: dict[str, str]
) -> Iterator[list[str]]:
    """One version's rows, its cells moved to the united columns (empty where it has none)."""
    if not path.is_file():
        return
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        at = {name: i for i, name in enumerate(header)}
        places = [at.get(name) for name in fixed]
        places += [at.get(source[c.name]) if c.name in source else None for c in columns]
        for line in reader:
            yield [line[i] if i is not None and i < len(line) else "" for i in places]


def _typed(row: list[str], fixed: tuple[str, ...], columns: list[Column]) -> list[Any]:
    """A CSV row as the XLSX should hold it: numbers as numbers, days as dates."""
    typed: list[Any] = list(row[: len(fixed)])
    if "received" in fixed:
        typed[fixed.index("received")] = Day(typed[fixed.index("received")])
    for column, text in zip(columns, row[len(fixed) :], strict=True):
        when = WHEN.get(column.question.type) if column.question is not None else None
        if text and column.kind in NUMERIC:
            typed.append(_number(text))
        elif text and when is not None and when[1].fullmatch(text):
            typed.append(when[0](text))
        else:
            typed.append(text)
    return typed


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
