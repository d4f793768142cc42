"""Benchmark: the upload slot's proof of work in real browsers (portal/respondent/work.py).

    .venv/bin/python bench/pow.py [ROUNDS]        (ROUNDS defaults to 30)

Starts a throwaway portal on loopback; in each browser the survey page's own worker solves
ROUNDS fresh challenges from the server, as glas-form.js does before asking for an upload, and
hands each solution in for a real slot. Prints the median, 90th percentile and slowest time:

- Chromium with WebAssembly (Tor Browser "Standard"),
- Chromium with --jitless: no JIT, no WebAssembly (Tor Browser "Safer"),
- Firefox ESR as it comes, and with Tor Browser's Safer preferences.

Baseline, in the same run: Python's hashlib solving the same difficulty in this process (what
an attacker's native code does, and faster still in C). Goals (issue 15): about half a second
on a phone's browser, and under 5 s without a JIT. This machine is faster than a phone: a
mid-range phone is roughly four times slower per core.
"""

from __future__ import annotations

import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_portal import BenchPortal  # beside this script, put on sys.path above
from in_browsers import everywhere  # beside this script too

from portal.config import DEFAULT_UPLOAD_WORK_BITS
from portal.respondent import work

SOLVE = (Path(__file__).resolve().parent / "work_in_page.js").read_text().split("*/", 1)[1]


def baseline(rounds: int, bits: int) -> list[float]:
    """Seconds Python's hashlib takes per challenge of this difficulty."""
    times = []
    for _ in range(rounds):
        challenge = work.base64.urlsafe_b64encode(secrets.token_bytes(36)).decode()
        start = time.perf_counter()
        work.solve(challenge, bits)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (
        f"median {statistics.median(ordered):6.3f} s, p90 {p90:6.3f} s, "
        f"slowest {ordered[-1]:6.3f} s"
    )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    bits = DEFAULT_UPLOAD_WORK_BITS
    print(f"Proof of work for an upload slot: {bits} bits (about {2**bits:,} SHA-256 on average)")
    print(f"  {'Python hashlib, this process (baseline)':<40} {summary(baseline(rounds, bits))}")
    with BenchPortal("testimony") as portal:
        url = f"http://127.0.0.1:{portal.port}/s/testimony"
        for label, result in everywhere(url, SOLVE, rounds, portal.work):
            if "error" in result:
                print(f"  {label:<40} failed: {result['error']}")
                continue
            print(
                f"  {label:<40} {summary(result['seconds'])}; "
                f"{result['accepted']}/{rounds} slots given"
            )
    portal.remove()


if __name__ == "__main__":
    main()
