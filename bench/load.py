"""Load benchmark: N concurrent no-JavaScript submitters against `glas serve` on loopback.

    .venv/bin/python bench/load.py [--clients 100] [--seconds 20] [--postgres]

Starts a fresh portal (one reviewer, the needs-assessment survey), then N asyncio clients each
POST the survey form over keep-alive connections for T seconds (bounded in count and time; only
127.0.0.1 is ever contacted). Then exports and decrypts everything and compares counts.
Prints submissions/s, p50/p99 latency, errors, and sent vs decrypted. Goal (design §5):
>= 300/s with 100 concurrent clients on 2 cores, 0 errors, 0 lost.

``--postgres``: on a throwaway PostgreSQL (tests/postgres.py: a socket, no TCP), first one app
server, then two (each with its own data dir, the clients split between them), in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_portal import BenchPortal  # beside this script, put on sys.path above

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from portal.respondent.pace import CAPACITY

MAX_REQUESTS = 200_000


async def client(
    port: int,
    requests: list[bytes],
    deadline: float,
    latencies: list[float],
    errors: list[str],
    budget: list[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(requests[budget[0] % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = re.search(rb"(?i)content-length: (\d+)", head)
            if length:
                await reader.readexactly(int(length.group(1)))
            latencies.append(time.perf_counter() - started)
            if status != 303:
                errors.append(str(status))
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except (OSError, asyncio.IncompleteReadError) as e:
        errors.append(type(e).__name__)
    finally:
        writer.close()


async def run_clients(
    ports: list[int], requests: list[bytes], clients: int, seconds: float
) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    deadline = started + seconds
    budget = [min(MAX_REQUESTS, len(requests))]
    await asyncio.gather(
        *(
            client(ports[i % len(ports)], requests, deadline, latencies, errors, budget)
            for i in range(clients)
        )
    )
    return latencies, errors, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--postgres", action="store_true", help="one node, then two, on PostgreSQL")
    args = parser.parse_args()
    if not args.postgres:
        run(args.clients, args.seconds, 1, {})
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import postgres  # the tests' throwaway cluster: one home for it

    with postgres.running() as cluster:
        for nodes in (1, 2):
            with cluster.database() as url:
                run(args.clients, args.seconds, nodes, {"GLAS_DATABASE_URL": url})


def request_of(cookie: str, token: str) -> bytes:
    """One respondent's no-JavaScript submission, as raw HTTP."""
    body = urllib.parse.urlencode(
        {
            "csrf_token": token,
            "services_wanted": ["legal", "doctor"],
            "feel_safe": "unsafe",
            "visits_per_month": "4",
            "suggestions": "More evening hours, please.",
        },
        doseq=True,
    ).encode()
    return (
        f"POST /s/needs-assessment HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Cookie: {cookie}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def run(clients: int, seconds: float, nodes: int, env: dict[str, str]) -> None:
    with BenchPortal("needs-assessment", **env) as portal:
        ports = [portal.port, *(portal.add_node() for _ in range(nodes - 1))]
        # Respondents' sessions made beforehand (each may send CAPACITY times without
        # JavaScript): enough for 1,000 submissions a second, far past the goal.
        sessions = portal.sessions(int(seconds * 1000) // CAPACITY + 1)
        requests = [
            request_of(cookie, token) for cookie, token in sessions for _ in range(CAPACITY)
        ]
        latencies, errors, elapsed = asyncio.run(run_clients(ports, requests, clients, seconds))
        portal.stop()
        with open(portal.decrypt() / "answers.csv") as table:
            decrypted = sum(1 for _ in table) - 1
        portal.remove()
    sent = len(latencies)
    ok = sent - len(errors)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
    where = f"{nodes} node(s) on PostgreSQL" if env else "one node on SQLite"
    print(
        f"{where}, {clients} clients for {elapsed:.1f} s on {os.cpu_count()} cores: "
        f"{ok / elapsed:.0f} submissions/s accepted (goal >= 300)"
    )
    print(
        f"latency p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
        f"errors {len(errors)} {sorted(set(errors))[:5]}"
    )
    print(f"accepted {ok}, decrypted {decrypted}, lost {ok - decrypted}")


if __name__ == "__main__":
    main()
