"""Calculations (XLSForm ``calculate``): a value computed from the answers before it, sealed
with them, shown in the tables, readable by later rules; the same text from the server (no
JavaScript), the browser's script, and the reviewer's check."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from crypto.keys import ReviewerKey
from surveys import SurveyDefinitionError, load_survey_text
from surveys.answers import answers_document, check_document, validate_answers
from surveys.expressions import ExpressionError, calculate, parse
from surveys.model import Survey
from surveys.xlsform import read_xlsform_with_warnings
from surveys.xlsform.writer import write_xlsform

from .browsers import needs_bundle, needs_chromium, survey_page
from .conftest import ROOT, RunCli
from .helpers import LiveServer, publish_yaml, sealed_answers
from .test_skip_logic import CASES, FILTER_CASES
from .xlsforms import Sheet, write

#: (expression, answers, the text both sides must give)
CALCULATIONS: list[tuple[str, dict[str, str], str]] = [
    ("${a} * 12", {"a": "3"}, "36"),
    ("${a} * 12", {"a": ""}, ""),
    ("${a} div 3", {"a": "1"}, "0.333333333333333"),
    ("${a} div 4", {"a": "1"}, "0.25"),
    ("0.1 + 0.2", {}, "0.3"),
    ("${a} - 5", {"a": "2"}, "-3"),
    ("${a} * 1000000", {"a": "123456789"}, "123456789000000"),
    ("${a} div 1000000", {"a": "3"}, "0.000003"),
    ("if(${a} = 'yes', 'adult', 'minor')", {"a": "yes"}, "adult"),
    ("if(${a} = 'yes', 'adult', 'minor')", {}, "minor"),
    ("if(${n} >= 18, 1, 0)", {"n": "20"}, "1"),
    ("concat(${first}, ' ', ${last})", {"first": "Ana", "last": "K"}, "Ana K"),
    ("concat('n=', ${n} + 1)", {"n": "4"}, "n=5"),
    ("concat(${x})", {}, ""),
    ("coalesce(${a}, 'none')", {}, "none"),
    ("coalesce(${a}, 'none')", {"a": "x"}, "x"),
    ("round(${a})", {"a": "2.5"}, "3"),
    ("round(${a})", {"a": "-2.5"}, "-2"),
    ("round(${a}, 1)", {"a": "2.25"}, "2.3"),
    ("round(${a}, 2)", {"a": "3.14159"}, "3.14"),
    ("round(${a})", {"a": "abc"}, ""),
    ("int(${a})", {"a": "7.9"}, "7"),
    ("int(${a})", {"a": "-7.9"}, "-7"),
    ("number(${a}) + 1", {"a": " 41 "}, "42"),
    ("number(${a})", {"a": "x"}, ""),
    ("string(${a} + 0.5)", {"a": "1"}, "1.5"),
    ("selected-at(${m}, 1)", {"m": "a b c"}, "b"),
    ("selected-at(${m}, 5)", {"m": "a b c"}, ""),
    ("count-selected(${m}) * 10", {"m": "a b c"}, "30"),
    ("string-length(${t})", {"t": "Скопје"}, "6"),
    # The rest of XPath that real forms use (surveys/xpath_functions.py).
    ("int((${today} - ${born}) div 365.25)", {"today": "2026-11-27", "born": "1990-06-01"}, "36"),
    ("${d} - ${e}", {"d": "2024-03-01", "e": "2024-02-01"}, "29"),
    ("decimal-date-time(${d})", {"d": "1970-01-02T12:00"}, "1.5"),
    ("date(${d} + 30)", {"d": "2024-03-05"}, "2024-04-04"),
    ("date(${d})", {"d": "2023-02-29"}, ""),
    ("format-date(${d}, '%e %b %Y (%m/%y)')", {"d": "2024-03-05"}, "5 Mar 2024 (03/24)"),
    ("contains(${a}, 'ab')", {"a": "xaby"}, "1"),
    ("starts-with(${a}, 'Ско')", {"a": "Скопје"}, "1"),
    ("ends-with(${a}, 'x')", {"a": "Скопје"}, "0"),
    ("substr(${a}, 1, 4)", {"a": "Скопје"}, "коп"),
    ("substr(${a}, 2)", {"a": "hello"}, "llo"),
    ("substring-before(${a}, '-')", {"a": "mk-MK"}, "mk"),
    ("substring-after(${a}, '-')", {"a": "mk-MK"}, "MK"),
    ("normalize-space(${a})", {"a": "  a   b "}, "a b"),
    ("floor(${a}) + ceiling(${a})", {"a": "-2.5"}, "-5"),
    ("abs(${a})", {"a": "-7.25"}, "7.25"),
    ("pow(${a}, 3)", {"a": "2"}, "8"),
    ("pow(${a}, 0.5)", {"a": "16"}, "4"),
    ("max(${a}, ${b}, 3)", {"a": "7", "b": ""}, "7"),
    ("min(${a}, ${b})", {"a": "7", "b": "x"}, ""),
    ("boolean-from-string(${a}) + boolean(${b})", {"a": "true", "b": "x"}, "2"),
    ("regex(${p}, '^[0-9]{4}$')", {"p": "1234"}, "1"),
    ("regex(${p}, '^[0-9]{4}$')", {"p": "12a4"}, "0"),
    ("if(regex(${p}, '\\d'), 'digits', 'none')", {"p": "x9"}, "digits"),
    ("sum(${a})", {"a": "12"}, "12"),
    ("once(${a})", {"a": "kept"}, "kept"),
    ("if(selected(${m}, 'b'), count-selected(${m}), -1)", {"m": "a b"}, "2"),
    ("concat(${a}, '') = '3'", {"a": "3"}, "1"),
    ("${a} mod 7", {"a": "30"}, "2"),
    ("${a} div 0", {"a": "1"}, ""),
    ("true()", {}, "1"),
    # Numbers beyond 1e300 (or typed with an exponent past three digits) are not numbers: no
    # decimal.Overflow, no million-digit text (issue 27 G5).
    *[
        (f"{fn}(${{a}})", {"a": "1e999999999999999999"}, "")
        for fn in ("int", "round", "number", "floor", "abs", "max")
    ],
    ("${a} + 1", {"a": "1e999999"}, ""),
    ("${a} * 1", {"a": "1e301"}, ""),
    ("${a} * ${a}", {"a": "1e200"}, ""),
    ("${a} * 1", {"a": "9e299"}, "9" + "0" * 299),
    ("round(${a}, ${b})", {"a": "2.5", "b": "1e299"}, ""),
    ("pow(${a}, 1000)", {"a": "1e100"}, ""),
    ("string-length(${a})", {"a": "1" * 41}, "41"),
    ("${a} + 0", {"a": "1" * 41}, ""),
]


@pytest.mark.parametrize(("text", "values", "expected"), CALCULATIONS)
def test_calculations_give_their_text(text: str, values: dict[str, str], expected: str) -> None:
    assert calculate(parse(text), values) == expected


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (make install)")
def test_the_browser_gives_every_rule_and_calculation_the_server_gives() -> None:
    """All the rule cases at once: skip logic, constraints, choice filters and calculations."""
    cases = [["evaluate", parse(t, allow_self=True), v, c] for t, v, c, _ in CASES]
    cases += [["evaluate", parse(t, allow_columns=True), v, ""] for t, v, _ in FILTER_CASES]
    cases += [["calculate", parse(t), v, ""] for t, v, _ in CALCULATIONS]
    expected = [e for *_, e in CASES] + [e for *_, e in FILTER_CASES]
    expected += [e for *_, e in CALCULATIONS]
    assert len(cases) >= 50
    script = (
        "const logic = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([f, t, v, c]) => logic[f](t, v, c))));"
    )
    result = subprocess.run(
        ["node", "-e", script, str(ROOT / "portal/static/js/glas-logic.js")],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("regex(${a}, ${b})", "pattern in quotes"),
        ("regex(${a}, '(')", "pattern"),
        ("jr:choice-name(${a}, 'a')", "names its question"),
        ("round(1, 2, 3)", "1 or 2 values"),
        ("concat()", "takes a value"),
        ("substr(${a})", "takes 2 to 3"),
        ("today(1)", "takes 0 value"),
    ],
)
def test_a_calculation_that_cannot_be_read_says_why(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse(text)


DEFINITION = b"""
id: work
language: en
title: Your work
questions:
  - {name: years, type: integer, label: "How many years have you worked?", required: true}
  - {name: months, type: calculate, calculation: "${years} * 12"}
  - name: city
    type: select_one
    label: City
    choices: [{name: skopje, label: Skopje}, {name: bitola, label: Bitola}]
  - {name: city_name, type: calculate, calculation: "jr:choice-name(${city}, '${city}')"}
  - {name: long_time, type: text, label: "What changed over the years?", relevant: "${months} > 24"}
