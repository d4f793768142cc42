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

from crypto.envelope import canonical_json

from . import filetypes
from .errors import TooMuchWork
from .expressions import evaluate
from .logic import form_values, typed_values
from .messages import N_, Message, N_plural, SurveyText
from .model import (
    DATETIME,
    MAX_DOCUMENT_BYTES,
    MAX_REPEATS,
    MONTH,
    SINGLE_CHOICE_TYPES,
    TIME,
    Group,
    Question,
    Survey,
)
from .repeats import Path, Walk, key_of, split_key, walk

ANSWERS_FORMAT = "glas-answers-1"
INTEGER = re.compile(r"^[+-]?\d{1,18}$")
DECIMAL = re.compile(r"^[+-]?\d{1,15}(?:[.,]\d{1,10})?$")
# Messages the browser's script shows too (portal/respondent/browser.py).
NEEDS_ANSWER = N_("This question needs an answer.")
WHOLE_NUMBER = N_("Please enter a whole number, such as 3.")
NUMBER = N_("Please enter a number, such as 2.5.")
DATE = N_("Please enter a date like 2024-05-31.")
TIME_NEEDED = N_("Please enter a time like 14:30.")
DATETIME_NEEDED = N_("Please enter a date and a time, like 2024-05-31 14:30.")
CHARACTERS = N_("The answer contains characters that cannot be stored.")
NUMBER_AT_LEAST = N_("Please enter a number of at least %(n)s.")
NUMBER_AT_MOST = N_("Please enter a number of at most %(n)s.")
MONTH_NEEDED = N_("Please choose a month and a year.")
MONTH_AFTER = N_("Please choose %(month)s or later.")
MONTH_BEFORE = N_("Please choose %(month)s or earlier.")
DATE_AFTER = N_("Please enter a date on or after %(day)s.")
DATE_BEFORE = N_("Please enter a date on or before %(day)s.")
ATTACH_FILE = N_("Please attach a file.")
FILE_KINDS = N_("Please attach only files of these kinds: %(kinds)s.")
NOT_ALLOWED = N_("This answer is not allowed here.")
NOT_OFFERED = N_("Please choose one of the options shown for your earlier answers.")
AT_LEAST_CHARACTERS = N_plural(
    "Please write at least %(num)d character.", "Please write at least %(num)d characters."
)
AT_MOST_CHARACTERS = N_plural(
    "Please write at most %(num)d character.", "Please write at most %(num)d characters."
)
AT_MOST_FILES = N_plural(
    "Please attach at most %(num)d file here.", "Please attach at most %(num)d files here."
)
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
    errors: dict[str, Message | SurveyText] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def form_walk(
    survey: Survey,
    form: Mapping[str, Sequence[str]],
    files: Mapping[str, Sequence[FileInfo]] | None = None,
) -> Walk:
    """The one walk of a request: raw form values (and attached files' names, which rules
    may read) through skip logic, calculations and repeats, within a fresh budget."""
    raw = form_values(form)
    raw.update({name: " ".join(f.name for f in infos) for name, infos in (files or {}).items()})
    return walk(survey, raw)


def validate_answers(
    survey: Survey,
    form: Mapping[str, Sequence[str]],
    files: Mapping[str, Sequence[FileInfo]] | None = None,
    only: set[str] | None = None,
    found: Walk | None = None,
) -> Validated:
    """Check raw form values (lists of strings, as submitted) against every question.

    Questions skipped by their skip logic are not checked and their answers are dropped:
    what a respondent typed before changing an earlier answer is never stored.
    ``only`` limits the checks to some questions (one page of a paged survey); ``found`` is
    the request's walk of these very values (:func:`form_walk`), made here if not given.
    """
    result = Validated()
    if found is None:
        found = form_walk(survey, form, files)
    _validate_level(survey, "", (), form, files or {}, found, only, result, result.answers)
    return result


def _validate_level(
    survey: Survey,
    level: str,
    path: Path,
    form: Mapping[str, Sequence[str]],
    files: Mapping[str, Sequence[FileInfo]],
    found: Walk,
    only: set[str] | None,
    result: Validated,
    answers: dict[str, Any],
) -> None:
    """The answers of one level: the survey's own (``level`` "") or one instance of a repeat
    (at ``path``), each repeat inside as a list of its instances' answers."""
    context = found.context(path)
    for block in survey.blocks_in[level]:
        key = key_of(block.name, path)
        if key not in found.asked:
            continue
        if isinstance(block, Group):
            if only is not None and not survey.inside[block.name] & only:
                continue
            instances: list[dict[str, Any]] = []
            for index in range(1, int(found.kept[key]) + 1):
                instance: dict[str, Any] = {}
                at = (*path, index)
                _validate_level(survey, block.name, at, form, files, found, only, result, instance)
                instances.append(instance)
            answers[block.name] = instances
        elif block.answerable and (only is None or block.name in only):
            if block.type == "calculate":  # computed by the walk, never sent
                if key in found.kept:
                    answers[block.name] = found.kept[key]
            elif block.type == "file":
                _check_files(block, key, list(files.get(key, ())), result)
            else:
                _validate_one(block, key, form, context, result, answers)


