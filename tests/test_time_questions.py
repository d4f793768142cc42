"""Time and date-with-time questions (XLSForm ``time`` and ``datetime``): when something
happened, as the respondent tells it, to the minute; checked alike by the server, the browser's
script and the reviewer's tools."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crypto.keys import ReviewerKey
from surveys import load_survey_text
from surveys.answers import answers_document, check_document, validate_answers
from surveys.model import Survey

from .browsers import needs_bundle, needs_chromium, survey_page
from .conftest import RunCli
from .helpers import LiveServer, publish_yaml, sealed_answers
from .xlsforms import write

DEFINITION = b"""
id: incident
language: en
title: When did it happen?
questions:
  - {name: at, type: datetime, label: "When did it happen?", required: true}
  - {name: usually, type: time, label: "At what time do you usually start work?"}
"""


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey_text(DEFINITION, "incident.yaml")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ({"at": ["2024-05-31T14:30"], "usually": ["21:05"]}, ("2024-05-31T14:30", "21:05")),
        ({"at": ["2024-05-31 14:30:59"], "usually": ["21:05:07"]}, ("2024-05-31T14:30", "21:05")),
        ({"at": ["2024-05-31T00:00"]}, ("2024-05-31T00:00", None)),
    ],
)
def test_times_are_kept_to_the_minute(
    survey: Survey, sent: dict[str, list[str]], kept: tuple[str, str | None]
) -> None:
    result = validate_answers(survey, sent)
    assert not result.errors
    assert (result.answers["at"], result.answers.get("usually")) == kept


@pytest.mark.parametrize(
    ("sent", "question", "message"),
    [
        ({"at": ["2024-02-30T10:00"]}, "at", "a date and a time"),
        ({"at": ["2024-05-31"]}, "at", "a date and a time"),
        ({"at": ["31.05.2024 14:30"]}, "at", "a date and a time"),
        ({"at": ["2024-05-31T24:00"]}, "at", "a date and a time"),
        ({"at": ["2024-05-31T10:00"], "usually": ["25:00"]}, "usually", "a time like 14:30"),
        ({"at": ["2024-05-31T10:00"], "usually": ["9:5"]}, "usually", "a time like 14:30"),
        ({"at": ["2024-05-31T10:00"], "usually": ["noon"]}, "usually", "a time like 14:30"),
    ],
)
def test_anything_else_gets_a_message(
    survey: Survey, sent: dict[str, list[str]], question: str, message: str
) -> None:
    assert message in str(validate_answers(survey, sent).errors[question])


def test_the_reviewer_flags_a_time_no_form_would_send(survey: Survey) -> None:
    good = answers_document(
        survey.id, survey.digest(), validate_answers(survey, {"at": ["2024-05-31T14:30"]})
    )
    assert check_document(survey, good) == []
    forged = {**good, "answers": {"at": "2024-05-31T14:30", "usually": "7 pm"}}
    assert any("'usually'" in p for p in check_document(survey, forged))


def test_xlsform_time_and_datetime_rows_import(tmp_path: Path) -> None:
    from surveys.xlsform import load_xlsform

    form = {
        "survey": [
            ["type", "name", "label"],
            ["datetime", "at", "When did it happen?"],
            ["time", "usually", "Usual start?"],
        ]
    }
    survey = load_xlsform(write(form, tmp_path / "t.xlsx"))
    assert [q.type for q in survey.questions] == ["datetime", "time"]


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
@needs_bundle
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_respondent_gives_a_time_in_chromium(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
    javascript: bool,
) -> None:
    publish_yaml(published, tmp_path, "incident", DEFINITION)
    live = live_server()
    with survey_page(live.url, "incident", javascript) as page:
        page.fill("#q-at", "2024-05-31T14:30")
        page.fill("#q-usually", "21:05")
        page.click("form button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
    assert sealed_answers(published, reviewer[1], tmp_path, "incident") == {
        "at": "2024-05-31T14:30",
        "usually": "21:05",
    }
