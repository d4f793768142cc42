"""Encryption in the respondent's browser, proven in real browsers against a real `glas serve`.

Every byte a browser sends passes through a recording loopback proxy; the tests search it for
the answers, the canaries and samples of the attachment. Then the organizer side exports and
the reviewer side runs `glas decrypt`, which must give back exactly what was entered.

Browsers: Debian's Chromium (Playwright), with WebAssembly and with `--jitless` (Tor Browser
"Safer": no JIT, no WebAssembly), and Firefox ESR with Tor Browser's Safer and Safest
preferences (Marionette). JavaScript off must still work: the server seals on arrival.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from crypto.envelope import padded_file_size
from crypto.stream import ciphertext_size

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
from .helpers import (
    JPEG_MAGIC,
    LiveServer,
    RecordingProxy,
    open_bundle,
    payload_sizes,
    received_file,
    stop,
    uploads_left,
    version_folder,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_bundle]

STORY = "Canary-Bx7Q: the client took my phone near the bus station. Скопје, ноќта."
MORE = "Canary-Zr4P second answer"
FILE_NAME = "night photo.jpg"
#: Two upload chunks (4 MiB each): a file that crosses a chunk boundary. How long a large file
#: takes at Safer is measured by bench/ and by test_safer_respondent, not by every round trip.
ATTACHMENT_MIB = 5
SERVER_SEALS = "Only the reviewers can open it"
BROWSER_SEALS = "Locked here for the reviewers"


@pytest.fixture
def attachment_mib() -> int:
    """The attachment's size; a test that needs more chunks parametrizes it."""
    return ATTACHMENT_MIB


@pytest.fixture
def attachment(tmp_path: Path, attachment_mib: int) -> Path:
    """Megabytes that cannot be mistaken for anything else, with a readable canary at the start."""
    path = tmp_path / "files" / FILE_NAME
    path.parent.mkdir()
    noise = random.Random(7).randbytes(attachment_mib << 20)
    path.write_bytes(JPEG_MAGIC + b"Canary-Jp9F attachment\n" + noise)
    return path


def fill_in_chromium(page: Any, url: str, attachment: Path, *, javascript: bool = True) -> str:
    """Fill and send the testimony; return the codename the thanks page shows."""
    page.goto(url + "s/testimony")
    if javascript:
        page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        assert BROWSER_SEALS in page.inner_text(".sealing.browser")
    else:
        assert SERVER_SEALS in page.inner_text(".sealing.server")
    page.fill("#q-what_happened", STORY)
    page.select_option("#q-month", "2024")
    page.select_option("select[name=month][aria-label]:not(#q-month)", "03")
    page.check("input[name=place][value=street]")
    page.check("input[name=who][value=police]")
    page.check("input[name=who][value=client]")
    page.fill("#q-anything_else", MORE)
    page.set_input_files("#q-evidence", str(attachment))
    page.click("form button[value=send]")
    page.wait_for_url("**/thanks", timeout=300_000)
    # Either way, a testimony ends with its codename for replies: five groups of six digits.
    page.wait_for_selector(".codename .group", timeout=60_000)
    groups = page.locator(".codename .group").all_inner_texts()
    assert len(groups) == 5 and all(re.fullmatch(r"\d{6}", g) for g in groups), groups
    return " ".join(groups)


def assert_nothing_readable_was_sent(sent: bytes, attachment: bytes) -> None:
    for text in (STORY, MORE, FILE_NAME, "Canary-Jp9F"):
        for form in (text, quote(text), quote_plus(text)):
            assert form.encode() not in sent, f"{text!r} left the browser"
    samples = random.Random(1)
    for _ in range(200):
        offset = samples.randrange(len(attachment) - 32)
        assert attachment[offset : offset + 32] not in sent, "attachment bytes left the browser"


