"""XLSForms whose choices or lookups are in attached files (Kobo's "media"): without the file a
form imports as a draft that names it and cannot be published; with it, its choices, cascading
filters and lookups work. Every attached file is hostile input: refused by name and reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from surveys import SurveyDefinitionError
from surveys.answers import validate_answers
from surveys.expressions import calculate
from surveys.xlsform import import_xlsform
from surveys.xlsform.limits import MAX_ATTACHMENT_BYTES, MAX_FILE_CHOICES

from .conftest import RunCli, csrf_token
from .xlsforms import UNSUPPORTED, Sheet, write

STREETS = b"list_name,name,label,district\nstreets,main,Main street,x\nstreets,river,River road,y\n"
CITIES_FORM: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label", "choice_filter", "calculation"],
        ["select_one districts", "district", "District", "", ""],
        ["select_one_from_file cities.csv", "city", "City", "district = ${district}", ""],
        ["calculate", "clinic", "", "", "pulldata('clinics', 'clinic', 'name', ${city})"],
        ["calculate", "city_label", "", "", "instance('cities')/root/item[name = ${city}]/label"],
        ["note", "where", "Your clinic: ${clinic}", "", ""],
    ],
    "choices": [
        ["list_name", "name", "label"],
        ["districts", "north", "North"],
        ["districts", "south", "South"],
    ],
    "settings": [["form_title", "form_id"], ["Cities", "cities"]],
}  # fmt: skip
CITIES = (
    "name,label,label::Macedonian (mk),district\n"
    "skopje,Skopje,Скопје,north\n"
    "tetovo,Tetovo,Тетово,north\n"
    "bitola,Bitola,Битола,south\n"
).encode()
CLINICS = b"name,clinic\nskopje,HOPS\ntetovo,Stronger Together\nbitola,Bitola centre\n"


def _import(tmp_path: Path, files: dict[str, bytes]) -> object:
    path = write(CITIES_FORM, tmp_path / "cities.xlsx")
    return import_xlsform(path.read_bytes(), "cities.xlsx", files)


def test_without_its_files_a_form_is_a_draft_that_names_each_file(tmp_path: Path) -> None:
    imported = _import(tmp_path, {})
    assert imported.survey is None  # type: ignore[attr-defined]
    assert imported.missing_files == ("cities.csv", "clinics.csv")  # type: ignore[attr-defined]
    draft = imported.definition  # type: ignore[attr-defined]
    city = next(q for q in draft["questions"] if q["name"] == "city")
    assert city["choices_file"] == "cities.csv" and "choices" not in city


def test_with_its_files_choices_filters_and_lookups_work_on_the_server(tmp_path: Path) -> None:
    imported = _import(tmp_path, {"cities.csv": CITIES, "clinics.csv": CLINICS})
    survey = imported.survey  # type: ignore[attr-defined]
    assert survey is not None and imported.missing_files == ()  # type: ignore[attr-defined]
    city = survey.by_name["city"]
    assert [c.name for c in city.choices] == ["skopje", "tetovo", "bitola"]
    assert city.choices_file == "cities.csv"
    assert dict((lang, text) for _, lang, text in city.choices[0].translations) == {"mk": "Скопје"}
    assert [c.name for c in city.choices_for({"district": "north"})] == ["skopje", "tetovo"]
    assert calculate(survey.by_name["clinic"].calculation_tree, {"city": "tetovo"}) == (
        "Stronger Together"
    )
    assert calculate(survey.by_name["city_label"].calculation_tree, {"city": "bitola"}) == "Bitola"
    checked = validate_answers(survey, {"district": ["south"], "city": ["skopje"]})
    assert "city" in checked.errors  # filtered out: Skopje is not in the south
    checked = validate_answers(survey, {"district": ["south"], "city": ["bitola"]})
    assert not checked.errors and checked.answers["clinic"] == "Bitola centre"


def test_the_cli_keeps_a_draft_and_publishes_once_the_files_are_attached(
    published: RunCli, tmp_path: Path
) -> None:
    path = write(CITIES_FORM, tmp_path / "cities.xlsx")
    result = published("surveys", "import", path)
    assert result.exit_code == 0, result.output
    assert "waits for cities.csv, clinics.csv" in result.output
    refused = published("surveys", "import", path, "--publish")
    assert refused.exit_code == 2 and "--attach" in refused.output
    (tmp_path / "cities.csv").write_bytes(CITIES)
    (tmp_path / "clinics.csv").write_bytes(CLINICS)
    attach = ["--attach", tmp_path / "cities.csv", "--attach", tmp_path / "clinics.csv"]
    done = published("surveys", "import", path, *attach, "--publish")
    assert done.exit_code == 0 and "published" in done.output, done.output


def test_the_designer_says_which_files_are_missing_and_takes_them_with_the_form(
    logged_in: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    path = write(CITIES_FORM, tmp_path / "cities.xlsx")
    token = csrf_token(logged_in.get("/surveys").get_data(as_text=True))
    data = {"csrf_token": token, "file": (io.BytesIO(path.read_bytes()), "cities.xlsx")}
    page = logged_in.post("/surveys/import", data=data, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "cities.csv" in text and "clinics.csv" in text
    designer = logged_in.get("/surveys/cities").get_data(as_text=True)
    assert "not attached yet" in designer  # a blocker: no publishing before the file is there
    data = {
        "csrf_token": token,
        "file": (io.BytesIO(path.read_bytes()), "cities.xlsx"),
        "attachments": [
            (io.BytesIO(CITIES), "cities.csv"),
            (io.BytesIO(CLINICS), "clinics.csv"),
        ],
    }
    page = logged_in.post("/surveys/import", data=data, content_type="multipart/form-data")
    assert page.status_code in (200, 302), page.get_data(as_text=True)
    designer = logged_in.get("/surveys/cities").get_data(as_text=True)
    assert "not attached yet" not in designer
    assert "Tetovo" in logged_in.get("/surveys/cities/preview").get_data(as_text=True)


def test_an_old_form_with_gps_start_and_a_file_list_imports_its_questions(
    tmp_path: Path,
) -> None:
    path = write(UNSUPPORTED, tmp_path / "old-form.xlsx")
    imported = import_xlsform(path.read_bytes(), "old-form.xlsx", {"streets.csv": STREETS})
    survey = imported.survey
    assert survey is not None
    assert [q.name for q in survey.questions] == ["name_first", "score", "place", "street"]
    text = "\n".join(imported.warnings)
    assert "row 2, column 'type': row 'start' dropped" in text
    assert "row 3, column 'type': row 'where' dropped: 'geopoint'" in text


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("cities.csv", b"\xff\xfe\x00garbage", "not UTF-8 text"),
        ("cities.csv", b"label,district\nSkopje,north\n", "no 'name' column"),
        ("cities.csv", b"name,label\n" + b"a,A\n" * (MAX_FILE_CHOICES + 1), "more than"),
        ("cities.csv", b"name,label\n" + b"x" * (MAX_ATTACHMENT_BYTES + 1), "larger than"),
        (
            "cities.csv",
            b"name,label\n" + b"a," + b"L" * 20_000 + b"\n",
            "a cell longer than",
        ),
        ("cities.csv", b"name,label\n", "no choice in it"),
    ],
    ids=["not-utf8", "no-name", "too-many", "too-large", "long-cell", "empty"],
)
def test_a_hostile_choice_file_is_refused_by_name_and_reason(
    tmp_path: Path, name: str, data: bytes, says: str
) -> None:
    with pytest.raises(SurveyDefinitionError) as caught:
        _import(tmp_path, {name: data, "clinics.csv": CLINICS})
    lines = caught.value.lines()
    assert any("the attached cities.csv" in line and says in line for line in lines), lines


@pytest.mark.parametrize(
    "xml",
    [
        # Billion laughs: entities that expand a thousand-fold at each level.
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><root><item><name>&b;</name>'
        b"<label>x</label></item></root>",
        # An external entity: a file of the server's read into a choice.
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<root><item><name>&x;</name><label>x</label></item></root>",
        b"<root><item><name>unclosed",
    ],
    ids=["entity-expansion", "external-entity", "broken"],
)
def test_an_xml_choice_file_with_entities_or_broken_is_refused(tmp_path: Path, xml: bytes) -> None:
    form = {
        "survey": [["type", "name", "label"], ["select_one_from_file places.xml", "p", "Place"]],
        "settings": [["form_title"], ["Places"]],
    }
    path = write(form, tmp_path / "places.xlsx")
    with pytest.raises(SurveyDefinitionError) as caught:
        import_xlsform(path.read_bytes(), "places.xlsx", {"places.xml": xml})
    assert any("not an XML file Glas reads" in line for line in caught.value.lines())


def test_xml_and_geojson_choice_files_are_read_as_odk_reads_them(tmp_path: Path) -> None:
    form = {
        "survey": [
            ["type", "name", "label"],
            ["select_one_from_file places.xml", "p", "Place"],
            ["select_one_from_file sites.geojson", "s", "Site"],
        ],
        "settings": [["form_title"], ["Places"]],
    }
    xml = (
        b"<root><item><name>a</name><label>Alpha</label></item>"
        b"<item><name>b</name><label>Beta</label></item></root>"
    )
    geojson = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "s1",'
        b' "geometry": {"type": "Point", "coordinates": [21.4, 42.0]},'
        b' "properties": {"title": "Drop-in centre"}}]}'
    )
    path = write(form, tmp_path / "places.xlsx")
    imported = import_xlsform(
        path.read_bytes(), "places.xlsx", {"places.xml": xml, "sites.geojson": geojson}
    )
    survey = imported.survey
    assert survey is not None
    assert [(c.name, c.label) for c in survey.by_name["p"].choices] == [
        ("a", "Alpha"),
        ("b", "Beta"),
    ]
    assert [(c.name, c.label) for c in survey.by_name["s"].choices] == [("s1", "Drop-in centre")]
    assert "21.4" not in str(survey.to_dict())  # where the site is stays out of the survey


def test_an_attached_file_no_question_reads_is_said_unused(tmp_path: Path) -> None:
    imported = _import(
        tmp_path, {"cities.csv": CITIES, "clinics.csv": CLINICS, "notes.csv": b"name\na\n"}
    )
    assert any("notes.csv is not used" in w for w in imported.warnings)  # type: ignore[attr-defined]
