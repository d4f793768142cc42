"""Turn opened submissions into the reviewer's tables: ``answers.csv`` and ``answers.json``.

One folder per survey version (``<survey id>/<version, 12 characters>/``): a version's questions
are fixed, so its columns are too (:class:`reviewer.columns.Plan`). Rows stream out as
submissions are opened, so a bundle of any size needs memory for one row only. The CSV reads as
an analyst wants it (labels, a 0/1 column per choice); the JSON keeps the answers exactly as
they were sealed (codes), for scripts. Cells a spreadsheet would run as a formula get a leading
apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import IO, Any

import orjson

from .codebook import write_codebook
from .columns import (
    FIXED_COLUMNS,
    Plan,
    cell,
    plan_for_unknown,
    repeat_file,
)
from .sheet import Day, Workbook, row_xml

VERSION_FOLDER_LENGTH = 12


def version_folder(out: Path, survey_id: str, version: str) -> Path:
    return out / survey_id / version[:VERSION_FOLDER_LENGTH]


#: A repeat's rows of one submission, by repeat.
RepeatRows = dict[str, list[list[Any]]]


def render_row(
    plan: Plan,
    submission_id: str,
    received: str,
    version: str,
    document: dict[str, Any],
    files: dict[str, str],
) -> tuple[list[Any], str, str, RepeatRows]:
    """Return the CSV row, the JSON text, the sheet row and the repeats' rows of one
    submission; ``files`` maps each payload part to the path (relative to the version folder)
    the tables should point at."""
    answers = document.get("answers") or {}
    by_question: dict[str, list[str]] = {}
    listed = []
    for entry in document.get("files") or []:
        relative = files.get(f"file-{entry.get('part')}", "")
        by_question.setdefault(str(entry.get("question")), []).append(relative)
        listed.append({**entry, "path": relative})
    # Id, day and version were checked against their patterns: no spreadsheet runs them.
    row: list[Any] = [submission_id, Day(received), version[:VERSION_FOLDER_LENGTH]]
    row += plan.cells(answers, by_question)
    item = {
        "id": submission_id,
        "received": received,
        "survey_version": version,
        "answers": answers,
        "files": listed,
    }
    for key in ("reply_key", "reply_login"):  # a testimony's codename, for `glas reply`
        if key in document:
            item[key] = document[key]
    repeats = plan.repeat_rows(submission_id, answers, by_question) if plan.repeats else {}
    return row, json_text(item), row_xml(row, plan.shared_index), repeats


def render_unknown_row(
    columns: list[str],
    submission_id: str,
    received: str,
    version: str,
    document: dict[str, Any],
) -> tuple[list[Any], str, str]:
    """A submission of a version without a definition: its answers as they are, by name."""
    answers = document.get("answers") or {}
    row: list[Any] = [submission_id, received, version[:VERSION_FOLDER_LENGTH]]
    row += [cell(answers.get(name)) for name in columns]
    item = {"id": submission_id, "received": received, "survey_version": version}
    return row, json_text({**item, "answers": answers}), row_xml(row)


def json_text(item: dict[str, Any]) -> str:
    """An answers.json entry: orjson for speed, the json module for what orjson cannot write
    (an integer beyond 64 bits, which the json module read exactly)."""
    try:
        return orjson.dumps(item).decode()
    except TypeError:
        return json.dumps(item, ensure_ascii=False)


class RenderedRows:
    """Rows rendered and joined in a worker: three strings travel back, not many objects."""

    def __init__(self) -> None:
        self._csv = io.StringIO()
        self._writer = csv.writer(self._csv)
        self._json: list[str] = []
        self._sheet: list[str] = []
        self.count = 0
        #: Each repeat's CSV text and sheet rows.
        self.repeats: dict[str, tuple[io.StringIO, list[str]]] = {}

    def add(
        self,
        row: list[Any],
        json_text: str,
        sheet_row: str,
        repeats: RepeatRows | None = None,
        shared: dict[str, int] | None = None,
    ) -> None:
        self._writer.writerow(row)
        self._json.append(json_text)
        self._sheet.append(sheet_row)
        self.count += 1
        for name, rows in (repeats or {}).items():
            text, sheet = self.repeats.setdefault(name, (io.StringIO(), []))
            csv.writer(text).writerows(rows)
            sheet.extend(row_xml(r, shared) for r in rows)

    def repeat_texts(self) -> dict[str, tuple[str, str]]:
        """Each repeat's CSV text and joined sheet rows."""
        return {name: (t.getvalue(), "".join(s)) for name, (t, s) in self.repeats.items()}

    @property
    def csv_text(self) -> str:
        return self._csv.getvalue()

    @property
    def json_text(self) -> str:
        return ",\n".join(self._json)

    @property
    def sheet_text(self) -> str:
        return "".join(self._sheet)

    def __getstate__(self) -> dict[str, object]:
        return {
            "csv_text": self.csv_text,
            "json_text": self.json_text,
            "sheet_text": self.sheet_text,
            "count": self.count,
            "repeats": self.repeat_texts(),
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self._csv = io.StringIO(str(state["csv_text"]))
        self._csv.seek(0, io.SEEK_END)
        self._writer = csv.writer(self._csv)
        self._json = [str(state["json_text"])] if state["count"] else []
        self._sheet = [str(state["sheet_text"])]
        self.count = int(state["count"])  # type: ignore[call-overload]
        repeats: dict[str, tuple[str, str]] = state["repeats"]  # type: ignore[assignment]
        self.repeats = {}
        for name, (text, sheet) in repeats.items():
            buffer = io.StringIO(text)
            buffer.seek(0, io.SEEK_END)
            self.repeats[name] = (buffer, [sheet])


class SurveyTable:
    """The CSV, JSON and XLSX files of one survey version, written row by row."""

    def __init__(self, folder: Path, plan: Plan) -> None:
        self.folder = folder
        self.plan = plan
        folder.mkdir(parents=True, exist_ok=True)
        self.columns = [c.name for c in plan.columns]
        header = [cell(c) for c in (*FIXED_COLUMNS, *self.columns)]
        self._csv_file: IO[str] = open(folder / "answers.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(header)
        self._json: IO[str] = open(folder / "answers.json", "w", encoding="utf-8")  # noqa: SIM115
        self._json.write("[\n")
        # A known version's sheet streams with the rows; an unknown one's columns grow as rows
        # come, so its sheet is made from the finished CSV.
        self._book: Workbook | None = None
        if plan.survey is not None:
            self._book = Workbook(folder / "answers.xlsx", plan.shared_strings)
            self._book.add_sheet(folder.parent.name, header, plan.texts(plan.columns))
        self.rows = 0
        # Each repeat's table: a CSV now, and its sheet's rows set aside until the main sheet
        # is done (sheets are written one after the other).
        self._repeats: dict[str, tuple[IO[str], IO[str]]] = {}
        self._headings: dict[str, tuple[list[str], list[str]]] = {}
        for repeat in plan.tables()[1:]:
            name, heading = repeat.repeat, repeat.header
            table: IO[str] = open(folder / repeat.file, "w", newline="", encoding="utf-8")  # noqa: SIM115
            csv.writer(table).writerow(heading)
            rows: IO[str] = open(self._rows_path(name), "w+", encoding="utf-8")  # noqa: SIM115
            self._repeats[name] = (table, rows)
            self._headings[name] = (heading, plan.texts(repeat.columns, repeat.fixed))

    def _rows_path(self, name: str) -> Path:
        return self.folder / f".{repeat_file(name)}.sheet-rows"

    def add_unknown(
        self, submission_id: str, received: str, version: str, document: dict[str, Any]
    ) -> None:
        """Write one row of a version without a definition (columns as answers reveal them)."""
        self.columns = plan_for_unknown(document.get("answers") or {}, self.columns)
        self.write(*render_unknown_row(self.columns, submission_id, received, version, document))

    def write(self, row: list[Any], json_text: str, sheet_row: str) -> None:
        """Write a row rendered already (see render_row)."""
        self._csv.writerow(row)
        self._json.write(("" if self.rows == 0 else ",\n") + json_text)
        if self._book is not None:
            self._book.write_rows(sheet_row)
        self.rows += 1

    def write_block(self, block: RenderedRows) -> None:
        """Write many rows a worker process rendered and joined already."""
        self._csv_file.write(block.csv_text)
        self._json.write(("" if self.rows == 0 else ",\n") + block.json_text)
        if self._book is not None:
            self._book.write_rows(block.sheet_text)
        self.rows += block.count
        for name, (text, sheet) in block.repeat_texts().items():
            if name in self._repeats:
                self._repeats[name][0].write(text)
                self._repeats[name][1].write(sheet)

    def close(self) -> None:
        self._csv_file.close()
        self._json.write("\n]\n")
        self._json.close()
        if self.plan.survey is None:
            _pad_short_rows(self.folder / "answers.csv", self.columns)
            self._book = Workbook(self.folder / "answers.xlsx")
            with open(self.folder / "answers.csv", newline="", encoding="utf-8") as f:
                lines = csv.reader(f)
                self._book.add_sheet(self.folder.parent.name, next(lines))
                for line in lines:
                    self._book.write_rows(row_xml(line))
        assert self._book is not None
        for name, (table, rows) in self._repeats.items():
            table.close()
            rows.seek(0)
            self._book.add_sheet(name, *self._headings[name])
            while chunk := rows.read(1 << 20):
                self._book.write_rows(chunk)
            rows.close()
            self._rows_path(name).unlink()
        write_codebook(self._book, self.folder, self.plan)
        self._book.close()


def _pad_short_rows(path: Path, columns: list[str]) -> None:
    """Rows written before a column appeared are shorter; pad them so the CSV stays rectangular."""
    width = len(FIXED_COLUMNS) + len(columns)
    tmp = path.with_suffix(".tmp")
    with (
        open(path, newline="", encoding="utf-8") as src,
        open(tmp, "w", newline="", encoding="utf-8") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        next(reader)
        writer.writerow([cell(c) for c in (*FIXED_COLUMNS, *columns)])
        for row in reader:
            writer.writerow(row + [""] * (width - len(row)))
    tmp.replace(path)
