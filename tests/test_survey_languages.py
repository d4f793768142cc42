"""Surveys in several languages: shown in the respondent's, stored by choice name, merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from crypto.keys import ReviewerKey
from portal import create_app
from portal.config import Config
from surveys import SurveyDefinitionError, load_survey_text

from .conftest import RunCli, csrf_token, post_multipart
from .helpers import version_folder

SURVEY = """\
id: services
language: en
title:
  en: Which services do you need?
  mk: Кои услуги ви се потребни?
  sq: Cilat shërbime ju duhen?
questions:
  - name: service
    type: select_one
    required: true
    label: {en: Choose one, mk: Изберете една, sq: Zgjidhni një}
    hint: {en: Only one please, mk: Само една}
    choices:
      - {name: doctor, label: {en: A doctor, mk: Лекар, sq: Mjek}}
      - {name: lawyer, label: {en: A lawyer, mk: Адвокат, sq: Avokat}}
  - name: note
    type: textarea
    label: Anything else?
"""


@pytest.fixture
def multilingual(
    run_cli: RunCli, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> FlaskClient:
    definition = tmp_path / "services.yaml"
    definition.write_text(SURVEY)
    assert run_cli("reviewers", "add", reviewer[0], "--name", "Ana").exit_code == 0
    assert run_cli("surveys", "import", definition, "--publish").exit_code == 0
    return create_app(Config.from_env()).test_client()


def test_the_survey_shows_in_each_language_falling_back_string_by_string(
    multilingual: FlaskClient,
) -> None:
    mk = multilingual.get("/s/services?lang=mk").get_data(as_text=True)
    assert "Кои услуги ви се потребни?" in mk and "Лекар" in mk and "Само една" in mk
    sq = multilingual.get("/s/services?lang=sq").get_data(as_text=True)
    assert "Cilat shërbime ju duhen?" in sq and "Mjek" in sq
    assert "Only one please" in sq  # no Albanian hint: the survey's language, for that string
    ru = multilingual.get("/s/services?lang=ru").get_data(as_text=True)
    assert "Which services do you need?" in ru and "Отправить" in ru  # interface still Russian
    assert "Anything else?" in mk  # untranslated question


def test_answers_in_different_languages_land_in_one_table_by_choice_name(
    multilingual: FlaskClient,
    run_cli: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    for lang, service in (("mk", "doctor"), ("sq", "lawyer"), ("en", "doctor")):
        form = multilingual.get(f"/s/services?lang={lang}").get_data(as_text=True)
        response = post_multipart(
            multilingual, "/s/services", {"csrf_token": csrf_token(form), "service": service}
        )
        assert response.status_code == 303
    bundle = tmp_path / "b.glas"
    assert run_cli("export", "--out", bundle).exit_code == 0
    out = tmp_path / "out"
    assert (
        run_cli(
            "decrypt",
            bundle,
            "--key",
            reviewer[0],
            "--out",
            out,
            "--passphrase-file",
            passphrase_file,
            "--values",
            "codes",
        ).exit_code
        == 0
    )
    rows = (version_folder(out, "services") / "answers.csv").read_text().splitlines()[1:]
    assert sorted(row.split(",")[3] for row in rows) == ["doctor", "doctor", "lawyer"]


def test_a_translated_text_must_include_the_survey_language_and_use_codes() -> None:
    with pytest.raises(SurveyDefinitionError) as caught:
        load_survey_text(
            b"id: x\nlanguage: mk\ntitle: {en: T}\nquestions:\n"
            b"  - {name: q, type: text, label: {mk: A, Macedonian: B}}\n",
            "f.yaml",
        )
    lines = caught.value.lines()
    assert any(line.startswith("f.yaml:3:") and "(mk)" in line for line in lines)
    assert any(
        line.startswith("f.yaml:5:") and "'Macedonian' is not a language code" in line
        for line in lines
    )


def test_untranslated_surveys_keep_their_digest_format() -> None:
    survey = load_survey_text(SURVEY.encode())
    plain = load_survey_text(
        b"id: p\ntitle: Plain\nquestions:\n  - {name: q, type: text, label: Q}\n"
    )
    assert isinstance(plain.to_dict()["title"], str) and "language" not in plain.to_dict()
    assert survey.languages == ["en", "mk", "sq"]
    assert load_survey_text(survey.canonical()).digest() == survey.digest()
