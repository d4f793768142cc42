"""The respondent's side of the JavaScript path: encryption speed in real browsers, page weight.

    .venv/bin/python bench/browser_encrypt.py [MB]        (MB defaults to 100)

Starts a throwaway portal on loopback, then in each browser opens the survey page and has the
page's own worker (portal/static/js/glas-worker.js) encrypt an MB-megabyte file held in the page,
in upload-sized pieces, as it does before uploading (the pieces are dropped, not sent):

- Chromium with WebAssembly (Tor Browser "Standard"),
- Chromium with --jitless: no JIT, no WebAssembly (Tor Browser "Safer"),
- Firefox ESR as it comes, and with Tor Browser's Safer preferences.

Baseline, measured in the same run: PyNaCl encrypting the same number of bytes with
crypto.stream in this process (what the server does on the no-JavaScript path).

Also prints the bytes on the wire (compressed, headers included) and requests for a first visit
(landing page, then the survey page until the worker is ready) with JavaScript, again with the
browser's cache warm, and without JavaScript. Goals (design §5): <= 400 KB with the bundle,
<= 40 KB in <= 4 requests without JavaScript.
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_portal import BenchPortal  # beside this script, put on sys.path above
from in_browsers import everywhere  # beside this script too

from crypto.stream import StreamEncryptor
from tests.browsers import chromium

MB = 1024 * 1024
# Runs in the survey page: the page's worker encrypts a Blob of `mb` MB (random 64 KiB repeated).
ENCRYPT = (Path(__file__).resolve().parent / "encrypt_in_page.js").read_text().split("*/", 1)[1]


def baseline(megabytes: int) -> float:
    """Seconds for PyNaCl to encrypt the same amount with crypto.stream (no disk)."""
    data = os.urandom(MB)
    sink = io.BytesIO()
    start = time.perf_counter()
    encryptor = StreamEncryptor(os.urandom(32), b"bench", sink)
    for _ in range(megabytes):
        encryptor.write(data)
        sink.seek(0)
        sink.truncate()
    encryptor.finish()
    return time.perf_counter() - start


def page_weight(base: str, survey: str) -> None:
    with chromium() as browser:
        for label, javascript in (("with JavaScript", True), ("without JavaScript", False)):
            context = browser.new_context(java_script_enabled=javascript)
            visits = ["first visit", "cache warm"] if javascript else ["first visit"]
            for visit in visits:
                page = context.new_page()
                responses: list[Any] = []

                def finished(request: Any, into: list[Any] = responses) -> None:
                    into.append(request)

                page.on("requestfinished", finished)
                page.goto(base)
                page.goto(base + f"s/{survey}")
                if javascript:
                    page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
                    page.wait_for_timeout(500)
                total = 0
                for request in responses:
                    sizes = request.sizes()
                    total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
                print(
                    f"  {label:<19} {visit:<12} {total / 1000:8.1f} KB on the wire "
                    f"in {len(responses)} requests"
                )
                page.close()
            context.close()


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    base_seconds = baseline(megabytes)
    print(f"Encrypting {megabytes} MB (secretstream, 64 KiB chunks):")
    print(f"  {'PyNaCl, this process (baseline)':<42} {megabytes / base_seconds:8.1f} MB/s")
    with BenchPortal("testimony") as portal:
        url = f"http://127.0.0.1:{portal.port}/s/testimony"
        for label, result in everywhere(url, ENCRYPT, megabytes, portal.work):
            if "error" in result:
                print(f"  {label:<42} failed: {result['error']}")
                continue
            speed = megabytes / result["seconds"]
            print(
                f"  {label:<42} {speed:8.1f} MB/s  ({result['seconds']:.1f} s, "
                f"{speed / (megabytes / base_seconds):.3f}x baseline; WebAssembly "
                f"{'on' if result['wasm'] else 'off'}; "
                f"worker ready in {result['startup_ms']:.0f} ms)"
            )
        print("Survey page weight (landing page, then the survey form):")
        page_weight(f"http://127.0.0.1:{portal.port}/", "testimony")
    portal.remove()


if __name__ == "__main__":
    main()
