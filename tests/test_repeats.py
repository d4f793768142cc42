"""Repeats (XLSForm ``begin repeat``): questions asked once per instance — as many as the
respondent adds ("Add another", with JavaScript or without), or as ``repeat_count`` says —
checked instance by instance, sealed as a list, and given back as Kobo gives them: one table per
repeat, each row linked to its submission by id and numbered."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from crypto.keys import ReviewerKey
from surveys import SurveyDefinitionError
from surveys.answers import (
    FileInfo,
    answers_document,
    check_document,
    check_document_asked,
    validate_answers,
)
from surveys.errors import TooMuchWork
from surveys.model import MAX_REPEATS, Survey
from surveys.repeats import walk
from surveys.schema import document_problem
from surveys.xlsform import read_xlsform_with_warnings
from surveys.xlsform.writer import write_xlsform

from .browsers import needs_bundle, needs_chromium, survey_page
from .conftest import ROOT, RunCli, csrf_token, examples, gps_photo
from .helpers import LiveServer, decrypt, sealed_answers, version_folder
from .xlsforms import Sheet, write

# A testimony as a Kobo user writes one: Kobo's start/end rows, named languages, a repeat of
# incidents (added one by one), a follow-up and a cascading select inside each incident, a
# calculation per incident and one counting them after the repeat.
INCIDENTS: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label::English (en)", "label::Macedonian (mk)", "required",
         "relevant", "choice_filter", "calculation", "appearance"],
        ["start", "start", "", "", "", "", "", "", ""],
        ["end", "end", "", "", "", "", "", "", ""],
        ["begin repeat", "incident", "Incident", "Инцидент", "", "", "", "", ""],
        ["select_one kind", "kind", "What happened?", "Што се случи?", "yes", "", "", "", ""],
        ["text", "kind_other", "Please describe it", "Опишете", "yes", "${kind} = 'other'",
         "", "", ""],
        ["select_one city", "city", "In which city?", "Во кој град?", "", "", "", "", ""],
        ["select_one area", "area", "Which part of it?", "Кој дел?", "", "", "city = ${city}",
         "", ""],
        ["date", "when", "When?", "Кога?", "", "", "", "", "month-year"],
        ["text", "story", "Tell us more", "Кажете ни повеќе", "", "", "", "", "multiline"],
        ["calculate", "number", "", "", "", "", "", "position(..)", ""],
        ["end repeat", "", "", "", "", "", "", "", ""],
        ["calculate", "incidents", "", "", "", "", "", "count(${incident})", ""],
        ["text", "help", "What help do you need?", "Каква помош ви треба?", "", "", "", "",
         "multiline"],
    ],
    "choices": [
        ["list_name", "name", "label::English (en)", "label::Macedonian (mk)", "city"],
        ["kind", "police", "Police violence", "Полициско насилство", ""],
        ["kind", "client", "Violence by a client", "Насилство од клиент", ""],
        ["kind", "other", "Something else", "Нешто друго", ""],
        ["city", "skopje", "Skopje", "Скопје", ""],
        ["city", "bitola", "Bitola", "Битола", ""],
        ["area", "centar", "Centar", "Центар", "skopje"],
        ["area", "shuto", "Šuto Orizari", "Шуто Оризари", "skopje"],
        ["area", "bair", "Bair", "Баир", "bitola"],
    ],
    "settings": [
        ["form_title", "form_id", "default_language", "kind"],
        ["Incidents", "incidents", "English (en)", "testimony"],
    ],
}  # fmt: skip

# A needs assessment as ODK writes one: how many people live with you, then a fixed number of
# instances (repeat_count read from the answer, under pyxform's "jr:count" name).
HOUSEHOLD: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label", "required", "jr:count", "calculation", "constraint"],
        ["integer", "members", "How many people do you live with?", "yes", "", "",
         ". >= 0 and . <= 6"],
        ["begin repeat", "member", "Person", "", "${members}", "", ""],
        ["integer", "age", "Age", "yes", "", "", ". < 120"],
        ["select_one gender", "gender", "Gender", "", "", "", ""],
        ["end repeat", "", "", "", "", "", ""],
        ["calculate", "total_age", "", "", "", "sum(${age})", ""],
        ["calculate", "second_age", "", "", "", "indexed-repeat(${age}, ${member}, 2)", ""],
    ],
    "choices": [
        ["list_name", "name", "label"],
        ["gender", "woman", "Woman"],
        ["gender", "man", "Man"],
        ["gender", "trans", "Trans person"],
    ],
    "settings": [["form_title", "form_id"], ["Household", "household"]],
}  # fmt: skip


def form(path: Path, sheets: dict[str, Sheet]) -> tuple[Survey, list[str]]:
    return read_xlsform_with_warnings(write(sheets, path).read_bytes(), path.name)


@pytest.fixture
def incidents(tmp_path: Path) -> Survey:
    return form(tmp_path / "incidents.xlsx", INCIDENTS)[0]


@pytest.fixture
def household(tmp_path: Path) -> Survey:
    return form(tmp_path / "household.xlsx", HOUSEHOLD)[0]


def test_a_kobo_testimony_with_a_repeat_imports_with_warnings_and_round_trips(
    tmp_path: Path,
) -> None:
    survey, warnings = form(tmp_path / "incidents.xlsx", INCIDENTS)
    assert [w for w in warnings if "'start'" in w or "'end'" in w] == warnings
    assert len(warnings) == 2
    (group,) = survey.groups
    assert group.repeat and group.repeat_count == "" and group.label == "Incident"
    assert [q.name for q in survey.repeats["incident"]] == [
        "kind", "kind_other", "city", "area", "when", "story", "number"
    ]  # fmt: skip
    assert survey.kind == "testimony" and survey.languages == ["en", "mk"]
    again, more = read_xlsform_with_warnings(write_xlsform(survey), "exported.xlsx")
    assert more == [] and again.canonical() == survey.canonical()


def test_an_odk_repeat_count_and_pyxforms_other_names_import(
    tmp_path: Path, household: Survey
) -> None:
    assert household.group_by_name["member"].repeat_count == "${members}"
    again, _ = read_xlsform_with_warnings(write_xlsform(household), "exported.xlsx")
    assert again.canonical() == household.canonical()
    old = {
        **HOUSEHOLD,
        "survey": [
            ["type", "name", "label", "count"],
            ["integer", "members", "How many?", ""],
            ["begin looped group", "member", "Person", "${members}"],
            ["integer", "age", "Age", ""],
            ["end looped group", "", "", ""],
        ],
    }
    survey, _ = form(tmp_path / "old.xlsx", old)
    assert survey.group_by_name["member"].repeat_count == "${members}"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [["begin repeat", "kids", "Kids"], ["begin repeat", "toys", "Toys"],
             ["text", "toy", "Toy"], ["end group", "", ""], ["end repeat", "", ""]],
            "survey sheet, row 5: Unmatched 'end_group'",
        ),
        ([["begin repeat", "kids", "Kids"], ["text", "a", "A"], ["end group", "", ""]],
         "survey sheet, row 4: Unmatched 'end_group'"),
        ([["begin repeat", "kids", "Kids"], ["text", "a", "A"]],
         "survey sheet, row 2: Unmatched 'begin_repeat'"),
        (
            [["begin repeat", "kids", "Kids", "count(${a})"], ["text", "a", "A", ""],
             ["end repeat", "", "", ""]],
            "'repeat_count' of 'kids'",
        ),
    ],
)  # fmt: skip
def test_repeats_written_wrong_are_refused_by_row(
    tmp_path: Path, rows: list[list[str]], message: str
) -> None:
    header = ["type", "name", "label", "repeat_count"][: len(rows[0])]
    sheets = {"survey": [header, *rows], "settings": [["form_title"], ["Kids"]]}
    with pytest.raises(SurveyDefinitionError) as caught:
        form(tmp_path / "kids.xlsx", sheets)
    assert any(message in line for line in caught.value.lines()), caught.value.lines()


def _incident(kind: str, **more: str) -> dict[str, str]:
    return {"kind": kind, **more}


def _form(instances: list[dict[str, str]], **top: str) -> dict[str, list[str]]:
    values = {name: [value] for name, value in top.items()}
    values["incident"] = [str(len(instances))]
    for index, instance in enumerate(instances, 1):
        values.update({f"{k}#{index}": [v] for k, v in instance.items()})
    return values


def test_every_instance_is_checked_on_its_own_and_sealed_as_a_list(incidents: Survey) -> None:
    sent = _form(
        [
            _incident("other", kind_other="Raid", city="skopje", area="shuto", when="2026-03"),
            _incident("police", kind_other="typed, then skipped", city="bitola", area="bair"),
        ],
        help="A lawyer",
    )
    validated = validate_answers(incidents, sent)
    assert validated.ok, validated.errors
    assert validated.answers == {
        "incidents": "2",
        "help": "A lawyer",
        "incident": [
            {"kind": "other", "kind_other": "Raid", "city": "skopje", "area": "shuto",
             "when": "2026-03", "number": "1"},
            {"kind": "police", "city": "bitola", "area": "bair", "number": "2"},
        ],
    }  # fmt: skip
    document = {"answers": validated.answers, "files": []}
    assert check_document(incidents, document) == []
    # Each instance's rules read that instance: a follow-up and a filter of the second fail.
    sent = _form([_incident("police"), _incident("other", city="skopje", area="bair")])
    errors = validate_answers(incidents, sent).errors
    assert set(errors) == {"kind_other#2", "area#2"}


@pytest.mark.parametrize(
    ("count", "instances"),
    [("3", 3), ("0", 0), ("abc", 0), ("-2", 0), ("2.7", 2), ("1e9", MAX_REPEATS), ("", 0)],
)
def test_a_posted_number_of_instances_is_read_safely(
    incidents: Survey, count: str, instances: int
) -> None:
    sent = {"incident": [count], **{f"kind#{i}": ["client"] for i in range(1, 60)}}
    validated = validate_answers(incidents, sent)
    assert len(validated.answers["incident"]) == instances
    assert "kind#51" not in validated.errors


def test_a_repeat_count_fixes_the_instances_and_later_rules_read_them(household: Survey) -> None:
    sent = {"members": ["3"], "age#1": ["30"], "age#2": ["12"], "age#3": ["70"], "age#4": ["9"]}
    sent["member"] = ["1"]  # the form's count is not the respondent's to choose here
    validated = validate_answers(household, sent)
    assert validated.ok
    assert [i["age"] for i in validated.answers["member"]] == [30, 12, 70]
    assert validated.answers["total_age"] == "112" and validated.answers["second_age"] == "12"
    missing = validate_answers(household, {"members": ["2"], "age#1": ["30"]})
    assert set(missing.errors) == {"age#2"}
    assert set(validate_answers(household, {"members": ["1"], "age#1": ["130"]}).errors) == {
        "age#1"
    }


def test_the_reviewer_flags_repeats_the_form_would_never_send(household: Survey) -> None:
    good = {"members": 2, "member": [{"age": 30}, {"age": 12}], "total_age": "42",
            "second_age": "12"}  # fmt: skip
    assert check_document(household, {"answers": good}) == []
    cases: list[tuple[Any, str]] = [
        ({"member": "two"}, "'member' is not a list of instances."),
        ({"member": [{"age": 1}] * (MAX_REPEATS + 1)}, f"more than {MAX_REPEATS}"),
        ({"member": [{"age": 30}]}, "'member' has 1 instances where its repeat_count gives 2"),
        ({"member": [{"age": 30}, {"age": 12, "secret": "x"}]}, "'secret#2' is not a question"),
        ({"member": [{"age": 30}, {}]}, "'age#2': This question needs an answer."),
        ({"member": [{"age": 30}, {"age": "12"}]}, "'age#2': "),
        ({"member": [{"age": 30}, [1]]}, "'member' is not a list of instances."),
        ({"age": 30}, "'age' is not a question of this survey version."),
        ({"total_age": "41"}, "'total_age' is not what its calculation gives."),
    ]
    for change, problem in cases:
        problems = check_document(household, {"answers": {**good, **change}})
        assert any(problem in p for p in problems), (change, problems)


def _walk_cases(
    incidents: Survey, household: Survey, family: Survey
) -> list[tuple[Survey, dict[str, str]]]:
    """Surveys and form values: Python's walk and the browser's must agree on all."""
    return [
        (incidents, {"incident": "2", "kind#1": "other", "kind#2": "police", "kind_other#2": "x"}),
        (incidents, {"incident": "0"}),
        (incidents, {}),
        (incidents, {"incident": "3", "kind#3": "other", "city#3": "skopje", "kind#9": "x"}),
        (incidents, {"incident": "1e400", "kind#1": "client"}),
        (incidents, {"incident": " 2 ", "kind#1": "client", "story#2": "A"}),
        (household, {"members": "3", "age#1": "30", "age#2": "", "age#3": "7"}),
        (household, {"members": "2", "age#1": "30", "age#2": "abc"}),
        (household, {"members": "-1"}),
        (household, {"members": "70", "age#50": "1", "age#51": "2"}),
        (household, {"members": "2.9", "age#1": "1.5", "age#2": "2.25"}),
        (family, {"person": "2", "need#1": "3", "what#1#2": "x", "need#2": "0", "what#2#1": "y"}),
        (family, {"person": "1", "need#1": "60", "what#1#51": "z", "what#1#x": "w"}),
        (family, {"need#1": "2", "relation#1": "child", "document#1": "a.jpg"}),
    ]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (make install)")
def test_the_browser_walks_repeats_as_the_server_does(
    incidents: Survey, household: Survey, family: Survey
) -> None:
    cases = _walk_cases(incidents, household, family)
    expected = []
    for survey, values in cases:
        found = walk(survey, values)
        expected.append([sorted(found.asked), found.kept, found.contexts])
    script = (
        "const logic = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([blocks, values]) => {"
        "  const { asked, kept, contexts } = logic.walk(blocks, values);"
        "  return [Array.from(asked).sort(), kept, contexts]; })));"
    )
    result = subprocess.run(
        ["node", "-e", script, str(ROOT / "portal/static/js/glas-logic.js")],
        input=json.dumps([[s.browser_walk, v] for s, v in cases]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == expected
    source = (ROOT / "portal/static/js/glas-logic.js").read_text()
    assert f"const MAX_REPEATS = {MAX_REPEATS};" in source


def _publish(cli: RunCli, folder: Path, sheets: dict[str, Sheet], name: str) -> None:
    path = write(sheets, folder / f"{name}.xlsx")
    result = cli("surveys", "import", path, "--publish")
    assert result.exit_code == 0, result.output


def _post(client: FlaskClient, values: dict[str, Any]) -> Any:
    page = client.get("/s/incidents").get_data(as_text=True)
    return client.post("/s/incidents", data={"csrf_token": csrf_token(page), **values})


def test_without_javascript_add_another_and_remove_come_back_with_the_answers(
    client: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    _publish(published, tmp_path, INCIDENTS, "incidents")
    first = client.get("/s/incidents").get_data(as_text=True)
    assert 'name="kind#1"' in first and 'name="kind#2"' not in first
    assert 'value="add:incident"' in first and "<template>" in first
    page = current = _post(client, {"glas_page": "0", "glas_nav": "add:incident", "incident": "1",
                                    "kind#1": "police", "story#1": "First"})  # fmt: skip
    assert current.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="kind#2"' in text and 'name="incident" value="2"' in text
    assert "First</textarea>" in text
    removed = _post(
        client,
        {"glas_page": "0", "glas_nav": "remove:incident#1", "incident": "2",
         "kind#1": "police", "story#1": "First", "kind#2": "client", "story#2": "Second"},
    ).get_data(as_text=True)  # fmt: skip
    assert 'name="incident" value="1"' in removed and "Second</textarea>" in removed
    assert "First</textarea>" not in removed and 'name="kind#2"' not in removed
    for nav in (
        "remove:incident#5",
        "remove:incident#x",
        "add:nothing",
        "remove:help#1",
        "remove:incident",
    ):
        assert _post(client, {"glas_nav": nav, "incident": "1"}).status_code == 400


def test_without_javascript_a_follow_up_brought_up_by_an_answer_is_shown_once(
    client: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    optional = {
        **INCIDENTS,
        "survey": [
            [c if i != 4 else "" for i, c in enumerate(row)] if row[1] == "kind_other" else row
            for row in INCIDENTS["survey"]
        ],
    }
    _publish(published, tmp_path, optional, "incidents")
    page = client.get("/s/incidents").get_data(as_text=True)
    shown = re.search(r'name="glas_shown" value="([^"]*)"', page)
    assert shown is not None and "kind#1" in shown[1].split()
    assert "kind_other#1" not in shown[1].split()  # not asked yet, so not shown
    sent = {"glas_page": "0", "glas_nav": "next", "incident": "1", "glas_shown": shown[1],
            "kind#1": "other"}  # fmt: skip
    again = _post(client, sent)
    assert again.status_code == 422
    assert "Your answers above brought up this question" in again.get_data(as_text=True)
    sent["glas_shown"] = shown[1] + " kind_other#1"
    assert _post(client, sent).status_code == 200


@pytest.mark.browser
@needs_chromium
@needs_bundle
@pytest.mark.slow
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_testimony_of_two_incidents_reaches_the_reviewers_tables(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
    javascript: bool,
) -> None:
    _publish(published, tmp_path, INCIDENTS, "incidents")
    live = live_server()
    with survey_page(live.url, "incidents", javascript) as page:
        page.check("input[name='kind#1'][value=other]")
        if not javascript:  # the follow-up comes back with the page, marked
            page.click("form button[value=next]")
            page.wait_for_selector("text=Your answers above brought up this question")
        assert page.is_visible("[id='q-kind_other#1']")
        page.fill("[id='q-kind_other#1']", "Raid on the street")
        page.check("input[name='city#1'][value=skopje]")
        if javascript:  # only Skopje's areas are offered
            assert not page.is_visible("input[name='area#1'][value=bair]")
        page.check("input[name='area#1'][value=shuto]")
        page.fill("[id='q-story#1']", "They took our condoms.")
        page.click("button[value='add:incident']")
        page.wait_for_selector("input[name='kind#2']")
        page.check("input[name='kind#2'][value=client]")
        if javascript:
            assert not page.is_visible("[id='q-kind_other#2']")
        page.fill("[id='q-story#2']", "He would not pay.")
        page.click("button[value='add:incident']")
        page.wait_for_selector("input[name='kind#3']")
        page.click("button[value='remove:incident#3']")
        page.wait_for_selector("input[name='kind#3']", state="detached")
        if not javascript:
            page.click("form button[value=next]")
            page.wait_for_selector("[id='q-help']")
        page.fill("[id='q-help']", "A lawyer")
        page.click("form button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
    assert sealed_answers(published, reviewer[1], tmp_path, "incidents") == {
        "incidents": "2",
        "help": "A lawyer",
        "incident": [
            {"kind": "other", "kind_other": "Raid on the street", "city": "skopje",
             "area": "shuto", "story": "They took our condoms.", "number": "1"},
            {"kind": "client", "story": "He would not pay.", "number": "2"},
        ],
    }  # fmt: skip
    out = tmp_path / "decrypted"
    bundle = tmp_path / "export.glas"
    result = decrypt(published, out, [bundle], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    folder = version_folder(out, "incidents")
    main = list(csv.DictReader(io.StringIO((folder / "answers.csv").read_text())))
    assert [row["incident"] for row in main] == ["2"]
    rows = list(csv.DictReader(io.StringIO((folder / "answers_incident.csv").read_text())))
    assert [(r["submission_id"], r["index"]) for r in rows] == [
        (main[0]["submission_id"], "1"),
        (main[0]["submission_id"], "2"),
    ]
    assert [(r["kind"], r["kind_other"], r["city"], r["area"], r["story"]) for r in rows] == [
        ("Something else", "Raid on the street", "Skopje", "Šuto Orizari",
         "They took our condoms."),
        ("Violence by a client", "", "", "", "He would not pay."),
    ]  # fmt: skip
    book = load_workbook(folder / "answers.xlsx", read_only=True)
    sheet = [list(r) for r in book["incident"].iter_rows(values_only=True)]
    book.close()
    # What each column means above the names, then one row per incident.
    assert sheet[0][:2] == ["Submission", "Number"]
    assert sheet[1][:3] == ["submission_id", "index", "kind"] and len(sheet) == 4
    assert sheet[3][2] == "Violence by a client"
    page = next((folder / "testimonies").glob("[0-9a-f]*.html")).read_text()
    assert "Incident 1" in page and "Incident 2" in page and "He would not pay." in page


def test_the_designer_makes_a_repeat_and_previews_it(logged_in: FlaskClient) -> None:
    def post(path: str, data: dict[str, Any]) -> Any:
        token = csrf_token(logged_in.get("/surveys").get_data(as_text=True))
        return logged_in.post(path, data={**data, "csrf_token": token})

    new = {"id": "kids", "title": "Children", "kind": "survey", "language": "en"}
    assert post("/surveys", new).status_code == 302
    post("/surveys/kids/questions/new", {"type": "integer", "name": "n", "label": "How many?"})
    group = {"name": "child", "label": "Child", "repeat_count": "${n}"}
    assert post("/surveys/kids/groups", group).status_code == 302
    question = {"type": "integer", "name": "age", "label": "Age", "group": "child"}
    assert post("/surveys/kids/questions/new", question).status_code == 302
    page = logged_in.get("/surveys/kids").get_data(as_text=True)
    assert "repeated" in page and "${n}" in page and "Fix these before publishing" not in page
    preview = logged_in.get("/surveys/kids/preview").get_data(as_text=True)
    assert "Repeated as many times as:" in preview
    exported = logged_in.get("/surveys/kids/xlsform")
    assert exported.status_code == 200
    survey, _ = read_xlsform_with_warnings(exported.data, "kids.xlsx")
    assert survey.group_by_name["child"].repeat_count == "${n}"


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    count=st.one_of(st.integers(-3, 60).map(str), st.text(max_size=6)),
    cells=st.dictionaries(
        st.tuples(
            st.sampled_from(["kind", "kind_other", "city", "area", "when", "story", "number", "x"]),
            st.integers(-1, 55),
        ),
        st.one_of(
            st.sampled_from(["police", "client", "other", "skopje", "bitola", "shuto", "bair"]),
            st.sampled_from(["2026-03", "2026-13", ""]),
            st.text(max_size=30),
        ),
        max_size=25,
    ),
)
def test_whatever_the_server_accepts_the_reviewer_accepts(
    incidents: Survey, count: str, cells: dict[tuple[str, int], str]
) -> None:
    """Hostile or odd forms never break the walk, and an accepted document is one the
    reviewer's schema and rules accept as it is."""
    sent = {"incident": [count], **{f"{n}#{i}": [v] for (n, i), v in cells.items()}}
    validated = validate_answers(incidents, sent)
    instances = validated.answers.get("incident", [])
    assert len(instances) <= MAX_REPEATS
    if validated.ok:
        document = {"format": "glas-answers-1", "survey": "incidents", "version": "v",
                    "answers": validated.answers, "files": []}  # fmt: skip
        assert document_problem(incidents, "incidents", "v", document) is None
        assert check_document(incidents, document) == []


