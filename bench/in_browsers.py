"""Run one page script in every browser mode a respondent may use, for the browser benchmarks.

The modes: Chromium with WebAssembly (Tor Browser "Standard"), Chromium with --jitless (no JIT,
no WebAssembly: "Safer"), Firefox ESR as it comes, and Firefox ESR with Tor Browser's Safer
preferences. ``script`` is the source of a JavaScript function of one argument that returns a
promise of a JSON-able result; it runs in the page at ``url``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browsers import SAFER_PREFERENCES, chromium, firefox


def in_chromium(url: str, script: str, argument: Any, jitless: bool) -> dict[str, Any]:
    with chromium(jitless=jitless) as browser:
        page = browser.new_page()
        page.goto(url)
        return dict(page.evaluate(script, argument))


def in_firefox(url: str, script: str, argument: Any, profile: Path, safer: bool) -> dict[str, Any]:
    with firefox(profile, SAFER_PREFERENCES if safer else {}) as client:
        client.timeout.script = 3600
        client.navigate(url)
        call = (
            "const done = arguments[arguments.length - 1];"
            f"({script})({json.dumps(argument)}).then(done, e => done({{error: String(e)}}));"
        )
        return dict(client.execute_async_script(call, sandbox=None, script_timeout=3_600_000))


def everywhere(
    url: str, script: str, argument: Any, work: Path
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (mode, result) for each browser mode, one browser at a time."""
    yield "Chromium, WebAssembly", in_chromium(url, script, argument, jitless=False)
    yield "Chromium --jitless (Safer)", in_chromium(url, script, argument, jitless=True)
    yield "Firefox ESR, Standard", in_firefox(url, script, argument, work / "ff-standard", False)
    yield (
        "Firefox ESR, Safer preferences",
        in_firefox(url, script, argument, work / "ff-safer", True),
    )
