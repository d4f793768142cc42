"""What pyxform's question types mean to Glas: read as which Glas type, set aside, or refused.

pyxform knows every spelling (``gps``, ``photo``, ``select one from L``, ``dateTime``…) and
resolves each to an XForm control and bind type in its question-type dictionary; Glas reads
that resolution rather than a list of spellings of its own. What stays here is Glas's own:
which rows would identify a respondent (and are set aside on purpose) and what a type becomes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

YES_NO_LIST = "yes_no"

#: Why a row is set aside: it would identify a respondent, her device, where she is or when
#: she answered. Keyed by pyxform's preload parameter or bind type.
IDENTIFYING = {
    "geopoint": "records where the respondent is",
    "geotrace": "records where the respondent went",
    "geoshape": "records places the respondent drew",
    "deviceid": "identifies the respondent's phone",
    "subscriberid": "identifies the respondent's SIM card",
    "simserial": "identifies the respondent's SIM card",
    "phonenumber": "records the respondent's phone number",
    "username": "records who filled in the form",
    "email": "records who filled in the form",
    "start": "records exactly when the respondent started",
    "end": "records exactly when the respondent finished",
    "today": "records the day the respondent answered",
    "audit": "records when and how the respondent answered",
    "background-audio": "records sound around the respondent",
}
#: A calculation that records when (finer than the day, which Glas keeps anyway) or on what the
#: form was filled in: set aside like metadata. today() may stay (an age from a birth date).
IDENTIFYING_CALCULATION = re.compile(r"\b(now|uuid|random|property|version)\s*\(")
#: Set aside with a warning: nothing a respondent answers.
NOT_ANSWERS = {
    "osm": "an OpenStreetMap drawing tool Glas does not offer",
    "csv-external": "a data file for lookups (instance()); Glas keeps lists in the survey",
    "xml-external": "a data file for lookups (instance()); Glas keeps lists in the survey",
}
MEDIA_ACCEPT = {"image/*": ("image/*",), "audio/*": ("audio/*",), "video/*": ("video/*",)}
BIND_TYPES = {
    "string": "text",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "dateTime": "datetime",
}
#: Appearances that only change how a question looks: set aside, with a warning.
PRESENTATION_APPEARANCES = frozenset(
    {
        "minimal", "compact", "horizontal", "horizontal-compact", "quick", "quickcompact",
        "table-list", "label", "list-nolabel", "list", "autocomplete", "search", "columns",
        "columns-pack", "columns-1", "columns-2", "columns-3", "columns-4", "columns-5",
        "no-buttons", "no-calendar", "numbers", "thousands-sep", "w1", "w2", "w3", "w4",
        "w5", "w6", "w7", "w8", "w9", "w10", "hidden-answer", "masked", "field-list",
        "no-ticks", "distress", "rating", "vertical", "picker", "image-map", "quick-compact",
        "ethiopian", "coptic", "islamic", "bikram-sambat", "myanmar", "persian", "year",
    }
)  # fmt: skip
TRUE_WORDS = frozenset({"yes", "true", "true()", "1"})
FALSE_WORDS = frozenset({"", "no", "false", "false()", "0"})


@dataclass(frozen=True)
class Meaning:
    """What a pyxform type becomes: a Glas type, or a reason to set the row aside."""

    glas_type: str = ""
    dropped: str = ""  # why the row is set aside (identifying, or nothing to answer)
    identifying: bool = False
    accept: tuple[str, ...] = ()
    note: str = ""  # a warning that goes with reading it this way
    constraint: str = ""  # a check pyxform's type carries (percentage: 0 to 100)


def meaning(pyxform_type: str) -> Meaning:
    """How Glas reads a question of this pyxform type (as pyxform's JSON spells it)."""
    kind = " ".join(pyxform_type.split())
    if kind in IDENTIFYING:
        return Meaning(dropped=IDENTIFYING[kind], identifying=True)
    if kind in NOT_ANSWERS:
        return Meaning(dropped=NOT_ANSWERS[kind])
    # Imported here: pyxform compiles hundreds of patterns on import (a second on a small
    # machine), which every server process would pay at start for a page few ever open.
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    entry = QUESTION_TYPE_DICT.get(kind) or QUESTION_TYPE_DICT.get(kind.replace("_", " "))
    if entry is None:
        return Meaning(dropped=f"'{kind}' is a type Glas does not know")
    bind, control = entry.get("bind", {}), entry.get("control", {})
    preload = str(bind.get("jr:preloadParams", "")).removeprefix("uri:")
    if bind.get("jr:preload"):
        why = IDENTIFYING.get(preload, "records who or what filled in the form")
        return Meaning(dropped=why, identifying=True)
    bind_type = str(bind.get("type", ""))
    if bind_type in ("geopoint", "geotrace", "geoshape"):
        return Meaning(dropped=IDENTIFYING[bind_type], identifying=True)
    tag = str(control.get("tag", ""))
    if tag == "upload":
        media = str(control.get("mediatype", ""))
        return Meaning("file", accept=MEDIA_ACCEPT.get(media, ()))
    if tag == "trigger":
        return Meaning("acknowledge")
    if tag in ("select1", "select"):
        return Meaning("select_one" if tag == "select1" else "select_multiple")
    if kind == "select one external":
        return Meaning("select_one", note="external")
    if tag == "range":
        return Meaning("range")
    if tag == "odk:rank":
        return Meaning("rank")
    if kind in ("note", "q note", "add note prompt"):
        return Meaning("note")
    if kind in ("calculate", "q calculate", "add calculate prompt"):
        return Meaning("calculate")
    if kind == "hidden":
        return Meaning("hidden")
    if bind_type == "barcode":
        return Meaning("text", note="a barcode is read as a text answer typed by the respondent")
    if bind_type in BIND_TYPES and tag == "input":
        return Meaning(BIND_TYPES[bind_type], constraint=str(bind.get("constraint", "")))
    return Meaning(dropped=f"'{kind}' is a type Glas does not know")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-")[:64] or "survey"


def flag(value: object) -> bool | None:
    """A yes/no cell as XLSForm writes it; None when it is an expression, not a yes or no."""
    word = str(value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
