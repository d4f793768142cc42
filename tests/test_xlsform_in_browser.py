"""A real-world XLSForm in a real browser, JavaScript on and off (issue 30, acceptance 3): the
towns come from an attached CSV (``select_one_from_file``), filtered by the region answered
before (a cascading ``choice_filter`` over file choices), in English or in Arabic — right to
left, with the interface falling back to English — and what reaches the reviewer is what was
entered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crypto.keys import ReviewerKey

from .browsers import needs_bundle, needs_chromium, survey_page
from .conftest import RunCli
from .helpers import LiveServer, sealed_answers
from .xlsforms import Sheet, write

FORM: dict[str, Sheet] = {
    "survey": [
        ["type", "name", "label::English (en)", "label::Arabic (ar)", "required", "choice_filter"],
        ["select_one regions", "region", "Region", "المنطقة", "yes", ""],
        ["select_one_from_file towns.csv", "town", "Town", "المدينة", "yes", "region=${region}"],
        ["text", "what", "What happened?", "ماذا حدث؟", "", ""],
    ],
    "choices": [
        ["list_name", "name", "label::English (en)", "label::Arabic (ar)"],
        ["regions", "north", "North", "الشمال"],
        ["regions", "south", "South", "الجنوب"],
    ],
    "settings": [["form_title", "form_id", "default_language"], ["Towns", "towns", "English (en)"]],
}
TOWNS = (
    "name,label::English (en),label::Arabic (ar),region\n"
    "skopje,Skopje,سكوبيه,north\n"
    "tetovo,Tetovo,تيتوفو,north\n"
    "bitola,Bitola,بيتولا,south\n"
)


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
@needs_bundle
@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_towns_from_an_attached_file_filtered_by_region_in_english_and_arabic(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
    javascript: bool,
    language: str,
) -> None:
    (tmp_path / "towns.csv").write_text(TOWNS, encoding="utf-8")
    form = write(FORM, tmp_path / "towns.xlsx")
    imported = published("surveys", "import", form, "--attach", tmp_path / "towns.csv", "--publish")
    assert imported.exit_code == 0, imported.output
    live = live_server()
    arabic = language == "ar"
    with survey_page(live.url, f"towns?lang={language}", javascript) as page:
        html = page.locator("html")
        assert html.get_attribute("lang") == language
        assert html.get_attribute("dir") == ("rtl" if arabic else "ltr")
        assert page.locator("label", has_text="الشمال" if arabic else "North").count() == 1
        page.check("input[name=region][value=north]")
        if not javascript:
            page.click("form button[value=next]")
            page.wait_for_selector("input[name=town]", state="attached")
        assert page.is_visible("input[name=town][value=tetovo]")
        assert page.is_hidden("input[name=town][value=bitola]")
        assert page.locator("label", has_text="تيتوفو" if arabic else "Tetovo").count() == 1
        page.check("input[name=town][value=tetovo]")
        page.fill("[name=what]", "نص" if arabic else "text")
        send = page.locator("form button[value=send]").first
        assert send.inner_text().strip() == "Send"  # in Arabic, the interface falls back
        send.click()
        page.wait_for_url("**/thanks", timeout=120_000)
    assert sealed_answers(published, reviewer[1], tmp_path, "towns") == {
        "region": "north",
        "town": "tetovo",
        "what": "نص" if language == "ar" else "text",
    }
