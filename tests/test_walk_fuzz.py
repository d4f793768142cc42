"""Hypothesis over random surveys and random answers: the walk and the expression evaluator keep
their bounds whatever they are given (issue 27, acceptance 3).

Each case builds a survey the loader accepts — questions of every kind, rules and calculations
that read earlier answers (concat, join, arithmetic, counts), repeats inside repeats with or
without repeat_count — and posts a hostile form: instance counts up to a million, numbers with
exponents past any double, long texts. Per case it asserts what bounds a request: the walk
ends (or refuses with TooMuchWork) within its instance and evaluation budget, no value grows past
the cap, the answers validate without an exception, and the case's CPU time stays under a
generous one second (the bound itself is structural; the clock only catches a runaway).
"""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys import SurveyDefinitionError, load_survey_text
from surveys.answers import check_document_size, form_walk, validate_answers
from surveys.errors import TooMuchWork
from surveys.expressions import MAX_CALCULATION_LENGTH, calculate, evaluate, parse
from surveys.model import MAX_INSTANCES, MAX_STEPS, Survey
from surveys.repeats import Budget, walk

from .conftest import examples

CPU_SECONDS = 1.0
NUMBERS = st.sampled_from(
    ["0", "1", "-3", "2.5", "1e308", "1e999999", "1e999999999999999999", "9" * 40, "NaN", ""]
)
TEXTS = st.one_of(NUMBERS, st.text(max_size=30), st.just("x" * 5000))


@st.composite
def surveys(draw: st.DrawFn) -> dict[str, Any]:
    """A survey definition (YAML-shaped mapping) with rules reading earlier answers."""
    groups: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    names: list[str] = []
    for g in range(draw(st.integers(0, 2))):
        group: dict[str, Any] = {"name": f"r{g}", "label": f"Repeat {g}", "repeat": True}
        if g and draw(st.booleans()):
            group["parent"] = f"r{g - 1}"
        if names and draw(st.booleans()):
            group["repeat_count"] = f"${{{draw(st.sampled_from(names))}}}"
        groups.append(group)
    kinds = ["text", "integer", "decimal", "select_one", "select_multiple", "calculate"]
    for i in range(draw(st.integers(len(groups) + 1, len(groups) + 8))):
        kind = draw(st.sampled_from(kinds))
        question: dict[str, Any] = {"name": f"q{i}", "type": kind}
        if kind != "calculate":
            question["label"] = f"Question {i}"
        if kind.startswith("select"):
            question["choices"] = [{"name": "a", "label": "A"}, {"name": "b", "label": "B"}]
        if i < len(groups):  # every repeat asks something (one without questions is not walked)
            question["group"] = groups[i]["name"]
        elif groups and draw(st.booleans()):
            question["group"] = draw(st.sampled_from(groups))["name"]
        earlier = [n for n in names if n not in {q["name"] for q in questions if "group" in q}]
        if kind == "calculate":
            question["calculation"] = draw(expressions(earlier or ["q0"], calculation=True))
            if not earlier:
                question["calculation"] = "'constant'"
        elif earlier and draw(st.booleans()):
            question["relevant"] = draw(expressions(earlier, calculation=False))
        questions.append(question)
        names.append(question["name"])
    # Groups' questions must follow one another: order them by group, ungrouped first.
    order = {g["name"]: i for i, g in enumerate(groups)}
    questions.sort(key=lambda q: order.get(q.get("group", ""), -1))
    return {"id": "fuzz", "title": "Fuzz", "groups": groups, "questions": questions}


@st.composite
def expressions(draw: st.DrawFn, names: list[str], calculation: bool) -> str:
    ref = f"${{{draw(st.sampled_from(names))}}}"
    other = f"${{{draw(st.sampled_from(names))}}}"
    forms = [
        f"{ref} = 'a'",
        f"{ref} > 2",
        f"selected({ref}, 'b')",
        f"string-length({ref}) < 10",
        f"int({ref}) + 1 > 0",
        f"round({ref}, 2) != 0",
        f"max({ref}, 3) > 1",
    ]
    if calculation:
        forms += [
            f"concat({ref}, {other})",
            f"concat({ref}, {ref}, {ref})",
            f"if({ref} > 1, {other}, 'x')",
            f"{ref} * {other}",
            f"pow({ref}, 3)",
            f"join(' ', {ref})",
            f"sum({ref})",
            f"count({ref})",
        ]
    return str(draw(st.sampled_from(forms)))