def _validate_one(
    question: Question,
    key: str,
    form: Mapping[str, Sequence[str]],
    raw: Mapping[str, str],
    result: Validated,
    answers: dict[str, Any],
) -> None:
    """One question's answer (``key`` names its field: ``name#n`` in a repeat's instance n),
    its rules read in ``raw``; the answer goes into ``answers``, a problem into the errors."""
    values = [v for v in form.get(key, ()) if v.strip()]
    if not values:
        if question.required:
            result.errors[key] = _required_message(question)
        return
    try:
        answers[question.name] = _convert(question, values)
        _check_constraint(question, raw)
        _check_offered(question, answers[question.name], raw)
    except ValueError as e:
        answers.pop(question.name, None)
        result.errors[key] = _message(e)


def _required_message(question: Question) -> Message | SurveyText:
    if question.required_message:
        return SurveyText(question, "required_message")
    return Message(ATTACH_FILE if question.type == "file" else NEEDS_ANSWER)


def _check_offered(question: Question, value: Any, values: Mapping[str, str]) -> None:
    """A cascading select's answer must be one its choice_filter offers given the answers."""
    if question.choice_filter_tree is None:
        return
    offered = {c.name for c in question.choices_for(values)}
    if not set(value if isinstance(value, list) else [value]) <= offered:
        raise ValueError(Message(NOT_OFFERED))


def _check_constraint(question: Question, values: Mapping[str, str]) -> None:
    tree = question.constraint_tree
    if tree is not None and not evaluate(tree, values, values.get(question.name, "")):
        if question.constraint_message:
            raise ValueError(SurveyText(question, "constraint_message"))
        raise ValueError(Message(NOT_ALLOWED))


def check_document(survey: Survey, document: dict[str, Any]) -> list[str]:
    """Re-check decrypted answers against their survey version's rules (for the reviewer).

    A browser or a modified server could send answers the form would never accept; the reviewer
    sees them listed rather than silently mixed into the tables. The rules are the very ones the
    form applies (:func:`_check`), run on the typed values.
    """
    return check_document_asked(survey, document)[0]


def check_document_asked(survey: Survey, document: dict[str, Any]) -> tuple[list[str], set[str]]:
    """:func:`check_document`, and the questions the respondent was asked (skip logic held):
    the report tells "not asked" from "no answer" with it."""
    answers = document.get("answers")
    if not isinstance(answers, dict):
        return ["The answers document holds no answers."], set()
    values = typed_values(answers)
    values.update(_listed_file_names(document.get("files")))
    found = walk(survey, values)
    problems = _check_level(survey, "", (), answers, found)
    files = document.get("files") or []
    if files or survey.has_files:
        problems += _check_listed_files(survey, files, found.asked)
    return problems, found.asked


def _check_level(
    survey: Survey, level: str, path: Path, answers: dict[str, Any], found: Walk
) -> list[str]:
    """One level's decrypted answers (the survey's own, or an instance's) against the rules."""
    problems = []
    context = found.context(path)
    blocks = survey.level_blocks[level]
    for name, value in answers.items():
        block = blocks.get(name)
        key = key_of(name, path)
        if isinstance(block, Group):
            problems += _check_instances(survey, block, value, path, found)
        elif block is None or not block.answerable or block.type == "file":
            where = f"repeat '{level}'" if level else "this survey version"
            problems.append(f"'{key}' is not a question of {where}.")
        elif key not in found.asked:
            problems.append(f"'{key}' is answered although its skip logic skips it.")
        elif block.type == "calculate":
            if value != found.kept.get(key):
                problems.append(f"'{key}' is not what its calculation gives.")
        else:
            problems += _check_answer(block, key, value, context)
    for question in survey.checked_when_missing[level]:
        key = key_of(question.name, path)
        if key not in found.asked or question.name in answers:
            continue
        if question.type == "calculate":
            if context.get(question.name):
                problems.append(f"'{key}' is missing: its calculation gives a value.")
        else:
            problems.append(f"'{key}': This question needs an answer.")
    return problems


