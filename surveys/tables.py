"""Turn opened submissions into the reviewer's tables: ``answers.csv`` and ``answers.json``.

One folder per survey; rows stream out as submissions are opened, so a bundle of any size needs
memory for one row only. Columns follow the survey definition, with multi-select answers joined by
``;``. Cells that a spreadsheet would run as a formula are defused with a leading apostrophe.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from pathlib import Path
from typing import IO, Any

from .model import Survey

FIXED_COLUMNS = ("submission_id", "received", "survey_version")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNSAFE_FILENAME = re.compile(r"[^\w.\- ()]+")
MAX_FILENAME_LENGTH = 120


def safe_filename(name: str) -> str:
    """Keep a readable file name but nothing that escapes the folder or confuses a desktop."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = UNSAFE_FILENAME.sub("_", base).strip(" .") or "attachment"
    if len(cleaned) > MAX_FILENAME_LENGTH:
        stem, dot, ext = cleaned.rpartition(".")
        keep = MAX_FILENAME_LENGTH - len(ext) - 1
        cleaned = (
            stem[:keep] + dot + ext if dot and len(ext) < 12 else cleaned[:MAX_FILENAME_LENGTH]
        )
    return cleaned


def attachment_names(files: list[dict[str, Any]]) -> dict[str, str]:
    """Map each payload name (``file-N``) to a safe, unique file name within its submission."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for entry in files:
        name = safe_filename(str(entry.get("name", "")))
        stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
        candidate, n = name, 2
        while candidate.lower() in used:
            candidate = f"{stem} ({n}){dot}{ext}"
            n += 1
        used.add(candidate.lower())
        names[f"file-{entry.get('part')}"] = candidate
    return names


def cell(value: Any) -> str:
    if value is None:
        return ""
    text = ";".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class SurveyTable:
    """The CSV and JSON files of one survey, written row by row."""

    def __init__(self, folder: Path, survey_id: str, survey: Survey | None) -> None:
        self.folder = folder
        self.survey_id = survey_id
        folder.mkdir(parents=True, exist_ok=True)
        self.columns = _question_columns(survey)
        self._csv_file: IO[str] = open(folder / "answers.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow([*FIXED_COLUMNS, *self.columns])
        self._json: IO[str] = open(folder / "answers.json", "w", encoding="utf-8")  # noqa: SIM115
        self._json.write("[\n")
        self.rows = 0

    def add(
        self,
        submission_id: str,
        received: str,
        version: str,
        document: dict[str, Any],
        files: dict[str, Path],
    ) -> None:
        answers = document.get("answers") or {}
        for name in answers:
            if name not in self.columns:  # a version with questions the first one lacked
                self.columns.append(name)
        by_question: dict[str, list[str]] = {}
        listed = []
        for entry in document.get("files") or []:
            path = files.get(f"file-{entry.get('part')}")
            relative = path.relative_to(self.folder).as_posix() if path else ""
            by_question.setdefault(str(entry.get("question")), []).append(relative)
            listed.append({**entry, "path": relative})
        row = [submission_id, received, version[:12]]
        row += [cell(answers.get(c, by_question.get(c))) for c in self.columns]
        self._csv.writerow(row)
        item = {
            "id": submission_id,
            "received": received,
            "survey_version": version,
            "answers": answers,
            "files": listed,
        }
        self._json.write(("" if self.rows == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
        self.rows += 1

    def close(self) -> None:
        self._csv_file.close()
        self._json.write("\n]\n")
        self._json.close()
        if self.rows and len(self.columns) > 0:
            _rewrite_header_if_grown(self.folder / "answers.csv", self.columns)


def _question_columns(survey: Survey | None) -> list[str]:
    if survey is None:
        return []
    return [q.name for q in survey.answerable_questions]


def _rewrite_header_if_grown(path: Path, columns: list[str]) -> None:
    """Rows written before a column appeared are shorter; pad them so the CSV stays rectangular."""
    width = len(FIXED_COLUMNS) + len(columns)
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    if len(header) == width:
        return
    tmp = path.with_suffix(".tmp")
    with (
        open(path, newline="", encoding="utf-8") as src,
        open(tmp, "w", newline="", encoding="utf-8") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        next(reader)
        writer.writerow([*FIXED_COLUMNS, *columns])
        for row in reader:
            writer.writerow(row + [""] * (width - len(row)))
    tmp.replace(path)
