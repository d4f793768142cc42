"""The survey designer, XLSForm import and export, exports and retention on the organizer side."""

from __future__ import annotations

import csv
import datetime
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from crypto.keys import ReviewerKey
from portal import create_app
from portal.config import Config
from portal.storage import Store
from portal.storage.retention import Retention, apply_retention, set_retention
from surveys import load_survey_text
from surveys.xlsform import load_xlsform, read_xlsform
from surveys.xlsform.writer import write_xlsform

from .conftest import RunCli, csrf_token
from .helpers import open_bundle, payload_sizes, submit_testimony, version_folder
from .xlsforms import FORMS, HEALTH, write

pytestmark = [pytest.mark.both_databases]

#: One question of every type; "why_not" is asked only if "safe" is "no".
QUESTIONS: list[dict[str, Any]] = [
    {"type": "note", "name": "intro", "label": "Thank you for taking part."},
    {"type": "text", "name": "area", "label": "Which area do you work in?", "required": "y"},
    {"type": "textarea", "name": "story", "label": "Tell us more"},
    {"type": "integer", "name": "age", "label": "Age", "minimum": "16", "maximum": "99"},
    {"type": "decimal", "name": "spent", "label": "Spent on transport"},
    {"type": "date", "name": "since", "label": "Working here since"},
    {
        "type": "select_one",
        "name": "where",
        "label": "Where?",
        "choices": "street = On the street\nflat = In a flat",
    },
    {
        "type": "select_multiple",
        "name": "needs",
        "label": "Needs",
        "choices": "legal = Legal help\nhealth = Health care",
    },
    {
        "type": "scale",
        "name": "trust",
        "label": "Do you trust the police?",
        "low_label": "Not at all",
        "high_label": "Completely",
    },
    {"type": "yes_no", "name": "safe", "label": "Do you feel safe?", "required": "y"},
    {"type": "text", "name": "why_not", "label": "Why not?", "relevant": "${safe} = 'no'"},
    {"type": "file", "name": "photo", "label": "A photo", "accept": "image/*"},
]


