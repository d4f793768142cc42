"""XLSForms as Kobo and ODK write them: read every spelling, set aside what Glas does not use or
must not record (each with a warning by sheet, row and column), refuse only what would lose
meaning."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from surveys import SurveyDefinitionError
from surveys.languages import language_code
from surveys.xlsform import load_xlsform_with_warnings, read_xlsform_with_warnings
from surveys.xlsform.writer import write_xlsform

from .conftest import RunCli, csrf_token
from .xlsforms import KOBO_NEW, ODK_OLD, Sheet, write

DROPPED = ("start", "end", "today", "deviceid", "phonenumber", "username", "location")


def test_a_new_kobo_form_imports_with_its_metadata_and_gps_rows_set_aside(tmp_path: Path) -> None:
    survey, warnings = load_xlsform_with_warnings(write(KOBO_NEW, tmp_path / "kobo.xlsx"))
    names = [q.name for q in survey.questions]
    assert not set(DROPPED) & set(names)
    assert names == [
        "consent", "services", "place", "place_other", "visits", "story", "voice", "card"
    ]  # fmt: skip
    assert survey.language == "en" and "mk" in survey.languages
    assert survey.by_name["consent"].type == "select_one"  # translated: its own labels kept
    place = survey.by_name["place"]
    assert [c.name for c in place.choices] == ["street", "flat", "other"]
    assert survey.by_name["place_other"].relevant == "selected(${place}, 'other')"
    assert survey.by_name["voice"].type == "file" and survey.by_name["voice"].accept == ("audio/*",)
    assert survey.by_name["card"].type == "text"
    assert survey.by_name["story"].type == "textarea"
    text = "\n".join(warnings)
    for row, name in zip(range(2, 8), DROPPED, strict=False):
        assert f"survey sheet, row {row}, column 'type': row '{name}' dropped" in text
    assert "row 15, column 'type': row 'location' dropped: 'geopoint' records where" in text
    # Nothing unknown is dropped silently: each setting, column and appearance is named.
    for setting in ("public_key", "submission_url", "instance_name"):
        assert f"settings sheet, row 2, column '{setting}': ignored" in text
    for column in ("bind::oc:itemgroup", "image", "$given_name"):
        assert f"column '{column}': column ignored" in text
    for column in ("image", "order"):
        assert f"choices sheet, column '{column}': column ignored" in text
    assert "'minimal' ignored" in text and "'horizontal' ignored" in text
    assert "'barcode': a barcode is read as a text answer" in text
    assert text.count("column 'bind::oc:itemgroup'") == 1  # one warning per column, not per row
    again, more = read_xlsform_with_warnings(write_xlsform(survey), "exported.xlsx")
    assert again.canonical() == survey.canonical() and more == []  # the round trip keeps all


def test_an_old_odk_form_with_single_colons_and_language_names_imports(tmp_path: Path) -> None:
    survey, warnings = load_xlsform_with_warnings(write(ODK_OLD, tmp_path / "odk.xlsx"))
    assert warnings == []
    assert survey.language == "en" and survey.languages == ["en", "sq"]
    safe = survey.by_name["safe"]
    assert [c.label for c in safe.choices] == ["Mostly", "Not really"]
    assert dict((lang, text) for field, lang, text in safe.translations if field == "label") == {
        "sq": "A ndiheni të sigurt?"
    }


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("English (en)", "en"),
        ("english_(en)", "en"),
        ("English", "en"),
        ("Macedonian", "mk"),
        ("македонски", "mk"),
        ("Shqip", "sq"),
        ("Chinese", "zh"),
        ("Português", "pt"),
        ("sw", "sw"),
        ("Klingon", "tlh"),
        ("Tetun", "tet"),
        ("Dari", "fa-AF"),
        ("Martian", ""),
        ("Serbian (sr-Latn)", "sr-Latn"),
        ("Bad (not a code)", ""),
    ],
)
def test_languages_are_read_by_name_code_or_both(written: str, code: str) -> None:
    assert language_code(written) == code


def test_a_language_no_one_can_name_is_kept_under_a_code_the_organizers_can_change(
    tmp_path: Path,
) -> None:
    form: dict[str, Sheet] = {
        "survey": [["type", "name", "label::English", "label::Martian"], ["text", "a", "A", "Q"]]
    }
    survey, warnings = load_xlsform_with_warnings(write(form, tmp_path / "k.xlsx"))
    assert survey.languages == ["en", "x-martian"]
    assert any("column 'label::Martian': 'Martian' is no language Glas can name" in line
               and "'x-martian'" in line for line in warnings)  # fmt: skip


def test_import_lists_the_warnings_and_succeeds(
    run_cli: RunCli, logged_in: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    path = write(KOBO_NEW, tmp_path / "kobo.xlsx")
    result = run_cli("surveys", "import", path)
    assert result.exit_code == 0, result.output
    assert "warning: kobo.xlsx: survey sheet, row 2, column 'type': row 'start' dropped" in (
        result.output
    )
    token = csrf_token(logged_in.get("/surveys").get_data(as_text=True))
    data = {"csrf_token": token, "file": (io.BytesIO(path.read_bytes()), "kobo.xlsx")}
    page = logged_in.post("/surveys/import", data=data, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "set aside" in text and "geopoint" in text
    assert "/surveys/outreach" in text  # on to the designer, to check and publish


def test_acknowledge_is_one_ok_to_tick(tmp_path: Path) -> None:
    form: dict[str, Sheet] = {
        "survey": [
            ["type", "name", "label", "required"],
            ["acknowledge", "read_rules", "I have read how my answers are protected", "yes"],
        ]
    }
    survey, warnings = load_xlsform_with_warnings(write(form, tmp_path / "ack.xlsx"))
    question = survey.by_name["read_rules"]
    assert question.type == "select_one" and [c.name for c in question.choices] == ["OK"]
    assert question.required and warnings == []


# Things pyxform accepts that a form from the field may carry: Enketo themes, parameters Glas
# has no use for, ranges that are not five-point scales, hints on groups, the old "trigger",
# names with dots and dashes, pyxform's other column names, and the XPath of dates and text.
FIELD_FORM: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label", "hint", "relevance", "jr:constraintMsg", "constraint",
         "parameters", "calculation"],
        ["begin group", "a.1", "About you", "A few questions", "", "", "", "", ""],
        ["date", "born-on", "When were you born?", "", "", "Not in the future",
         ". <= today()", "", ""],
        ["calculate", "age", "", "", "", "", "", "", "int((today() - ${born-on}) div 365.25)"],
        ["text", "city", "Where do you live?", "", "${age} >= 18", "", "", "", ""],
        ["select_one yn", "works", "Do you work?", "", "", "", "", "randomize=true", ""],
        ["range", "hours", "Hours a week", "", "", "", "", "start=0 end=80 step=1", ""],
        ["range", "worry", "How worried?", "", "", "", "", "start=0 end=1 step=0.25", ""],
        ["range", "trust", "Trust", "", "", "", "", "start=1 end=5", ""],
        ["end group", "", "", "", "", "", "", "", ""],
        ["image", "card", "A photo of your card", "", "contains(${city}, 'Sk')", "", "",
         "max-pixels=1024", ""],
        ["trigger", "ok", "I understand", "", "", "", "", "", ""],
        ["calculate", "when", "", "", "", "", "", "", "format-date(${born-on}, '%b %Y')"],
    ],
    "choices": [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]],
    "settings": [["form_title", "form_id", "style"], ["Field form", "field", "pages theme-grid"]],
}  # fmt: skip


def test_what_pyxform_accepts_from_the_field_imports_with_warnings(tmp_path: Path) -> None:
    survey, warnings = load_xlsform_with_warnings(write(FIELD_FORM, tmp_path / "field.xlsx"))
    assert survey.paged
    by = survey.by_name
    assert by["born-on"].constraint == ". <= today()"
    assert by["born-on"].constraint_message == "Not in the future"
    assert by["city"].relevant == "${age} >= 18"
    assert (by["hours"].type, by["hours"].minimum, by["hours"].maximum) == ("integer", "0", "80")
    assert (by["worry"].type, by["worry"].minimum, by["worry"].maximum) == ("decimal", "0", "1")
    assert by["trust"].type == "scale" and by["ok"].choices[0].name == "OK"
    assert by["card"].type == "file" and survey.group_by_name["a.1"].label == "About you"
    text = "\n".join(warnings)
    for expected in (
        "settings sheet, row 2, column 'style': 'theme-grid' set aside",
        "row 2, column 'hint': set aside: it does not apply to a group",
        "row 6, column 'parameters': set aside: 'randomize=true'",
        "row 7, column 'type': a range from 0 to 80 in steps of 1 is read as a number",
        "row 8, column 'type': a range from 0 to 1 in steps of 0.25",
        "row 11, column 'parameters': set aside: 'max-pixels=1024'",
    ):
        assert expected in text, text
    assert len(warnings) == 6
    again, _ = read_xlsform_with_warnings(write_xlsform(survey), "exported.xlsx")
    assert again.canonical() == survey.canonical()


def test_rank_and_hidden_import_keeping_their_meaning(tmp_path: Path) -> None:
    """pyxform accepts them: a ranking is read as one choice per place, each different; a
    hidden value as a calculation of its default."""
    sheets: dict[str, Sheet] = {
        "survey": [
            ["type", "name", "label", "required", "default"],
            ["rank needs", "priority", "Put these in order", "yes", ""],
            ["hidden", "centre", "", "", "Skopje"],
            ["text", "why", "Why?", "", ""],
        ],
        "choices": [
            ["list_name", "name", "label"],
            ["needs", "health", "Health"],
            ["needs", "legal", "Legal help"],
            ["needs", "housing", "Housing"],
        ],
        "settings": [["form_title", "form_id"], ["Ranks", "ranks"]],
    }
    survey, warnings = load_xlsform_with_warnings(write(sheets, tmp_path / "ranks.xlsx"))
    names = [q.name for q in survey.questions]
    assert names == ["priority_1", "priority_2", "priority_3", "centre", "why"]
    third = survey.by_name["priority_3"]
    assert third.label == "Put these in order (3)" and third.required
    assert third.constraint == "${priority_1} != . and ${priority_2} != ."
    assert survey.by_name["centre"].type == "calculate"
    assert survey.by_name["centre"].calculation == "'Skopje'"
    text = "\n".join(warnings)
    assert "'rank' is read as 3 choices in order" in text and "'hidden' is read as" in text
    sent = {"priority_1": ["legal"], "priority_2": ["legal"], "priority_3": ["health"]}
    from surveys.answers import validate_answers

    validated = validate_answers(survey, sent)
    assert set(validated.errors) == {"priority_2"}
    assert validate_answers(survey, {**sent, "priority_2": ["housing"]}).answers["centre"] == (
        "Skopje"
    )


@pytest.mark.parametrize(
    ("rows", "where", "says"),
    [
        ([["select_one places", "p", "P", "search('places')", ""]], "row 2, column 'appearance'",
         "looked up in a file"),
        ([["text", "earlier", "E", "", ""], ["select_one ${earlier}", "p", "P", "", ""]],
         "row 3, column 'type'", "earlier answers"),
    ],
)  # fmt: skip
def test_what_cannot_keep_its_meaning_is_refused_by_row_column_and_why(
    tmp_path: Path, rows: list[list[str]], where: str, says: str
) -> None:
    sheets: dict[str, Sheet] = {
        "survey": [["type", "name", "label", "appearance", "calculation"], *rows],
        "choices": [["list_name", "name", "label"], ["places", "a", "A"]],
        "settings": [["form_title"], ["Refused"]],
    }
    with pytest.raises(SurveyDefinitionError) as caught:
        load_xlsform_with_warnings(write(sheets, tmp_path / "refused.xlsx"))
    lines = caught.value.lines()
    assert any(where in line and says in line for line in lines), lines