def _check_answer(question: Question, key: str, value: Any, values: Mapping[str, str]) -> list[str]:
    """One decrypted answer against its question's rules, read in ``values``."""
    try:
        _check(question, value)
        # Guarded here: most questions have neither, and this runs for every answer.
        if question.constraint_tree is not None:
            _check_constraint(question, values)
        if question.choice_filter_tree is not None:
            _check_offered(question, value, values)
    except ValueError as e:
        return [f"'{key}': {e}"]
    return []


def _check_instances(
    survey: Survey, group: Group, instances: Any, path: Path, found: Walk
) -> list[str]:
    """A repeat's answers: a list of at most MAX_REPEATS mappings (as many as its
    repeat_count gives), each instance checked in its own context."""
    key = key_of(group.name, path)
    if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
        return [f"'{key}' is not a list of instances."]
    if len(instances) > MAX_REPEATS:
        return [f"'{key}' has {len(instances)} instances, more than {MAX_REPEATS}."]
    if key not in found.asked:
        return [f"'{key}' is answered although its skip logic skips it."]
    problems = []
    expected = int(found.kept.get(key) or 0)
    if len(instances) != expected:
        problems.append(
            f"'{key}' has {len(instances)} instances where its repeat_count gives {expected}."
        )
    for index, instance in enumerate(instances, 1):
        problems += _check_level(survey, group.name, (*path, index), instance, found)
    return problems


def _listed_file_names(files: Any) -> dict[str, str]:
    names: dict[str, list[str]] = {}
    for entry in files if isinstance(files, list) else []:
        if isinstance(entry, dict):
            names.setdefault(str(entry.get("question")), []).append(str(entry.get("name")))
    return {question: " ".join(found) for question, found in names.items()}


def _check_listed_files(survey: Survey, files: list[Any], asked: set[str]) -> list[str]:
    infos: dict[str, list[FileInfo]] = {}
    for entry in files:
        try:
            info = FileInfo(
                str(entry["name"]), str(entry["type"]), int(entry["size"]), int(entry["part"])
            )
        except (KeyError, TypeError, ValueError):
            return ["An attachment entry is malformed."]
        infos.setdefault(str(entry.get("question")), []).append(info)
    result = Validated()
    for key in sorted(asked):
        split = split_key(key)
        question = survey.by_name.get(split[0]) if split else None
        depth = len(survey.repeat_chain.get(question.name, [])) if question else -1
        if question is not None and question.type == "file" and split and len(split[1]) == depth:
            _check_files(question, key, infos.pop(key, []), result)
    problems = [f"'{name}': {message}" for name, message in result.errors.items()]
    return problems + [f"'{name}' is not a file question of this survey version." for name in infos]


def _message(error: ValueError) -> Message | SurveyText:
    found = error.args[0] if error.args else None
    return found if isinstance(found, Message | SurveyText) else Message(str(error))


