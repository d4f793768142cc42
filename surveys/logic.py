"""Skip logic over a whole survey: which questions are asked, and whether the rules make sense.

A question is asked when its own ``relevant`` rule and those of all its enclosing groups hold.
The server applies this when a no-JavaScript respondent moves to the next page and when the
answers are checked; the browser applies the same trees live; the reviewer's tools check it
again on the decrypted answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .bounds import too_long
from .expressions import MAX_CALCULATION_LENGTH, ExpressionError, columns, parse, references
from .model import Question, Survey
from .repeats import flatten, walk

GROUP_NAME_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"
)


@dataclass(frozen=True)
class LogicProblem:
    """A problem with a question or group (``subject`` is its name) and what to fix."""

    subject: str
    message: str
    #: The field at fault, so a definition file's error can point at its line.
    field: str = ""


def form_values(form: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Raw form values as the expressions see them: several choices joined by spaces."""
    return {name: " ".join(v.strip() for v in values if v.strip()) for name, values in form.items()}


def typed_values(answers: Mapping[str, Any]) -> dict[str, str]:
    """Decrypted (typed) answers as the expressions see them; a repeat's instances by key, as
    the form's fields name them (:func:`surveys.repeats.flatten`)."""
    return flatten(answers)


def apply_skip_logic(survey: Survey, values: Mapping[str, str]) -> tuple[set[str], dict[str, str]]:
    """The names of the questions asked, and the values without the skipped ones' answers.

    Decided in question order, so a rule that reads a skipped question sees no answer (as ODK
    does): the walk of surveys/repeats.py, which a request makes once and shares.
    """
    found = walk(survey, values)
    return found.asked, found.kept


def next_page(survey: Survey, page: int, asked: set[str], step: int = 1) -> int | None:
    """The nearest page after (or, with step -1, before) ``page`` that asks anything."""
    index = page + step
    while 0 <= index < len(survey.pages):
        shown = survey.pages[index]
        if any(q.name in asked or survey.top_repeat.get(q.name) in asked for q in shown):
            return index
        index += step
    return None


def check_logic(survey: Survey) -> list[LogicProblem]:
    """Every problem with groups, pages, skip logic and constraints of a parsed survey."""
    problems = _check_groups(survey)
    if problems:
        return problems
    names = set(survey.by_name) | {g.name for g in survey.groups if g.repeat}
    for question in survey.questions:
        for field, kind in (("relevant", ""), ("constraint", "self"), ("calculation", "")):
            text = getattr(question, field)
            if text:
                problems += _check_expression(question.name, field, text, names, kind)
        if question.choice_filter:
            problems += _check_expression(
                question.name, "choice_filter", question.choice_filter, names, "columns"
            ) or _check_columns(question)
        if question.constraint_message and not question.constraint:
            problems.append(LogicProblem(question.name, "a constraint_message needs a constraint"))
    for group in survey.groups:
        if group.relevant:
            problems += _check_expression(group.name, "relevant", group.relevant, names)
        if group.repeat_count:
            problems += _check_expression(group.name, "repeat_count", group.repeat_count, names)
    if problems:  # the checks below read every rule: only once every rule reads
        return problems
    return _check_repeats(survey)


def check_bounds(survey: Survey) -> list[LogicProblem]:
    """Calculations that can make a value longer than one may hold (surveys/bounds.py): a
    survey with one would fail honest answers, so the importer refuses it by row."""
    return [
        LogicProblem(
            name,
            f"'calculation' of '{name}' can make a value of up to {length:,} characters, "
            f"more than the {MAX_CALCULATION_LENGTH:,} a calculated value may hold",
            "calculation",
        )
        for name, length in too_long(survey)
    ]


