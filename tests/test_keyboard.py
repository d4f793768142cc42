"""Keyboard only, without JavaScript, in Chromium: an organizer builds a survey with a skip rule
and a number limit through the builder, previews it in Macedonian, publishes it; deleting a
question asks first; the audit log names each step; respondents get the rule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from crypto.keys import ReviewerKey

from .browsers import chromium, needs_chromium
from .conftest import RunCli
from .helpers import browser_log_in, organizer_url_of

pytestmark = [pytest.mark.slow, needs_chromium]
MOST_TABS = 150


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until ``selector`` has the focus (as a keyboard user moves through a page)."""
    target = page.locator(selector).first.element_handle()
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", target):
            return
    raise AssertionError(f"Tab never reached {selector}")


def type_into(page: Any, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page: Any, selector: str, label: str) -> None:
    """A <select> by keyboard: focused, then the option's first letters typed."""
    tab_to(page, selector)
    page.keyboard.type(label)
    chosen = page.locator(selector).evaluate("(el) => el.selectedOptions[0].textContent")
    assert chosen.strip().startswith(label), (selector, chosen)


def move_on(page: Any) -> None:
    """Next when the page has one, else Send (without JavaScript, pages are the form's)."""
    following = page.locator("form button[value=next]:visible")
    (following if following.count() else page.locator("form button[value=send]")).first.click()
    page.wait_for_load_state()


def press(page: Any, selector: str, key: str = "Enter") -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.browser
def test_a_survey_is_built_and_published_with_the_keyboard_alone(
    live_server: Any, published: RunCli, reviewer: tuple[Path, ReviewerKey]
) -> None:
    live = live_server()
    organizer = organizer_url_of(live)
    added = published("organizers", "add", "Ana")
    setup = re.search(r"/setup/\S+", added.output)
    assert setup
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=False).new_page()
        browser_log_in(page, organizer, setup.group(0))  # setting up an account: not this test
        page.goto(organizer + "surveys")
        type_into(page, "input[name=id]", "kb")
        type_into(page, "input[name=title]", "Keyboard check-in")
        press(page, "form button[type=submit]:text('Create')")
        press(page, "a:text('Add the first question')")
        choose(page, "select[name=type]", "Yes or no")
        type_into(page, "input[name=name]", "safe")
        type_into(page, "textarea[name=label]", "Do you feel safe?")
        press(page, "button:text('Save question')")
        press(page, "a:text('Add a question')")
        choose(page, "select[name=type]", "Whole number")
        press(page, "button[name=show_type]")  # the page comes back with a number's fields
        type_into(page, "input[name=name]", "times")
        type_into(page, "textarea[name=label]", "How many times were you stopped?")
        type_into(page, "input[name=minimum]", "0")
        type_into(page, "input[name=maximum]", "31")
        choose(page, "select[name=rule_question_1]", "safe")
        # The condition stays at its first choice, "is".
        type_into(page, "input[name=rule_value_1]", "no")
        press(page, "button:text('Save question')")
        # A repeat, asked as many times as the answer to "times", built from menus alone.
        press(page, "a:text('Add a group')")
        type_into(page, "input[name=name]", "stop")
        type_into(page, "input[name=label]", "Each time you were stopped")
        tab_to(page, "input[name=repeat]")
        page.keyboard.press("Space")
        choose(page, "select[name=repeat_from]", "times")
        press(page, "button:text('Save group')")
        press(page, "a:text('Add a question')")
        choose(page, "select[name=type]", "Month")
        type_into(page, "input[name=name]", "when")
        type_into(page, "textarea[name=label]", "When was it?")
        choose(page, "select[name=group]", "stop")
        press(page, "button:text('Save question')")
        press(page, "a:text('Add a question')")
        type_into(page, "input[name=name]", "oops")
        type_into(page, "textarea[name=label]", "A question added by mistake")
        press(page, "button:text('Save question')")
        # Deleting asks first, on its own page.
        press(page, "li[data-name=oops] button:text('Delete')")
        assert "Delete the question oops?" in page.content()
        press(page, "button:text('Yes, delete it')")
        assert 'data-name="oops"' not in page.content()
        assert "\u201cDo you feel safe?\u201d is \u201cno\u201d" in page.content()  # in words
        # Preview in Macedonian.
        press(page, "a:text('Preview')")
        press(page, "a[href='?lang=mk']")
        assert '<html lang="mk"' in page.content()
        page.goto(organizer + "surveys/kb?lang=en")
        tab_to(page, "input[name=incomplete_ok]")
        page.keyboard.press("Space")
        press(page, "#publish ~ form button:text('Publish')")
        assert "Published. Respondents now answer version" in page.content()
        page.goto(organizer + "audit")
        audit = page.content()
    for step in (
        "created a survey",
        'added a question</td><td data-record="">kb safe',
        'added a question</td><td data-record="">kb times',
        'added a group</td><td data-record="">kb stop',
        'added a question</td><td data-record="">kb when',
        'deleted a question</td><td data-record="">kb oops',
        "published a survey",
    ):
        assert step in audit, step
    # Respondents, without JavaScript: "yes" skips the follow-up; "no" asks it, within limits.
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(live.url + "s/kb")
        page.check("input[name=safe][value=no]")
        page.click("form button[value=next]")
        page.fill("#q-times", "40")
        move_on(page)
        assert "at most 31" in page.content()
        page.fill("#q-times", "3")
        move_on(page)  # to the repeat: three times "When was it?", none required
        assert page.content().count("When was it?") >= 3  # three instances (and a template)
        while "thanks" not in page.url:
            move_on(page)
        # With JavaScript, by keyboard: the follow-up appears as soon as "no" is chosen.
        page = browser.new_context().new_page()
        page.goto(live.url + "s/kb")
        page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        assert page.is_hidden("#q-times")
        tab_to(page, "input[name=safe][value=yes]")
        page.keyboard.press("ArrowDown")  # radio buttons move with the arrows: now "no"
        assert page.is_checked("input[name=safe][value=no]") and page.is_visible("#q-times")


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_testimony_is_given_with_the_keyboard_alone(
    live_server: Any, published: RunCli, javascript: bool
) -> None:
    live = live_server()
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=javascript).new_page()
        page.goto(live.url + "s/testimony")
        if javascript:
            page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        type_into(page, "#q-what_happened", "He took my documents at the station.")
        choose(page, "#q-month", "2025")
        tab_to(page, "select[name=month]:not(#q-month)")
        page.keyboard.press("ArrowDown")  # the first month
        tab_to(page, "input[name=who][value=police]")
        page.keyboard.press("Space")
        tab_to(page, "form button[value=send]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/thanks", timeout=120_000)
        page.wait_for_selector(".codename .group")
        tab_to(page, "#written")
        page.keyboard.press("Space")
        tab_to(page, ".codename button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_selector(".codename-kept", state="visible")


def test_the_designer_sets_a_shortest_answer(logged_in: Any) -> None:
    from .test_designer import post

    post(logged_in, "/surveys", {"id": "len", "title": "Len", "kind": "survey", "language": "en"})
    story = {"type": "textarea", "name": "story", "label": "Tell us", "min_length": "10"}
    assert post(logged_in, "/surveys/len/questions/new", story).status_code == 302
    page = logged_in.get("/surveys/len/questions/0").get_data(as_text=True)
    assert re.search(r'name="min_length"[^>]*value="10"|value="10"[^>]*name="min_length"', page)
