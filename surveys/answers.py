"""Validate a respondent's answers against a survey definition and build the answers document.

The same rules run on the server for the no-JavaScript path and (later) on the reviewer's machine,
so they are pure functions of the definition and the raw values. Messages speak to respondents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .model import Question, Survey

ANSWERS_FORMAT = "glas-answers-1"
INTEGER = re.compile(r"^[+-]?\d{1,18}$")
DECIMAL = re.compile(r"^[+-]?\d{1,15}(?:[.,]\d{1,10})?$")
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


@dataclass(frozen=True)
class FileInfo:
    """An attachment as the answers document describes it (the bytes travel separately)."""

    name: str
    type: str
    size: int
    part: int


@dataclass
class Validated:
    """Typed answers by question name, attachments by question name, and messages for errors."""

    answers: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[FileInfo]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_answers(
    survey: Survey,
    form: Mapping[str, Sequence[str]],
    files: Mapping[str, Sequence[FileInfo]] | None = None,
) -> Validated:
    """Check raw form values (lists of strings, as submitted) against every question."""
    result = Validated()
    for question in survey.answerable_questions:
        if question.type == "file":
            _check_files(question, list((files or {}).get(question.name, ())), result)
            continue
        values = [v for v in form.get(question.name, ()) if v.strip()]
        if not values:
            if question.required:
                result.errors[question.name] = "This question needs an answer."
            continue
        try:
            result.answers[question.name] = _convert(question, values)
        except ValueError as e:
            result.errors[question.name] = str(e)
    return result


def answers_document(survey_id: str, version: str, validated: Validated) -> dict[str, Any]:
    """Return the document that is encrypted; file names and types travel only inside it."""
    return {
        "format": ANSWERS_FORMAT,
        "survey": survey_id,
        "version": version,
        "answers": validated.answers,
        "files": [
            {"question": question, "part": f.part, "name": f.name, "type": f.type, "size": f.size}
            for question, infos in validated.files.items()
            for f in infos
        ],
    }


def _convert(question: Question, values: list[str]) -> Any:
    if question.type == "select_multiple":
        chosen = set(values)
        unknown = chosen - {c.name for c in question.choices}
        if unknown:
            raise ValueError("Please choose only from the options shown.")
        return [c.name for c in question.choices if c.name in chosen]
    if len(values) > 1:
        raise ValueError("Please give one answer only.")
    value = values[0]
    if FORBIDDEN_CHARACTERS.search(value):
        raise ValueError("The answer contains characters that cannot be stored.")
    if question.type == "select_one":
        if value not in {c.name for c in question.choices}:
            raise ValueError("Please choose one of the options shown.")
        return value
    if question.type in ("text", "textarea"):
        return _text(question, value)
    if question.type == "integer":
        if not INTEGER.match(value.strip()):
            raise ValueError("Please enter a whole number, such as 3.")
        number = int(value.strip())
        _check_range(question, Decimal(number))
        return number
    if question.type == "decimal":
        if not DECIMAL.match(value.strip()):
            raise ValueError("Please enter a number, such as 2.5.")
        text = value.strip().replace(",", ".").lstrip("+")
        _check_range(question, Decimal(text))
        return text
    if question.type == "date":
        return _date(question, value.strip())
    raise ValueError("This question cannot be answered.")


def _text(question: Question, value: str) -> str:
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if question.type == "text":
        text = " ".join(text.split())
    if question.min_length is not None and len(text) < question.min_length:
        raise ValueError(f"Please write at least {question.min_length} characters.")
    if len(text) > question.effective_max_length:
        raise ValueError(f"Please write at most {question.effective_max_length} characters.")
    return text


def _check_range(question: Question, number: Decimal) -> None:
    if question.minimum is not None and number < Decimal(question.minimum):
        raise ValueError(f"Please enter a number of at least {question.minimum}.")
    if question.maximum is not None and number > Decimal(question.maximum):
        raise ValueError(f"Please enter a number of at most {question.maximum}.")


def _date(question: Question, value: str) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("Please enter a date like 2024-05-31.") from None
    text = day.isoformat()
    if question.minimum is not None and text < question.minimum:
        raise ValueError(f"Please enter a date on or after {question.minimum}.")
    if question.maximum is not None and text > question.maximum:
        raise ValueError(f"Please enter a date on or before {question.maximum}.")
    return text


def _check_files(question: Question, infos: list[FileInfo], result: Validated) -> None:
    if not infos:
        if question.required:
            result.errors[question.name] = "Please attach a file."
        return
    if len(infos) > question.effective_max_files:
        result.errors[question.name] = (
            f"Please attach at most {question.effective_max_files} files here."
        )
        return
    if question.accept and not all(_accepted(question.accept, f) for f in infos):
        allowed = ", ".join(question.accept)
        result.errors[question.name] = f"Please attach only files of these kinds: {allowed}."
        return
    result.files[question.name] = infos


def _accepted(patterns: tuple[str, ...], info: FileInfo) -> bool:
    kind, name = info.type.lower(), info.name.lower()
    for pattern in patterns:
        p = pattern.lower()
        if p.startswith(".") and name.endswith(p):
            return True
        if p.endswith("/*") and kind.startswith(p[:-1]):
            return True
        if p == kind:
            return True
    return False