@pytest.mark.browser
@needs_chromium
@needs_bundle
@pytest.mark.slow
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_repeat_count_read_from_an_answer_gives_that_many_instances_in_chromium(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
    javascript: bool,
) -> None:
    path = write(HOUSEHOLD, tmp_path / "household.xlsx")
    assert published("surveys", "import", path, "--publish").exit_code == 0
    live = live_server()
    with survey_page(live.url, "household", javascript) as page:
        page.fill("#q-members", "3")
        if javascript:  # the instances follow the answer as it is typed
            page.locator("#q-members").dispatch_event("change")
            assert page.locator("[data-instance]").count() == 3
            page.fill("#q-members", "2")
            page.locator("#q-members").dispatch_event("change")
            assert page.locator("[data-instance]").count() == 2
        else:
            page.fill("#q-members", "2")
            page.click("form button[value=next]")
        page.wait_for_selector("[id='q-age#2']")
        assert page.locator("button[value='add:member']").count() == 0
        page.fill("[id='q-age#1']", "34")
        page.fill("[id='q-age#2']", "9")
        page.check("input[name='gender#1'][value=trans]")
        page.click("form button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
    assert sealed_answers(published, reviewer[1], tmp_path, "household") == {
        "members": 2,
        "member": [{"age": 34, "gender": "trans"}, {"age": 9}],
        "total_age": "43",
        "second_age": "9",
    }


# People living with the respondent, each with their needs (a repeat inside a repeat) and a
# photo of a document (a file question inside a repeat: the repeat is asked on the last page).
FAMILY: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label", "required", "calculation"],
        ["begin repeat", "person", "Person", "", ""],
        ["select_one relation", "relation", "Who is this person to you?", "yes", ""],
        ["begin repeat", "need", "Need", "", ""],
        ["text", "what", "What does this person need?", "yes", ""],
        ["end repeat", "", "", "", ""],
        ["image", "document", "A photo of a document (if you wish)", "", ""],
        ["end repeat", "", "", "", ""],
        ["calculate", "people", "", "", "count(${person})"],
        ["text", "comment", "Anything else?", "", ""],
    ],
    "choices": [
        ["list_name", "name", "label"],
        ["relation", "partner", "Partner"],
        ["relation", "child", "Child"],
        ["relation", "parent", "Parent"],
    ],
    "settings": [["form_title", "form_id"], ["Family", "family"]],
}  # fmt: skip


