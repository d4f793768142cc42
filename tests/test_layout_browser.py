"""Every respondent page, in every language, fits a 360 px phone screen in a real Chromium.

Debian's Chromium driven by Playwright (never `playwright install`), with the flags this
machine needs, against a real `glas serve`. "Fits" means no horizontal scrolling and no text
running out of the viewport; a page that does not fit leaves a screenshot in the test's tmp dir.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from glas.languages import LANGUAGES

from .browsers import chromium, needs_chromium
from .helpers import LiveServer

PHONE = {"width": 360, "height": 780}
pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]


@pytest.fixture
def live(live_server: Callable[..., LiveServer]) -> LiveServer:
    return live_server()


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && (r.right > width + 1 || r.left < -1) && !e.closest('.hp');
  }).map(e => e.tagName + '.' + e.className);
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


def test_every_page_in_every_language_fits_a_360px_screen(live: LiveServer, tmp_path: Path) -> None:
    with chromium() as browser:
        for code in LANGUAGES:
            page = browser.new_page(viewport=PHONE)
            page.goto(f"{live.url}?lang={code}")
            visits = {
                "landing": None,
                "survey": "s/testimony",
                "thanks": "s/testimony/thanks",
                "warnings": "alerts",
                "replies": "replies",
                "not found": "no/such/page",
            }
            for name, path in visits.items():
                if path:
                    page.goto(live.url + path)
                check(page, tmp_path / f"{code}-{name}.png", code, name)
            page.goto(live.url + "s/testimony")
            page.fill("#q-what_happened", "short")
            page.check("input[name=who][value=police]")
            page.evaluate("document.querySelector('form').noValidate = true")
            page.click("form button[value=send]")
            page.wait_for_selector(".message")  # from the server, or the script's own check
            check(page, tmp_path / f"{code}-errors.png", code, "form with errors")
            page.close()


def check(page, screenshot: Path, code: str, name: str) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.lang") == code
    found = page.evaluate(OVERFLOW)
    if found["scroll"] > found["width"] or found["wide"]:
        page.screenshot(path=str(screenshot), full_page=True)  # for a human look
        raise AssertionError((code, name, found, str(screenshot)))


LINES = """(selector) => {
  const element = [...document.querySelectorAll(selector)].find((e) => !e.hidden);
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
}"""


def test_the_encryption_notice_takes_at_most_two_lines_on_a_phone_in_every_language(
    live: LiveServer,
) -> None:
    with chromium() as browser:
        for javascript in (False, True):
            context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
            page = context.new_page()
            for code in LANGUAGES:
                page.goto(f"{live.url}s/needs-assessment?lang={code}")
                if javascript:
                    page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
                lines = page.evaluate(LINES, ".sealing")
                assert lines <= 2, (code, javascript, lines)
                assert page.locator(".sealing:visible a[href$='/protection']").count() == 1
            context.close()


TARGETS = """() => [...document.querySelectorAll('input[type=radio], input[type=checkbox]')]
  .filter(i => !i.closest('.hp') && i.getClientRects().length)
  .map(i => {
    // What a finger can press: the label the box sits in (or names it), else the box.
    const label = i.closest('label') || document.querySelector(`label[for="${i.id}"]`);
    const r = (label || i).getBoundingClientRect();
    const box = i.getBoundingClientRect();
    return {name: i.name + '=' + i.value, width: r.width, height: r.height,
            box: Math.min(box.width, box.height)};
  })"""


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_every_tick_box_and_radio_is_a_44px_target_at_360px(
    live: LiveServer, javascript: bool
) -> None:
    """WCAG 2.5.5: each tick box and radio, with its label, is at least 44 x 44 CSS px, and the
    box itself is drawn large (not the browser's 13 px default)."""
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, java_script_enabled=javascript).new_page()
        for path in ("s/needs-assessment", "s/testimony", "replies"):
            page.goto(live.url + path)
            targets = page.evaluate(TARGETS)
            assert targets or path == "replies", path
            small = [t for t in targets if t["width"] < 44 or t["height"] < 44 or t["box"] < 20]
            assert not small, (path, small[:5])