@pytest.fixture
def reviewer_gets_back(
    published: RunCli,
    reviewer: tuple[Path, Any],
    passphrase_file: Path,
    attachment: Path,
    tmp_path: Path,
) -> Callable[..., None]:
    """Stop the server, export, `glas decrypt`: the answers and file must be as entered."""

    def check(live: LiveServer, *, with_month: bool = True) -> None:
        stop(live)
        bundle, out = tmp_path / "export.glas", tmp_path / "reviewer"
        assert published("export", "--out", bundle).exit_code == 0
        key = reviewer[0]
        result = published(
            "decrypt", bundle, "--key", key, "--out", out, "--passphrase-file", passphrase_file
        )
        assert result.exit_code == 0, result.output
        (record,) = json.loads((version_folder(out, "testimony") / "answers.json").read_text())
        answers = record["answers"]
        assert answers["what_happened"] == STORY and answers["anything_else"] == MORE
        assert answers["who"] == ["police", "client"] and answers["place"] == "street"
        assert answers.get("month") == ("2024-03" if with_month else None)
        received = received_file(out, "testimony", FILE_NAME).read_bytes()
        assert received == attachment.read_bytes()

    return check


@needs_chromium
@pytest.mark.parametrize("jitless", [False, True], ids=["webassembly", "safer-jitless"])
def test_chromium_sends_only_ciphertext_and_the_reviewer_gets_back_what_was_entered(
    proxied: tuple[LiveServer, RecordingProxy],
    attachment: Path,
    reviewer_gets_back: Callable[..., None],
    jitless: bool,
) -> None:
    live, proxy = proxied
    with chromium(jitless=jitless) as browser:
        page = browser.new_page()
        codename = fill_in_chromium(page, proxy.url, attachment)
    sent = proxy.sent()
    assert b"glas_envelope=" in sent or b'name="glas_envelope"' in sent
    assert b"PUT /s/testimony/uploads/" in sent
    assert_nothing_readable_was_sent(sent, attachment.read_bytes())
    # The codename was made in the page and never sent, in any form.
    for form in (codename, codename.replace(" ", ""), quote_plus(codename)):
        assert form.encode() not in sent
    reviewer_gets_back(live)


@needs_chromium
def test_jitless_chromium_has_no_webassembly_so_libsodium_runs_its_javascript_fallback(
    proxied: tuple[LiveServer, RecordingProxy],
) -> None:
    _live, proxy = proxied
    for jitless, expected in ((False, "browser"), (True, "browser-slow")):
        with chromium(jitless=jitless) as browser:
            page = browser.new_page()
            page.goto(proxy.url + "s/testimony")
            page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
            assert page.get_attribute("form", "data-sealing") == expected


@needs_chromium
@pytest.mark.parametrize("attachment_mib", [9], ids=["three-upload-chunks"])
def test_a_dropped_chunk_is_sent_again_and_stored_once(
    proxied: tuple[LiveServer, RecordingProxy],
    attachment: Path,
    reviewer_gets_back: Callable[..., None],
    data_dir: Path,
) -> None:
    live, proxy = proxied
    seen: dict[str, int] = {}
    answers: list[tuple[str, int]] = []

    def drop_before_sending(route: Any) -> None:
        key = "before"
        seen[key] = seen.get(key, 0) + 1
        route.abort() if seen[key] == 1 else route.continue_()

    def drop_after_storing(route: Any) -> None:
        # The server gets this chunk and stores it; the browser sees the circuit drop.
        key = "after"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 1:
            route.fetch()
            route.abort()
        else:
            route.continue_()

    with chromium() as browser:
        page = browser.new_page()
        page.route("**/uploads/*/file-0/1", drop_before_sending)
        page.route("**/uploads/*/file-0/2", drop_after_storing)
        page.on("response", lambda r: answers.append((r.url, r.status)))
        fill_in_chromium(page, proxy.url, attachment)

    assert seen == {"before": 2, "after": 2}
    # The repeated chunk 2 was already there: 200 "not stored again", not 201 "stored".
    assert [status for url, status in answers if url.endswith("/file-0/2")] == [200]
    assert uploads_left(data_dir) == 0
    (stored,) = payload_sizes(data_dir)
    # Padded inside the encryption: the stored size names only the bucket (Padmé).
    padded = padded_file_size(attachment.stat().st_size)
    assert stored == ciphertext_size(padded) > ciphertext_size(attachment.stat().st_size)
    reviewer_gets_back(live)