def _check_repeats(survey: Survey) -> list[LogicProblem]:
    """A repeat_count belongs to a repeat and must be known before the repeat is asked."""
    problems = []
    for group in survey.groups:
        if group.repeat_count and not group.repeat:
            problems.append(
                LogicProblem(group.name, "'repeat_count' only applies to a repeat", "repeat_count")
            )
        inside = survey.inside.get(group.name, frozenset()) | {group.name}
        if group.repeat_count_tree is not None and survey.reads([group.repeat_count_tree]) & inside:
            problems.append(
                LogicProblem(
                    group.name,
                    f"'repeat_count' of '{group.name}' reads the repeat's own questions: it must"
                    " be known before the repeat is asked",
                    "repeat_count",
                )
            )
    return problems


#: What an expression may read beyond ${answers}: "." (a constraint's answer) or a choice's
#: columns (a choice_filter).
SELF, COLUMNS = "self", "columns"


def _check_expression(
    subject: str, field: str, text: str, names: set[str], kind: str = ""
) -> list[LogicProblem]:
    """One rule: it parses, names only questions that exist, and none but the constraint reads
    its own question (a rule that did would never settle)."""
    try:
        tree = parse(text, allow_self=kind == SELF, allow_columns=kind == COLUMNS)
    except ExpressionError as e:
        return [LogicProblem(subject, f"'{field}' of '{subject}': {e}", field)]
    unknown = sorted(references(tree) - names)
    if unknown:
        listed = ", ".join(f"${{{name}}}" for name in unknown)
        return [
            LogicProblem(subject, f"'{field}' of '{subject}' names no question: {listed}", field)
        ]
    if field != "constraint" and subject in references(tree):
        return [LogicProblem(subject, f"'{field}' of '{subject}' cannot depend on itself", field)]
    return []


def _check_columns(question: Question) -> list[LogicProblem]:
    """A choice_filter reads only columns its choices have (and ``name``)."""
    assert question.choice_filter_tree is not None
    known = {"name"} | {column for c in question.choices for column, _ in c.columns}
    missing = sorted(columns(question.choice_filter_tree) - known)
    if not missing:
        return []
    listed = ", ".join(f"'{name}'" for name in missing)
    message = f"'choice_filter' of '{question.name}' reads {listed}, a column no choice has"
    return [LogicProblem(question.name, message, "choice_filter")]


def _check_groups(survey: Survey) -> list[LogicProblem]:
    problems: list[LogicProblem] = []
    seen: set[str] = set()
    for group in survey.groups:
        if not group.name or not set(group.name) <= GROUP_NAME_CHARACTERS:
            problems.append(
                LogicProblem(
                    group.name,
                    f"group name '{group.name}' uses letters, digits, '_', '.' and '-' only",
                )
            )
        if group.name in seen or group.name in survey.by_name:
            problems.append(LogicProblem(group.name, f"the name '{group.name}' is used twice"))
        seen.add(group.name)
    for group in survey.groups:
        if group.parent and group.parent not in seen:
            problems.append(LogicProblem(group.name, f"group '{group.parent}' does not exist"))
    if problems:
        return problems
    for group in survey.groups:
        chain, name = [], group.name
        while name:
            if name in chain:
                return [LogicProblem(group.name, f"group '{group.name}' is inside itself")]
            chain.append(name)
            name = survey.group_by_name[name].parent
    for question in survey.questions:
        if question.group and question.group not in seen:
            problems.append(LogicProblem(question.name, f"group '{question.group}' does not exist"))
    if problems:
        return problems
    # A group's questions stand together: once left, a group is never entered again.
    closed: set[str] = set()
    open_now: list[str] = []
    for question in survey.questions:
        path = [g.name for g in reversed(survey.enclosing_groups(question))]
        while open_now and open_now != path[: len(open_now)]:
            closed.add(open_now.pop())
        for name in path[len(open_now) :]:
            if name in closed:
                return [
                    LogicProblem(
                        question.name, f"the questions of group '{name}' must follow one another"
                    )
                ]
            open_now.append(name)
    return problems