"""


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey_text(DEFINITION, "work.yaml")


def test_calculated_values_are_sealed_with_the_answers_and_read_by_later_rules(
    survey: Survey,
) -> None:
    sent = {"years": ["3"], "city": ["bitola"], "long_time": ["Less police."], "months": ["1"]}
    result = validate_answers(survey, sent)
    assert not result.errors
    assert result.answers == {
        "years": 3,
        "months": "36",  # a form cannot set it: it is computed
        "city": "bitola",
        "city_name": "Bitola",
        "long_time": "Less police.",
    }
    short = validate_answers(survey, {"years": ["1"], "long_time": ["dropped"]})
    assert short.answers == {"years": 1, "months": "12"}  # 12 months: the follow-up is skipped
    document = answers_document(survey.id, survey.digest(), result)
    assert check_document(survey, document) == []
    forged = {**document, "answers": {**document["answers"], "months": "999"}}
    assert any(
        "'months' is not what its calculation gives" in p for p in check_document(survey, forged)
    )


def test_without_javascript_a_rule_reading_a_calculation_waits_for_its_inputs(
    survey: Survey,
) -> None:
    assert [[q.name for q in page] for page in survey.pages] == [["years", "city"], ["long_time"]]


def test_a_calculation_of_itself_is_refused() -> None:
    broken = DEFINITION.replace(b'calculation: "${years} * 12"', b'calculation: "${months} + 1"')
    with pytest.raises(SurveyDefinitionError, match="cannot depend on itself"):
        load_survey_text(broken, "work.yaml")


def test_an_xlsform_calculation_imports_and_a_time_stamp_is_set_aside(tmp_path: Path) -> None:
    form: dict[str, Sheet] = {
        "survey": [
            ["type", "name", "label", "calculation"],
            ["integer", "age", "Age", ""],
            ["calculate", "adult", "", "if(${age} >= 18, 'yes', 'no')"],
            ["calculate", "stamp", "", "once(format-date-time(now(), '%Y'))"],
        ]
    }
    data = write(form, tmp_path / "calc.xlsx").read_bytes()
    survey, warnings = read_xlsform_with_warnings(data, "calc.xlsx")
    assert [q.name for q in survey.questions] == ["age", "adult"]
    assert survey.by_name["adult"].calculation == "if(${age} >= 18, 'yes', 'no')"
    assert any("row 4, column 'calculation': row 'stamp' dropped" in w for w in warnings)
    again, _ = read_xlsform_with_warnings(write_xlsform(survey), "exported.xlsx")
    assert again.canonical() == survey.canonical()


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
@needs_bundle
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_both_paths_seal_the_same_calculated_values(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
    javascript: bool,
) -> None:
    publish_yaml(published, tmp_path, "work", DEFINITION)
    live = live_server()
    with survey_page(live.url, "work", javascript) as page:
        page.fill("#q-years", "3")
        page.check("input[name=city][value=skopje]")
        if javascript:  # 36 months: the follow-up appears at once
            page.locator("#q-years").dispatch_event("change")
            assert page.is_visible("#q-long_time")
        else:
            page.click("form button[value=next]")
            page.wait_for_selector("#q-long_time")
        page.fill("#q-long_time", "Fewer raids.")
        page.click("form button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
    assert sealed_answers(published, reviewer[1], tmp_path, "work") == {
        "years": 3,
        "months": "36",
        "city": "skopje",
        "city_name": "Skopje",
        "long_time": "Fewer raids.",
    }
