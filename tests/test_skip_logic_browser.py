"""Skip logic in a real Chromium: with JavaScript questions appear and disappear live on one
page; without it the survey is paged so that no follow-up is shown after "No"; both paths
send the same answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crypto.keys import ReviewerKey

from .browsers import chromium, needs_bundle, needs_chromium
from .conftest import RunCli
from .helpers import LiveServer, open_bundle
from .test_skip_logic import ONE_PAGE, PAGED

pytestmark = [pytest.mark.browser]


@pytest.mark.slow
@needs_chromium
@needs_bundle
def test_with_javascript_questions_appear_as_answers_change_and_skipped_ones_are_not_sent(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
) -> None:
    definition = tmp_path / "outreach.yaml"
    definition.write_bytes(PAGED)
    assert published("surveys", "import", definition, "--publish").exit_code == 0
    live = live_server()
    with chromium() as browser:
        page = browser.new_page()
        page.goto(live.url + "s/outreach")
        page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        # One page with the script: every page shown, Next and Back gone.
        assert page.is_visible("#q-age") and page.is_visible("input[name=safe]")
        assert page.is_hidden(".pages")
        assert page.is_hidden("#q-times") and page.is_hidden("h2.group >> text=Police")
        page.check("input[name=stopped][value=yes]")
        assert page.is_visible("#q-times") and page.is_visible("h2.group >> text=Police")
        page.fill("#q-times", "3")
        page.check("input[name=stopped][value=no]")  # changed: the police page is skipped
        assert page.is_hidden("#q-times")
        assert page.is_hidden("#q-place_other")
        page.check("input[name=place][value=other]")
        page.fill("#q-place_other", "a bar")
        page.fill("#q-age", "41")
        page.check("input[name=safe][value='5']")
        page.click("form button[value=send]")
        page.wait_for_url("**/thanks", timeout=60_000)
    bundle = tmp_path / "export.glas"
    assert published("export", "--out", bundle).exit_code == 0
    opened, _ = open_bundle(bundle, reviewer[1], tmp_path / "out")
    (result,) = [o for o in opened if o.answers["survey"] == "outreach"]
    assert result.answers["answers"] == {
        "age": 41,
        "place": ["other"],
        "place_other": "a bar",
        "stopped": "no",
        "safe": "5",
    }


@pytest.mark.slow
@needs_chromium
@needs_bundle
def test_no_follow_up_is_shown_after_no_and_both_paths_send_the_same_answers(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
) -> None:
    definition = tmp_path / "checkin.yaml"
    definition.write_bytes(ONE_PAGE)
    assert published("surveys", "import", definition, "--publish").exit_code == 0
    live = live_server()
    with chromium() as browser:
        for javascript in (False, True):
            page = browser.new_context(java_script_enabled=javascript).new_page()
            page.goto(live.url + "s/checkin")
            if javascript:
                page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
            else:
                assert page.is_hidden("#q-times") and page.is_hidden("#q-what")
            page.check("input[name=stopped][value=no]")
            if not javascript:
                page.click("form button[value=next]")
            # "No": the follow-ups are never shown, on either path.
            assert page.is_hidden("#q-times") and page.is_hidden("#q-what")
            page.check("input[name=safe][value=mostly]")
            if not javascript:
                page.click("form button[value=next]")
                assert page.is_hidden("#q-why")
            page.click("form button[value=send]")
            page.wait_for_url("**/thanks", timeout=60_000)
    bundle = tmp_path / "export.glas"
    assert published("export", "--out", bundle).exit_code == 0
    opened, _ = open_bundle(bundle, reviewer[1], tmp_path / "out")
    sent = [o.answers["answers"] for o in opened if o.answers["survey"] == "checkin"]
    assert sent == [{"stopped": "no", "safe": "mostly"}] * 2