@pytest.fixture
def family(tmp_path: Path) -> Survey:
    return form(tmp_path / "family.xlsx", FAMILY)[0]


def test_a_repeat_inside_a_repeat_is_checked_and_sealed_as_nested_lists(family: Survey) -> None:
    assert family.pages[-1][0].name == "relation"  # the repeat with a file question is last
    sent = {
        "person": ["2"], "relation#1": ["partner"], "need#1": ["2"], "what#1#1": ["Housing"],
        "what#1#2": ["A lawyer"], "relation#2": ["child"], "need#2": ["1"],
        "what#2#1": ["School"], "what#2#2": ["dropped: instance 2 of 1"], "comment": ["-"],
    }  # fmt: skip
    files = {"document#2": [FileInfo("id.jpg", "image/jpeg", 10, 0)]}
    validated = validate_answers(family, sent, files)
    assert validated.ok, validated.errors
    assert validated.answers == {
        "person": [
            {"relation": "partner", "need": [{"what": "Housing"}, {"what": "A lawyer"}]},
            {"relation": "child", "need": [{"what": "School"}]},
        ],
        "people": "2",
        "comment": "-",
    }
    assert list(validated.files) == ["document#2"]
    document = answers_document("family", "v", validated)
    assert document["files"][0]["question"] == "document#2"
    assert document_problem(family, "family", "v", document) is None
    assert check_document(family, document) == []
    missing = validate_answers(family, {**sent, "what#2#1": [""]}, files)
    assert set(missing.errors) == {"what#2#1"}
    bad = {**document, "files": [{**document["files"][0], "question": "document#2#1"}]}
    assert "not a file question" in str(document_problem(family, "family", "v", bad))
    nested = {"person": [{"relation": "child", "need": [{"what": "x", "need": []}]}]}
    assert "not a question of repeat 'need'" in str(
        document_problem(family, "family", "v", {"answers": nested})
    )


