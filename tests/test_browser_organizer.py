"""Issue 5, acceptance 1, in a real browser against `glas serve`: an organizer enrols with TOTP,
builds and publishes a survey with every question type and a skip-logic rule; a respondent with
JavaScript off answers; the organizer downloads the bundle; `glas decrypt` shows the answers
without the skipped question."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from crypto.keys import ReviewerKey
from portal.organizer.rules import conditions

from .browsers import chromium, needs_chromium
from .conftest import RunCli
from .helpers import browser_log_in, organizer_url_of, version_folder
from .test_designer import QUESTIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_chromium]


def test_an_organizer_builds_a_survey_in_the_browser_and_a_no_javascript_answer_decrypts(
    live_server: Any,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    live = live_server()
    organizer_url = organizer_url_of(live)
    added = published("organizers", "add", "Ana")
    setup_path = re.search(r"/setup/\S+", added.output)
    assert setup_path, added.output

    with chromium() as browser:
        page = browser.new_context(accept_downloads=True).new_page()
        browser_log_in(page, organizer_url, setup_path.group(0))

        page.goto(organizer_url + "surveys")
        page.fill("input[name=id]", "checkin")
        page.fill("input[name=title]", "Monthly check-in")
        page.click("text=Create")
        page.wait_for_url("**/surveys/checkin")
        for question in QUESTIONS:
            page.click("text=Add a question")
            _fill_question(page, question)
            page.click("text=Save question")
            page.wait_for_url("**/surveys/checkin")
        assert "Fix these before publishing" not in page.content()
        page.check("input[name=incomplete_ok]")  # English only: published knowingly
        page.click("main form button:text-is('Publish')")
        page.wait_for_url("**/surveys")

        respondent = browser.new_context(java_script_enabled=False).new_page()
        respondent.goto(live.url + "s/checkin")
        respondent.fill("#q-area", "Centar")
        respondent.fill("#q-story", "canary-story, told in a browser")
        respondent.fill("#q-age", "31")
        respondent.fill("#q-spent", "4.5")
        respondent.fill("#q-since", "2023-06-01")
        respondent.check("input[name=where][value=flat]")
        respondent.check("input[name=needs][value=legal]")
        respondent.check("input[name=trust][value='4']")
        respondent.check("input[name=safe][value=yes]")
        # "why_not" reads "safe": without JavaScript it waits for the next page, and is skipped.
        respondent.click("form button[value=next]")
        assert respondent.is_hidden("#q-why_not")
        photo = tmp_path / "photo.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        respondent.set_input_files("#q-photo", str(photo))
        respondent.click("form button[value=send]")
        respondent.wait_for_url("**/thanks")

        page.goto(organizer_url + "submissions")
        with page.expect_download() as download:
            page.click("text=Download an export bundle")
        bundle = tmp_path / "export.glasbundle"
        download.value.save_as(bundle)

    out = tmp_path / "out"
    result = published(
        "decrypt", bundle, "--key", reviewer[0], "--out", out, "--passphrase-file", passphrase_file
    )
    assert result.exit_code == 0, result.output
    (record,) = json.loads((version_folder(out, "checkin") / "answers.json").read_text())
    answers = record["answers"]
    assert "why_not" not in answers, "the skipped question is absent"
    assert answers["safe"] == "yes" and answers["trust"] == "4" and answers["where"] == "flat"
    assert answers["needs"] == ["legal"] and answers["age"] == 31 and answers["spent"] == "4.5"
    assert answers["story"] == "canary-story, told in a browser"
    assert len(record["files"]) == 1 and record["files"][0]["name"] == "photo.jpg"


def _fill_question(page: Any, question: dict[str, Any]) -> None:
    page.select_option("select[name=type]", question["type"])
    with page.expect_navigation():  # the page comes back with this type's fields only
        page.click("button[name=show_type]")
    page.fill("input[name=name]", question["name"])
    page.fill("textarea[name=label]", question["label"])
    if question.get("required"):
        page.check("input[name=required]")
    for field in ("minimum", "maximum", "low_label", "high_label", "accept"):
        if field in question:
            page.fill(f"input[name={field}]", question[field])
    if "relevant" in question:  # through the rule builder's rows, as an organizer would
        found = conditions(question["relevant"])
        assert found is not None
        rows, join = found
        for number, condition in enumerate(rows, start=1):
            page.select_option(f"select[name=rule_question_{number}]", condition.question)
            page.select_option(f"select[name=rule_operator_{number}]", condition.operator)
            page.fill(f"input[name=rule_value_{number}]", condition.value)
        page.select_option("select[name=rule_join]", join)
    if "choices" in question:
        page.fill("textarea[name=choices]", question["choices"])