def answers_document(
    survey_id: str, version: str, validated: Validated, language: str = ""
) -> dict[str, Any]:
    """Return the document that is encrypted; file names and types travel only inside it, as
    does ``language``, the one her pages were in (the reviewer replies in it)."""
    document = {
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
    if language:
        document["language"] = language
    return document


def check_document_size(document: dict[str, Any]) -> None:
    """Refuse (:class:`TooMuchWork`) a document larger than one submission may seal."""
    if len(canonical_json(document)) > MAX_DOCUMENT_BYTES:
        raise TooMuchWork("bytes of answers in one submission, at most", MAX_DOCUMENT_BYTES)


def _convert(question: Question, values: list[str]) -> Any:
    """Parse what a form sent into the typed value, then check it against the rules."""
    value = _parse(question, values)
    _check(question, value)
    return value


def _parse(question: Question, values: list[str]) -> Any:
    """Form text to a typed value; raise ValueError when it is not of the question's kind."""
    if question.type == "select_multiple":
        chosen = set(values)
        return [c.name for c in question.choices if c.name in chosen] + sorted(
            chosen - question.choice_names
        )
    if question.type == "month" and len(values) == 2:
        # The form's two selects, year then month, share the question's name.
        values = ["-".join(v.strip() for v in values)]
    if len(values) > 1:
        raise ValueError(Message(N_("Please give one answer only.")))
    value = values[0]
    if question.type in ("text", "textarea"):
        text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        return " ".join(text.split()) if question.type == "text" else text
    value = value.strip()
    if question.type == "integer":
        if not INTEGER.match(value):
            raise ValueError(Message(WHOLE_NUMBER))
        return int(value)
    if question.type == "decimal":
        if not DECIMAL.match(value):
            raise ValueError(Message(NUMBER))
        return value.replace(",", ".").lstrip("+")
    if question.type == "date":
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(Message(DATE)) from None
    if question.type == "month" and MONTH.fullmatch(value) is None:
        raise ValueError(Message(MONTH_NEEDED))
    if question.type == "time":
        return _time(value[:5] if len(value) == 8 and value[5:6] == ":" else value)
    if question.type == "datetime":
        return _datetime(value.replace(" ", "T")[:16] if len(value) in (16, 19) else value)
    return value


def _time(text: str) -> str:
    """HH:MM (browsers may add :SS, which is cut: a minute is precise enough)."""
    if TIME.fullmatch(text) is None:
        raise ValueError(Message(TIME_NEEDED))
    return text


def _datetime(text: str) -> str:
    if DATETIME.fullmatch(text) is None:
        raise ValueError(Message(DATETIME_NEEDED))
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(Message(DATETIME_NEEDED)) from None
    return text


def _check(question: Question, value: Any) -> None:
    """The rules of one question, on a typed value; raise ValueError with the message."""
    kind = question.type
    if kind == "select_multiple":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(Message(N_("Please choose from the options shown.")))
        if not question.choice_names.issuperset(value) or len(set(value)) != len(value):
            raise ValueError(Message(N_("Please choose only from the options shown.")))
        return
    if kind == "integer":
        if type(value) is not int:
            raise ValueError(Message(WHOLE_NUMBER))
        _check_range(question, value)
        return
    if not isinstance(value, str):
        raise ValueError(Message(N_("This answer is not of the question's kind.")))
    if kind in SINGLE_CHOICE_TYPES and value in question.choice_names:
        return  # one of the survey's own choice names: nothing more to check
    if FORBIDDEN_CHARACTERS.search(value):
        raise ValueError(Message(CHARACTERS))
    if kind in SINGLE_CHOICE_TYPES:
        if value not in question.choice_names:
            raise ValueError(Message(N_("Please choose one of the options shown.")))
    elif kind in ("text", "textarea"):
        if question.min_length is not None and len(value) < question.min_length:
            raise ValueError(Message.counted(AT_LEAST_CHARACTERS, question.min_length))
        if len(value) > question.effective_max_length:
            raise ValueError(Message.counted(AT_MOST_CHARACTERS, question.effective_max_length))
    elif kind == "decimal":
        if not DECIMAL.match(value):
            raise ValueError(Message(NUMBER))
        _check_range(question, Decimal(value.replace(",", ".")))
    elif kind == "date":
        _check_date(question, value)
    elif kind == "time":
        _time(value)
    elif kind == "datetime":
        _datetime(value)
    elif kind == "month":
        if MONTH.fullmatch(value) is None:
            raise ValueError(Message(MONTH_NEEDED))
        if question.minimum is not None and value < question.minimum:
            raise ValueError(Message(MONTH_AFTER, {"month": question.minimum}))
        if question.maximum is not None and value > question.maximum:
            raise ValueError(Message(MONTH_BEFORE, {"month": question.maximum}))
    else:
        raise ValueError(Message(N_("This question cannot be answered.")))


def _check_range(question: Question, number: int | Decimal) -> None:
    if question.minimum is not None and number < Decimal(question.minimum):
        raise ValueError(Message(NUMBER_AT_LEAST, {"n": question.minimum}))
    if question.maximum is not None and number > Decimal(question.maximum):
        raise ValueError(Message(NUMBER_AT_MOST, {"n": question.maximum}))


def _check_date(question: Question, text: str) -> None:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError(Message(DATE)) from None
    if question.minimum is not None and text < question.minimum:
        raise ValueError(Message(DATE_AFTER, {"day": question.minimum}))
    if question.maximum is not None and text > question.maximum:
        raise ValueError(Message(DATE_BEFORE, {"day": question.maximum}))


def _check_files(question: Question, key: str, infos: list[FileInfo], result: Validated) -> None:
    """A file question's attachments (``key``: its field, "name#n" in instance n)."""
    if not infos:
        if question.required:
            result.errors[key] = Message(ATTACH_FILE)
        return
    if len(infos) > question.effective_max_files:
        result.errors[key] = Message.counted(AT_MOST_FILES, question.effective_max_files)
        return
    if question.accept and not all(_accepted(question.accept, f) for f in infos):
        allowed = ", ".join(question.accept)
        result.errors[key] = Message(FILE_KINDS, {"kinds": allowed})
        return
    result.files[key] = infos


def _accepted(patterns: tuple[str, ...], info: FileInfo) -> bool:
    # The server records the sniffed type; a decrypted document's type is only what was declared.
    return filetypes.accepts(patterns, info.name, filetypes.by_mime(info.type))
