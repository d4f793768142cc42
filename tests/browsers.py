"""Real browsers for tests: Debian's Chromium through Playwright, Firefox ESR through Marionette.

Chromium runs with the flags this machine needs (it has no route to the Internet, and
Chromium's background services would keep trying). Firefox ESR is the closest thing to Tor
Browser here; its security levels are emulated with the preferences Tor Browser sets.
Nothing is ever downloaded: no `playwright install`, no geckodriver download.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from . import markers

CHROMIUM = "/usr/bin/chromium"
FIREFOX = shutil.which("firefox-esr") or "/usr/bin/firefox-esr"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Tor Browser "Safer" and "Safest" turn these off (no JIT, no WebAssembly).
SAFER_PREFERENCES = {
    "javascript.options.ion": False,
    "javascript.options.baselinejit": False,
    "javascript.options.native_regexp": False,
    "javascript.options.asmjs": False,
    "javascript.options.wasm": False,
}
SAFEST_PREFERENCES = {**SAFER_PREFERENCES, "javascript.enabled": False}
#: Firefox without network chatter: no updates, telemetry, safe browsing or captive portal.
QUIET_PREFERENCES: dict[str, Any] = {
    "app.update.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "extensions.update.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
}

BUNDLE = (
    Path(__file__).resolve().parent.parent / "portal" / "static" / "js" / "vendor" / "sodium.js"
)
needs_bundle = pytest.mark.skipif(
    not BUNDLE.is_file(), reason="needs the browser's libsodium: make install builds it with npm"
)
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium: apt-get install chromium"
)
needs_firefox = pytest.mark.skipif(
    not Path(FIREFOX).exists(), reason="needs Debian's firefox-esr: apt-get install firefox-esr"
)


#: One Playwright driver and one Chromium of each kind per test process, launched when first
#: asked for: a launch costs a second or two of CPU (the driver is a Node process, then the
#: browser's own), which forty browser tests paid each. Tests stay apart by their contexts
#: (cookies, storage and cache are a context's own), which are closed when a test is done.
_playwright: Any = None
_browsers: dict[bool, Any] = {}


def _stop_playwright() -> None:
    if _playwright is not None:
        for browser in _browsers.values():
            with suppress(Exception):
                browser.close()
        with suppress(Exception):
            _playwright.stop()


def _shared_chromium(jitless: bool) -> Any:
    global _playwright
    browser = _browsers.get(jitless)
    if browser is not None and browser.is_connected():
        return browser
    if _playwright is None:
        sync_api = pytest.importorskip("playwright.sync_api")
        _playwright = sync_api.sync_playwright().start()
        atexit.register(_stop_playwright)
    args = CHROMIUM_FLAGS + (["--js-flags=--jitless"] if jitless else [])
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    _browsers[jitless] = browser
    return browser


@contextmanager
def chromium(*, jitless: bool = False) -> Iterator[Any]:
    """A headless Chromium; ``jitless`` emulates Tor Browser "Safer" (no JIT, no WebAssembly).
    The process is shared (see _browsers); every context opened inside the block, and every
    page of one, is closed when it ends."""
    markers.require("browser")
    browser = _shared_chromium(jitless)
    before = list(browser.contexts)  # held, so that none of them is mistaken for a new one
    try:
        yield browser
    finally:
        if browser.is_connected():
            for context in browser.contexts:
                if all(context is not old for old in before):
                    context.close()


#: A cheap phone's screen: Tor Browser on Android at 360 CSS pixels.
PHONE_WIDTH, PHONE_HEIGHT = 360, 740


@contextmanager
def firefox(profile: Path, preferences: dict[str, Any], *, phone: bool = False) -> Iterator[Any]:
    """A headless Firefox ESR with these preferences, driven through Marionette; ``phone``:
    a window 360 px wide (Firefox refuses under 500 px unless a userChrome.css lifts it)."""
    markers.require("browser")
    marionette = pytest.importorskip("marionette_driver.marionette")
    profile.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefs = {**QUIET_PREFERENCES, **preferences, "marionette.port": port}
    if phone:
        (profile / "chrome").mkdir(exist_ok=True)
        (profile / "chrome" / "userChrome.css").write_text(
            ":root { min-width: 0 !important; min-height: 0 !important; }\n"
        )
        prefs["toolkit.legacyUserProfileCustomizations.stylesheets"] = True
    lines = [f"user_pref({_js(name)}, {_js(value)});" for name, value in prefs.items()]
    (profile / "user.js").write_text("\n".join(lines) + "\n")
    command = [FIREFOX, "--headless", "--marionette", "--no-remote", "--profile", str(profile)]
    log = open(profile.parent / f"{profile.name}.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Wait for the port ourselves: marionette_driver's own polling leaks a socket per try.
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        client = marionette.Marionette(host="127.0.0.1", port=port)
        client.start_session()
        if phone:
            client.set_window_rect(width=PHONE_WIDTH, height=PHONE_HEIGHT)
        try:
            yield client
        finally:
            client.delete_session()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _js(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def survey_page(url: str, survey_id: str, javascript: bool) -> Iterator[Any]:
    """Chromium on a survey's form, with its script ready when JavaScript is on."""
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=javascript).new_page()
        page.goto(url + f"s/{survey_id}")
        if javascript:
            page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
        yield page


def page(client: Any, script: str, *args: Any) -> Any:
    """Run ``script`` in the page, again while a navigation replaces it: element references go
    stale when the page changes under them, so the test holds none across a wait."""
    from marionette_driver import errors

    deadline = time.monotonic() + 30
    while True:
        try:
            return client.execute_script(script, script_args=list(args))
        except (
            errors.StaleElementException,
            errors.JavascriptException,
            errors.NoSuchElementException,
        ):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def click(client: Any, selector: str) -> None:
    """Click through the page's own script: Marionette's click would wait for a navigation."""
    page(client, "document.querySelector(arguments[0]).click();", selector)
