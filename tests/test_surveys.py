"""Survey definitions: the examples load, mistakes are reported by line, answers are checked."""

from __future__ import annotations

import pytest

from surveys import SurveyDefinitionError, load_survey_file, load_survey_text
from surveys.answers import FileInfo, answers_document, validate_answers

from .conftest import EXAMPLES


@pytest.mark.parametrize("name", ["needs-assessment", "testimony"])
def test_example_surveys_load_with_every_question_answerable(name: str) -> None:
    survey = load_survey_file(EXAMPLES / f"{name}.yaml")
    assert survey.id == name and len(survey.questions) >= 8
    assert len(survey.digest()) == 64


def test_needs_assessment_covers_the_topics_a_drop_in_centre_asks_about() -> None:
    survey = load_survey_file(EXAMPLES / "needs-assessment.yaml")
    names = {q.name for q in survey.questions}
    assert {"services_wanted", "health_barriers", "feel_safe", "has_id", "languages"} <= names
    assert 13 <= len(survey.questions) <= 17


def test_digest_changes_with_any_wording_change() -> None:
    text = (EXAMPLES / "testimony.yaml").read_bytes()
    assert (
        load_survey_text(text).digest()
        != load_survey_text(text.replace(b"Police", b"Cops")).digest()
    )


def errors_of(text: str) -> list[str]:
    with pytest.raises(SurveyDefinitionError) as caught:
        load_survey_text(text.encode(), "form.yaml")
    return caught.value.lines()


def test_every_problem_is_reported_with_file_and_line() -> None:
    lines = errors_of(
        "id: ok\n"
        "title: A survey\n"
        "questions:\n"
        "  - name: a\n"
        "    type: texxt\n"
        "    label: A\n"
        "  - name: b\n"
        "    type: integer\n"
        "    label: B\n"
        "    min: lots\n"
        "  - name: c\n"
        "    type: select_one\n"
        "    label: C\n"
    )
    assert "form.yaml:5: unknown question type 'texxt'" in lines[0]
    assert lines[1].startswith("form.yaml:10: 'min'")
    assert lines[2].startswith("form.yaml:11:") and "choices" in lines[2]


def test_yaml_syntax_error_names_the_line() -> None:
    assert errors_of("id: x\ntitle: t\nquestions: [\n  - a\n")[0].startswith(
        "form.yaml:4: syntax error"
    )


def test_json_definitions_are_read_too() -> None:
    survey = load_survey_text(
        b'{"id": "j", "title": "T", "questions": [{"name": "q", "type": "text", "label": "Q"}]}'
    )
    assert survey.questions[0].type == "text"


def test_duplicate_and_reserved_names_are_refused() -> None:
    lines = errors_of(
        "id: d\ntitle: T\nquestions:\n"
        "  - {name: q, type: text, label: Q}\n"
        "  - {name: q, type: text, label: Q2}\n"
        "  - {name: csrf_token, type: text, label: R}\n"
    )
    assert any("repeats" in line for line in lines) and any("reserved" in line for line in lines)


@pytest.fixture
def testimony():  # type: ignore[no-untyped-def]
    return load_survey_file(EXAMPLES / "testimony.yaml")


def test_valid_answers_are_typed_and_multi_select_keeps_definition_order(testimony) -> None:  # type: ignore[no-untyped-def]
    result = validate_answers(
        testimony,
        {
            "what_happened": ["He took my documents.\r\nThen he left."],
            "who": ["client", "police"],
            "month": ["2024", "03"],  # the two selects: year, then month
        },
    )
    assert result.ok, result.errors
    assert result.answers["month"] == "2024-03"  # a month, never a day
    assert result.answers["who"] == ["police", "client"]
    assert result.answers["what_happened"] == "He took my documents.\nThen he left."


@pytest.mark.parametrize(
    ("form", "question", "message"),
    [
        ({"who": ["police"]}, "what_happened", "needs an answer"),
        ({"what_happened": ["short"], "who": ["police"]}, "what_happened", "at least 10"),
        ({"what_happened": ["long enough text"], "who": ["martians"]}, "who", "options shown"),
        (
            {"what_happened": ["long enough text"], "who": ["police"], "month": ["1999", "12"]},
            "month",
            "2000-01 or later",
        ),
        (
            {"what_happened": ["long enough text"], "who": ["police"], "month": ["2024-03-15"]},
            "month",
            "a month and a year",
        ),
    ],
)
def test_invalid_answers_get_a_message_for_the_respondent(
    testimony, form, question, message
) -> None:  # type: ignore[no-untyped-def]
    result = validate_answers(testimony, form)
    assert message in str(result.errors[question])


