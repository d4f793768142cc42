"""A respondent on Tor Browser "Safer" sends in seconds, not minutes (issue 28, acceptance 1).

Firefox ESR with Tor Browser's Safer preferences (no JIT, no WebAssembly: libsodium runs its
pure-JavaScript fallback) in a 360 x 740 window: a testimony with a 5 MB photo goes from Send to
the thanks page within 20 s, and reading the replies within 10 s, each from a fresh page load
with no typing time. Every two seconds of the wait a screenshot is taken: each differs from the
one before (the step, the bar or the seconds move), and the page says in words what is going
on. Before, the codename's 64 MiB Argon2id took about 228 s of an unchanging sentence.

These hold a real clock to a budget: they run alone (serial), after the parallel part.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from crypto.keys import ReviewerKey

from .browsers import SAFER_PREFERENCES, click, firefox, needs_bundle, needs_firefox, page
from .conftest import RunCli
from .helpers import JPEG_MAGIC, LiveServer, answer_testimony

pytestmark = [
    pytest.mark.browser,
    pytest.mark.serial,
    pytest.mark.slow,
    needs_firefox,
    needs_bundle,
]

SEND_BUDGET = 20.0
READ_BUDGET = 10.0
REPLY = "Canary-Sf2 We read you: come on Tuesday, ask for Mila."


def wait_with_screenshots(client: Any, done: Any, budget: float) -> tuple[float, list[bytes]]:
    """Seconds until ``done(client)`` holds (at most ``budget`` plus a grace), and a screenshot
    every two seconds meanwhile."""
    started = time.monotonic()
    shots: list[bytes] = []
    next_shot = started + 2
    while not done(client):
        now = time.monotonic()
        assert now - started < budget + 30, f"still waiting after {now - started:.0f} s"
        if now >= next_shot:
            shots.append(client.screenshot(format="binary"))
            next_shot += 2
        time.sleep(0.1)
    return time.monotonic() - started, shots


def test_at_safer_a_testimony_with_a_5_mb_photo_is_sent_in_seconds_and_replies_read_too(
    live_server: Any,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    live: LiveServer = live_server(GLAS_WORKERS="2")  # the operator's default
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG_MAGIC + b"\x00" * (5 * 1024 * 1024))
    with firefox(tmp_path / "profile", SAFER_PREFERENCES, phone=True) as client:
        from marionette_driver import By, Wait  # imported by firefox() first, warnings tamed

        client.navigate(live.url + "s/testimony?lang=mk")
        Wait(client, timeout=60).until(
            lambda c: c.find_element(By.CSS_SELECTOR, "form").get_attribute("data-sealing")
        )
        assert client.execute_script("return window.innerWidth") <= 360
        assert client.execute_script("return typeof WebAssembly") == "undefined"
        client.find_element(By.ID, "q-what_happened").send_keys("Canary-Sf1 at the station.")
        client.find_element(By.CSS_SELECTOR, "input[name=who][value=police]").click()
        client.find_element(By.ID, "q-evidence").send_keys(str(photo))
        click(client, "form button[value=send]")
        seconds, shots = wait_with_screenshots(
            client, lambda c: page(c, "return location.pathname.endsWith('/thanks');"), SEND_BUDGET
        )
        print(f"Safer, 360 px: Send to thanks with a 5 MB photo {seconds:.1f} s")
        assert seconds <= SEND_BUDGET, f"Send to thanks took {seconds:.1f} s at Safer"
        assert all(a != b for a, b in itertools.pairwise(shots)), "the wait froze"
        # The page's script writes the codename it made once the thanks page has loaded: wait
        # for it (an event), not for a moment.
        shown = (
            "return Array.from(document.querySelectorAll('.codename .group'),"
            " e => e.textContent.trim()).join(' ');"
        )
        Wait(client, timeout=60).until(lambda c: len(page(c, shown).split()) == 5)
        codename = page(client, shown)
        click(client, "#written")
        click(client, ".codename button[type=submit]")
        Wait(client, timeout=30).until(
            lambda c: page(
                c,
                "const k = document.querySelector('.codename-kept');"
                " return !!k && !k.hidden && k.offsetParent !== null;",
            )
        )
        answer_testimony(published, reviewer[0], passphrase_file, tmp_path, "Canary-Sf1", REPLY)
        # Reading: from a fresh page load, the codename typed at once, no typing time counted.
        client.navigate(live.url + "replies?lang=mk")
        Wait(client, timeout=60).until(
            lambda c: c.find_element(By.CSS_SELECTOR, "form[data-replies]").get_attribute(
                "data-reading"
            )
        )
        client.execute_script(
            "document.querySelector('#codename-js-1').value = arguments[0];"
            "document.querySelector('#codename-js-1').dispatchEvent(new Event('input'));",
            script_args=[codename],
        )
        click(client, "form[data-replies] button[type=submit]")
        seconds, _ = wait_with_screenshots(
            client,
            lambda c: page(c, "return !!document.querySelector('.replies-found .reply .text');"),
            READ_BUDGET,
        )
        print(f"Safer, 360 px: reading replies {seconds:.1f} s")
        assert seconds <= READ_BUDGET, f"reading replies took {seconds:.1f} s at Safer"
        text = page(
            client, "return document.querySelector('.replies-found .reply .text').textContent;"
        )
        assert text.strip() == REPLY
        when = page(
            client, "return document.querySelector('.replies-found .reply .when').textContent;"
        ).strip()
        assert when and when[-4:].isdigit()  # "декември 2026": the month, in her language
