"""A Macedonian-speaking respondent on a 360 px phone, with JavaScript on and off: the whole
testimony and needs assessment, their messages, the codename and the replies page show no word
in Latin script (Macedonian is written in Cyrillic; digits are the codename's script)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .browsers import (
    SAFER_PREFERENCES,
    SAFEST_PREFERENCES,
    chromium,
    firefox,
    needs_bundle,
    needs_chromium,
    needs_firefox,
)
from .conftest import RunCli
from .helpers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_bundle]
PHONE = {"width": 360, "height": 740}
#: The portal's name is a brand, written the same in every language.
BRAND = {"Glas"}


#: The text the respondent sees, outside the language picker (which names each language in its
#: own script, as pickers do).
SEEN_TEXT = (
    'Array.from(document.querySelectorAll("header, main, footer"))'
    '.map((e) => e.innerText).join(" ")'
)


def latin_words(text: str) -> set[str]:
    """Words in Latin script, but for the brand."""
    return set(re.findall(r"[A-Za-z][A-Za-z'’]+", text)) - BRAND


@needs_chromium
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
            seen[name] = latin_words(page.evaluate("() => " + SEEN_TEXT))

        page.goto(live.url + "?lang=mk")
        look("start")
        page.goto(live.url + "s/testimony")
        if javascript:
            page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        look("testimony")
        page.click("form button[value=send]")  # nothing answered: messages, in Macedonian
        page.wait_for_selector(".message:visible")
        look("testimony, unanswered")
        page.fill("#q-what_happened", "Ме запре на улица и ми ги зеде документите.")
        page.select_option("#q-month", "2025")
        page.select_option("select[name=month]:not(#q-month)", "03")
        page.check("input[name=who][value=police]")
        page.click("form button[value=send]")
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
            page.fill("#codename-js-1", "123456 123456")
            page.click("form[data-replies] button[type=submit]")
        else:
            page.fill("#codename-1", "123456 123456")
            page.click("form[action$='/replies'] button")
        look("replies, typo")
        page.goto(live.url + "protection")
        look("how is this protected")

        page.goto(live.url + "s/needs-assessment")
        if javascript:
            page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        look("needs assessment")
        page.check("input[name=services_wanted][value=legal]")
        if not javascript:  # its skip rule splits it in two pages without JavaScript
            page.check("input[name=saw_doctor][value=no]")
            page.click("form button[value=next]")
            page.wait_for_selector("#q-visits_per_month")
            look("needs assessment, second page")
        page.fill("#q-visits_per_month", "99")
        page.click("form button[value=send]")
        page.wait_for_selector(".message:visible")
        look("needs assessment, out of range")
        page.fill("#q-visits_per_month", "3")
        page.click("form button[value=send]")
        page.wait_for_url("**/thanks", timeout=120_000)
        look("needs assessment, thanks")
    english = {name: words for name, words in seen.items() if words}
    assert english == {}, english


@needs_firefox
@pytest.mark.parametrize("level", ["safer", "safest"])
def test_in_firefox_esr_at_tor_browser_levels_a_macedonian_respondent_meets_no_english_word(
    live_server: Callable[..., LiveServer], published: RunCli, tmp_path: Path, level: str
) -> None:
    """Firefox ESR is Tor Browser's engine: "Safer" runs scripts without JIT or WebAssembly,
    "Safest" runs none. The month is two selects there (no month input in Firefox)."""
    live = live_server()
    javascript = level == "safer"
    preferences = {
        **(SAFER_PREFERENCES if javascript else SAFEST_PREFERENCES),
        "intl.accept_languages": "mk",
    }
    seen: dict[str, set[str]] = {}
    with firefox(tmp_path / "profile", preferences) as client:
        # Imported once firefox() has: importing it first warns (distro) and fails the test.
        from marionette_driver import By, Wait

        client.set_window_rect(width=PHONE["width"], height=PHONE["height"])

        def look(name: str) -> None:
            seen[name] = latin_words(str(client.execute_script("return " + SEEN_TEXT)))

        def css(selector: str) -> Any:
            return client.find_element(By.CSS_SELECTOR, selector)

        def ready() -> None:
            if javascript:
                Wait(client, timeout=120).until(
                    lambda c: c.find_element(By.CSS_SELECTOR, "form").get_attribute("data-sealing")
                )

        client.navigate(live.url + "?lang=mk")
        look("start")
        client.navigate(live.url + "s/testimony")
        ready()
        look("testimony")
        css("form button[value=send]").click()
        Wait(client, timeout=30).until(
            lambda c: any(e.is_displayed() for e in c.find_elements(By.CSS_SELECTOR, ".message"))
        )
        look("testimony, unanswered")
        css("#q-what_happened").send_keys("Ме запре на улица и ми ги зеде документите.")
        css("#q-month option[value='2025']").click()
        css("select[name=month]:not(#q-month) option[value='03']").click()
        css("input[name=who][value=police]").click()
        css("form button[value=send]").click()
        Wait(client, timeout=300, interval=0.5).until(lambda c: "/thanks" in c.get_url())
        Wait(client, timeout=60).until(
            lambda c: (
                len([e for e in c.find_elements(By.CSS_SELECTOR, ".codename .group") if e.text])
                == 5
            )
        )
        look("thanks, codename")
        css("#written").click()
        css(".codename button[type=submit]").click()
        Wait(client, timeout=30).until(
            lambda c: c.find_element(By.CSS_SELECTOR, ".codename-kept").is_displayed()
        )
        look("thanks, written down")
        client.navigate(live.url + "s/needs-assessment")
        ready()
        look("needs assessment")
    english = {name: words for name, words in seen.items() if words}
    assert english == {}, english
