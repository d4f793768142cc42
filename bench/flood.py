"""Benchmark: the portal under two cheap floods, with real respondents in Chromium (issue 15).

    .venv/bin/python bench/flood.py [--seconds 120]

Phase "creations": 8 attacker threads ask for upload slots as fast as they can for SECONDS,
solving each proof of work in Python (an attacker's native code is faster still) and claiming
the whole request limit each time. Phase "slow bodies": 300 connections trickle a request body,
one byte every 5 s, reconnecting whenever the server cuts them, for SECONDS.

During each phase a probe asks for GET / every 0.5 s, and two real respondents in Chromium send
a testimony with a 5 MB photo: one with JavaScript (the page's worker encrypts and uploads it in
chunks) and one without. Printed: the probe's p50/p99/max and failures, the slots given and
refused, the bytes of uploads in progress against the budget, and whether each respondent got
through. Afterwards everything is exported and decrypted and the photos compared.

Only 127.0.0.1 is contacted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_portal import BenchPortal  # beside this script, put on sys.path above

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from portal.respondent import work
from tests.browsers import chromium

PHOTO_MB = 5
SLOW_CONNECTIONS = 300
ATTACKERS = 8
MAX_CREATIONS = 200_000


def probe(url: str, stop: threading.Event, latencies: list[float], failures: list[str]) -> None:
    while not stop.wait(0.5):
        begin = time.monotonic()
        try:
            ok = requests.get(url, timeout=10).status_code == 200
        except requests.RequestException as e:
            ok, reason = False, type(e).__name__
        else:
            reason = "status"
        latencies.append(time.monotonic() - begin)
        if not ok:
            failures.append(reason)


def create_uploads(base: str, stop: threading.Event, counts: dict[str, int]) -> None:
    session = requests.Session()
    page = session.get(base + "s/testimony", timeout=30).text
    session.headers["X-CSRFToken"] = page.split('name="csrf_token" value="', 1)[1].split('"')[0]
    url = base + "s/testimony/uploads"
    for _ in range(MAX_CREATIONS):
        if stop.is_set():
            return
        try:
            puzzle = session.post(url + "/challenge", timeout=30).json()
            proof = work.solve(puzzle["challenge"], puzzle["bits"])
            body = {"challenge": puzzle["challenge"], "proof": proof, "bytes": 10**12}
            status = session.post(url, json=body, timeout=30).status_code
        except (requests.RequestException, ValueError):
            status = 0
        key = {201: "given", 503: "refused (full)"}.get(status, f"other {status}")
        counts[key] = counts.get(key, 0) + 1


def trickle(address: tuple[str, int], stop: threading.Event, counts: dict[str, int]) -> None:
    while not stop.is_set():
        try:
            with socket.create_connection(address, timeout=10) as s:
                s.sendall(
                    b"POST /s/testimony HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data;"
                    b" boundary=b\r\nContent-Length: 1000000\r\n\r\n--b\r\n"
                )
                while not stop.wait(5):
                    s.sendall(b"x")
        except OSError:
            counts["cut"] = counts.get("cut", 0) + 1


def respondent(url: str, photo: Path, javascript: bool, outcome: dict[str, Any]) -> None:
    started = time.monotonic()
    try:
        with chromium() as browser:
            page = browser.new_context(java_script_enabled=javascript).new_page()
            page.goto(url + "s/testimony", timeout=60_000)
            if javascript:
                page.wait_for_selector("form[data-sealing]", state="attached", timeout=60_000)
            page.fill("#q-what_happened", f"Sent during a flood, JavaScript {javascript}.")
            page.check("input[name=who][value=police]")
            page.set_input_files("#q-evidence", str(photo))
            page.click("button[type=submit]")
            page.wait_for_url("**/thanks", timeout=300_000)
        outcome["ok"] = True
    except Exception as e:  # a benchmark reports, it does not stop: the figure is the point
        outcome["ok"], outcome["error"] = False, f"{type(e).__name__}: {str(e)[:200]}"
    outcome["seconds"] = time.monotonic() - started


def open_upload_bytes(portal: BenchPortal) -> int:
    """Bytes held by uploads in progress; uploads finish and vanish while this walks."""
    total = 0
    for folder, _, files in os.walk(portal.work / "data" / "blobs" / ".uploads"):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(folder, name)).st_size
    return total


def phase(
    name: str, portal: BenchPortal, seconds: float, photo: Path, attack: Callable[..., None]
) -> None:
    base = f"http://127.0.0.1:{portal.port}/"
    stop = threading.Event()
    latencies: list[float] = []
    failures: list[str] = []
    counts: dict[str, int] = {}
    threads = [threading.Thread(target=probe, args=(base, stop, latencies, failures))]
    if attack is create_uploads:
        threads += [
            threading.Thread(target=create_uploads, args=(base, stop, counts))
            for _ in range(ATTACKERS)
        ]
    else:
        address = ("127.0.0.1", portal.port)
        threads += [
            threading.Thread(target=trickle, args=(address, stop, counts), daemon=True)
            for _ in range(SLOW_CONNECTIONS)
        ]
    for thread in threads:
        thread.start()
    time.sleep(min(10, seconds / 4))  # the attack is in full swing before respondents come
    outcomes: dict[str, dict[str, Any]] = {"with JavaScript": {}, "without JavaScript": {}}
    people = [
        threading.Thread(target=respondent, args=(base, photo, js, outcomes[label]))
        for label, js in (("with JavaScript", True), ("without JavaScript", False))
    ]
    for person in people:
        person.start()
    peak = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, open_upload_bytes(portal))
        time.sleep(1)
    for person in people:
        person.join(timeout=300)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name}, {seconds:.0f} s:")
    print(
        f"  GET / every 0.5 s: {len(ordered)} requests, p50 {statistics.median(ordered):.3f} s, "
        f"p99 {p99:.3f} s, max {ordered[-1]:.3f} s, "
        f"failures {len(failures)} {sorted(set(failures))}"
    )
    print(f"  attacker: {dict(sorted(counts.items()))}")
    budget_mb = int(portal.env.get("GLAS_UPLOAD_BUDGET_MB", "8192"))
    print(f"  uploads in progress: peak {peak / 2**20:.1f} MiB on disk (budget {budget_mb} MiB)")
    for label, outcome in outcomes.items():
        state = "got through" if outcome.get("ok") else f"FAILED ({outcome.get('error')})"
        print(f"  respondent {label}: {state} in {outcome.get('seconds', 0):.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    floods = [
        ("Upload creations as fast as possible", create_uploads),
        (f"{SLOW_CONNECTIONS} slow request bodies", trickle),
    ]
    for name, attack in floods:  # a fresh portal each: one flood's leftovers skew no other
        with BenchPortal("testimony", GLAS_UPLOAD_BUDGET_MB="2048") as portal:
            photo = portal.work / "photo.jpg"
            photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(PHOTO_MB * 2**20))
            phase(name, portal, args.seconds, photo, attack)
            folder = portal.decrypt()
            same = sorted(p.read_bytes() == photo.read_bytes() for p in folder.rglob("photo*"))
            print(f"  decrypted photos identical to what was sent: {same}")
        portal.remove()


if __name__ == "__main__":
    main()
