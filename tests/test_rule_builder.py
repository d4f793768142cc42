"""The designer's rule builder: rows of [question] [condition] [answer] become the expression
the engine evaluates; a hand-written rule of that shape opens in the rows, any other stays text."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient

from portal.config import Config
from portal.organizer.checks import Check, check_expression, checks_of
from portal.organizer.rules import Condition, conditions, expression
from portal.storage import Store, designer
from surveys import load_survey_text
from surveys.answers import validate_answers

from .test_designer import post

pytestmark = [pytest.mark.both_databases]


@pytest.mark.parametrize(
    ("rows", "join", "written"),
    [
        ([Condition("safe", "is", "no")], "and", "${safe} = 'no'"),
        ([Condition("work", "is_not", "street")], "and", "${work} != 'street'"),
        ([Condition("needs", "includes", "legal")], "and", "selected(${needs}, 'legal')"),
        ([Condition("age", "more", "17")], "and", "${age} > 17"),
        (
            [Condition("age", "less", "25"), Condition("safe", "is", "no")],
            "or",
            "${age} < 25 or ${safe} = 'no'",
        ),
        ([Condition("name", "is", "O'Neil")], "and", '${name} = "O\'Neil"'),
    ],
)
def test_rows_write_the_expression_and_read_back_from_it(
    rows: list[Condition], join: str, written: str
) -> None:
    assert expression(rows, join) == written
    assert conditions(written) == (rows, join)


@pytest.mark.parametrize(
    "text",
    [
        "count-selected(${needs}) > 1",
        "${a} = 'x' and ${b} = 'y' or ${c} = 'z'",
        "not(${a} = 'x')",
        "${a} = ${b}",
        "${a} = 'x' and ${b} = 'y' and ${c} = 'z' and ${d} = 'w'",
    ],
)
def test_other_rules_stay_as_text(text: str) -> None:
    assert conditions(text) is None


def test_an_organizer_builds_a_rule_without_writing_it(logged_in: FlaskClient) -> None:
    survey = {"id": "rules", "title": "Rules", "kind": "survey", "language": "en"}
    post(logged_in, "/surveys", survey)
    safe = {"type": "yes_no", "name": "safe", "label": "Do you feel safe?"}
    assert post(logged_in, "/surveys/rules/questions/new", safe).status_code == 302
    needs = {
        "type": "select_multiple",
        "name": "needs",
        "label": "Needs",
        "choices": "legal = Legal help\nhealth = Health care",
    }
    assert post(logged_in, "/surveys/rules/questions/new", needs).status_code == 302
    why = {
        "type": "text",
        "name": "why",
        "label": "Why?",
        "rule_question_1": "safe",
        "rule_operator_1": "is",
        "rule_value_1": "no",
        "rule_question_2": "needs",
        "rule_operator_2": "includes",
        "rule_value_2": "Legal help",  # typed as shown: the builder writes its name
        "rule_join": "or",
    }
    assert post(logged_in, "/surveys/rules/questions/new", why).status_code == 302
    draft = designer.load_draft(Store(Config.from_env()), "rules")
    assert draft is not None
    assert draft["questions"][2]["relevant"] == "${safe} = 'no' or selected(${needs}, 'legal')"
    # The survey page says it in words, with the labels the organizer wrote.
    page = logged_in.get("/surveys/rules").get_data(as_text=True)
    assert "\u201cDo you feel safe?\u201d is \u201cno\u201d or \u201cNeeds\u201d includes" in page
    assert "\u201cLegal help\u201d" in page and "${safe}" not in page
    # Opening it again shows the rows, filled.
    form = logged_in.get("/surveys/rules/questions/2").get_data(as_text=True)
    assert re.search(r'<option selected value="needs">|<option value="needs" selected>', form)
    assert 'value="legal"' in form and "<details open" not in form


@pytest.mark.parametrize(
    ("rows", "written"),
    [
        ([Check("at_least", "18")], ". >= 18"),
        ([Check("at_least", "18"), Check("at_most", question="age")], ". >= 18 and . <= ${age}"),
        ([Check("less", "2024-12-31")], ". < '2024-12-31'"),
        ([Check("is_not", "O'Neil")], '. != "O\'Neil"'),
    ],
)
def test_check_rows_write_the_constraint_and_read_back_from_it(
    rows: list[Check], written: str
) -> None:
    assert check_expression(rows) == written
    assert checks_of(written) == rows


@pytest.mark.parametrize(
    "text", ["string-length(.) < 5", ". > 1 or . < 0", ". > 1 and . < 9 and . != 5", "${a} > ."]
)
def test_other_checks_stay_as_text(text: str) -> None:
    assert checks_of(text) is None


def test_an_organizer_builds_a_check_without_writing_it(logged_in: FlaskClient) -> None:
    survey = {"id": "checks", "title": "Checks", "kind": "survey", "language": "en"}
    post(logged_in, "/surveys", survey)
    age = {"type": "integer", "name": "age", "label": "How old are you?"}
    assert post(logged_in, "/surveys/checks/questions/new", age).status_code == 302
    started = {
        "type": "integer",
        "name": "started",
        "label": "How old were you when you started?",
        "check_operator_1": "at_least",
        "check_value_1": "12",
        "check_operator_2": "at_most",
        "check_question_2": "age",
        "constraint_message": "Between 12 and your age, please.",
    }
    assert post(logged_in, "/surveys/checks/questions/new", started).status_code == 302
    draft = designer.load_draft(Store(Config.from_env()), "checks")
    assert draft is not None
    assert draft["questions"][1]["constraint"] == ". >= 12 and . <= ${age}"
    form = logged_in.get("/surveys/checks/questions/1").get_data(as_text=True)
    assert re.search(r'<option selected value="at_least">|<option value="at_least" selected>', form)
    assert 'value="12"' in form
    # A value the engine cannot read is refused at save, with the reason, and nothing is saved.
    broken = {**started, "check_value_1": 'it\'s "odd"'}
    refused = post(logged_in, "/surveys/checks/questions/1", broken)
    assert refused.status_code == 422 and 'class="error"' in refused.get_data(as_text=True)
    # Respondents meet the check: 10 is refused with the organizer's message, 20 is kept.
    survey = load_survey_text(json.dumps(draft).encode(), "checks.json")
    refused_answer = validate_answers(survey, {"age": ["30"], "started": ["10"]})
    assert "Between 12 and your age" in str(refused_answer.errors["started"])
    assert validate_answers(survey, {"age": ["30"], "started": ["20"]}).ok
    assert not validate_answers(survey, {"age": ["15"], "started": ["20"]}).ok
