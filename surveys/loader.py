"""Read survey definitions from YAML or JSON, reporting every problem with its line number.

Organizers write these files by hand, so an error must point at the line to fix. YAML is parsed
to a node tree first (JSON is read the same way: it is YAML's subset), which keeps each value's
line; only then is the tree turned into a :class:`~surveys.model.Survey`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from crypto.envelope import SURVEY_ID_PATTERN

from .document import Located, LocatedList, read_document
from .errors import Problem, SurveyDefinitionError
from .logic import check_bounds, check_logic
from .model import (
    CHOICE_TYPES,
    DEFAULT_LANGUAGE,
    DEFAULT_SCALE,
    MAX_SCALE_POINTS,
    MONTH,
    NUMBER_TYPES,
    QUESTION_LIMITS,
    QUESTION_RULES,
    QUESTION_TEXTS,
    QUESTION_TYPES,
    SURVEY_KINDS,
    TEXT_TYPES,
    YES_NO,
    Choice,
    Group,
    Question,
    Survey,
)

SURVEY_ID = SURVEY_ID_PATTERN
QUESTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,119}$")
RESERVED_NAMES = frozenset({"csrf_token", "website"})  # form fields of the portal itself
#: A choice's name (its stored value): any text XLSForms use (spaces, accents, '&'), on one line.
CHOICE_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,255}$")
SURVEY_KEYS = {
    "id",
    "title",
    "description",
    "kind",
    "language",
    "replies",
    "pages",
    "choice_duplicates",
    "groups",
    "questions",
}
GROUP_KEYS = {"name", "label", "relevant", "parent", "field_list", "repeat", "repeat_count"}
#: A language code as in XLSForm's "label::Macedonian (mk)": ISO 639, optionally a script or a
#: region (BCP 47), or a private-use code (x-…) for a language an import could not name.
LANGUAGE_CODE = re.compile(r"^(?:[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,2}|x-[a-z0-9]{1,8})$")
CHOICE_KEYS = {"name", "label", "columns"}
#: A choice column's name, as a choice_filter reads it (a bare word).
COLUMN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
QUESTION_KEYS = {
    "name",
    "type",
    "choice_filter",
    "calculation",
    "required",
    "choices",
    "accept",
    "group",
    "choices_file",
    *QUESTION_TEXTS,
    *QUESTION_LIMITS,
    *QUESTION_RULES,
}


def load_survey_file(path: Path) -> Survey:
    """Load a definition file; raise :class:`SurveyDefinitionError` listing every problem."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SurveyDefinitionError(str(path), [Problem(0, f"cannot read: {e.strerror}")]) from e
    return load_survey_text(data, str(path))


def load_survey_text(data: bytes, source: str = "<survey>", *, stored: bool = False) -> Survey:
    """Load a definition. ``stored``: one the portal keeps, accepted by the importer of its
    day, is read without the importer's newer limits (surveys/bounds.py), which the walk
    enforces on every request anyway: a survey published before still opens."""
    return DefinitionReader(source, bounds=not stored).survey(read_document(data, source))


