"""Write a survey definition as an XLSForm workbook that :mod:`surveys.xlsform` reads back the same.

Organizers edit forms in spreadsheets and share them with other centres; the export uses
XLSForm's own columns wherever XLSForm has the idea, and Glas's few extra columns otherwise.
"""

from __future__ import annotations

import io
from typing import Any

from babel import Locale, UnknownLocaleError

from ..model import QUESTION_LIMITS, QUESTION_TEXTS, Group, Question, Survey
from .vocabulary import YES_NO_LIST

RULE_COLUMNS = [
    "required", "relevant", "constraint", "choice_filter", "calculation", "repeat_count",
    "appearance", "parameters",
]  # fmt: skip
GLAS_COLUMNS = [*QUESTION_LIMITS, "accept", "choices_file"]


def write_xlsform(survey: Survey) -> bytes:
    """The survey as .xlsx bytes: ``survey``, ``choices`` and ``settings`` sheets."""
    from openpyxl import Workbook  # here: only this page needs it, not every server start

    languages = [code for code in survey.languages if code != survey.language]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    text_columns = [(field, code) for field in QUESTION_TEXTS for code in [None, *languages]]
    header = ["type", "name", *[_column(f, c) for f, c in text_columns], *RULE_COLUMNS]
    header += GLAS_COLUMNS
    sheet.append(header)
    lists: dict[str, Question] = {}
    open_groups: list[str] = []
    for question in survey.questions:
        path = [g.name for g in reversed(survey.enclosing_groups(question))]
        while open_groups and open_groups != path[: len(open_groups)]:
            sheet.append([_end(survey.group_by_name[open_groups.pop()])])
        for name in path[len(open_groups) :]:
            sheet.append(_group_row(survey.group_by_name[name], header, languages))
            open_groups.append(name)
        sheet.append(_question_row(question, header, text_columns, lists))
    for name in reversed(open_groups):
        sheet.append([_end(survey.group_by_name[name])])

    choices = book.create_sheet("choices")
    # Columns a choice_filter reads (cascading selects), after the labels.
    extra = sorted({k for q in lists.values() for c in q.choices for k, _ in c.columns})
    labels = [_column("label", c) for c in languages]
    choices.append(["list_name", "name", "label", *labels, *extra])
    for list_name, question in lists.items():
        for choice in question.choices:
            translated = dict(((code, text) for _, code, text in choice.translations))
            columns = dict(choice.columns)
            choices.append(
                [
                    list_name,
                    choice.name,
                    choice.label,
                    *[translated.get(c, "") for c in languages],
                    *[columns.get(k, "") for k in extra],
                ]
            )
    if not lists:
        choices.append([])

    settings = book.create_sheet("settings")
    values = {
        "form_id": survey.id,
        "form_title": survey.title,
        "default_language": _language_name(survey.language),
        "style": "pages" if survey.paged else "",
        "kind": survey.kind if survey.kind != "survey" else "",
        "replies": "yes" if survey.replies else "",
        "description": survey.description,
        "allow_choice_duplicates": "yes" if survey.choice_duplicates else "",
    }
    kept = {k: v for k, v in values.items() if v}
    settings.append(list(kept))
    settings.append(list(kept.values()))
    for written in book.worksheets:
        _as_text(written)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_text(sheet: Any) -> None:
    """Every cell as the text it is: openpyxl writes a string that starts with "=" as a live
    formula, and a label such as ``=HYPERLINK(…)`` would run in whoever opens the export."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _column(field: str, code: str | None) -> str:
    return field if code is None else f"{field}::{_language_name(code)}"


def _language_name(code: str) -> str:
    try:
        name = Locale.parse(code.replace("-", "_")).english_name
    except (UnknownLocaleError, ValueError):
        name = code
    return f"{name} ({code})"


def _text(item: Any, field: str, code: str | None) -> str:
    if code is None:
        return str(getattr(item, field) or "")
    return next((t for f, c, t in item.translations if f == field and c == code), "")


def _end(group: Group) -> str:
    return "end repeat" if group.repeat else "end group"


def _group_row(group: Group, header: list[str], languages: list[str]) -> list[Any]:
    kind = "begin repeat" if group.repeat else "begin group"
    row: dict[str, Any] = {"type": kind, "name": group.name, "label": group.label}
    row["repeat_count"] = group.repeat_count
    for code in languages:
        row[_column("label", code)] = _text(group, "label", code)
    row["relevant"] = group.relevant
    row["appearance"] = "field-list" if group.field_list else ""
    return [row.get(column, "") for column in header]


def _question_row(
    question: Question,
    header: list[str],
    text_columns: list[tuple[str, str | None]],
    lists: dict[str, Question],
) -> list[Any]:
    kind = question.type
    row: dict[str, Any] = {"name": question.name}
    if kind in ("select_one", "select_multiple"):
        list_name = question.name
        lists[list_name] = question
        kind = f"{kind} {list_name}"
    elif kind == "yes_no":
        kind = f"select_one {YES_NO_LIST}"
        lists[YES_NO_LIST] = question
    elif kind == "scale":
        kind = "range"
        low, high = question.choices[0].name, question.choices[-1].name
        row["parameters"] = f"start={low} end={high} step=1"
    elif kind == "textarea":
        kind = "text"
        row["appearance"] = "multiline"
    elif kind == "month":
        kind = "date"
        row["appearance"] = "month-year"
    row["type"] = kind
    for field, code in text_columns:
        row[_column(field, code)] = _text(question, field, code)
    row["required"] = "yes" if question.required else ""
    row["relevant"] = question.relevant
    row["choice_filter"] = question.choice_filter
    row["calculation"] = question.calculation
    row["constraint"] = question.constraint
    if question.type != "scale":
        row["min"], row["max"] = question.minimum, question.maximum
    row["min_length"], row["max_length"] = question.min_length, question.max_length
    row["max_files"] = question.max_files
    row["accept"] = ",".join(question.accept)
    row["choices_file"] = question.choices_file
    return [row.get(column, "") if row.get(column) is not None else "" for column in header]
