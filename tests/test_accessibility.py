"""axe-core's WCAG 2.2 A and AA rules on the pages people use, in every language, in Chromium.

axe-core is pinned in package-lock.json (npm ci, as the browser's libsodium); it is injected
into each page by the test (``bypass_csp``: the pages' own policy forbids any script of ours
they do not serve, which is the point of it)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from crypto.keys import ReviewerKey
from glas.languages import LANGUAGES
from portal import create_app
from portal.config import Config

from .browsers import chromium, needs_chromium
from .conftest import ROOT, RunCli, submit_needs
from .helpers import browser_log_in, organizer_url_of
from .test_repeats import FAMILY
from .xlsforms import write

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
RESPONDENT_PAGES = [
    "",
    "s/needs-assessment",
    "s/testimony",
    "s/testimony/thanks",
    "replies",
    "protection",
    "alerts",
    "alerts/print",
    "nowhere",  # the "not found" page
]
ORGANIZER_PAGES = [
    "",
    "surveys",
    "surveys/needs-assessment",
    "surveys/needs-assessment/questions/new",
    "surveys/needs-assessment/questions/0",
    "surveys/needs-assessment/preview",
    "surveys/needs-assessment/translations/mk",
    "surveys/needs-assessment/groups/new",
    "surveys/family/groups/person",
    "reviewers",
    "submissions",
    "staff",
    "audit",
    "replies",
    "alerts",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    needs_chromium,
    pytest.mark.skipif(not AXE.is_file(), reason="needs axe-core (make install: npm ci)"),
]


def axe_page(browser: Any) -> Any:
    """A page into which every document loads axe-core before its own scripts: the 500 KB
    are handed to the browser once, not sent again for each page checked."""
    context = browser.new_context(bypass_csp=True)
    context.add_init_script(path=str(AXE))
    return context.new_page()


def violations(page: Any) -> list[str]:
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))",
        TAGS,
    )
    return list(found)


#: Pages that only a button leads to (what a destructive action asks before it is done): the
#: page the button is on, and the button.
CONFIRMATIONS = [
    ("surveys/family", "form[action$='/groups/need/delete'] button"),
    ("surveys", "form[action$='/surveys/needs-assessment/close'] button"),
    ("submissions", "form[action$='/submissions/retention'] button"),
]


def check(page: Any, base: str, paths: list[str], found: dict[str, list[str]], code: str) -> None:
    """Every path in one language (axe needs script; the pages' markup is the same)."""
    for path in paths:
        page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={code}")
        problems = violations(page)
        if problems:
            found[f"{code} {base}{path}"] = problems


def check_confirmations(page: Any, base: str, found: dict[str, list[str]], code: str) -> None:
    for path, button in CONFIRMATIONS:
        page.goto(f"{base}{path}?lang={code}")
        if path == "submissions":  # 0 days: the preview of what would be deleted
            page.fill("input[name=all_days]", "0")
        page.click(button)
        page.wait_for_selector("input[name=confirmed]", state="attached")
        problems = violations(page)
        if problems:
            found[f"{code} {base}{path} → {button}"] = problems


# One test per language: they run side by side on the suite's workers.
@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_respondent_and_organizer_page_passes_axe(
    live_server: Any, published: RunCli, tmp_path: Path, code: str
) -> None:
    # A form with repeats, one inside another, and a file question in one.
    family = write(FAMILY, tmp_path / "family.xlsx")
    assert published("surveys", "import", family, "--publish").exit_code == 0
    # A submission, so that the retention page has something to list before deleting it.
    submit_needs(create_app(Config.from_env()).test_client(), services_wanted=["condoms"])
    live = live_server()
    added = published("organizers", "add", "Ana")
    setup = re.search(r"/setup/\S+", added.output)
    assert setup, added.output
    found: dict[str, list[str]] = {}
    with chromium() as browser:
        page = axe_page(browser)
        check(page, live.url, [*RESPONDENT_PAGES, "s/family"], found, code)
        organizer = organizer_url_of(live)
        check(page, organizer, ["login", setup.group(0).lstrip("/")], found, code)
        browser_log_in(page, organizer, setup.group(0))
        check(page, organizer, ORGANIZER_PAGES, found, code)
        check_confirmations(page, organizer, found, code)
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


def test_the_reviewers_pages_pass_axe_in_every_language(
    two_bundles: list[Path],
    run_cli: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    found: dict[str, list[str]] = {}
    with chromium() as browser:
        page = axe_page(browser)
        for code in LANGUAGES:
            out = tmp_path / code
            result = run_cli(
                "decrypt", *two_bundles, "--key", reviewer[0], "--passphrase-file",
                passphrase_file, "--out", out, "--language", code,
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            pages = [out / "report.html", *(out / "testimony").glob("*/testimonies/*.html")]
            for path in pages:
                page.goto(path.as_uri())
                problems = violations(page)
                if problems:
                    found[f"{code} {path.relative_to(out)}"] = problems
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