@needs_chromium
def test_chromium_without_javascript_is_told_the_server_seals_and_it_works(
    proxied: tuple[LiveServer, RecordingProxy],
    attachment: Path,
    reviewer_gets_back: Callable[..., None],
) -> None:
    live, proxy = proxied
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=False).new_page()
        fill_in_chromium(page, proxy.url, attachment, javascript=False)
    assert b"glas_envelope" not in proxy.sent()  # the no-JavaScript path, as promised
    reviewer_gets_back(live)


def fill_in_firefox(client: Any, url: str, attachment: Path, *, javascript: bool) -> str:
    """Fill the testimony form in Firefox; return the sealing notice the respondent saw."""
    from marionette_driver import By, Wait

    client.navigate(url + "s/testimony")
    if javascript:
        Wait(client, timeout=60).until(
            lambda c: c.find_element(By.CSS_SELECTOR, "form").get_attribute("data-sealing")
        )
    shown = [e.text for e in client.find_elements(By.CSS_SELECTOR, ".sealing") if e.is_displayed()]
    client.find_element(By.ID, "q-what_happened").send_keys(STORY)
    client.find_element(By.CSS_SELECTOR, "input[name=place][value=street]").click()
    client.find_element(By.CSS_SELECTOR, "input[name=who][value=police]").click()
    client.find_element(By.CSS_SELECTOR, "input[name=who][value=client]").click()
    client.find_element(By.ID, "q-anything_else").send_keys(MORE)
    client.find_element(By.ID, "q-evidence").send_keys(str(attachment))
    client.find_element(By.CSS_SELECTOR, "form button[value=send]").click()
    Wait(client, timeout=300, interval=0.5).until(lambda c: c.get_url().endswith("/thanks"))
    (notice,) = shown
    return str(notice)


@needs_firefox
@pytest.mark.parametrize("level", ["safer", "safest"])
def test_firefox_with_tor_browser_security_levels(
    proxied: tuple[LiveServer, RecordingProxy],
    attachment: Path,
    reviewer_gets_back: Callable[..., None],
    tmp_path: Path,
    level: str,
) -> None:
    live, proxy = proxied
    javascript = level == "safer"
    preferences = SAFER_PREFERENCES if javascript else SAFEST_PREFERENCES
    with firefox(tmp_path / "profile", preferences) as client:
        notice = fill_in_firefox(client, proxy.url, attachment, javascript=javascript)
    sent = proxy.sent()
    if javascript:
        assert BROWSER_SEALS in notice
        assert_nothing_readable_was_sent(sent, attachment.read_bytes())
    else:
        assert SERVER_SEALS in notice and b"glas_envelope" not in sent
    reviewer_gets_back(live, with_month=False)


EVERY_TYPE = """\
id: every-type
title: Every question type
questions:
  - {name: nickname, type: text, label: A short text}
  - {name: story, type: textarea, label: A long text}
  - {name: visits, type: integer, label: A whole number, min: 0, max: 100}
  - {name: spent, type: decimal, label: A number}
  - {name: day, type: date, label: A day}
  - name: place
    type: select_one
    label: One choice
    choices: [{name: street, label: Street}, {name: flat, label: Flat}]
  - name: who
    type: select_multiple
    label: Several choices
    choices:
      - {name: police, label: Police}
      - {name: client, label: Client}
      - {name: other, label: Other}
  - {name: trust, type: scale, label: A scale, low_label: Not at all, high_label: Fully}
  - {name: safe, type: yes_no, label: Yes or no}
  - {name: why, type: text, label: Asked only after a no, relevant: "${safe} = 'no'"}
  - {name: unanswered, type: text, label: Left empty}
  - {name: photo, type: file, label: A file}
"""


