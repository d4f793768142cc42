"""The interface in the respondents' languages: complete catalogs, chosen without JavaScript."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from glas.languages import LANGUAGES

from .conftest import ROOT, RunCli, csrf_token, post_multipart

TRANSLATIONS = ROOT / "portal" / "translations"
SHIPPED = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalog(code: str):  # type: ignore[no-untyped-def]
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=code)


def test_the_template_holds_every_interface_string_of_the_sources(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "-k",
            "N_plural:1,2",
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    with open(fresh, "rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        committed = {m.id for m in read_po(f) if m.id}
    assert extracted == committed, "run `make translations` and translate what is new"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_catalog_is_complete_with_matching_placeholders_and_plurals(code: str) -> None:
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    messages = {m.id: m for m in catalog(code) if m.id}
    assert set(messages) == wanted
    for message_id, message in messages.items():
        assert not message.fuzzy, message_id
        source = message_id if isinstance(message_id, tuple) else (message_id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"untranslated in {code}: {message_id}"
        expected = set(PLACEHOLDER.findall(" ".join(source)))
        for form in forms:
            assert set(PLACEHOLDER.findall(form)) <= expected and expected - {"%(num)d"} <= set(
                PLACEHOLDER.findall(form)
            ), (code, message_id, form)
        if isinstance(message_id, tuple):
            assert len(forms) == catalog(code).num_plurals, (code, message_id)


def pages(client: FlaskClient, code: str) -> dict[str, str]:
    client.get(f"/?lang={code}")
    form = client.get("/s/testimony").get_data(as_text=True)
    invalid = post_multipart(
        client,
        "/s/testimony",
        {"csrf_token": csrf_token(form), "what_happened": "short", "who": "police"},
    )
    return {
        "landing": client.get("/").get_data(as_text=True),
        "form": form,
        "form with errors": invalid.get_data(as_text=True),
        "thanks": client.get("/s/testimony/thanks").get_data(as_text=True),
        "not found": client.get("/nowhere").get_data(as_text=True),
        "expired form": client.post("/s/testimony", data={}).get_data(as_text=True),
        "warnings (none yet)": client.get("/alerts").get_data(as_text=True),
        "printable warnings": client.get("/alerts/print").get_data(as_text=True),
        "replies": client.get("/replies").get_data(as_text=True),
    }


@pytest.mark.parametrize("code", SHIPPED)
def test_every_respondent_page_renders_in_every_language_with_no_english_left(
    client: FlaskClient,
    app,
    code: str,  # type: ignore[no-untyped-def]
) -> None:
    english = pages(app.test_client(), "en")
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        sources = [
            m.id
            for m in read_po(f)
            if m.id and isinstance(m.id, str) and not PLACEHOLDER.search(m.id)
        ]
    for name, page in pages(client, code).items():
        assert f'<html lang="{code}" dir="ltr">' in page, name
        leftovers = [
            s
            for s in sources
            if html.escape(s, quote=False) in english[name]
            and html.escape(s, quote=False) in page
            and len(s) > 4
        ]
        assert leftovers == [], (code, name, leftovers)


def test_the_picker_is_on_every_page_and_the_choice_is_remembered(client: FlaskClient) -> None:
    landing = client.get("/").get_data(as_text=True)
    for lang in LANGUAGES.values():
        assert f'href="?lang={lang.code}" lang="{lang.code}"' in landing and lang.name in landing
    assert 'lang="mk"' in client.get("/s/testimony?lang=mk").get_data(as_text=True)
    assert '<html lang="mk"' in client.get("/").get_data(as_text=True)  # remembered
    assert "Добредојдовте" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sq,en;q=0.5", "sq"),
        ("de-DE,de;q=0.9", "en"),
        ("en-US,en;q=0.5", "en"),
        ("uk", "uk"),
    ],
)
def test_first_visit_follows_accept_language_among_shipped_catalogs(
    client: FlaskClient, header: str, expected: str
) -> None:
    page = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{expected}"' in page


def test_validation_messages_are_translated_with_correct_plurals(client: FlaskClient) -> None:
    client.get("/?lang=ru")
    form = client.get("/s/testimony").get_data(as_text=True)
    page = post_multipart(
        client,
        "/s/testimony",
        {
            "csrf_token": csrf_token(form),
            "what_happened": "short",
            "who": "police",
        },
    ).get_data(as_text=True)
    assert "Напишите не менее 10 символов." in page
    client.get("/?lang=uk")
    page = post_multipart(
        client, "/s/testimony", {"csrf_token": csrf_token(form), "who": "police"}
    ).get_data(as_text=True)
    assert "На це питання потрібно відповісти." in page


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"GLAS_LANGUAGE": "mk"}, "Нема нови поднесоци за извоз; не е запишан пакет."),
        ({"LANG": "sq_AL.UTF-8"}, "Asnjë dërgesë e re për eksport; nuk u shkrua paketë."),
        ({"LANGUAGE": "de:uk", "LANG": "C.UTF-8"}, "Нових відповідей для експорту немає"),
        ({"LANG": "C.UTF-8"}, "No new submissions to export; no bundle written."),
    ],
)
def test_the_command_speaks_the_language_of_its_environment(
    published: RunCli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variables: dict[str, str],
    expected: str,
) -> None:
    for name in ("GLAS_LANGUAGE", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    result = published("export", "--out", tmp_path / "none.glas")
    assert result.exit_code == 0 and expected in result.output