@pytest.mark.parametrize("sent", [["2024"], ["", "03"], ["2024", "13"], ["March"], ["2024-3"]])
def test_a_month_needs_both_selects_and_never_takes_a_day(testimony, sent) -> None:  # type: ignore[no-untyped-def]
    form = {"what_happened": ["long enough text"], "who": ["police"], "month": sent}
    result = validate_answers(testimony, form)
    assert "month" in result.errors and "month" not in result.answers


def test_numbers_respect_their_limits() -> None:
    survey = load_survey_file(EXAMPLES / "needs-assessment.yaml")
    base = {"services_wanted": ["condoms"]}
    assert (
        validate_answers(survey, {**base, "visits_per_month": ["4"]}).answers["visits_per_month"]
        == 4
    )

    def error(value: str) -> str:
        return str(
            validate_answers(survey, {**base, "visits_per_month": [value]}).errors.get(
                "visits_per_month"
            )
        )

    assert "at most 31" in error("40") and "whole number" in error("4.5")


def test_files_are_checked_against_accept_and_count(testimony) -> None:  # type: ignore[no-untyped-def]
    base = {"what_happened": ["long enough text"], "who": ["police"]}
    photo = FileInfo("a.jpg", "image/jpeg", 10, 0)
    script = FileInfo("run.sh", "text/x-sh", 10, 1)
    assert validate_answers(testimony, base, {"evidence": [photo]}).ok

    def error(files: list[FileInfo]) -> str:
        return str(validate_answers(testimony, base, {"evidence": files}).errors.get("evidence"))

    assert "only files of these kinds" in error([photo, script])
    assert "at most 5" in error([FileInfo(f"{i}.jpg", "image/jpeg", 1, i) for i in range(6)])


def test_answers_document_carries_file_names_only_inside(testimony) -> None:  # type: ignore[no-untyped-def]
    result = validate_answers(
        testimony,
        {"what_happened": ["long enough text"], "who": ["police"]},
        {"evidence": [FileInfo("bruise.jpg", "image/jpeg", 10, 0)]},
    )
    document = answers_document("testimony", "v" * 64, result)
    assert document["files"] == [
        {"question": "evidence", "part": 0, "name": "bruise.jpg", "type": "image/jpeg", "size": 10}
    ]
    assert "received" not in document and "time" not in str(document)


def test_yaml_traps_in_choices_are_reported_not_shown_as_true() -> None:
    lines = errors_of(
        "id: t\ntitle: T\nquestions:\n  - name: q\n    type: select_one\n    label: Q\n"
        "    choices:\n"
        "      - {name: a, label: Yes, slightly}\n"  # the comma ends the label: 'Yes' and a key
        "      - {name: b, label: No}\n"
    )
    assert any("8:" in line and "unknown choice field 'slightly'" in line for line in lines)
    assert any("reads as true/false" in line for line in lines)


@pytest.mark.parametrize("name", ["needs-assessment", "testimony"])
def test_example_choice_labels_are_text_as_written(name: str) -> None:
    survey = load_survey_file(EXAMPLES / f"{name}.yaml")
    labels = [c.label for q in survey.questions for c in q.choices]
    assert "True" not in labels and "False" not in labels
    assert all(label.strip() for label in labels)


def test_escaped_emoji_in_json_come_back_whole_and_half_characters_are_refused() -> None:
    """PyYAML reads JSON's "\\ud83d\\ude00" as two halves; a page could not show them (a 500
    found by tests/test_organizer_fuzz.py)."""
    note = '{"name": "a", "type": "note", "label": "x"}'
    text = '{"id": "e", "title": "\\ud83d\\ude00 ok", "questions": [' + note + "]}"
    assert load_survey_text(text.encode()).title == "😀 ok"
    with pytest.raises(SurveyDefinitionError, match="half of a character"):
        load_survey_text(text.replace("\\ude00", "").encode())
