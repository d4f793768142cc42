"""One question of pyxform's form as Glas reads it: its type, choices, texts, rules and
Glas's own columns; identifying rows set aside, ``rank`` read as one choice per place.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation
from typing import Any

from ..document import Located, LocatedList
from ..expressions import ExpressionError, columns, parse
from ..model import MAX_SCALE_POINTS
from .lists import Lists, is_file_list
from .names import Names
from .notes import Notes, Where
from .shape import expression, number, one_choice, put
from .texts import Texts
from .vocabulary import (
    IDENTIFYING_CALCULATION,
    PRESENTATION_APPEARANCES,
    YES_NO_LIST,
    flag,
    meaning,
)

#: Keys of a form element Glas reads (others are columns set aside with a warning).
ELEMENT_KEYS = {
    "type", "name", "label", "hint", "bind", "control", "children", "choices", "itemset",
    "list_name", "choice_filter", "parameters", "jr:constraintMsg", "jr:requiredMsg",
    "min", "max", "min_length", "max_length", "max_files", "accept", "low_label",
    "high_label", "columns", "default", "sms_field", "choices_file",
}  # fmt: skip
BIND_KEYS = {
    "required",
    "relevant",
    "constraint",
    "calculate",
    "jr:constraintMsg",
    "jr:requiredMsg",
    "type",
    "readonly",
    "orx:max-pixels",  # said with the parameters it comes from
}
LIMITS = ("min", "max", "min_length", "max_length", "max_files")


class QuestionReader:
    """Reads questions into ``questions``, noting what it sets aside."""

    def __init__(self, notes: Notes, texts: Texts, lists: Lists, names: Names) -> None:
        self.notes, self.texts, self.lists, self.names = notes, texts, lists, names
        self.questions = LocatedList()
        self.questions.line = 1
        self.dropped_identifying = False
        self.data_files: dict[str, str] = {}  # csv-external / xml-external: name → file

    def read(self, element: dict[str, Any], where: Where, parent: str) -> None:
        kind = str(element.get("type", ""))
        name = str(element.get("name", ""))
        read = meaning(kind)
        bind = element.get("bind") or {}
        if kind in ("csv-external", "xml-external"):
            self.data_files[name] = f"{name}.{kind.split('-')[0]}"
        if read.dropped:
            self.names.dropped.add(name)
            self.dropped_identifying |= read.identifying
            self.notes.warn(
                where.at("type"),
                f"row '{name}' dropped: '{kind}' {read.dropped}"
                + (
                    ", which Glas never records, to keep respondents anonymous"
                    if read.identifying
                    else ""
                ),
            )
            return
        glas_type = read.glas_type
        calculation = str(bind.get("calculate") or "")
        if glas_type == "hidden":
            default = str(element.get("default") or "")
            quote = '"' if "'" in default else "'"
            calculation = calculation or quote + default.replace(quote, "") + quote
            glas_type = "calculate"
            self.notes.warn(where.at("type"), f"'hidden' is read as a calculation: {calculation}")
        if glas_type == "calculate" and IDENTIFYING_CALCULATION.search(calculation):
            self.names.dropped.add(name)
            self.notes.warn(
                where.at("calculation"),
                f"row '{name}' dropped: its calculation records when or on which device the "
                "form was filled in (now, today, uuid...), which Glas never records",
            )
            return
        if glas_type == "rank":
            self._rank(element, where, parent)
            return
        question = Located()
        question.line, question.key_lines = where.row, {}
        put(question, "name", self.names.claim(name, parent, where), where.row)
        if parent:
            put(question, "group", parent, where.row)
        chosen = self._choices(question, element, glas_type, read.note, where)
        if chosen is None:
            return
        glas_type = self._appearance(element, chosen, where)
        put(question, "type", glas_type, where.row)
        if read.accept and "accept" not in element:
            put(question, "accept", list(read.accept), where.row)
        if read.note and read.note != "external":
            self.notes.warn(where.at("type"), f"'{kind}': {read.note}")
        if glas_type == "range":
            self._range(question, element, where)
        elif element.get("parameters"):
            self._parameters_aside(element, kind, where)
        self._texts(question, element, glas_type, where)
        self._rules(question, element, bind, calculation, glas_type, read.constraint, where)
        self._glas_columns(question, element, where)
        self._aside(element, bind, where)
        self.questions.append(question)

    def _choices(
        self,
        question: Located,
        element: dict[str, Any],
        glas_type: str,
        note: str,
        where: Where,
    ) -> str | None:
        if glas_type == "acknowledge":
            # ODK's tick box that says "OK": one choice, stored as ODK stores it.
            put(question, "choices", one_choice("OK", "OK", where.row), where.row)
            return "select_one"
        if glas_type not in ("select_one", "select_multiple"):
            return glas_type
        list_name = str(element.get("itemset") or element.get("list_name") or "")
        if list_name.startswith("${"):
            self.notes.problem(
                where.at("type"),
                f"'{list_name}': choices made from earlier answers are not offered by Glas "
                "(list the choices in the choices sheet)",
            )
            return None
        filter_text = str(element.get("choice_filter") or "")
        wanted: set[str] = set()
        if filter_text:
            with contextlib.suppress(ExpressionError):
                wanted = columns(parse(expression(filter_text), allow_columns=True)) - {"name"}
        listed = self.lists.choices(
            list_name, where.at("type"), wanted, external=note == "external"
        )
        if listed is None:
            put(question, "choices_file", list_name, where.row)
            return glas_type
        if not is_file_list(list_name) and list_name == YES_NO_LIST and glas_type == "select_one":
            labels = [(c.get("name"), c.get("label")) for c in listed]
            if labels == [("yes", "Yes"), ("no", "No")]:
                return "yes_no"
        put(question, "choices", listed, where.row)
        if is_file_list(list_name) or element.get("choices_file"):  # Glas's own column
            put(question, "choices_file", element.get("choices_file") or list_name, where.row)
        return glas_type

    def _appearance(self, element: dict[str, Any], glas_type: str, where: Where) -> str:
        words = str((element.get("control") or {}).get("appearance", "")).split()
        used = None
        if "multiline" in words and glas_type == "text":
            used, glas_type = "multiline", "textarea"
        elif "month-year" in words and glas_type == "date":
            used, glas_type = "month-year", "month"  # ODK's month picker: only YYYY-MM
        elif "likert" in words and glas_type == "select_one":
            used = "likert"
        for word in words:
            if word != used:
                self.appearance_aside(where, word)
        return glas_type

    def appearance_aside(self, where: Where, word: str) -> None:
        if word.startswith("search("):
            self.notes.problem(
                where.at("appearance"),
                f"'{word}': its choices are looked up in a file by ODK Collect at the "
                "moment of answering, which Glas does not do (use select_one_from_file)",
            )
            return
        why = (
            "only changes how the question looks in ODK or Kobo"
            if word in PRESENTATION_APPEARANCES
            else "not used by Glas"
        )
        self.notes.warn(
            where.at("appearance"), f"'{word}' ignored: {why}", once=f"appearance {word}"
        )

    def _parameters_aside(self, element: dict[str, Any], kind: str, where: Where) -> None:
        parameters = element.get("parameters")
        text = (
            " ".join(f"{k}={v}" for k, v in parameters.items())
            if isinstance(parameters, dict)
            else str(parameters)
        )
        self.notes.warn(
            where.at("parameters"),
            f"set aside: '{text}' (Glas does not use the parameters of {kind})",
        )

    def _texts(
        self, question: Located, element: dict[str, Any], glas_type: str, where: Where
    ) -> None:
        label = self.texts.text(element.get("label"), where.at("label"))
        hint = self.texts.text(element.get("hint"), where.at("hint"))
        if not label and glas_type != "calculate":
            label = hint or str(question["name"])
            self.notes.warn(
                where.at("label"),
                "no label: " + ("its hint is shown instead" if hint else "its name is shown"),
            )
            hint = "" if label is hint else hint
        if label:
            put(question, "label", label, where.row)
        if hint:
            put(question, "hint", hint, where.row)
        bind = element.get("bind") or {}
        for key, field in (
            ("jr:constraintMsg", "constraint_message"),
            ("jr:requiredMsg", "required_message"),
        ):
            value = element.get(key) or bind.get(key)
            if value and field == "constraint_message" and not bind.get("constraint"):
                self.notes.warn(where.at(field), "set aside: there is no constraint to explain")
                continue
            if value:
                put(question, field, self.texts.text(value, where.at(field)), where.row)
        for field in ("low_label", "high_label"):
            if element.get(field):
                put(question, field, self.texts.text(element[field], where.at(field)), where.row)

    def _rules(
        self,
        question: Located,
        element: dict[str, Any],
        bind: dict[str, Any],
        calculation: str,
        glas_type: str,
        constraint: str,
        where: Where,
    ) -> None:
        for key in ("relevant", "constraint"):
            if bind.get(key):
                put(question, key, expression(bind[key]), where.row)
        if constraint and "constraint" not in question:
            put(question, "constraint", constraint, where.row)
        if element.get("choice_filter") and glas_type in ("select_one", "select_multiple"):
            put(question, "choice_filter", expression(element["choice_filter"]), where.row)
        if glas_type == "calculate":
            put(question, "calculation", expression(calculation), where.row)
        elif calculation:
            self.notes.warn(
                where.at("calculation"),
                "set aside: a calculation on a question that is asked (Glas does not fill in "
                "answers for the respondent)",
            )
        required = bind.get("required")
        if required is not None and str(required).strip():
            decided = flag(required)
            if decided is None:
                self.notes.warn(
                    where.at("required"),
                    f"'{required}': required only sometimes; Glas asks the question without "
                    "requiring it",
                )
            elif decided and glas_type not in ("note", "calculate"):
                put(question, "required", True, where.row)
        if element.get("default") and glas_type != "calculate":
            self.notes.warn(
                where.at("default"),
                "set aside: Glas does not answer for the respondent (no default answers)",
                once="default",
            )
        if str(bind.get("readonly", "")).strip() in ("true()", "yes", "true") and glas_type not in (
            "note",
            "calculate",
        ):
            self.notes.warn(
                where.at("read_only"), "set aside: every question Glas asks is answerable"
            )

    def _glas_columns(self, question: Located, element: dict[str, Any], where: Where) -> None:
        """Glas's own columns (min, max, lengths, files, accept): an exported survey comes
        back as the same definition."""
        for key in LIMITS:
            if element.get(key) not in (None, ""):
                put(question, key, number(element[key]), where.row)
        if element.get("accept"):
            accept = [a.strip() for a in str(element["accept"]).split(",") if a.strip()]
            put(question, "accept", accept, where.row)

    def _aside(self, element: dict[str, Any], bind: dict[str, Any], where: Where) -> None:
        """Columns Glas does not use: one warning per column."""
        for key, value in element.items():
            if key in ELEMENT_KEYS or value in (None, "", {}, []):
                continue
            if key == "media":
                for kind in value if isinstance(value, dict) else {}:
                    self.notes.warn(
                        where.at(str(kind)),
                        "column ignored: media are not shown by Glas",
                        once=f"column media {kind}",
                    )
                continue
            if key == "instance":
                for attribute in value if isinstance(value, dict) else {}:
                    column = f"instance::{attribute}"
                    self.notes.warn(
                        where.at(column),
                        "column ignored: an attribute for ODK or Kobo",
                        once=f"column {column}",
                    )
                continue
            self.notes.warn(where.at(key), "column ignored: not used by Glas", once=f"column {key}")
        for key in bind:
            if key not in BIND_KEYS and bind[key] not in (None, ""):
                column = f"bind::{key}"
                self.notes.warn(
                    where.at(column),
                    "column ignored: an attribute for ODK or Kobo, not used by Glas",
                    once=f"column {column}",
                )

    def _range(self, question: Located, element: dict[str, Any], where: Where) -> None:
        """A range of whole steps of one and at most MAX_SCALE_POINTS points is a scale; any
        other is read as a number question between its ends, with a warning."""
        values = element.get("parameters") or {}
        values = values if isinstance(values, dict) else {}
        try:
            start, end, step = (
                Decimal(str(values.get(k, d))) for k, d in (("start", 1), ("end", 10), ("step", 1))
            )
        except InvalidOperation:
            self.notes.problem(where.at("parameters"), f"'{values}' is no range")
            return
        for key in sorted(set(values) - {"start", "end", "step"}):
            self.notes.warn(where.at("parameters"), f"set aside: '{key}' of a range")
        whole = all(n == n.to_integral_value() for n in (start, end, step))
        low, high = (start, end) if start <= end else (end, start)
        if whole and step == 1 and 2 <= high - low + 1 <= MAX_SCALE_POINTS:
            put(question, "type", "scale", where.row)
        else:
            kind = "integer" if whole else "decimal"
            put(question, "type", kind, where.row)
            self.notes.warn(
                where.at("type"),
                f"a range from {start} to {end} in steps of {step} is read as a number question "
                f"({kind}, {low} to {high})",
            )
        put(question, "min", number(str(low)), where.row)
        put(question, "max", number(str(high)), where.row)

    def _rank(self, element: dict[str, Any], where: Where, parent: str) -> None:
        """``rank LIST``: read as one choice per place (``<name>_1``, ``<name>_2``…), each a
        different one, so the order is kept and every path can ask it."""
        name = str(element.get("name"))
        list_name = str(element.get("itemset") or element.get("list_name") or "")
        listed = self.lists.choices(list_name, where.at("type"), set())
        if not listed:
            self.notes.problem(where.at("type"), f"'rank {list_name}': no choices to rank")
            return
        label = self.texts.text(element.get("label"), where.at("label")) or name
        count = len(listed)
        self.notes.warn(
            where.at("type"),
            f"'rank' is read as {count} choices in order ({name}_1 to {name}_{count}), each a "
            "different one",
        )
        required = flag((element.get("bind") or {}).get("required")) is True
        for place in range(1, count + 1):
            item = Located(type="select_one", choices=listed)
            item.line, item.key_lines = where.row, {"type": where.row, "choices": where.row}
            put(item, "name", self.names.claim(f"{name}_{place}", parent, where), where.row)
            if parent:
                put(item, "group", parent, where.row)
            if isinstance(label, Located):
                placed = Located({code: f"{text} ({place})" for code, text in label.items()})
                placed.line, placed.key_lines = where.row, dict.fromkeys(placed, where.row)
                put(item, "label", placed, where.row)
            else:
                put(item, "label", f"{label} ({place})", where.row)
            earlier = [f"${{{name}_{i}}} != ." for i in range(1, place)]
            if earlier:
                put(item, "constraint", " and ".join(earlier), where.row)
            if required:
                put(item, "required", True, where.row)
            self.questions.append(item)