def post(client: FlaskClient, path: str, data: dict[str, Any], page: str = "/surveys") -> Any:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_the_designer_builds_and_publishes_a_survey_with_every_type_and_skip_logic(
    logged_in: FlaskClient, published: RunCli, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> None:
    new = {"id": "checkin", "title": "Monthly check-in", "kind": "survey", "language": "en"}
    assert post(logged_in, "/surveys", new).status_code == 302
    for question in QUESTIONS:
        response = post(logged_in, "/surveys/checkin/questions/new", question)
        assert response.status_code == 302, response.get_data(as_text=True)
    # Reorder (move "story" above "area") and remove a question added by mistake.
    post(logged_in, "/surveys/checkin/questions/2/move", {"direction": "up"})
    post(
        logged_in, "/surveys/checkin/questions/new", {"type": "text", "name": "oops", "label": "?"}
    )
    asked = post(logged_in, "/surveys/checkin/questions/12/delete", {}).get_data(as_text=True)
    assert "Yes, delete it" in asked  # nothing is deleted before it is confirmed
    post(logged_in, "/surveys/checkin/questions/12/delete", {"confirmed": "yes"})
    page = logged_in.get("/surveys/checkin").get_data(as_text=True)
    names = re.findall(r'<li data-name="(\w+)">', page)
    assert names[:3] == ["intro", "story", "area"] and "oops" not in names and len(names) == 12
    assert "Fix these before publishing" not in page
    preview = logged_in.get("/surveys/checkin/preview").get_data(as_text=True)
    assert "Not at all" in preview and "Completely" in preview and "data-relevant" in preview
    # English only: publishing warns, names the languages, and publishes nothing.
    response = post(logged_in, "/surveys/checkin/publish", {})
    assert response.status_code == 302
    page = logged_in.get("/surveys/checkin").get_data(as_text=True)
    assert "Not published: the survey is not complete in" in page and "Македонски" in page
    assert create_app(Config.from_env()).test_client().get("/s/checkin").status_code == 404
    response = post(logged_in, "/surveys/checkin/publish", {"incomplete_ok": "1"})
    assert response.status_code == 302

    # A respondent without JavaScript says "no" and also fills the question that is skipped
    # for "yes"... then "yes": the answer to "why_not" is dropped, never stored.
    respondent = create_app(Config.from_env()).test_client()
    form = respondent.get("/s/checkin").get_data(as_text=True)
    assert "Do you trust the police?" in form and 'type="file"' in form
    answers = {
        "area": "Centar",
        "story": "canary-story",
        "age": "30",
        "spent": "2,5",
        "since": "2024-02-01",
        "where": "flat",
        "needs": ["legal", "health"],
        "trust": "2",
        "safe": "yes",
        "why_not": "canary-skipped",
        "photo": (io.BytesIO(b"\xff\xd8\xff jpeg"), "p.jpg", "image/jpeg"),
    }
    response = respondent.post(
        "/s/checkin",
        data={**answers, "csrf_token": csrf_token(form)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    download = post(logged_in, "/submissions/export", {}, "/submissions")
    assert download.status_code == 200 and download.mimetype == "application/octet-stream"
    bundle = tmp_path / "export.glasbundle"
    bundle.write_bytes(download.get_data())
    download.close()
    opened, failed = open_bundle(bundle, reviewer[1], tmp_path / "out")
    assert not failed
    (result,) = [o for o in opened if o.answers["survey"] == "checkin"]
    got = result.answers["answers"]
    assert "why_not" not in got, "the skipped question is absent"
    assert got["safe"] == "yes" and got["trust"] == "2" and got["needs"] == ["legal", "health"]
    assert got["spent"] == "2.5" and got["age"] == 30 and got["story"] == "canary-story"
    again = post(logged_in, "/submissions/export", {}, "/submissions")
    assert again.status_code == 302, "nothing new: no second bundle"


def test_every_language_is_edited_beside_the_surveys_own_and_counted_until_complete(
    logged_in: FlaskClient, published: RunCli
) -> None:
    new = {"id": "clinic", "title": "Clinic hours", "kind": "survey", "language": "en"}
    assert post(logged_in, "/surveys", new).status_code == 302
    question = {
        "type": "select_one",
        "name": "when",
        "label": "When can you come?",
        "hint": "Choose one",
        "choices": "morning = Mornings\nevening = Evenings",
    }
    assert post(logged_in, "/surveys/clinic/questions/new", question).status_code == 302
    page = logged_in.get("/surveys/clinic").get_data(as_text=True)
    assert "0 of 5 texts" in page and page.count("incomplete") >= 5
    editor = logged_in.get("/surveys/clinic/translations/mk").get_data(as_text=True)
    keys = re.findall(r'<textarea id="t-([^"]+)"', editor)
    assert "When can you come?" in editor and "Mornings" in editor and len(keys) == 5
    macedonian = {
        "title": "Работно време на клиниката",
        "q0.label": "Кога можете да дојдете?",
        "q0.hint": "Изберете едно",
        "q0.c0": "Наутро",
        "q0.c1": "Навечер",
    }
    assert set(keys) == set(macedonian)
    saved = post(logged_in, "/surveys/clinic/translations/mk", macedonian, "/surveys/clinic")
    assert saved.status_code == 302
    page = logged_in.get("/surveys/clinic").get_data(as_text=True)
    assert "5 of 5 texts" in page
    # Emptying a field removes that translation again; the English text is never touched.
    post(logged_in, "/surveys/clinic/translations/mk", {"q0.hint": ""}, "/surveys/clinic")
    assert "4 of 5 texts" in logged_in.get("/surveys/clinic").get_data(as_text=True)
    for code in ("sq", "sr", "ru", "uk"):
        post(logged_in, f"/surveys/clinic/translations/{code}", {"title": f"title {code}"})
    post(logged_in, "/surveys/clinic/translations/mk", {"q0.hint": "Изберете едно"})
    assert post(logged_in, "/surveys/clinic/publish", {"incomplete_ok": "1"}).status_code == 302
    respondent = create_app(Config.from_env()).test_client()
    shown = respondent.get("/s/clinic?lang=mk").get_data(as_text=True)
    assert "Кога можете да дојдете?" in shown and "Наутро" in shown and "Изберете едно" in shown
    assert "When can you come?" in respondent.get("/s/clinic?lang=en").get_data(as_text=True)
    assert logged_in.get("/surveys/clinic/translations/xx").status_code == 404


def test_a_survey_without_a_reviewer_cannot_be_published(
    logged_in: FlaskClient, published: RunCli
) -> None:
    page = logged_in.get("/reviewers").get_data(as_text=True)
    for reviewer_id in re.findall(r"/reviewers/(\d+)/remove", page):
        post(logged_in, f"/reviewers/{reviewer_id}/remove", {"confirmed": "yes"}, "/reviewers")
    post(logged_in, "/surveys", {"id": "x1", "title": "X", "kind": "survey", "language": "en"})
    post(logged_in, "/surveys/x1/questions/new", {"type": "text", "name": "a", "label": "A"})
    page = post(logged_in, "/surveys/x1/publish", {"incomplete_ok": "1"}).get_data(as_text=True)
    page = logged_in.get("/surveys/x1").get_data(as_text=True)
    assert "cannot be published before a reviewer key is added" in page


def test_a_closed_survey_takes_no_answers_until_reopened(
    logged_in: FlaskClient, published: RunCli
) -> None:
    respondent = create_app(Config.from_env()).test_client()
    assert respondent.get("/s/testimony").status_code == 200
    post(logged_in, "/surveys/testimony/close", {"confirmed": "yes"})
    assert respondent.get("/s/testimony").status_code == 404
    post(logged_in, "/surveys/testimony/reopen", {})
    assert respondent.get("/s/testimony").status_code == 200


@pytest.mark.parametrize("name", sorted(FORMS))
def test_realistic_xlsforms_import_render_and_come_back_the_same(
    name: str, published: RunCli, tmp_path: Path
) -> None:
    path = write(FORMS[name], tmp_path / f"{name}.xlsx")
    result = published("surveys", "import", path, "--publish")
    assert result.exit_code == 0, result.output
    survey = load_xlsform(path)
    page = create_app(Config.from_env()).test_client().get(f"/s/{survey.id}")
    assert page.status_code == 200
    assert survey.questions[1].label in page.get_data(as_text=True)
    exported = tmp_path / "exported.xlsx"
    assert published("surveys", "export", survey.id, "--out", exported).exit_code == 0
    assert load_xlsform(exported).canonical() == survey.canonical()


def test_an_xlsform_uploaded_in_the_designer_comes_back_as_the_same_download(
    logged_in: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    path = write(FORMS["violence"], tmp_path / "violence.xlsx")
    token = csrf_token(logged_in.get("/surveys").get_data(as_text=True))
    data = {"csrf_token": token, "file": (io.BytesIO(path.read_bytes()), "violence.xlsx")}
    response = logged_in.post("/surveys/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    download = logged_in.get("/surveys/violence/xlsform").get_data()
    assert read_xlsform(download).canonical() == load_xlsform(path).canonical()
    assert write_xlsform(read_xlsform(download)) is not None


def test_a_survey_in_three_languages_lands_in_one_table_by_choice_names(
    published: RunCli, reviewer: tuple[Path, ReviewerKey], passphrase_file: Path, tmp_path: Path
) -> None:
    path = write(HEALTH, tmp_path / "health.xlsx")
    assert published("surveys", "import", path, "--publish").exit_code == 0
    seen = {"en": "Have you had an HIV test", "mk": "Дали сте се тестирале", "sq": "A jeni testuar"}
    for language, label in seen.items():
        client = create_app(Config.from_env()).test_client()
        page = client.get(f"/s/health_needs?lang={language}").get_data(as_text=True)
        assert label in page
        data = {
            "csrf_token": csrf_token(page),
            "glas_nav": "send",
            "age": "25",
            "tested": "yes",
            "services": ["testing", "legal"],
            "respect": "3",
        }
        assert client.post("/s/health_needs", data=data).status_code == 303
    bundle, out = tmp_path / "b.glasbundle", tmp_path / "out"
    assert published("export", "--out", bundle).exit_code == 0
    result = published(
        "decrypt", bundle, "--key", reviewer[0], "--out", out, "--passphrase-file", passphrase_file
    )
    assert result.exit_code == 0, result.output
    table = version_folder(out, "health_needs") / "answers.csv"
    with table.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3  # one table, labels in the survey's own language
    assert {r["tested"] for r in rows} == {"Yes"} and {r["respect"] for r in rows} == {"Agree"}
    codes = published(
        "decrypt", bundle, "--key", reviewer[0], "--out", tmp_path / "codes",
        "--passphrase-file", passphrase_file, "--values", "codes",
    )  # fmt: skip
    assert codes.exit_code == 0, codes.output
    with (version_folder(tmp_path / "codes", "health_needs") / "answers.csv").open() as f:
        assert {r["tested"] for r in csv.DictReader(f)} == {"yes"}


def test_retention_deletes_exported_ciphertext_after_n_days_and_keeps_the_rest(
    client: FlaskClient, published: RunCli, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> None:
    store = Store(Config.from_env())
    submit_testimony(client, "first canary", b"\xff\xd8\xff a photo")
    submit_testimony(client, "second canary", b"\xff\xd8\xff another")
    bundle = tmp_path / "first.glasbundle"
    assert published("export", "--out", bundle).exit_code == 0  # both exported today
    submit_testimony(client, "third, not exported", b"\xff\xd8\xff kept")
    exported_day = datetime.datetime.now(datetime.UTC).date()
    assert len(payload_sizes(store.config.data_dir)) == 3

    set_retention(store, Retention(exported_days=30))
    assert apply_retention(store, exported_day + datetime.timedelta(days=29), "test") == 0
    assert apply_retention(store, exported_day + datetime.timedelta(days=30), "test") == 2
    assert store.count_submissions() == 1
    assert len(payload_sizes(store.config.data_dir)) == 1
    # What is left still decrypts.
    bundle = tmp_path / "second.glasbundle"
    assert published("export", "--out", bundle).exit_code == 0
    opened, failed = open_bundle(bundle, reviewer[1], tmp_path / "out")
    assert not failed and [o.answers["answers"]["what_happened"] for o in opened] == [
        "third, not exported"
    ]
    set_retention(store, Retention(all_days=7))
    assert apply_retention(store, exported_day + datetime.timedelta(days=7), "test") == 1
    assert store.count_submissions() == 0


def test_discarding_a_draft_goes_back_to_the_published_version_or_removes_a_new_survey(
    logged_in: FlaskClient, published: RunCli
) -> None:
    post(logged_in, "/surveys/testimony/questions/new", {"type": "text", "name": "x", "label": "X"})
    assert 'data-name="x"' in logged_in.get("/surveys/testimony").get_data(as_text=True)
    post(logged_in, "/surveys/testimony/discard", {"confirmed": "yes"})
    assert 'data-name="x"' not in logged_in.get("/surveys/testimony").get_data(as_text=True)
    post(logged_in, "/surveys", {"id": "tmp", "title": "Tmp", "kind": "survey", "language": "en"})
    post(logged_in, "/surveys/tmp/discard", {"confirmed": "yes"})
    assert logged_in.get("/surveys/tmp").status_code == 404
    assert "/surveys/tmp" not in logged_in.get("/surveys").get_data(as_text=True)


def test_the_translation_editor_caps_long_texts_and_ignores_fields_it_did_not_offer(
    logged_in: FlaskClient, published: RunCli
) -> None:
    new = {"id": "caps", "title": "Caps", "kind": "survey", "language": "en"}
    assert post(logged_in, "/surveys", new).status_code == 302
    hostile = {"title": "Ж" * 30_000, "q99.label": "no such question", "../../x": "y"}
    assert post(logged_in, "/surveys/caps/translations/mk", hostile).status_code == 302
    editor = logged_in.get("/surveys/caps/translations/mk").get_data(as_text=True)
    assert "Ж" * 20_000 in editor and "Ж" * 20_001 not in editor
    assert "no such question" not in editor


def test_a_new_survey_guides_rather_than_errs_and_publish_says_why_it_waits(
    logged_in: FlaskClient,
) -> None:
    data = {"id": "fresh", "title": "Fresh", "kind": "survey", "language": "en"}
    post(logged_in, "/surveys", data)
    page = logged_in.get("/surveys/fresh").get_data(as_text=True)
    assert "Add the first question" in page
    assert "non-empty list" not in page and 'role="alert"' not in page
    assert "Publishing is not possible yet" in page and "The survey has no question yet." in page
    assert 'disabled aria-describedby="publish-why"' in page


def test_the_preview_speaks_every_language_and_puts_each_rule_above_its_question(
    logged_in: FlaskClient, tmp_path: Path
) -> None:
    path = write(FORMS["health_needs"], tmp_path / "health.xlsx")
    token = csrf_token(logged_in.get("/surveys").get_data(as_text=True))
    data = {"csrf_token": token, "file": (io.BytesIO(path.read_bytes()), "health.xlsx")}
    logged_in.post("/surveys/import", data=data, content_type="multipart/form-data")
    english = logged_in.get("/surveys/health_needs/preview").get_data(as_text=True)
    macedonian = logged_in.get("/surveys/health_needs/preview?lang=mk").get_data(as_text=True)
    assert "This survey is anonymous." in english and "Оваа анкета е анонимна." in macedonian
    assert 'href="?lang=sq"' in english
    rule = english.index('class="hint rule"')  # "services" is asked only if tested = yes
    assert (
        english.index('data-question="tested"') < rule < english.index('data-question="services"')
    )


def test_question_types_have_human_names_most_used_first_with_what_they_are_for(
    logged_in: FlaskClient,
) -> None:
    data = {"id": "kinds", "title": "Kinds", "kind": "survey", "language": "en"}
    post(logged_in, "/surveys", data)
    page = logged_in.get("/surveys/kinds/questions/new?lang=mk").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="([a-z_]+)"', page)
    assert options[:4] == ["text", "textarea", "select_one", "select_multiple"]
    assert "calculate" not in options
    assert "Краток текст" in page and 'class="kinds"' in page  # named, and described


FORMULA_FORM = """
id: formulas
title: '=HYPERLINK("http://127.0.0.1:9/title","Open")'
questions:
  - name: q
    type: select_one
    label: '=HYPERLINK("http://127.0.0.1:9/label","Click")'
    hint: "+cmd|' /C calc'!A0"
    choices:
      - {name: a, label: "@SUM(1+1)"}
      - {name: b, label: "-2+3"}
"""


def test_the_xlsform_export_writes_every_text_as_text_never_as_a_formula(
    logged_in: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    import zipfile

    from openpyxl import load_workbook

    path = tmp_path / "formulas.yaml"
    path.write_text(FORMULA_FORM)
    assert published("surveys", "import", path).exit_code == 0
    cli_export = tmp_path / "cli.xlsx"
    assert published("surveys", "export", "formulas", "--out", cli_export).exit_code == 0
    downloaded = logged_in.get("/surveys/formulas/xlsform").get_data()
    for data in (cli_export.read_bytes(), downloaded):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                assert b"<f>" not in archive.read(name), f"a formula in {name}"
        book = load_workbook(io.BytesIO(data))
        texts = {c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
        assert '=HYPERLINK("http://127.0.0.1:9/title","Open")' in texts
        assert "@SUM(1+1)" in texts and "-2+3" in texts
        assert (
            read_xlsform(data).canonical()
            == load_survey_text(FORMULA_FORM.encode(), "formulas.yaml").canonical()
        )
