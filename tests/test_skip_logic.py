"""Skip logic, constraints, groups and pages: parsed into trees, applied the same everywhere."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.keys import ReviewerKey
from portal import create_app
from portal.config import Config
from surveys import SurveyDefinitionError, load_survey_text
from surveys.answers import check_document, validate_answers
from surveys.expressions import ExpressionError, evaluate, parse, references

from .conftest import RunCli, csrf_token, examples
from .helpers import open_bundle

PAGED = b"""
id: outreach
title: Outreach check-in
pages: true
groups:
  - name: work
    label: Your work
    field_list: true
  - name: police
    label: Police
    relevant: ${stopped} = 'yes'
    field_list: true
questions:
  - name: age
    type: integer
    label: How old are you?
    required: true
    constraint: . >= 18 and . <= 99
    constraint_message: Ages 18 to 99 only
  - name: place
    type: select_multiple
    label: Where do you work?
    group: work
    choices: [street, flat, online, other]
  - name: place_other
    type: text
    label: Which other place?
    group: work
    required: true
    relevant: selected(${place}, 'other')
  - name: stopped
    type: yes_no
    label: Were you stopped by police this year?
    required: true
  - name: times
    type: integer
    label: How many times?
    group: police
    required: true
  - name: safe
    type: scale
    label: How safe do you feel at work?
    low_label: Not at all
    high_label: Very safe
"""

CASES: list[tuple[str, dict[str, str], str, bool]] = [
    ("${q} = 'x'", {"q": "x"}, "", True),
    ("${q} = 'x'", {}, "", False),
    ("${q} != 'x'", {}, "", True),
    ("selected(${q}, 'b')", {"q": "a b"}, "", True),
    ("selected(${q}, 'c')", {"q": "a b"}, "", False),
    ("count-selected(${q}) >= 2", {"q": "a b"}, "", True),
    ("${age} >= 18 and not(${c} = 'no')", {"age": "20", "c": "yes"}, "", True),
    ("${age} >= 18 and not(${c} = 'no')", {"age": "17", "c": "yes"}, "", False),
    ("${age} > 18", {"age": ""}, "", False),
    ("${age} < 18", {"age": ""}, "", False),
    ("${age} = 18", {"age": "18.0"}, "", True),
    ("${d} > '2024-01-01'", {"d": "2024-05-31"}, "", True),
    ("${a} or ${b}", {"b": "x"}, "", True),
    ("-${a} + 2 * 3 = 1", {"a": "5"}, "", True),
    ("${a} div 0 = 1", {"a": "5"}, "", False),
    ("${a} mod 3 = 2", {"a": "5"}, "", True),
    ("string-length(.) <= 3", {}, "abcd", False),
    (". >= 18 and . <= 99", {}, "42", True),
    ("true() and not(false())", {}, "", True),
    ("${n} = 'abc'", {"n": "abc"}, "", True),
    ("${n} > 2", {"n": "abc"}, "", False),
]

#: Cascading selects: bare words are the choice's columns (given under "@"), as in XLSForm.
FILTER_CASES: list[tuple[str, dict[str, str], bool]] = [
    ("region = ${region}", {"region": "north", "@region": "north"}, True),
    ("region = ${region}", {"region": "north", "@region": "south"}, False),
    ("region = ${region}", {"@region": "south"}, False),
    ("region = ${region} or ${region} = ''", {"@region": "south"}, True),
    ("name != 'other' and size > ${min}", {"min": "2", "@name": "b", "@size": "5"}, True),
    ("name != 'other' and size > ${min}", {"min": "2", "@name": "other", "@size": "5"}, False),
    ("selected(${areas}, zone)", {"areas": "a c", "@zone": "c"}, True),
    ("selected(${areas}, zone)", {"areas": "a c", "@zone": "b"}, False),
    ("district_2 = ${d}", {"d": "x", "@district_2": "x"}, True),
    ("not(hidden = 'yes')", {"@hidden": "no"}, True),
]


@pytest.mark.parametrize(("text", "values", "current", "expected"), CASES)
def test_expressions_evaluate_by_the_documented_rules(
    text: str, values: dict[str, str], current: str, expected: bool
) -> None:
    assert evaluate(parse(text, allow_self=True), values, current) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("${q} =", "expected a value"),
        ("age > 3", "unknown word 'age'"),
        ("selected(${q})", "takes 2"),
        (". > 1", "only works in a check"),
        ("${q} = @", "cannot read '@'"),
        ("(" * 60 + "1" + ")" * 60, "nested more than"),
        ("__import__('os')", "cannot read"),
    ],
)
def test_bad_expressions_get_a_message_that_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text)


@settings(max_examples=examples(3000), deadline=None)
@given(st.text(alphabet="${}()'\". ,=!<>+-*abcdeilnortsvx0123456789_", max_size=60))
def test_any_text_parses_or_gets_a_clear_error_and_trees_always_evaluate(text: str) -> None:
    try:
        tree = parse(text, allow_self=True)
    except ExpressionError as e:
        assert str(e)
        return
    assert isinstance(evaluate(tree, {"a": "1", "b": "x y"}, "3"), bool)


@settings(max_examples=examples(500), deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_crashes_the_parser(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse(text)


@pytest.mark.parametrize(("text", "values", "expected"), FILTER_CASES)
def test_a_choice_filter_reads_the_choice_columns(
    text: str, values: dict[str, str], expected: bool
) -> None:
    assert evaluate(parse(text, allow_columns=True), values) is expected


def test_a_bare_word_is_a_column_only_in_a_choice_filter() -> None:
    with pytest.raises(ExpressionError, match="unknown word 'region'"):
        parse("region = ${region}")
    assert parse("region = ${r} and not(x)", allow_columns=True)[1][2] == ["col", "region"]


# The browser's evaluator is held to these cases in tests/test_calculations.py, with the rest.


def test_a_definition_with_broken_logic_is_refused_with_the_line() -> None:
    broken = PAGED.replace(b"selected(${place}, 'other')", b"selected(${plaec}, 'other')")
    with pytest.raises(SurveyDefinitionError, match=r":30: .*names no question: \$\{plaec\}"):
        load_survey_text(broken, "outreach.yaml")
    scattered = PAGED.replace(
        b"    label: How many times?\n    group: police",
        b"    label: How many times?\n    group: work",
    )
    with pytest.raises(SurveyDefinitionError, match="the questions of group 'work' must follow"):
        load_survey_text(scattered, "outreach.yaml")


ONE_PAGE = b"""
id: checkin
title: Check-in
questions:
  - name: stopped
    type: yes_no
    label: Were you stopped by police this year?
    required: true
  - name: times
    type: integer
    label: How many times?
    relevant: ${stopped} = 'yes'
  - name: what
    type: textarea
    label: What did they do?
    relevant: ${stopped} = 'yes'
  - name: safe
    type: select_one
    label: Do you feel safe at work?
    choices:
      - {name: mostly, label: Mostly}
      - {name: rarely, label: Rarely}
  - {name: photo, type: file, label: A photo}
  - name: why
    type: text
    label: Why rarely?
    relevant: ${safe} = 'rarely'