@needs_chromium
def test_the_browser_builds_the_same_answers_document_as_the_server(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, Any],
    tmp_path: Path,
) -> None:
    definition = tmp_path / "every-type.yaml"
    definition.write_text(EVERY_TYPE)
    imported = published("surveys", "import", definition, "--publish")
    assert imported.exit_code == 0, imported.output
    photo = tmp_path / "фото 1.jpg"
    photo.write_bytes(JPEG_MAGIC + b" not really a jpeg")
    live = live_server()
    with chromium() as browser:
        for javascript in (True, False):
            page = browser.new_context(java_script_enabled=javascript).new_page()
            page.goto(live.url + "s/every-type")
            if javascript:
                page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
            page.fill("#q-nickname", "  Ana   Marija\t B  ")
            page.fill("#q-story", "line one\r\nline two  \n\n")
            page.fill("#q-visits", "007")
            page.fill("#q-spent", "2,50")
            page.fill("#q-day", "2024-02-29")
            page.check("input[name=place][value=flat]")
            page.check("input[name=who][value=other]")
            page.check("input[name=who][value=police]")
            page.check("input[name=trust][value='4']")
            # Typed after a "no", then the answer changes: the text is skipped, never stored.
            # Without the script, "why" reads "safe", so it waits on the next page.
            page.check("input[name=safe][value=no]")
            if not javascript:
                page.click("form button[value=next]")
            page.fill("#q-why", "canary typed then skipped")
            if not javascript:
                page.click("button[value=back]")
            page.check("input[name=safe][value=yes]")
            if not javascript:
                page.click("form button[value=next]")
            assert page.is_hidden("#q-why")  # the script hides it live; the server skips it
            page.set_input_files("#q-photo", str(photo))
            page.click("form button[value=send]")
            page.wait_for_url("**/thanks", timeout=60_000)
    stop(live)
    bundle = tmp_path / "both.glas"
    assert published("export", "--out", bundle).exit_code == 0
    opened, failed = open_bundle(bundle, reviewer[1], tmp_path / "out")
    assert not failed and len(opened) == 2
    in_browser, on_server = (o.answers for o in opened)
    assert in_browser == on_server
    assert in_browser["language"] == "en"  # her pages' language, for the reviewer's reply
    assert in_browser["answers"] == {
        "nickname": "Ana Marija B",
        "story": "line one\nline two",
        "visits": 7,
        "spent": "2.50",
        "day": "2024-02-29",
        "place": "flat",
        "who": ["police", "other"],
        "trust": "4",
        "safe": "yes",
    }
    assert in_browser["files"] == [
        {"question": "photo", "part": 0, "name": "фото 1.jpg", "type": "image/jpeg", "size": 22}
    ]


@needs_chromium
def test_with_javascript_mistakes_are_shown_in_the_respondents_language_and_nothing_is_sent(
    proxied: tuple[LiveServer, RecordingProxy], tmp_path: Path
) -> None:
    _live, proxy = proxied
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a photo")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(proxy.url + "s/testimony?lang=mk")
        page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        page.evaluate("document.querySelector('form').noValidate = true")  # past the browser's own
        page.fill("#q-what_happened", "short")
        page.set_input_files("#q-evidence", str(text_file))
        page.click("form button[value=send]")
        page.wait_for_selector("[data-from-script]")
        messages = page.locator("[data-from-script]").all_inner_texts()
        assert page.url.endswith("/s/testimony?lang=mk")  # the page did not post
        status = page.inner_text(".progress .status")
    # The server's own messages, in Macedonian: too short, a required choice, a file's kind.
    assert messages[0] == "Напишете најмалку 10 знаци."
    assert messages[1] == "На ова прашање треба да се одговори."
    assert messages[2].startswith("Прикачете само датотеки од овие видови: image/*")
    assert status and "Some answers" not in status
    sent = proxy.sent()
    assert b"/uploads" not in sent and b"glas_envelope" not in sent and b"short" not in sent
