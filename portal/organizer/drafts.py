"""Editing a draft definition (the YAML data model, as a dict) from the designer's forms.

Texts are edited in the survey's default language; translations that came with an XLSForm
or YAML file are kept untouched (they are edited in those files).
"""

from __future__ import annotations

import re
from typing import Any

from surveys.expressions import ExpressionError, parse
from surveys.messages import Message
from surveys.model import QUESTION_TEXTS

from .checks import CHECK_OPERATORS, CHECK_ROWS, Check, check_expression, checks_of
from .forms import GroupForm, QuestionForm, RuleFields
from .rules import OPERATORS, ROWS, Condition, conditions, expression

ANSWER_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
CHOICE_LINE = re.compile(r"^\s*(?P<name>[^=]+?)\s*=\s*(?P<label>.+?)\s*$")
PLAIN_FIELDS = ("relevant", "constraint", "group", "accept")


def text_of(value: Any, language: str) -> str:
    """The default-language text of a plain or translated value."""
    if isinstance(value, dict):
        return str(value.get(language, ""))
    return "" if value is None else str(value)


def with_text(old: Any, text: str, language: str) -> Any:
    """Replace the default-language text, keeping the other languages' texts."""
    if isinstance(old, dict) and len(old) > 1:
        return {**old, language: text}
    return text


def choices_text(question: dict[str, Any], language: str) -> str:
    """The choices as the organizer edits them: their labels, one per line (each keeps its
    code, the name answers are stored under, as long as its label stays)."""
    return "\n".join(text_of(c.get("label"), language) for c in question.get("choices", []))


