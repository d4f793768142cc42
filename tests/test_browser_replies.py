"""Codenames and replies in a real Chromium at 360 px: with JavaScript the codename is made and
read in the browser and no byte of it reaches the server, even when "Read replies" is pressed
as early as the page allows; a typo is named before any request; without JavaScript the thanks
page keeps the codename over a reload until it is confirmed, and the server reads for one
request. Both show the same reply."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
import requests

from .browsers import chromium, needs_bundle, needs_chromium
from .conftest import RunCli, csrf_token
from .helpers import LiveServer, RecordingProxy, answer_testimony, decrypt

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_bundle, needs_chromium]
REPLY = "Canary-Jr5 Come to the centre on Tuesday; the lawyer is there from ten."
WRITE_BACK = "Canary-Jw6 Thank you, I will come with my sister."
PHONE = {"width": 360, "height": 740}


def forms_of(codename: str) -> list[bytes]:
    """Every way a codename could travel: as shown, without spaces, form-encoded, each group."""
    digits = codename.replace(" ", "")
    return [codename.encode(), digits.encode(), quote_plus(codename).encode()]


def shown_codename(page: Any) -> str:
    page.wait_for_selector(".codename .group", timeout=60_000)
    return " ".join(page.locator(".codename .group").all_inner_texts())


def send_testimony(page: Any, url: str, story: str, *, javascript: bool) -> str:
    page.goto(url + "s/testimony?lang=mk")
    if javascript:
        page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
    page.fill("#q-what_happened", story)
    page.check("input[name=who][value=police]")
    page.click("form button[value=send]")
    page.wait_for_url("**/thanks", timeout=120_000)
    return shown_codename(page)


def confirm(page: Any) -> None:
    page.click(".codename button[type=submit]")  # not ticked: asked again, in the page's language
    assert page.locator(".codename .message").is_visible()
    page.check("#written")
    page.click(".codename button[type=submit]")
    page.wait_for_selector(".codename-kept", state="visible")
    assert page.locator(".codename .group").count() == 0


def test_with_javascript_the_codename_is_made_kept_and_read_in_the_browser_only(
    proxied: tuple[LiveServer, RecordingProxy],
    published: RunCli,
    reviewer: tuple[Path, object],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    live, proxy = proxied
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE)
        codename = send_testimony(page, proxy.url, "Canary-Tb2 at the hotel.", javascript=True)
        page.reload()
        assert shown_codename(page) == codename  # a reload keeps it until confirmed
        # Every group fits the phone's width: none is cut or scrolled.
        for box in page.locator(".codename .group").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().right)"
        ):
            assert box <= PHONE["width"]
        confirm(page)
        page.reload()
        assert page.locator(".codename .group").count() == 0
        answer_testimony(published, reviewer[0], passphrase_file, tmp_path, "Canary-Tb2", REPLY)

        # Pressed as early as the page allows: before the script is ready the fields are
        # disabled, so even a forced submit sends nothing of what was typed.
        early = browser.new_page(viewport=PHONE)
        early.goto(proxy.url + "replies?lang=mk", wait_until="commit")
        early.wait_for_selector("form[data-replies]", state="attached")
        early.evaluate(
            """codename => {
              const form = document.querySelector("form[data-replies]");
              form.querySelector("input.codename-group").value = codename;
              if (!form.dataset.reading) form.requestSubmit();
            }""",
            codename,
        )
        early.wait_for_load_state()

        page.goto(proxy.url + "replies?lang=mk")
        page.wait_for_selector("form[data-reading]", state="attached", timeout=60_000)
        before = len(proxy.sent())
        typo = codename[:3] + str((int(codename[3]) + 1) % 10) + codename[4:]
        page.fill("#codename-js-1", typo)
        page.click("form[data-replies] button[type=submit]")
        message = page.inner_text("form[data-replies] .message")
        assert "1" in message and "групата" in message  # "typo in group 1", in Macedonian
        # Named before any request of this form (another tab may still be revalidating a page).
        assert b"POST /replies" not in proxy.sent()[before:]
        page.fill("#codename-js-1", codename.replace(" ", "-"))
        page.click("form[data-replies] button[type=submit]")
        page.wait_for_selector(".replies-found .reply .text", timeout=60_000)
        assert page.inner_text(".replies-found .reply .text") == REPLY
        assert page.inner_text(".replies-found .reply .from") == "Од центарот"
        page.click(".replies-found .reply button")
        page.wait_for_selector(".replies-found .reply", state="detached")
        # She writes back: the message leaves with the login id and key, not the codename.
        page.fill("#message-js", WRITE_BACK)
        page.click("form.write-back[data-write] button")
        page.wait_for_selector("form.write-back[data-write] .status:has-text('.')")
    sent = proxy.sent()
    for form in forms_of(codename):
        assert form not in sent
    session = requests.Session()
    token = csrf_token(session.get(live.url + "replies").text)
    after = session.post(live.url + "replies", data={"csrf_token": token, "codename": codename})
    assert REPLY not in after.text  # deleted for good
    # The reviewer sees the write-back in the testimony's thread.
    second, out = tmp_path / "second.glas", tmp_path / "threads"
    assert published("export", "--out", second).exit_code == 0
    result = decrypt(
        published, out, [tmp_path / "export.glas", second], [reviewer[0]], passphrase_file
    )
    assert result.exit_code == 0, result.output
    pages = [p for p in out.glob("testimony/*/testimonies/*.html") if p.name != "index.html"]
    assert [WRITE_BACK in p.read_text() for p in pages] == [True]


def test_without_javascript_the_thanks_page_keeps_the_codename_and_the_server_reads(
    proxied: tuple[LiveServer, RecordingProxy],
    published: RunCli,
    reviewer: tuple[Path, object],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    _, proxy = proxied
    with chromium() as browser:
        context = browser.new_context(java_script_enabled=False, viewport=PHONE)
        page = context.new_page()
        codename = send_testimony(page, proxy.url, "Canary-Tn3 at the station.", javascript=False)
        page.reload()
        assert shown_codename(page) == codename
        cookies = " ".join(c["value"] for c in context.cookies())
        assert all(form.decode() not in cookies for form in forms_of(codename))
        page.check("#written")
        page.click(".codename button[type=submit]")
        page.wait_for_selector(".codename-kept")
        page.goto(proxy.url + "s/testimony/thanks")
        assert page.locator(".codename .group").count() == 0
        answer_testimony(published, reviewer[0], passphrase_file, tmp_path, "Canary-Tn3", REPLY)

        page.goto(proxy.url + "replies?lang=mk")
        assert not page.locator("form[data-replies]").is_visible()  # only the noscript form
        fill_codename(page, "codename", codename[:-1] + str((int(codename[-1]) + 1) % 10))
        page.click("form[action$='/replies'] button")
        assert "5" in page.inner_text("form[action$='/replies'] .message.error")
        # The page came back with her five groups in their fields: she corrects group 5.
        assert page.input_value("#codename-5") == codename.split()[4][:-1] + str(
            (int(codename[-1]) + 1) % 10
        )
        fill_codename(page, "codename", codename)
        page.click("form[action$='/replies'] button")
        assert REPLY in page.inner_text(".replies-old")
        assert "Од центарот" in page.inner_text(".replies-old")
    # Without JavaScript the form sends the codename to be read, and only then.
    posted = "&".join(f"codename={group}" for group in codename.split())
    assert posted.encode() in proxy.sent()
    assert re.search(rb"POST /replies ", proxy.sent())


def fill_codename(page: object, field: str, codename: str) -> None:
    """Type a codename group by group into the five fields (as on the thanks page)."""
    for number, group in enumerate(codename.split(), 1):
        page.fill(f"#{field}-{number}", group)  # type: ignore[attr-defined]
