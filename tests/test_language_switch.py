"""Changing language in the middle of a form loses nothing (issue 28).

Before, the language links reloaded the page and everything typed was gone, with JavaScript
and without. Now on a form the languages are buttons of that form: without JavaScript they post
the answers and the page comes back in the other language with all of them (repeat instances
too); with it, the answers wait in the tab's session storage while the page reloads, and come
back. Checked in Chromium both ways, with a text, a choice, several choices, a month and a
repeat's second instance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .browsers import chromium, needs_bundle, needs_chromium
from .conftest import RunCli
from .helpers import LiveServer, publish_yaml

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium, needs_bundle]

DEFINITION = """
id: switch
title: {en: Switching languages, mk: Промена на јазик}
groups:
  - {name: incident, label: {en: Incident, mk: Настан}, repeat: true}
questions:
  - {name: nickname, type: text, label: {en: "What may we call you?", mk: "Како да ве викаме?"}}
  - name: place
    type: select_one
    label: {en: "Where?", mk: "Каде?"}
    choices:
      - {name: street, label: {en: Street, mk: Улица}}
      - {name: flat, label: {en: Flat, mk: Стан}}
  - name: who
    type: select_multiple
    label: {en: "Who?", mk: "Кој?"}
    choices:
      - {name: police, label: {en: Police, mk: Полиција}}
      - {name: client, label: {en: Client, mk: Клиент}}
  - {name: when, type: month, label: {en: "When?", mk: "Кога?"}, min: "2020-01"}
  - {name: what, type: text, group: incident, label: {en: "What happened?", mk: "Што се случи?"}}
"""


def fill(page: Any, javascript: bool) -> None:
    page.fill("#q-nickname", "Canary-Ls Мила")
    page.check("input[name=place][value=flat]")
    page.check("input[name=who][value=police]")
    page.check("input[name=who][value=client]")
    page.select_option("#q-when", "2024")
    page.select_option("select[name=when] >> nth=1", "03")
    if not javascript:  # a repeat is a page of its own without the script
        page.click("form button[value=next]")
    page.fill("[id='q-what#1']", "first incident")


def assert_kept(page: Any) -> None:
    assert page.locator("html").get_attribute("lang") == "mk"
    assert "Што се случи?" in page.inner_text("main")
    assert page.input_value("#q-nickname") == "Canary-Ls Мила"
    assert page.is_checked("input[name=place][value=flat]")
    assert page.is_checked("input[name=who][value=police]")
    assert page.is_checked("input[name=who][value=client]")
    assert page.input_value("#q-when") == "2024"
    assert page.input_value("select[name=when] >> nth=1") == "03"
    assert page.input_value("[id='q-what#1']") == "first incident"
    assert page.input_value("[id='q-what#2']") == "second incident"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_language_switch_mid_form_keeps_every_answer(
    live_server: Any, published: RunCli, tmp_path: Path, javascript: bool
) -> None:
    publish_yaml(published, tmp_path, "switch", DEFINITION.encode())
    live: LiveServer = live_server()
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=javascript).new_page()
        page.goto(live.url + "s/switch?lang=en")
        if javascript:
            page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        fill(page, javascript)
        page.click("button[value='add:incident']")  # without the script: posted, and back
        page.wait_for_selector("[id='q-what#2']")
        page.fill("[id='q-what#2']", "second incident")
        page.click("nav.languages button[value=mk]")
        page.wait_for_selector("html[lang=mk]")
        page.wait_for_load_state()
        assert_kept(page)
        # Nothing was sent for keeps: no submission is stored by switching.
    assert "Canary-Ls" not in (live.log.read_text())


def test_enter_in_a_field_moves_on_and_never_switches_language(
    live_server: Any, published: RunCli, tmp_path: Path
) -> None:
    """The language buttons come first in the page; Enter must still press Next (or Send)."""
    publish_yaml(published, tmp_path, "switch", DEFINITION.encode())
    live: LiveServer = live_server()
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(live.url + "s/switch?lang=en")
        page.fill("#q-nickname", "Canary-Ls Enter")
        page.press("#q-nickname", "Enter")
        page.wait_for_selector("[id='q-what#1']", state="visible")  # the next page: the repeat
        assert page.locator("html").get_attribute("lang") == "en"
        assert "Page 2 of 2" in page.inner_text("main")
