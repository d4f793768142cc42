"""What XLSForm's words mean to Glas: the types it reads or refuses, the columns and settings it
knows, and how cells are read. Shared by the reader (:mod:`surveys.xlsform`) and the writer."""

from __future__ import annotations

import re
from typing import Any

from .document import LocatedList
from .model import QUESTION_LIMITS, QUESTION_RULES, QUESTION_TEXTS

YES_NO_LIST = "yes_no"
#: Rows set aside (with a warning saying why) because they would identify a respondent, their
#: device, where they are or when they answered. Kobo adds start and end to every new form.
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
PLAIN_TYPES = {
    "text", "integer", "decimal", "date", "time", "datetime", "note", "file", "calculate"
}  # fmt: skip
#: A calculation that records when (finer than the day, which Glas keeps anyway) or on what the
#: form was filled in: set aside like metadata. today() may stay (an age from a birth date).
IDENTIFYING_CALCULATION = re.compile(r"\b(now|uuid|random|property)\s*\(")
TYPE_ALIASES = {
    "trigger": "acknowledge",
    "begin_group": "begin group",
    "end_group": "end group",
    "begin_repeat": "begin repeat",
    "end_repeat": "end repeat",
    "int": "integer",
    "select one": "select_one",
    "select multiple": "select_multiple",
}
#: pyxform's other words for a repeat ("looped group" and "lgroup", from older forms).
CONTROL_ALIASES = {
    f"{edge} {word}": f"{edge} repeat"
    for edge in ("begin", "end")
    for word in ("lgroup", "looped group", "looped_group")
}
#: File questions by what they record, and what a phone should offer for them.
MEDIA_TYPES = {
    "image": ("image/*",),
    "audio": ("audio/*",),
    "video": ("video/*",),
}
#: Read as a plain text answer, with a warning.
TEXT_LIKE_TYPES = {"barcode": "a barcode is read as a text answer typed by the respondent"}
#: What cannot keep its meaning in Glas: refused, saying why.
FROM_FILE = "its choices are in a file Glas does not have (put them in the choices sheet)"
REFUSED_TYPES = {
    "select_one_from_file": FROM_FILE,
    "select_multiple_from_file": FROM_FILE,
    "select_one_external": "its choices are in an external file Glas does not have",
    "select_multiple_external": "its choices are in an external file Glas does not have",
    "csv-external": "it needs an external file Glas does not have",
    "include": "it includes another form Glas does not have (put its questions in this one)",
    "xml-external": "it needs an external file Glas does not have",
}
#: Appearances that only change how a question looks: set aside, with a warning.
PRESENTATION_APPEARANCES = {
    "minimal",
    "compact",
    "horizontal",
    "horizontal-compact",
    "quick",
    "quickcompact",
    "table-list",
    "label",
    "list-nolabel",
    "list",
    "autocomplete",
    "search",
    "columns",
    "columns-pack",
    "columns-1",
    "columns-2",
    "columns-3",
    "columns-4",
    "columns-5",
    "no-buttons",
    "no-calendar",
    "numbers",
    "thousands-sep",
    "w1",
    "w2",
    "w3",
    "w4",
    "w5",
    "w6",
    "hidden-answer",
    "masked",
    "field-list",
}
#: Columns Glas does not use: set aside with one warning per column.
MEDIA_COLUMNS = {"image", "audio", "video", "big-image", "media"}
SURVEY_COLUMNS = {
    "type",
    "choice_filter",
    "calculation",
    "repeat_count",
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
#: Columns that may carry a language after "::" (or the older ":").
TRANSLATABLE_BASES = {*QUESTION_TEXTS, "label", "image", "audio", "video", "big-image", "media"}
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


#: Survey sheet headers pyxform reads under other names (its aliases, and the XForm names
#: some tools write): read as the column they stand for.
SURVEY_HEADER_ALIASES = {
    "relevance": "relevant",
    "bind::relevant": "relevant",
    "bind::required": "required",
    "bind::constraint": "constraint",
    "bind::calculate": "calculation",
    "caption": "label",
    "jr:constraintmsg": "constraint_message",
    "bind::jr:constraintmsg": "constraint_message",
    "jr:requiredmsg": "required_message",
    "bind::jr:requiredmsg": "required_message",
    "control::appearance": "appearance",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "control::jr:count": "repeat_count",
}


def column_name(header: Any, aliases: dict[str, str] | None = None) -> str:
    """A header as the reader keys it: ``Label::English (en)`` becomes ``label::English (en)``,
    and the older single colon (``label:English``) is read as the double one. ``aliases``
    (the survey sheet's) name a column by the name Glas reads it under."""
    name = cell_text(header)
    aliases = aliases or {}
    whole = name.strip().lower().replace(" ", "_")
    if whole in aliases:
        return aliases[whole]
    base, sep, rest = name.partition("::")
    if not sep and ":" in name:
        single, _, after = name.partition(":")
        if single.strip().lower().replace(" ", "_") in TRANSLATABLE_BASES:
            base, sep, rest = single, "::", after
    base = base.strip().lower().replace(" ", "_")
    return aliases.get(base, base) + sep + rest.strip()


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