@st.composite
def hostile_forms(draw: st.DrawFn, survey: Survey) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for group in survey.groups:
        form[group.name] = [draw(st.sampled_from(["0", "1", "50", "1000000", "-1", "x"]))]
    for question in survey.questions:
        depth = len(survey.repeat_chain.get(question.name, []))
        for index in range(1, draw(st.integers(1, 4)) + 1):
            key = question.name + "".join(f"#{index}" for _ in range(depth))
            form[key] = [draw(TEXTS)]
    for p in range(1, draw(st.integers(0, 60)) + 1):  # inner repeats of many outer instances
        for group in survey.groups:
            if survey.repeat_chain.get(group.name):
                form[f"{group.name}#{p}"] = [draw(st.sampled_from(["50", "1000"]))]
    return form


@settings(
    max_examples=examples(200),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_any_survey_and_any_form_stay_within_the_walks_bounds(data: st.DataObject) -> None:
    definition = data.draw(surveys())
    try:
        survey = load_survey_text(json.dumps(definition).encode(), "fuzz.json")
    except SurveyDefinitionError:
        return  # refused at import: bounds (surveys/bounds.py) or rules; nothing to walk
    form = data.draw(hostile_forms(survey))
    started = time.process_time()
    try:
        found = form_walk(survey, form)
    except TooMuchWork:
        assert time.process_time() - started < CPU_SECONDS
        return
    spent_instances = MAX_INSTANCES - found.budget.instances
    assert 0 <= spent_instances <= MAX_INSTANCES
    assert MAX_STEPS - found.budget.steps <= MAX_STEPS
    longest_given = max((len(v) for values in form.values() for v in values), default=0)
    for key, value in found.kept.items():
        assert len(value) <= max(MAX_CALCULATION_LENGTH, longest_given), key
    try:
        validated = validate_answers(survey, form, found=found)
        check_document_size({"answers": validated.answers})
    except TooMuchWork:
        pass
    assert time.process_time() - started < CPU_SECONDS


@settings(max_examples=examples(300), deadline=None)
@given(
    left=TEXTS,
    right=TEXTS,
    function=st.sampled_from(
        ["int", "round", "number", "floor", "ceiling", "abs", "string-length", "normalize-space"]
    ),
    operator=st.sampled_from(["+", "-", "*", "div", "mod"]),
)
def test_the_evaluator_is_total_and_bounded_on_any_values(
    left: str, right: str, function: str, operator: str
) -> None:
    values = {"a": left, "b": right}
    started = time.process_time()
    for text in (
        f"{function}(${{a}})",
        f"${{a}} {operator} ${{b}}",
        "pow(${a}, ${b})",
        f"max(${{a}}, ${{b}}) > {function}(${{b}})",
        "concat(${a}, ${b}, ${a})",
        "round(${a}, ${b})",
    ):
        tree = parse(text)
        result = calculate(tree, values)
        evaluate(tree, values)
        assert len(result) <= max(MAX_CALCULATION_LENGTH, 3 * (len(left) + len(right))), text
    assert time.process_time() - started < CPU_SECONDS


def test_a_budget_spent_past_either_bound_refuses() -> None:
    budget = Budget()
    budget.instance(MAX_INSTANCES)
    try:
        budget.instance(1)
    except TooMuchWork as e:
        assert e.allowed == MAX_INSTANCES
    else:
        raise AssertionError("an instance past the budget was allowed")
    survey = load_survey_text(
        b'id: s\ntitle: S\nquestions:\n  - {name: x, type: text, label: X, relevant: "1 = 1"}\n'
    )
    tight = Budget(steps=0)
    try:
        walk(survey, {}, tight)
    except TooMuchWork as e:
        assert e.allowed == MAX_STEPS
    else:
        raise AssertionError("an evaluation past the budget was allowed")
