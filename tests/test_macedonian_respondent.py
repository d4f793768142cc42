"""A Macedonian-speaking respondent on a 360 px phone, with JavaScript on and off: the whole
testimony and needs assessment, their messages, the codename and the replies page show no word
in Latin script (Macedonian is written in Cyrillic; digits are the codename's script)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .browsers import chromium, needs_bundle, needs_chromium
from .conftest import RunCli
from .helpers import LiveServer

pytestmark = [pytest.mark.slow, needs_bundle, needs_chromium]
PHONE = {"width": 360, "height": 740}
#: The portal's name is a brand, written the same in every language.
BRAND = {"Glas"}


def latin_words(page: Any) -> set[str]:
    """Words in Latin script the respondent sees, outside the language picker (which names each
    language in its own script, as pickers do)."""
    text = page.evaluate(
        """() => Array.from(document.querySelectorAll("header, main, footer"))
              .map((e) => e.innerText).join("\\n")"""
    )
    return set(re.findall(r"[A-Za-z][A-Za-z'’]+", text)) - BRAND


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_macedonian_respondent_meets_no_english_word(
    live_server: Callable[..., LiveServer], published: RunCli, javascript: bool
) -> None:
    live = live_server()
    seen: dict[str, set[str]] = {}
    with chromium() as browser:
        context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
        page = context.new_page()

        def look(name: str) -> None:
            seen[name] = latin_words(page)

        page.goto(live.url + "?lang=mk")
        look("start")
        page.goto(live.url + "s/testimony")
        if javascript:
            page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        look("testimony")
        page.click("button[value=send]")  # nothing answered: messages, in Macedonian
        page.wait_for_selector(".message:visible")
        look("testimony, unanswered")
        page.fill("#q-what_happened", "Ме запре на улица и ми ги зеде документите.")
        page.select_option("#q-month", "2025")
        page.select_option("select[name=month]:not(#q-month)", "03")
        page.check("input[name=who][value=police]")
        page.click("button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
        page.wait_for_selector(".codename .group")
        look("thanks, codename")
        page.click(".codename button[type=submit]")
        look("thanks, not ticked")
        page.check("#written")
        page.click(".codename button[type=submit]")
        page.wait_for_selector(".codename-kept", state="visible")
        look("thanks, written down")
        page.goto(live.url + "replies")
        if javascript:
            page.wait_for_selector("form[data-reading]", state="attached", timeout=60_000)
            page.fill("#codename-js", "123456 123456")
            page.click("form[data-replies] button[type=submit]")
        else:
            page.fill("#codename", "123456 123456")
            page.click("form[action$='/replies'] button")
        look("replies, typo")
        page.goto(live.url + "protection")
        look("how is this protected")

        page.goto(live.url + "s/needs-assessment")
        if javascript:
            page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        look("needs assessment")
        page.check("input[name=services_wanted][value=legal]")
        page.fill("#q-visits_per_month", "99")
        page.click("button[value=send]")
        page.wait_for_selector(".message:visible")
        look("needs assessment, out of range")
        page.fill("#q-visits_per_month", "3")
        page.click("button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
        look("needs assessment, thanks")
    english = {name: words for name, words in seen.items() if words}
    assert english == {}, english