def test_without_javascript_removing_a_person_moves_the_later_ones_and_their_needs_up(
    client: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    _publish(published, tmp_path, FAMILY, "family")
    page = client.get("/s/family").get_data(as_text=True)
    assert 'name="what#1#1"' in page and 'value="add:need#1"' in page
    assert "__N2__" in page  # the template of a need inside the template of a person
    sent = {"csrf_token": csrf_token(page), "person": "2", "relation#1": "partner", "need#1": "1",
            "what#1#1": "Housing", "relation#2": "child", "need#2": "2", "what#2#1": "School",
            "what#2#2": "Shoes"}  # fmt: skip
    added = client.post("/s/family", data={**sent, "glas_nav": "add:need#1"})
    assert 'name="what#1#2"' in added.get_data(as_text=True)
    removed = client.post("/s/family", data={**sent, "glas_nav": "remove:person#1"})
    text = removed.get_data(as_text=True)
    assert 'name="person" value="1"' in text and 'name="need#1" value="2"' in text
    assert re.search(r'name="what#1#2" value="Shoes"', text) and "Housing" not in text
    assert 'name="relation#2"' not in text
    for nav in ("add:need", "add:need#1#1", "remove:need#1", "remove:need#9#1", "add:people"):
        assert client.post("/s/family", data={**sent, "glas_nav": nav}).status_code == 400


@pytest.mark.browser
@needs_chromium
@needs_bundle
@pytest.mark.slow
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_people_their_needs_and_a_photo_each_reach_the_reviewers_tables(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
    javascript: bool,
) -> None:
    _publish(published, tmp_path, FAMILY, "family")
    photo = tmp_path / "id.jpg"
    photo.write_bytes(gps_photo())
    live = live_server()

    def click(value: str, appears: str) -> None:
        page.click(f"form button[value='{value}']")
        page.wait_for_selector(appears, state="attached")

    with survey_page(live.url, "family", javascript) as page:
        if not javascript:
            page.fill("#q-comment", "Thanks")
            click("next", "input[name='relation#1']")
        page.check("input[name='relation#1'][value=partner]")
        page.fill("[id='q-what#1#1']", "Housing")
        click("add:person", "input[name='relation#2']")
        page.check("input[name='relation#2'][value=child]")
        page.fill("[id='q-what#2#1']", "School")
        click("add:need#2", "[id='q-what#2#2']")
        page.fill("[id='q-what#2#2']", "Shoes")
        page.click("button[value='remove:person#1']")
        page.wait_for_selector("input[name='relation#2']", state="detached")
        assert page.input_value("[id='q-what#1#2']") == "Shoes"
        assert page.is_checked("input[name='relation#1'][value=child]")
        if javascript:
            page.fill("#q-comment", "Thanks")
        page.set_input_files("[id='q-document#1']", str(photo))
        page.click("form button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
    assert sealed_answers(published, reviewer[1], tmp_path, "family") == {
        "person": [{"relation": "child", "need": [{"what": "School"}, {"what": "Shoes"}]}],
        "people": "1",
        "comment": "Thanks",
    }
    out = tmp_path / "decrypted"
    result = decrypt(published, out, [tmp_path / "export.glas"], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    folder = version_folder(out, "family")
    people = list(csv.DictReader(io.StringIO((folder / "answers_person.csv").read_text())))
    assert [(p["index"], p["relation"], p["need"]) for p in people] == [("1", "Child", "2")]
    assert people[0]["document"].startswith("files/") and people[0]["document"].endswith(".jpg")
    needs = list(csv.DictReader(io.StringIO((folder / "answers_need.csv").read_text())))
    assert [(n["parent_index"], n["index"], n["what"]) for n in needs] == [
        ("1", "1", "School"),
        ("1", "2", "Shoes"),
    ]
    book = load_workbook(folder / "answers.xlsx", read_only=True)
    assert {"person", "need", "codebook"} <= set(book.sheetnames)
    book.close()


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    counts=st.dictionaries(
        st.sampled_from(["person", "need#1", "need#2", "need#3", "need#x", "need#1#1"]),
        st.one_of(st.integers(-2, 60).map(str), st.sampled_from(["", "1e9", "2.5", "abc"])),
        max_size=5,
    ),
    cells=st.dictionaries(
        st.tuples(
            st.sampled_from(["relation", "what", "document", "need", "people", "x"]),
            st.lists(st.integers(0, 55), min_size=0, max_size=3).map(tuple),
        ),
        st.one_of(
            st.sampled_from(["partner", "child", "parent", "a.jpg", ""]), st.text(max_size=8)
        ),
        max_size=20,
    ),
)
def test_whatever_nested_form_is_posted_the_reviewer_accepts_what_the_server_accepts(
    family: Survey, counts: dict[str, str], cells: dict[tuple[str, tuple[int, ...]], str]
) -> None:
    sent: dict[str, list[str]] = {k: [v] for k, v in counts.items()}
    sent.update({name + "".join(f"#{i}" for i in path): [v] for (name, path), v in cells.items()})
    try:
        validated = validate_answers(family, sent)
    except TooMuchWork:
        return  # refused whole (413), before anything is checked or sealed
    assert len(validated.answers.get("person", [])) <= MAX_REPEATS
    if validated.ok:
        document = answers_document("family", "v", validated)
        assert document_problem(family, "family", "v", document) is None
        assert check_document(family, document) == []


def test_the_report_counts_a_repeats_questions_per_instance(incidents: Survey) -> None:
    from reviewer.columns import Options, Plan
    from reviewer.report import VersionStats, _table

    plan = Plan(incidents, Options())
    stats = VersionStats("incidents", "v", plan)
    for answers in (
        {"incident": [{"kind": "police"}, {"kind": "client"}, {"kind": "police"}]},
        {"incident": [{"kind": "other", "kind_other": "x"}, {}]},
        {"incident": []},
    ):
        sent = {"incident": [str(len(answers["incident"]))]}
        for index, instance in enumerate(answers["incident"], 1):
            sent.update({f"{k}#{index}": [v] for k, v in instance.items()})
        validated = validate_answers(incidents, sent)
        _, asked = check_document_asked(incidents, {"answers": validated.answers})
        stats.add("id", "2026-11-01", validated.answers, asked)
    table = _table(stats, incidents.by_name["kind"])
    counts = {row.label or row.kind: row.count for row in table.rows}
    assert counts == {
        "Police violence": 2, "Violence by a client": 1, "Something else": 1,
        "no-answer": 1, "not-asked": 0,
    }  # fmt: skip
    assert table.per == ("Incident", 5)
