"""Memory benchmark: one large upload through the no-JavaScript form while sampling server RSS.

    .venv/bin/python bench/upload_memory.py [MB]        (MB defaults to 1024)

Streams a multipart form with an MB-megabyte attachment of random bytes to `glas serve` on
loopback (the client never holds it in memory), samples the RSS of every server process every
50 ms, then exports, decrypts and compares SHA-256 digests. Prints the largest growth of any
server process over its idle RSS. Goal (design §5): growth <= 64 MB for a 1 GB upload.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_portal import BenchPortal  # beside this script, put on sys.path above

PIECE = 1024 * 1024


def rss_by_pid(root: int) -> dict[int, int]:
    """RSS in kB of a process and all its descendants."""
    result, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+)", status)
        result[pid] = int(match.group(1)) if match else 0
        todo += [int(c) for c in children]
    return result


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    with BenchPortal("testimony", GLAS_MAX_REQUEST_MB=str(megabytes + 16)) as portal:
        assert portal.server is not None
        time.sleep(1)
        idle = rss_by_pid(portal.server.pid)
        peaks = dict(idle)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for pid, kb in rss_by_pid(portal.server.pid).items():  # type: ignore[union-attr]
                    peaks[pid] = max(peaks.get(pid, 0), kb)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        digest, status, seconds = upload(portal.port, portal.token, portal.cookie, megabytes)
        done.set()
        sampler.join()
        portal.stop()
        if status != 303:
            sys.exit(f"the upload got HTTP {status}")
        (received,) = (portal.decrypt() / "files" / "original").glob("*/video.jpg")
        same = sha256_file(received) == digest
        portal.remove()
    growth = {pid: (peaks[pid] - idle.get(pid, 0)) / 1024 for pid in peaks}
    print(
        f"uploaded {megabytes} MB in {seconds:.1f} s ({megabytes / seconds:.0f} MB/s); "
        f"decrypted copy identical: {same}"
    )
    print(
        f"largest RSS growth of a server process: {max(growth.values()):.1f} MB (goal <= 64 "
        f"MB); idle RSS {max(idle.values()) / 1024:.0f} MB per process, {len(idle)} processes"
    )


def upload(port: int, token: str, cookie: str, megabytes: int) -> tuple[str, int, float]:
    boundary = "glasbenchboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="what_happened"'
        f"\r\n\r\nA long video of what happened.\r\n--{boundary}\r\nContent-Disposition: "
        f'form-data; name="who"\r\n\r\npolice\r\n--{boundary}\r\nContent-Disposition: '
        f'form-data; name="evidence"; filename="video.jpg"\r\nContent-Type: image/jpeg'
        "\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + megabytes * PIECE + len(tail)
    request = (
        f"POST /s/testimony HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()
    sha = hashlib.sha256()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(request + head)
        for _ in range(megabytes):
            piece = os.urandom(PIECE)
            sha.update(piece)
            s.sendall(piece)
        s.sendall(tail)
        reply = s.recv(4096)
    status = int(reply[9:12])
    return sha.hexdigest(), status, time.perf_counter() - started


def sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(PIECE):
            sha.update(chunk)
    return sha.hexdigest()


if __name__ == "__main__":
    main()