def parse_choices(text: str, old: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Lines of labels (a choice keeps its code while its label stays; a new one's is made
    from its label), or "code = label" for an organizer who wants to choose the code."""
    previous = {c["name"]: c for c in old}
    by_label = {text_of(c.get("label"), language).casefold(): c["name"] for c in old}
    choices: list[dict[str, Any]] = []
    taken: set[str] = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        match = CHOICE_LINE.match(line)
        if match:
            name, label = match["name"], match["label"]
        else:  # its code kept, or made from the label (choice_2 for another script)
            label = line.strip()
            name = by_label.get(label.casefold()) or _slug(line) or f"choice_{len(choices) + 1}"
            while name in taken:
                name = f"{name}_{len(choices) + 1}"
        taken.add(name)
        kept = previous.get(name, {})
        choices.append({"name": name, "label": with_text(kept.get("label"), label, language)})
    return choices


def fill_question_form(form: QuestionForm, question: dict[str, Any], language: str) -> None:
    form.type.data = question.get("type")
    form.name.data = question.get("name")
    for field in QUESTION_TEXTS:
        getattr(form, field).data = text_of(question.get(field), language)
    form.required.data = bool(question.get("required"))
    form.choices.data = choices_text(question, language)
    form.minimum.data = str(question.get("min", ""))
    form.maximum.data = str(question.get("max", ""))
    form.min_length.data = question.get("min_length")
    form.max_length.data = question.get("max_length")
    form.max_files.data = question.get("max_files")
    form.accept.data = ", ".join(question.get("accept", []))
    fill_rule(form, question.get("relevant", ""))
    form.constraint.data = question.get("constraint", "")
    for number, check in enumerate(checks_of(form.constraint.data) or [], start=1):
        getattr(form, f"check_operator_{number}").data = check.operator
        getattr(form, f"check_value_{number}").data = check.value
        getattr(form, f"check_question_{number}").data = check.question
    form.group.data = question.get("group", "")


def question_from_form(
    form: QuestionForm,
    old: dict[str, Any],
    language: str,
    questions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The question as the form describes it; fields the form leaves empty are left out. The
    builder's rows, when any is filled, write the skip rule (choice labels become names)."""
    kind = form.type.data or "text"
    name = (form.name.data or "").strip() or _made_name(form.label.data or "", old, questions)
    question: dict[str, Any] = {"name": name, "type": kind}
    for field in QUESTION_TEXTS:
        text = (getattr(form, field).data or "").strip()
        if text:
            question[field] = with_text(old.get(field), text, language)
    if form.required.data:
        question["required"] = True
    if kind in ("select_one", "select_multiple"):
        question["choices"] = parse_choices(
            form.choices.data or "", old.get("choices", []), language
        )
    for field, key in (("minimum", "min"), ("maximum", "max")):
        value = (getattr(form, field).data or "").strip()
        if value:
            question[key] = _number(value)
    for key in ("min_length", "max_length", "max_files"):
        if getattr(form, key).data is not None:
            question[key] = getattr(form, key).data
    accept = [a.strip() for a in (form.accept.data or "").split(",") if a.strip()]
    if accept:
        question["accept"] = accept
    for key in ("relevant", "constraint", "group"):
        value = (getattr(form, key).data or "").strip()
        if value:
            question[key] = value
    built = _built_rule(form, questions or [], language)
    if built:
        question["relevant"] = built
    check = built_check(form)
    if check:
        question["constraint"] = check
    return question


def built_check(form: QuestionForm) -> str:
    """The constraint the check builder's rows write ('' when no row is filled): a row with
    a question compares with its answer, else with the value typed."""
    rows = []
    for number in range(1, CHECK_ROWS + 1):
        operator = getattr(form, f"check_operator_{number}").data or ""
        value = (getattr(form, f"check_value_{number}").data or "").strip()
        other = (getattr(form, f"check_question_{number}").data or "").strip()
        if operator in CHECK_OPERATORS and (value or other):
            rows.append(Check(operator, "" if other else value, other))
    return check_expression(rows) if rows else ""


def fill_rule(form: RuleFields, relevant: str) -> None:
    """Show a skip rule: in the builder's rows when it has their shape, else as text."""
    form.relevant.data = relevant
    found = conditions(relevant or "")
    if found is not None:  # a rule of the builder's shape opens in the builder
        rows, join = found
        form.rule_join.data = join
        for number, condition in enumerate(rows, start=1):
            getattr(form, f"rule_question_{number}").data = condition.question
            getattr(form, f"rule_operator_{number}").data = condition.operator
            getattr(form, f"rule_value_{number}").data = condition.value


def rule_problem(text: str, check: bool = False) -> Message | None:
    """Why a rule written by hand cannot be read (quoting the faulty words), or None; in a
    ``check`` (a constraint), "." is the answer being checked."""
    if not text.strip():
        return None
    try:
        parse(text, allow_self=check)
    except ExpressionError as e:
        return e.message
    return None


def _built_rule(form: RuleFields, questions: list[dict[str, Any]], language: str) -> str:
    by_name = {str(q.get("name")): q for q in questions}
    rows = []
    for number in range(1, ROWS + 1):
        name = (getattr(form, f"rule_question_{number}").data or "").strip()
        operator = getattr(form, f"rule_operator_{number}").data or "is"
        value = (getattr(form, f"rule_value_{number}").data or "").strip()
        if not name or operator not in OPERATORS:
            continue
        for choice in by_name.get(name, {}).get("choices", []):  # a label typed: its name
            if value.casefold() == text_of(choice.get("label"), language).casefold():
                value = str(choice["name"])
        rows.append(Condition(name, operator, value))
    return expression(rows, form.rule_join.data or "and") if rows else ""


def group_from_form(
    form: GroupForm,
    old: dict[str, Any] | None = None,
    language: str = "en",
    questions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The group as the form describes it; empty fields are left out, translations of its
    heading and its place in a parent group kept. The builder's rows, when filled, write
    its rule as they do a question's."""
    old = old or {}
    group: dict[str, Any] = {"name": (form.name.data or "").strip()}
    label = (form.label.data or "").strip()
    if label:
        group["label"] = with_text(old.get("label"), label, language)
    relevant = _built_rule(form, questions or [], language) or (form.relevant.data or "").strip()
    if relevant:
        group["relevant"] = relevant
    if old.get("parent"):
        group["parent"] = old["parent"]
    if form.field_list.data:
        group["field_list"] = True
    count = (form.repeat_count.data or "").strip()
    if form.repeat_from.data:
        count = f"${{{form.repeat_from.data}}}"
    if form.repeat.data or count:
        group["repeat"] = True
    if count:
        group["repeat_count"] = count
    return group


def fill_group_form(form: GroupForm, group: dict[str, Any], language: str) -> None:
    form.name.data = group.get("name", "")
    form.label.data = text_of(group.get("label"), language)
    fill_rule(form, group.get("relevant", ""))
    form.field_list.data = bool(group.get("field_list"))
    form.repeat.data = bool(group.get("repeat"))
    count = str(group.get("repeat_count", ""))
    from_answer = ANSWER_REFERENCE.fullmatch(count)
    form.repeat_from.data = from_answer.group(1) if from_answer else ""
    form.repeat_count.data = "" if from_answer else count


def rename_group(draft: dict[str, Any], old: str, new: str) -> None:
    """A group renamed keeps its questions and the groups inside it."""
    if old == new:
        return
    for item in (*draft.get("questions", []), *draft.get("groups", [])):
        for key in ("group", "parent"):
            if item.get(key) == old:
                item[key] = new


def remove_group(draft: dict[str, Any], name: str, with_questions: bool) -> list[str]:
    """Take the group out; its questions (and groups inside it) stay, outside any group, or
    go with it. The names of the questions that went."""
    inside = {name}
    if with_questions:  # the groups inside it go too, with their questions
        grew = True
        while grew:
            found = {g["name"] for g in draft.get("groups", []) if g.get("parent") in inside}
            grew = not found <= inside
            inside |= found
    draft["groups"] = [g for g in draft.get("groups", []) if g.get("name") not in inside]
    for group in draft["groups"]:
        if group.get("parent") in inside:
            group.pop("parent")
    if not draft["groups"]:
        draft.pop("groups")
    gone = []
    kept = []
    for question in draft.get("questions", []):
        if question.get("group") in inside:
            if with_questions:
                gone.append(str(question.get("name")))
                continue
            question.pop("group")
        kept.append(question)
    if "questions" in draft:
        draft["questions"] = kept
    return gone


def move(items: list[Any], index: int, step: int) -> None:
    target = index + step
    if 0 <= index < len(items) and 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def _made_name(label: str, old: dict[str, Any], questions: list[dict[str, Any]] | None) -> str:
    """A question's name from its label ("How old are you?" → how_old_are_you), kept when it
    had one, numbered when the label is in another script or the name is taken."""
    if old.get("name"):
        return str(old["name"])
    taken = {str(q.get("name")) for q in questions or []}
    base = _slug(label)[:40].strip("_.-")
    if not base or not base[0].isalpha():
        base = f"q{len(taken) + 1}" if not base else f"q_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text.strip().lower()).strip("_")[:64]
