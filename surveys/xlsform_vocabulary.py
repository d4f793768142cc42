"""What XLSForm's words mean to Glas: the types it reads or refuses, the columns and settings it
knows, and how cells are read. Shared by the reader (:mod:`surveys.xlsform`) and the writer."""

from __future__ import annotations

import re
from typing import Any

from .document import LocatedList
from .model import QUESTION_LIMITS, QUESTION_RULES, QUESTION_TEXTS

YES_NO_LIST = "yes_no"
#: Types refused because they identify a respondent, their device or when they answered.
IDENTIFYING_TYPES = {
    "geopoint": "records where the respondent is",
    "geotrace": "records where the respondent went",
    "geoshape": "records places the respondent drew",
    "start-geopoint": "records where the respondent is",
    "deviceid": "identifies the respondent's phone",
    "subscriberid": "identifies the respondent's SIM card",
    "simserial": "identifies the respondent's SIM card",
    "phonenumber": "records the respondent's phone number",
    "username": "records who filled in the form",
    "email": "records who filled in the form",
    "audit": "records when and how the respondent answered",
    "start": "records exactly when the respondent started",
    "end": "records exactly when the respondent finished",
    "today": "records the day the respondent answered",
    "background-audio": "records sound around the respondent",
}
PLAIN_TYPES = {"text", "integer", "decimal", "date", "note", "file"}
TYPE_ALIASES = {"begin_group": "begin group", "end_group": "end group", "int": "integer"}
SURVEY_COLUMNS = {
    "type",
    "name",
    "required",
    "appearance",
    "parameters",
    "accept",
    *QUESTION_TEXTS,
    *QUESTION_LIMITS,
    *QUESTION_RULES,
}
TRANSLATABLE = set(QUESTION_TEXTS)
CHOICE_COLUMNS = {"list_name", "name", "label"}
SETTINGS_COLUMNS = {
    "form_title",
    "form_id",
    "default_language",
    "style",
    "version",
    "kind",
    "replies",
    "description",
}
TRANSLATED_COLUMN = re.compile(
    r"^(?P<base>[a-z_]+)::(?:[^()]*\((?P<code>[^()]+)\)|(?P<bare>[^()]+))$"
)
TRUE_WORDS = {"yes", "true", "true()", "1"}
FALSE_WORDS = {"", "no", "false", "false()", "0"}


def column_name(header: Any) -> str:
    name = cell_text(header)
    base, sep, rest = name.partition("::")
    return base.strip().lower().replace(" ", "_") + sep + rest.strip()


def language_code(text: str) -> str:
    match = re.search(r"\(([^()]+)\)\s*$", text)
    return (match.group(1) if match else text).strip()


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:64] or "survey"


def is_yes_no(list_name: str, items: LocatedList) -> bool:
    labels = [(c.get("name"), c.get("label")) for c in items]
    return list_name == YES_NO_LIST and labels == [("yes", "Yes"), ("no", "No")]


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def cell_number(value: Any) -> Any:
    text = cell_text(value)
    try:
        return int(text)
    except ValueError:
        return text