class DefinitionReader:
    """Reads a parsed definition, collecting every problem with its line before giving up."""

    def __init__(self, source: str, bounds: bool = True) -> None:
        self.source = source
        self.bounds = bounds
        self.problems: list[Problem] = []
        self.language = DEFAULT_LANGUAGE
        self.duplicates = False

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    def survey(self, data: Any) -> Survey:
        if not isinstance(data, Located):
            raise SurveyDefinitionError(
                self.source, [Problem(1, "a survey definition is a mapping with id and questions")]
            )
        self.unknown_keys(data, SURVEY_KEYS, "survey")
        self.language = self.text(data, "language") or DEFAULT_LANGUAGE
        if not LANGUAGE_CODE.match(self.language):
            self.problem(data.key_lines["language"], "'language' is a code such as en, mk or sq")
        survey_id = self.text(data, "id", required=True)
        if survey_id and not SURVEY_ID.match(survey_id):
            self.problem(
                data.key_lines["id"],
                "'id' uses lowercase letters, digits, '-' and '_' (at most 64 characters)",
            )
        self.duplicates = self.flag(data, "choice_duplicates")
        title, title_tr = self.translatable(data, "title", required=True)
        description, description_tr = self.translatable(data, "description")
        groups = self.groups(data)
        questions = data.get("questions")
        built: list[Question] = []
        if not isinstance(questions, LocatedList) or not questions:
            self.problem(
                data.key_lines.get("questions", data.line), "'questions' is a non-empty list"
            )
        else:
            seen: set[str] = set()
            for item in questions:
                question = self.question(item, questions.line)
                if question is None:
                    continue
                if question.name in seen:
                    self.problem(item.key_lines["name"], f"question name '{question.name}' repeats")
                seen.add(question.name)
                built.append(question)
        if self.problems:
            raise SurveyDefinitionError(self.source, self.problems)
        kind = self.text(data, "kind") or "survey"
        if kind not in SURVEY_KINDS:
            self.problem(data.key_lines["kind"], f"'kind' is one of {', '.join(SURVEY_KINDS)}")
            raise SurveyDefinitionError(self.source, self.problems)
        survey = Survey(
            id=survey_id,
            title=title,
            description=description,
            questions=tuple(built),
            kind=kind,
            language=self.language,
            translations=(*title_tr, *description_tr),
            replies=self.flag(data, "replies"),
            groups=groups,
            paged=self.flag(data, "pages"),
            choice_duplicates=self.duplicates,
        )
        items = {q.name: item for q, item in zip(built, questions or [], strict=False)}
        groups_data = data.get("groups") or []
        items.update({str(g.get("name")): g for g in groups_data if isinstance(g, Located)})
        logic = check_logic(survey)
        if not logic and self.bounds:
            logic = check_bounds(survey)
        for problem in logic:
            item = items.get(problem.subject)
            line = item.key_lines.get(problem.field, item.line) if item else data.line
            self.problem(line, problem.message)
        if self.problems:
            raise SurveyDefinitionError(self.source, self.problems)
        return survey

    def groups(self, data: Located) -> tuple[Group, ...]:
        items = data.get("groups")
        if items is None:
            return ()
        if not isinstance(items, LocatedList):
            self.problem(data.key_lines["groups"], "'groups' is a list of groups")
            return ()
        groups = []
        for item in items:
            if not isinstance(item, Located):
                self.problem(items.line, "every group is a mapping with at least a name")
                continue
            self.unknown_keys(item, GROUP_KEYS, "group")
            label, label_tr = self.translatable(item, "label")
            groups.append(
                Group(
                    name=self.text(item, "name", required=True),
                    label=label,
                    relevant=self.text(item, "relevant"),
                    parent=self.text(item, "parent"),
                    field_list=self.flag(item, "field_list"),
                    translations=tuple(label_tr),
                    repeat=self.flag(item, "repeat"),
                    repeat_count=self.text(item, "repeat_count"),
                )
            )
        return tuple(groups)

    def question(self, data: Any, list_line: int) -> Question | None:
        if not isinstance(data, Located):
            self.problem(list_line, "every question is a mapping with name, type and label")
            return None
        before = len(self.problems)
        self.unknown_keys(data, QUESTION_KEYS, "question")
        name = self.text(data, "name", required=True)
        kind = self.text(data, "type", required=True)
        line = data.key_lines.get("name", data.line)
        if name and not QUESTION_NAME.match(name):
            self.problem(
                line,
                f"question name '{name}' must start with a letter or '_' and use letters, "
                "digits, '_', '.' and '-' only (at most 120)",
            )
        if name in RESERVED_NAMES:
            self.problem(line, f"question name '{name}' is reserved; please choose another")
        if kind and kind not in QUESTION_TYPES:
            known = ", ".join(sorted(QUESTION_TYPES))
            self.problem(data.key_lines["type"], f"unknown question type '{kind}' (known: {known})")
        choices = self.choices(data) if kind in CHOICE_TYPES else ()
        if kind not in CHOICE_TYPES and "choices" in data:
            self.problem(data.key_lines["choices"], f"a {kind} question has no choices")
        if kind == "calculate" and not data.get("calculation"):
            self.problem(line, "a calculate question needs a 'calculation'")
        if kind != "calculate" and "calculation" in data:
            self.problem(data.key_lines["calculation"], f"a {kind} question has no calculation")
        if kind not in ("select_one", "select_multiple") and "choice_filter" in data:
            self.problem(data.key_lines["choice_filter"], f"a {kind} question has no choice_filter")
        minimum, maximum = self.bound(data, "min", kind), self.bound(data, "max", kind)
        if kind == "scale":
            choices = self.scale(data, minimum, maximum)
            if choices:  # the ends are part of the definition even when left to the default
                minimum, maximum = choices[0].name, choices[-1].name
        elif kind == "yes_no":
            choices = tuple(Choice(name, name.capitalize()) for name in YES_NO)
        texts: dict[str, str] = {}
        translations: list[tuple[str, str, str]] = []
        for key in QUESTION_TEXTS:
            required = key == "label" and kind != "calculate"  # computed, never shown
            texts[key], found = self.translatable(data, key, required=required)
            translations += found
            if texts[key] and key.endswith("_label") and kind != "scale":
                self.problem(data.key_lines[key], f"'{key}' only applies to a scale question")
        question = Question(
            name=name,
            type=kind,
            label=texts["label"],
            hint=texts["hint"],
            translations=tuple(translations),
            required=self.flag(data, "required"),
            choices=choices,
            minimum=minimum,
            maximum=maximum,
            min_length=self.count(data, "min_length", kind in TEXT_TYPES),
            max_length=self.count(data, "max_length", kind in TEXT_TYPES),
            max_files=self.count(data, "max_files", kind == "file"),
            accept=self.accept(data, kind),
            relevant=self.text(data, "relevant"),
            constraint=self.text(data, "constraint"),
            choice_filter=self.text(data, "choice_filter"),
            calculation=self.text(data, "calculation"),
            constraint_message=texts["constraint_message"],
            required_message=texts["required_message"],
            group=self.text(data, "group"),
            low_label=texts["low_label"],
            high_label=texts["high_label"],
            choices_file=self.text(data, "choices_file"),
        )
        return question if len(self.problems) == before else None

    def scale(self, data: Located, low: str | None, high: str | None) -> tuple[Choice, ...]:
        """A scale's points as choices named "1" … "5" (whole numbers, low to high)."""
        line = data.key_lines.get("min", data.line)
        try:
            start, end = int(low or DEFAULT_SCALE[0]), int(high or DEFAULT_SCALE[1])
        except ValueError:
            self.problem(line, "a scale runs between whole numbers, such as 1 and 5")
            return ()
        if not 2 <= end - start + 1 <= MAX_SCALE_POINTS:
            self.problem(line, f"a scale has 2 to {MAX_SCALE_POINTS} points")
            return ()
        return tuple(Choice(str(n), str(n)) for n in range(start, end + 1))

    def choices(self, data: Located) -> tuple[Choice, ...]:
        items = data.get("choices")
        line = data.key_lines.get("choices", data.line)
        waiting = data.get("choices_file")
        if waiting and not items:
            self.problem(
                data.key_lines.get("choices_file", line),
                f"its choices are in the file '{waiting}', not attached yet: import the form "
                "again with the file attached",
            )
            return ()
        if not isinstance(items, LocatedList) or not items:
            self.problem(line, "a choice question needs a non-empty 'choices' list")
            return ()
        choices, seen = [], set()
        for item in items:
            if isinstance(item, Located):
                self.unknown_keys(item, CHOICE_KEYS, "choice")
                name = self.text(item, "name", True)
                label, translations = self.translatable(item, "label", required=True)
                line = item.line
                extra = self.choice_columns(item)
            else:
                name = label = str(item) if isinstance(item, str | int) else ""
                translations = []
                line = items.line
                extra = ()
            if not CHOICE_NAME.match(name) or not name.strip():
                self.problem(
                    line, f"choice name '{name[:80]}' is one line of at most 255 characters"
                )
            elif name in seen and not (self.duplicates or data.get("choice_filter")):
                self.problem(line, f"choice name '{name}' repeats")
            seen.add(name)
            choices.append(Choice(name, label, tuple(translations), extra))
        return tuple(choices)

    def choice_columns(self, item: Located) -> tuple[tuple[str, str], ...]:
        """A choice's ``columns``: {column: text} that a choice_filter reads."""
        value = item.get("columns")
        if value is None:
            return ()
        line = item.key_lines.get("columns", item.line)
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and COLUMN_NAME.match(k) and isinstance(v, str | int)
            for k, v in value.items()
        ):
            self.problem(line, "a choice's 'columns' map column names to texts")
            return ()
        return tuple(sorted((k, str(v)) for k, v in value.items()))

    def translatable(
        self, data: Located, key: str, required: bool = False
    ) -> tuple[str, list[tuple[str, str, str]]]:
        """A text, or a mapping {language code: text} that includes the survey's language."""
        value = data.get(key)
        if not isinstance(value, Located):
            return self.text(data, key, required), []
        line = data.key_lines[key]
        texts: dict[str, str] = {}
        for code, text in value.items():
            if not LANGUAGE_CODE.match(code):
                self.problem(value.key_lines[code], f"'{code}' is not a language code like mk")
            elif not isinstance(text, str) or not text.strip():
                self.problem(value.key_lines[code], f"the {code} text of '{key}' must be text")
            else:
                texts[code] = text.strip()
        if self.language not in texts:
            self.problem(line, f"'{key}' needs a text in the survey's language ({self.language})")
            return "", []
        default = texts.pop(self.language)
        return default, [(key, code, text) for code, text in sorted(texts.items())]

    def text(self, data: Located, key: str, required: bool = False) -> str:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.problem(data.line, f"'{key}' is required")
            return ""
        if isinstance(value, Located | LocatedList):
            self.problem(data.key_lines[key], f"'{key}' is text, not a list or mapping")
            return ""
        if isinstance(value, bool):
            # YAML 1.1 reads yes/no/on/off as true/false: a label "Yes" would show as "True".
            self.problem(
                data.key_lines[key], f"'{key}' reads as true/false; put the text in quotes"
            )
            return ""
        return str(value).strip()

    def flag(self, data: Located, key: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.problem(data.key_lines[key], f"'{key}' is true or false")
            return False
        return value

    def count(self, data: Located, key: str, allowed: bool) -> int | None:
        if key not in data:
            return None
        value = data[key]
        if not allowed:
            self.problem(
                data.key_lines[key], f"'{key}' does not apply to a {data.get('type')} question"
            )
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.problem(data.key_lines[key], f"'{key}' is a whole number of 0 or more")
            return None
        return value

    def bound(self, data: Located, key: str, kind: str) -> str | None:
        if key not in data:
            return None
        value, line = data[key], data.key_lines[key]
        if kind in NUMBER_TYPES or kind == "scale":
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or isinstance(value, bool):
                self.problem(line, f"'{key}' of a {kind} question is a number")
                return None
            return str(number)
        if kind == "date":
            try:
                return (
                    value if isinstance(value, date) else date.fromisoformat(str(value))
                ).isoformat()
            except ValueError:
                self.problem(line, f"'{key}' of a date question is a date like 2024-01-31")
                return None
        if kind == "month":
            text = value.isoformat()[:7] if isinstance(value, date) else str(value)
            if MONTH.fullmatch(text) is None:
                self.problem(line, f"'{key}' of a month question is a month like 2024-01")
                return None
            return text
        self.problem(line, f"'{key}' does not apply to a {kind} question")
        return None

    def accept(self, data: Located, kind: str) -> tuple[str, ...]:
        if "accept" not in data:
            return ()
        value, line = data["accept"], data.key_lines["accept"]
        if kind != "file":
            self.problem(line, f"'accept' does not apply to a {kind} question")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(line, "'accept' is a list such as [image/*, application/pdf]")
            return ()
        return tuple(value)

    def unknown_keys(self, data: Located, known: set[str], what: str) -> None:
        for key in data:
            if key not in known:
                self.problem(data.key_lines[key], f"unknown {what} field '{key}'")
