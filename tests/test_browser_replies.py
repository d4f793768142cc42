"""Reading replies in a real Chromium: with JavaScript the codename never leaves the browser;
without it the server derives the keys for that one request. Both show the same reply."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote_plus

import pytest
import requests

from .browsers import chromium, needs_bundle, needs_chromium
from .conftest import RunCli, csrf_token
from .helpers import LiveServer, RecordingProxy, answer_testimony

pytestmark = [pytest.mark.slow, needs_bundle, needs_chromium]
REPLY = "Canary-Jr5 Come to the centre on Tuesday; the lawyer is there from ten."


def test_replies_are_read_in_the_browser_or_on_the_server_and_can_be_deleted(
    live_server: Callable[..., LiveServer],
    published: RunCli,
    reviewer: tuple[Path, object],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    live = live_server()
    session = requests.Session()
    form = session.get(live.url + "s/testimony").text
    fields = {
        "csrf_token": csrf_token(form),
        "what_happened": "Canary-Tb2 at the hotel.",
        "who": "client",
    }
    thanks = session.post(live.url + "s/testimony", data=fields, timeout=30).text
    (codename,) = re.findall(r'<p class="words">([a-z \-]+)</p>', thanks)
    answer_testimony(published, reviewer[0], passphrase_file, tmp_path, "Canary-Tb2", REPLY)
    proxy = RecordingProxy(int(live.url.rsplit(":", 1)[1].strip("/")))
    try:
        with chromium() as browser:
            plain = browser.new_context(java_script_enabled=False).new_page()
            plain.goto(proxy.url + "replies")
            plain.fill("#codename", codename)
            plain.click("button[type=submit]")
            assert REPLY in plain.inner_text(".replies-old")  # the server opened it
            sent_without_javascript = proxy.sent()

            page = browser.new_page()
            page.goto(proxy.url + "replies?lang=en")
            page.wait_for_selector("form[data-reading]", state="attached", timeout=60_000)
            page.fill("#codename", "wrong words that are not anybody's codename at all")
            page.click("button[type=submit]")
            page.wait_for_selector(".replies-found .notice", timeout=60_000)
            page.fill("#codename", codename)
            page.click("button[type=submit]")
            page.wait_for_selector(".replies-found .reply .text", timeout=60_000)
            assert page.inner_text(".replies-found .reply .text") == REPLY
            assert page.inner_text(".replies-found .reply .from") == "From Ana"
            page.click(".replies-found .reply button")
            page.wait_for_selector(".replies-found .reply", state="detached")
            sent = proxy.sent()[len(sent_without_javascript) :]
    finally:
        proxy.close()
    # Without JavaScript the form sent the codename; with it, the codename never left the browser.
    assert quote_plus(codename).encode() in sent_without_javascript
    assert codename.encode() not in sent and quote_plus(codename).encode() not in sent
    token = csrf_token(session.get(live.url + "replies").text)
    after = session.post(live.url + "replies", data={"csrf_token": token, "codename": codename})
    assert REPLY not in after.text  # deleted for good
