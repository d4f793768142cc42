"""The organizer interface speaks the organizer's language on every page (issue 29).

In Macedonian, Russian and Ukrainian (Cyrillic scripts) no word in Latin script may show but
the brand, names the organizer typed (survey and question names, which are codes) and a few
technical names that have no translation; in Albanian and Serbian (Latin scripts) no common
English word may show.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from .conftest import RunCli, csrf_token

#: Names that are the same in every language: the brand, formats and programs, and what the
#: organizers typed themselves (codes of surveys, questions and choices).
NAMES = {
    "xml", "USB", "alerts", "sign", "signer", "reply",
    "Glas", "XLSForm", "XLSX", "CSV", "XML", "GeoJSON", "YAML", "Tor", "Onionbalance", "onion",
    "Kobo", "KoboToolbox", "ODK", "Aegis", "FreeOTP", "UTC", "xlsx", "xls", "csv", "geojson",
    "glas", "pk", "ed", "ltr", "rtl",
    "root",  # the system account that ran a command, in the audit log
}  # fmt: skip
#: The language pickers and selects name each language in its own script.
LANGUAGE_NAMES = {"English", "Shqip", "Srpski"}
#: ("to" is Serbian too.)
ENGLISH = {
    "the", "and", "of", "is", "are", "with", "for", "this", "that", "your", "you",
    "not", "survey", "question", "questions", "delete", "save", "submissions", "group",
    "reviewer", "reviewers", "published", "edit", "yes", "add", "language",
}  # fmt: skip


class Visible(HTMLParser):
    """The text a reader sees in header, main and footer (not the language picker)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._skipping: list[str] = []
        self._inside = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A record's own text (the audit log's details) is data, shown as it was recorded.
        if tag in ("script", "style", "nav", "code", "template", "textarea") or (
            tag == "td" and any(name == "data-record" for name, _ in attrs)
        ):
            self._skip += 1
            self._skipping.append(tag)
        if tag in ("header", "main", "footer"):
            self._inside += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag == self._skipping[-1]:
            self._skip -= 1
            self._skipping.pop()
        if tag in ("header", "main", "footer"):
            self._inside -= 1

    def handle_data(self, data: str) -> None:
        if self._inside and not self._skip:
            self.parts.append(data)


def seen(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    # Version digests and fingerprints are hexadecimal, not words.
    text = re.sub(r"\b[0-9a-f]{8,}\b", " ", " ".join(parser.parts))
    return re.sub(r"\b[0-9A-F]{4}\b", " ", text)  # a key's fingerprint, in groups of four


def pages(client: FlaskClient) -> dict[str, str]:
    """Every organizer page of a survey with a question, a group and a rule."""
    token = csrf_token(client.get("/surveys").get_data(as_text=True))

    def post(path: str, data: dict[str, str]) -> None:
        client.post(path, data={**data, "csrf_token": token})

    post("/surveys", {"id": "check", "title": "Проверка", "kind": "survey", "language": "mk"})
    question = {"type": "select_one", "name": "safe", "label": "Безбедно?", "choices": "Да\nНе"}
    post("/surveys/check/questions/new", question)
    post("/surveys/check/groups/new", {"name": "grupa", "label": "Група"})
    paths = [
        "/", "/surveys", "/surveys/check", "/surveys/check/questions/new",
        "/surveys/check/questions/0", "/surveys/check/groups/new", "/surveys/check/groups/grupa",
        "/surveys/check/preview", "/reviewers", "/staff", "/submissions", "/audit", "/alerts",
        "/replies",
    ]  # fmt: skip
    found = {}
    for path in paths:
        response = client.get(path)
        if response.status_code == 200:
            found[path] = response.get_data(as_text=True)
    return found


def names_typed(html: str) -> set[str]:
    return set(re.findall(r"\b(check|safe|grupa|testimony|needs|assessment)\b", html))


@pytest.mark.parametrize("language", ["mk", "ru", "uk"])
def test_no_word_in_latin_script_on_a_cyrillic_organizer_page(
    logged_in: FlaskClient, published: RunCli, language: str
) -> None:
    logged_in.get(f"/surveys?lang={language}")
    problems = {}
    for path, html in pages(logged_in).items():
        words = set(re.findall(r"[A-Za-z][A-Za-z'’]+", seen(html))) - NAMES
        words -= {w for w in words if w.lower() in {"check", "safe", "grupa", "testimony",
                                                     "needs", "assessment", "centre", "followup",
                                                     "ana", "mila"}}  # fmt: skip
        words -= LANGUAGE_NAMES
        if words:
            problems[path] = sorted(words)
    assert not problems, problems


@pytest.mark.parametrize("language", ["sq", "sr"])
def test_no_common_english_word_on_a_latin_script_organizer_page(
    logged_in: FlaskClient, published: RunCli, language: str
) -> None:
    logged_in.get(f"/surveys?lang={language}")
    problems = {}
    for path, html in pages(logged_in).items():
        # Whole words (letters of any script: "këto" is not "to").
        words = {w.lower() for w in re.findall(r"[^\W\d_]+", seen(html))} & ENGLISH
        if words:
            problems[path] = sorted(words)
    assert not problems, problems
