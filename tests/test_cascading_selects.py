"""Cascading selects (XLSForm ``choice_filter``): a later question offers only the choices that
fit an earlier answer — the server without JavaScript (the question moves to the next page and
shows only those), the browser live with it, and the same check in the reviewer's tools."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crypto.keys import ReviewerKey
from surveys import SurveyDefinitionError, load_survey_text
from surveys.answers import answers_document, check_document, validate_answers
from surveys.model import Survey
from surveys.xlsform import read_xlsform_with_warnings
from surveys.xlsform.writer import write_xlsform

from .browsers import needs_bundle, needs_chromium, survey_page
from .conftest import RunCli
from .helpers import LiveServer, publish_yaml, sealed_answers
from .xlsforms import Sheet, write

DEFINITION = b"""
id: where
language: en
title: Where do you work?
questions:
  - name: region
    type: select_one
    label: Region
    required: true
    choices:
      - {name: north, label: North}
      - {name: south, label: South}
  - name: city
    type: select_one
    label: City
    required: true
    choice_filter: region = ${region}
    choices:
      - {name: skopje, label: Skopje, columns: {region: north}}
      - {name: tetovo, label: Tetovo, columns: {region: north}}
      - {name: bitola, label: Bitola, columns: {region: south}}
  - name: places
    type: select_multiple
    label: Places
    choice_filter: region = ${region} or region = 'any'
    choices:
      - {name: street, label: Street, columns: {region: any}}
      - {name: port, label: Port, columns: {region: south}}
"""

XLSFORM: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label", "required", "choice_filter"],
        ["select_one regions", "region", "Region", "yes", ""],
        ["select_one cities", "city", "City", "yes", "region=${region}"],
    ],
    "choices": [
        ["list_name", "name", "label", "region"],
        ["regions", "north", "North", ""],
        ["regions", "south", "South", ""],
        ["cities", "skopje", "Skopje", "north"],
        ["cities", "bitola", "Bitola", "south"],
    ],
}


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey_text(DEFINITION, "where.yaml")


def test_only_the_choices_that_fit_are_offered_and_accepted(survey: Survey) -> None:
    city = survey.by_name["city"]
    assert [c.name for c in city.choices_for({"region": "north"})] == ["skopje", "tetovo"]
    assert [c.name for c in city.choices_for({})] == []
    good = validate_answers(survey, {"region": ["south"], "city": ["bitola"], "places": ["port"]})
    assert not good.errors
    bad = validate_answers(survey, {"region": ["north"], "city": ["bitola"], "places": ["port"]})
    assert "earlier answers" in str(bad.errors["city"]) and "places" in bad.errors


def test_without_javascript_the_filtered_question_comes_on_a_later_page(survey: Survey) -> None:
    assert [[q.name for q in page] for page in survey.pages] == [["region"], ["city", "places"]]


def test_the_reviewer_flags_a_choice_the_filter_never_offered(survey: Survey) -> None:
    sent = validate_answers(survey, {"region": ["north"], "city": ["skopje"]})
    document = answers_document(survey.id, survey.digest(), sent)
    assert check_document(survey, document) == []
    forged = {**document, "answers": {"region": "north", "city": "bitola"}}
    assert any("'city'" in p and "earlier answers" in p for p in check_document(survey, forged))


def test_a_filter_must_read_columns_the_choices_have() -> None:
    broken = DEFINITION.replace(
        b"choice_filter: region = ${region}\n", b"choice_filter: area = ${region}\n"
    )
    with pytest.raises(SurveyDefinitionError, match="reads 'area', a column no choice has"):
        load_survey_text(broken, "where.yaml")


def test_an_xlsform_with_cascading_selects_imports_and_round_trips(tmp_path: Path) -> None:
    data = write(XLSFORM, tmp_path / "cascade.xlsx").read_bytes()
    survey, warnings = read_xlsform_with_warnings(data, "cascade.xlsx")
    assert warnings == []  # the region column of the choices is used, not set aside
    city = survey.by_name["city"]
    assert city.choice_filter == "region=${region}"
    assert [c.columns for c in city.choices] == [(("region", "north"),), (("region", "south"),)]
    again, _ = read_xlsform_with_warnings(write_xlsform(survey), "exported.xlsx")
    assert again.canonical() == survey.canonical()


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
@needs_bundle
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_respondent_picks_a_region_then_a_city_in_chromium(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
    javascript: bool,
) -> None:
    publish_yaml(published, tmp_path, "where", DEFINITION)
    live = live_server()
    with survey_page(live.url, "where", javascript) as page:
        if javascript:
            assert page.is_hidden("input[name=city][value=skopje]")  # no region yet
        page.check("input[name=region][value=north]")
        if not javascript:
            page.click("form button[value=next]")
            page.wait_for_selector("input[name=city]", state="attached")
        assert page.is_visible("input[name=city][value=skopje]")
        assert page.is_hidden("input[name=city][value=bitola]")
        assert page.is_hidden("input[name=places][value=port]")
        if javascript:  # changing the region changes the offer at once
            page.check("input[name=region][value=south]")
            assert page.is_visible("input[name=city][value=bitola]")
            assert page.is_hidden("input[name=city][value=skopje]")
            page.check("input[name=region][value=north]")
        page.check("input[name=city][value=tetovo]")
        page.check("input[name=places][value=street]")
        page.click("form button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
    assert sealed_answers(published, reviewer[1], tmp_path, "where") == {
        "region": "north",
        "city": "tetovo",
        "places": ["street"],
    }
