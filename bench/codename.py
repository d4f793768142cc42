"""Benchmark: the codename at Tor Browser "Safer", and what a respondent waits for there.

    .venv/bin/python bench/codename.py [--old]

Prints, on this machine:

- the version-2 codename's derivation alone (Argon2id, 512 KiB, 2 passes) in the page's own
  worker: Chromium with WebAssembly, Chromium --jitless (no JIT, no WebAssembly), Firefox ESR,
  and Firefox ESR with Tor Browser's Safer preferences; and in `node --jitless`;
- with ``--old``, the version-1 derivation (INTERACTIVE, 64 MiB) beside it: the baseline of
  this change, in the same run (minutes without a JIT);
- in Firefox ESR at Safer, 360 px wide: Send to the thanks page for a testimony with a 5 MB
  photo, and reading replies, each from a fresh page load (goals: 20 s and 10 s).

Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_portal import BenchPortal  # beside this script, put on sys.path above
from in_browsers import everywhere  # beside this script too

from tests.browsers import SAFER_PREFERENCES, click, firefox, page

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

DERIVE = (HERE / "derive_in_page.js").read_text().split("*/", 1)[1]
JPEG_MAGIC = b"\xff\xd8\xff\xe0"


def in_node() -> dict[str, object]:
    bundle = ROOT / "portal" / "static" / "js" / "vendor" / "sodium-sumo.js"
    done = subprocess.run(
        ["node", "--jitless", str(HERE / "derive_in_node.js"), str(bundle)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def safer_flows(portal: BenchPortal, work: Path) -> tuple[float, float]:
    """Send to thanks with a 5 MB photo, then reading the reply, in Firefox at Safer."""
    from marionette_driver import By, Wait

    photo = work / "photo.jpg"
    photo.write_bytes(JPEG_MAGIC + b"\x00" * (5 * 1024 * 1024))
    url = f"http://127.0.0.1:{portal.port}/"
    with firefox(work / "ff-flow", SAFER_PREFERENCES, phone=True) as client:
        client.navigate(url + "s/testimony")
        Wait(client, timeout=120).until(
            lambda c: c.find_element(By.CSS_SELECTOR, "form").get_attribute("data-sealing")
        )
        client.find_element(By.ID, "q-what_happened").send_keys("Benchmark testimony.")
        client.find_element(By.CSS_SELECTOR, "input[name=who][value=police]").click()
        client.find_element(By.ID, "q-evidence").send_keys(str(photo))
        started = time.monotonic()
        click(client, "form button[value=send]")
        Wait(client, timeout=600, interval=0.1).until(
            lambda c: page(c, "return location.pathname.endsWith('/thanks');")
        )
        send = time.monotonic() - started
        codename = page(
            client,
            "return Array.from(document.querySelectorAll('.codename .group'),"
            " e => e.textContent.trim()).join(' ');",
        )
        portal.reply_to_all("A reply for the benchmark.")
        client.navigate(url + "replies")
        Wait(client, timeout=120).until(
            lambda c: c.find_element(By.CSS_SELECTOR, "form[data-replies]").get_attribute(
                "data-reading"
            )
        )
        client.execute_script(
            "document.querySelector('#codename-js-1').value = arguments[0];"
            "document.querySelector('#codename-js-1').dispatchEvent(new Event('input'));",
            script_args=[codename],
        )
        started = time.monotonic()
        click(client, "form[data-replies] button[type=submit]")
        Wait(client, timeout=600, interval=0.1).until(
            lambda c: page(c, "return !!document.querySelector('.replies-found .reply .text');")
        )
        read = time.monotonic() - started
    return send, read


def main() -> None:
    old = "--old" in sys.argv
    work = Path(tempfile.mkdtemp(prefix="glas-bench-"))
    print("Codename derivation alone (ms; v2: 512 KiB x 2, v1: 64 MiB x 2, INTERACTIVE):")
    print(f"  node --jitless                        v2 {in_node()['v2_ms']}")
    with BenchPortal("testimony") as portal:
        url = f"http://127.0.0.1:{portal.port}/s/testimony"
        for mode, result in everywhere(url, DERIVE, old, work):
            v1 = f"   v1 {result['v1_ms']}" if result.get("v1_ms") is not None else ""
            print(f"  {mode:36s}  v2 {result.get('v2_ms', result)}{v1}")
        send, read = safer_flows(portal, work)
    print("Firefox ESR at Tor Browser Safer, 360 px, from a fresh page load:")
    print(f"  Send to thanks, 5 MB photo: {send:.1f} s (goal 20 s)")
    print(f"  reading replies:            {read:.1f} s (goal 10 s)")


if __name__ == "__main__":
    main()
