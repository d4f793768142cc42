"""What real forms from the field carry, read as pyxform reads it (issue 30): the older type
spellings, capitals in form_id, choice names with spaces and accents, duplicates a form allows,
the same name under two groups, legacy .xls, languages without a code, loops and external
choices. Each imports; what Glas changes on the way is said in a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys import SurveyDefinitionError
from surveys.answers import validate_answers
from surveys.xlsform import import_xlsform
from surveys.xlsform.cage import Limits

from .xlsforms import Sheet, write, write_xls

OLD_KOBO: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label::English", "label::Tetun", "required", "relevant"],
        ["start", "start", "", "", "", ""],
        ["imei", "imei", "", "", "", ""],
        ["gps", "where", "Where?", "Iha ne'ebé?", "", ""],
        ["select one from yes_no", "consent", "Do you agree?", "Ita konkorda?", "yes", ""],
        ["select all that apply from services", "services", "Services", "Servisu", "", ""],
        ["select_one kinds", "kind", "Kind", "Tipu", "", ""],
        ["select_one places or_other", "place", "Place", "Fatin", "", ""],
        ["string", "nick", "A name we may call you", "Naran", "", ""],
        ["photo", "card", "Your card", "Kartaun", "", ""],
        ["dateTime", "when", "When?", "Bainhira?", "", ""],
        ["note", "", "Thank you", "Obrigadu", "", ""],
        ["begin group", "household", "Household", "Uma-kain", "", ""],
        ["integer", "age", "Age", "Idade", "", ""],
        ["end group", "", "", "", "", ""],
        ["begin repeat", "children", "Children", "Oan sira", "", ""],
        ["integer", "age", "Age", "Idade", "", ""],
        ["end repeat", "", "", "", "", ""],
        ["integer", "età", "Age of the eldest", "Idade", "", "${consent} = 'yes'"],
    ],
    "choices": [
        ["list_name", "name", "label::English", "label::Tetun"],
        ["yes_no", "yes", "Yes", "Sin"],
        ["yes_no", "no", "No", "Lae"],
        ["services", "santé", "Health care", "Saúde"],
        ["services", "légal&social", "Legal & social", "Legal"],
        ["services", "l'abri", "Shelter", "Abrigu"],
        ["kinds", "health care", "Health care", "Saúde"],
        ["kinds", "x" * 80, "A very long code", "Kódigu"],
        ["places", "street", "Street", "Dalan"],
        ["places", "street", "Road", "Estrada"],
    ],
    "settings": [
        ["form_title", "form_id", "default_language", "allow_choice_duplicates"],
        ["Old Kobo form", "liberiaStdForm", "English", "yes"],
    ],
}


@pytest.fixture(scope="module")
def old_kobo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(OLD_KOBO, tmp_path_factory.mktemp("forms") / "liberia.xlsx")


def test_an_older_kobo_form_imports_with_what_glas_changes_said(old_kobo: Path) -> None:
    imported = import_xlsform(old_kobo.read_bytes(), "liberia.xlsx")
    survey = imported.survey
    assert survey is not None
    assert survey.id == "liberiastdform" and survey.languages == ["en", "tet"]
    by = survey.by_name
    assert [q.name for q in survey.questions] == [
        "consent",
        "services",
        "kind",
        "place",
        "place_other",
        "nick",
        "card",
        "when",
        "generated_note_name_12",
        "age",
        "children_age",
        "eta",
    ]
    assert by["consent"].type == "select_one" and by["consent"].required
    assert by["services"].type == "select_multiple"
    assert [c.name for c in by["services"].choices] == ["santé", "légal&social", "l'abri"]
    assert [c.name for c in by["kind"].choices] == ["health care", "x" * 80]
    assert [c.name for c in by["place"].choices] == ["street", "street", "other"]
    assert by["card"].type == "file" and by["when"].type == "datetime" and by["nick"].type == "text"
    assert by["children_age"].group == "children" and by["age"].group == "household"
    assert by["eta"].relevant == "${consent} = 'yes'"
    text = "\n".join(imported.warnings)
    for said in (
        "settings sheet, row 2, column 'form_id': 'liberiaStdForm' is read as 'liberiastdform'",
        "row 3, column 'type': row 'imei' dropped",
        "row 4, column 'type': row 'where' dropped: 'gps' records where",
        "row 17, column 'name': 'age' is kept as 'children_age' (the name is used more than once",
        "row 19, column 'name': 'età' is kept as 'eta'",
    ):
        assert said in text, text
    sent = {"services": ["légal&social", "l'abri"], "kind": ["health care"], "consent": ["yes"]}
    chosen = validate_answers(survey, sent)
    assert not chosen.errors and chosen.answers["services"] == ["légal&social", "l'abri"]
    assert chosen.answers["kind"] == "health care"


def test_an_xls_workbook_gives_the_same_survey_as_its_xlsx(old_kobo: Path, tmp_path: Path) -> None:
    legacy = write_xls(OLD_KOBO, tmp_path / "liberia.xls")
    from_xls = import_xlsform(legacy.read_bytes(), "liberia.xls")
    from_xlsx = import_xlsform(old_kobo.read_bytes(), "liberia.xlsx")
    assert from_xls.survey is not None and from_xlsx.survey is not None
    assert from_xls.survey.canonical() == from_xlsx.survey.canonical()


def test_a_loop_is_read_as_one_group_per_choice(tmp_path: Path) -> None:
    form: dict[str, Sheet] = {
        "survey": [
            ["type", "name", "label"],
            ["begin loop over services", "used", "About %(label)s"],
            ["integer", "times", "How often did you use %(label)s?"],
            ["end loop", "", ""],
        ],
        "choices": [
            ["list_name", "name", "label"],
            ["services", "clinic", "the clinic"],
            ["services", "lawyer", "a lawyer"],
        ],
        "settings": [["form_title"], ["Loops"]],
    }
    imported = import_xlsform(write(form, tmp_path / "loop.xlsx").read_bytes(), "loop.xlsx")
    survey = imported.survey
    assert survey is not None
    assert [g.name for g in survey.groups] == ["used_clinic", "used_lawyer"]
    assert [g.label for g in survey.groups] == ["About the clinic", "About a lawyer"]
    assert [q.label for q in survey.questions] == [
        "How often did you use the clinic?",
        "How often did you use a lawyer?",
    ]


def test_external_choices_are_read_from_their_sheet(tmp_path: Path) -> None:
    form: dict[str, Sheet] = {
        "survey": [
            ["type", "name", "label", "choice_filter"],
            ["select_one regions", "region", "Region", ""],
            ["select_one_external towns", "town", "Town", "region=${region}"],
        ],
        "choices": [
            ["list_name", "name", "label"],
            ["regions", "east", "East"],
            ["regions", "west", "West"],
        ],
        "external_choices": [
            ["list_name", "name", "label", "region"],
            ["towns", "stip", "Štip", "east"],
            ["towns", "ohrid", "Ohrid", "west"],
        ],
        "settings": [["form_title"], ["Towns"]],
    }
    imported = import_xlsform(write(form, tmp_path / "towns.xlsx").read_bytes(), "towns.xlsx")
    assert imported.survey is not None
    town = imported.survey.by_name["town"]
    assert [c.name for c in town.choices_for({"region": "west"})] == ["ohrid"]


def test_a_form_with_only_locations_is_refused_saying_so(tmp_path: Path) -> None:
    form: dict[str, Sheet] = {
        "survey": [["type", "name", "label"], ["start", "start", ""], ["geopoint", "here", "Here"]],
        "settings": [["form_title"], ["Where"]],
    }
    with pytest.raises(SurveyDefinitionError) as caught:
        import_xlsform(write(form, tmp_path / "gps.xlsx").read_bytes(), "gps.xlsx")
    assert "nothing is left to ask once the rows that would identify or locate" in str(caught.value)


def test_a_rule_reading_a_row_set_aside_reads_it_as_empty(tmp_path: Path) -> None:
    form: dict[str, Sheet] = {
        "survey": [
            ["type", "name", "label", "relevant"],
            ["username", "username", "", ""],
            ["note", "hello", "Hello, enumerator", "${username} != ''"],
            ["text", "story", "Your story", ""],
        ],
        "settings": [["form_title"], ["Users"]],
    }
    imported = import_xlsform(write(form, tmp_path / "u.xlsx").read_bytes(), "u.xlsx")
    assert imported.survey is not None
    assert imported.survey.by_name["hello"].relevant == "'' != ''"
    assert any("it reads 'username', a row set aside" in w for w in imported.warnings)


def test_a_calculation_made_for_another_app_is_set_aside_not_the_form(tmp_path: Path) -> None:
    form: dict[str, Sheet] = {
        "survey": [
            ["type", "name", "label", "calculation", "relevant"],
            ["calculate", "days", "", "cht:difference-in-days(${when}, today())", ""],
            ["date", "when", "When?", "", ""],
            ["note", "late", "That was long ago", "", "${days} > 30"],
        ],
        "settings": [["form_title"], ["CHT"]],
    }
    imported = import_xlsform(write(form, tmp_path / "c.xlsx").read_bytes(), "c.xlsx")
    assert imported.survey is not None
    assert [q.name for q in imported.survey.questions] == ["when", "late"]
    assert any("row 2, column 'calculation': row 'days' set aside" in w for w in imported.warnings)


def test_the_reader_runs_in_a_cage_a_workbook_cannot_break_out_of(tmp_path: Path) -> None:
    """A workbook that needs more than the cage's memory is refused, saying so, and the
    worker that asked is untouched (the same bytes import with the normal limits)."""
    rows = [["list_name", "name", "label"]]
    rows += [["places", f"p{n}", f"Place number {n} " * 5] for n in range(4000)]
    form: dict[str, Sheet] = {
        "survey": [["type", "name", "label"], ["select_one places", "p", "Place"]],
        "choices": rows,
        "settings": [["form_title"], ["Places"]],
    }
    data = write(form, tmp_path / "places.xlsx").read_bytes()
    with pytest.raises(SurveyDefinitionError) as caught:
        import_xlsform(data, "places.xlsx", limits=Limits(memory=64 * 2**20))
    assert "needed more than 64 MiB of memory" in str(caught.value)
    assert import_xlsform(data, "places.xlsx").survey is not None


def test_a_reader_that_does_not_finish_is_stopped_at_its_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cage's clock: a child still reading after its seconds is killed, and the import
    is refused with that reason (here a reader that never ends stands for a slow workbook)."""
    import itertools

    from surveys.xlsform import child

    def forever(data: bytes, kind: str) -> dict[str, object]:
        for _ in itertools.count():
            pass
        return {}

    monkeypatch.setattr(child, "run", forever)
    answer = child.in_child(b"PK", "xlsx", 256 * 2**20, 1)
    assert b"took more than 1 s" in answer


def test_imports_at_once_each_get_their_own_answer(old_kobo: Path, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    other = write(
        {
            "survey": [["type", "name", "label"], ["text", "a", "A"]],
            "settings": [["form_title", "form_id"], ["Other", "other"]],
        },
        tmp_path / "other.xlsx",
    )
    jobs = [old_kobo, other] * 4
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda p: import_xlsform(p.read_bytes(), p.name), jobs))
    assert [f.survey.id for f in found if f.survey] == ["liberiastdform", "other"] * 4
