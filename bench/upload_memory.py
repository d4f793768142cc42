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
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GLAS = str(Path(sys.executable).with_name("glas"))
PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throwaway key
PIECE = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def glas(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([GLAS, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"glas {args[0]} failed: {result.stderr}")


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
    work = Path(tempfile.mkdtemp(prefix="glas-upload-"))
    env = {
        **os.environ,
        "GLAS_DATA_DIR": str(work / "data"),
        "GLAS_MAX_REQUEST_MB": str(megabytes + 16),
    }
    (work / "passphrase").write_text(PASSPHRASE + "\n")
    glas(
        env,
        "keys",
        "new",
        "--out",
        str(work / "ana.key"),
        "--passphrase-file",
        str(work / "passphrase"),
    )
    glas(env, "reviewers", "add", str(work / "ana.key"), "--name", "Ana")
    glas(env, "surveys", "import", str(ROOT / "examples" / "testimony.yaml"), "--publish")
    port = free_port()
    server = subprocess.Popen(
        [GLAS, "serve", "--local-only", "--port", str(port), "--organizer-port", str(free_port())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/s/testimony"
        for _ in range(300):
            try:
                page = requests.get(url, timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        time.sleep(1)
        idle = rss_by_pid(server.pid)
        peaks = dict(idle)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for pid, kb in rss_by_pid(server.pid).items():
                    peaks[pid] = max(peaks.get(pid, 0), kb)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        cookie = "; ".join(f"{c.name}={c.value}" for c in page.cookies)
        digest, status, seconds = upload(port, token, cookie, megabytes)
        done.set()
        sampler.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    if status != 303:
        sys.exit(f"the upload got HTTP {status}")
    glas(env, "export", "--out", str(work / "big.glas"))
    glas(
        env,
        "decrypt",
        str(work / "big.glas"),
        "--key",
        str(work / "ana.key"),
        "--passphrase-file",
        str(work / "passphrase"),
        "--out",
        str(work / "out"),
        "--quiet",
    )
    (received,) = (work / "out").glob("*/*/files/original/*/video.jpg")
    same = sha256_file(received) == digest
    growth = {pid: (peaks[pid] - idle.get(pid, 0)) / 1024 for pid in peaks}
    worst = max(growth.values())
    print(
        f"uploaded {megabytes} MB in {seconds:.1f} s ({megabytes / seconds:.0f} MB/s); "
        f"decrypted copy identical: {same}"
    )
    print(
        f"largest RSS growth of a server process: {worst:.1f} MB (goal <= 64 MB); idle RSS "
        f"{max(idle.values()) / 1024:.0f} MB per process, {len(idle)} processes"
    )
    subprocess.run(["rm", "-rf", str(work)], check=False)


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