"""


@pytest.mark.parametrize("text", [PAGED, ONE_PAGE], ids=["designer-pages", "one-page"])
def test_without_javascript_every_rules_inputs_are_on_an_earlier_page(text: bytes) -> None:
    survey = load_survey_text(text)
    earlier: set[str] = set()
    for page in survey.pages:
        for question in page:
            for tree in survey.relevance[question.name]:
                assert references(tree) <= earlier, (question.name, references(tree))
        earlier |= {q.name for q in page}
    assert [q.name for q in survey.pages[-1]][-1] == ("photo" if text == ONE_PAGE else "safe")
    assert sorted(q.name for page in survey.pages for q in page) == sorted(
        q.name for q in survey.questions
    )


def test_a_one_page_survey_with_skip_logic_is_paged_for_respondents_without_javascript() -> None:
    survey = load_survey_text(ONE_PAGE)
    assert not survey.paged and survey.multipage  # the designer's choice, and what no-JS gets
    assert [[q.name for q in page] for page in survey.pages] == [
        ["stopped"],
        ["times", "what", "safe"],
        ["why", "photo"],
    ]


def test_skipped_answers_are_dropped_and_skipped_questions_are_not_required() -> None:
    survey = load_survey_text(PAGED)
    form = {
        "age": ["30"],
        "place": ["street"],
        "place_other": ["a secret"],
        "stopped": ["no"],
        "times": ["x"],
        "safe": ["4"],
    }
    validated = validate_answers(survey, form)
    assert validated.ok, validated.errors
    assert validated.answers == {"age": 30, "place": ["street"], "stopped": "no", "safe": "4"}
    form["age"] = ["16"]
    assert str(validate_answers(survey, form).errors["age"]) == "Ages 18 to 99 only"
    document = {"answers": {"age": 30, "stopped": "no", "times": 3}}
    assert check_document(survey, document) == [
        "'times' is answered although its skip logic skips it."
    ]


def test_pages_follow_one_another_without_javascript_and_skip_what_does_not_apply(
    published: RunCli, data_dir: Path, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> None:
    definition = tmp_path / "outreach.yaml"
    definition.write_bytes(PAGED)
    assert published("surveys", "import", definition, "--publish").exit_code == 0
    client = create_app(Config.from_env()).test_client()
    page = client.get("/s/outreach").get_data(as_text=True)
    assert "How old are you?" in page and 'name="glas_nav" value="next"' in page
    assert _shown(page) == {"age"}

    answers: dict[str, Any] = {"age": "17"}
    response = _move(client, page, answers, "next")
    assert response.status_code == 422 and "Ages 18 to 99 only" in response.get_data(as_text=True)
    answers["age"] = "34"
    page = _move(client, page, answers, "next").get_data(as_text=True)
    # "Which other place?" depends on this answer: without a script it waits for a later page.
    assert _shown(page) == {"place"}
    answers["place"] = "flat"
    page = _move(client, page, answers, "next").get_data(as_text=True)
    assert _shown(page) == {"stopped"}
    answers["stopped"] = "no"
    page = _move(client, page, answers, "next").get_data(as_text=True)
    # "Police" is skipped: the next page is the scale, the last one.
    assert _shown(page) == {"safe"} and "Not at all" in page
    assert 'value="next"' not in page and 'value="send"' in page
    back = _move(client, page, answers, "back").get_data(as_text=True)
    assert _shown(back) == {"stopped"}
    answers.update({"safe": "2", "times": "9"})
    response = _move(client, page, answers, "send")
    assert response.status_code == 303

    out = tmp_path / "out"
    bundle = tmp_path / "export.glasbundle"
    assert published("export", "--out", bundle).exit_code == 0
    opened, _failed = open_bundle(bundle, reviewer[1], out)
    (result,) = [o for o in opened if o.answers["survey"] == "outreach"]
    assert result.answers["answers"] == {"age": 34, "place": ["flat"], "stopped": "no", "safe": "2"}


def _shown(page: str) -> set[str]:
    """The questions on the page the respondent sees (not in a hidden page or skipped)."""
    import re

    visible = re.search(
        r'<div class="page" data-page="\d+">(.*?)</div>\s*(?:<div class="page"|{0})'.replace(
            "{0}", r"<input type=\"hidden\" name=\"glas_page\""
        ),
        page,
        re.S,
    )
    assert visible, "one page is shown"
    found = re.findall(r'data-question="([^"]+)"(?:(?!>).)*?>', visible.group(1), re.S)
    hidden = set(re.findall(r'data-question="([^"]+)"[^>]* hidden>', visible.group(1)))
    return set(found) - hidden


def _move(client: FlaskClient, page: str, answers: dict[str, Any], nav: str) -> Any:
    import re

    current = re.search(r'name="glas_page" value="(\d+)"', page)
    assert current
    data = {
        **answers,
        "csrf_token": csrf_token(page),
        "glas_page": current.group(1),
        "glas_nav": nav,
    }
    return client.post("/s/outreach", data=data)


FOLLOW_UP_LAST = b"""
id: outreach
title: Check-in
questions:
  - {name: stopped, type: yes_no, label: "Were you stopped by police this year?", required: true}
  - {name: times, type: integer, label: "How many times?", relevant: "${stopped} = 'yes'"}
"""


def test_without_javascript_send_waits_until_a_last_follow_up_could_be_asked(
    published: RunCli, data_dir: Path, tmp_path: Path
) -> None:
    """The last page asks only a follow-up: before the answer it waits on, Next, not Send."""
    definition = tmp_path / "outreach.yaml"
    definition.write_bytes(FOLLOW_UP_LAST)
    assert published("surveys", "import", definition, "--publish").exit_code == 0
    client = create_app(Config.from_env()).test_client()
    page = client.get("/s/outreach").get_data(as_text=True)
    assert 'name="glas_nav" value="next"' in page
    assert 'name="glas_nav" value="send" hidden' in page
    page = _move(client, page, {"stopped": "yes"}, "next").get_data(as_text=True)
    assert _shown(page) == {"times"}
    again = _move(client, page, {"stopped": "no"}, "back").get_data(as_text=True)
    after_no = _move(client, again, {"stopped": "no"}, "next").get_data(as_text=True)
    assert 'name="glas_nav" value="next"' not in after_no  # nothing more to ask: Send
