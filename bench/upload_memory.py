"""Memory benchmark: one large upload while sampling server RSS, on either path.

    .venv/bin/python bench/upload_memory.py [MB] [--js]        (MB defaults to 1024)

Without --js: streams a multipart form with an MB-megabyte attachment of random bytes to
`glas serve` on loopback (the client never holds it in memory), as a browser without JavaScript
does. With --js: does what the page's script does, in Python: asks for an upload, encrypts the
attachment itself and PUTs the ciphertext in 4 MiB chunks, finishes it, posts the envelope.
Samples the RSS of every server process every 50 ms, then exports, decrypts and compares SHA-256
digests. Prints the largest growth of any server process over its idle RSS.
Goal (design §5): growth <= 64 MB for a 1 GB upload, on both paths.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import requests
from bench_portal import BenchPortal  # beside this script, put on sys.path above

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crypto.envelope import Binding, Sealer
from crypto.keys import PublicKey
from portal.respondent import work
from surveys.answers import ANSWERS_FORMAT

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
    args = [a for a in sys.argv[1:] if a != "--js"]
    javascript = "--js" in sys.argv[1:]
    megabytes = int(args[0]) if args else 1024
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
        send = upload_like_the_script if javascript else upload
        digest, status, seconds = send(portal.port, portal.token, portal.cookie, megabytes)
        done.set()
        sampler.join()
        portal.stop()
        if status != 303:
            sys.exit(f"the upload got HTTP {status}")
        (received,) = (portal.decrypt() / "files" / "original").glob("*/video*")
        same = sha256_file(received) == digest
        portal.remove()
    growth = {pid: (peaks[pid] - idle.get(pid, 0)) / 1024 for pid in peaks}
    print(
        f"{'JavaScript path (ciphertext chunks)' if javascript else 'no-JavaScript form'}: "
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
        for i in range(megabytes):
            piece = os.urandom(PIECE)
            if i == 0:  # the server accepts a "photo" only when its content starts like one
                piece = b"\xff\xd8\xff\xe0" + piece[4:]
            sha.update(piece)
            s.sendall(piece)
        s.sendall(tail)
        reply = s.recv(4096)
    status = int(reply[9:12])
    return sha.hexdigest(), status, time.perf_counter() - started


class ChunkUploader:
    """A sink for ciphertext that PUTs it in chunks of the size the server asked for."""

    def __init__(self, session: requests.Session, url: str, size: int) -> None:
        self.session, self.url, self.size = session, url, size
        self.buffer = bytearray()
        self.sent = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) >= self.size:
            self._put(bytes(self.buffer[: self.size]))
            del self.buffer[: self.size]
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self._put(bytes(self.buffer))
            self.buffer.clear()

    def _put(self, data: bytes) -> None:
        headers = {"Content-Type": "application/octet-stream"}
        self.session.put(f"{self.url}/{self.sent}", data=data, headers=headers).raise_for_status()
        self.sent += 1


def upload_like_the_script(
    port: int, token: str, cookie: str, megabytes: int
) -> tuple[str, int, float]:
    """What glas-form.js and its worker do, with crypto/ standing in for libsodium.js."""
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers.update({"Cookie": cookie, "X-CSRFToken": token})
    page = session.get(f"{base}/s/testimony").text
    client = session.get(base + page.split('data-client="', 1)[1].split('"', 1)[0]).json()
    started = time.perf_counter()
    puzzle = session.post(f"{base}/s/testimony/uploads/challenge").json()
    proof = work.solve(puzzle["challenge"], puzzle["bits"])
    upload = session.post(
        f"{base}/s/testimony/uploads", json={"challenge": puzzle["challenge"], "proof": proof}
    ).json()
    recipients = [PublicKey.from_line(line) for line in client["recipients"]]
    binding = Binding(client["survey"], client["version"], upload["submission_id"])
    sealer = Sealer(binding, recipients)
    sha = hashlib.sha256()
    chunks = ChunkUploader(session, f"{base}{upload['url']}/file-0", upload["chunk_size"])
    encryptor = sealer.file_encryptor(0, chunks)  # type: ignore[arg-type]
    for _ in range(megabytes):
        piece = os.urandom(PIECE)
        sha.update(piece)
        encryptor.write(piece)
    encryptor.finish()
    chunks.flush()
    session.post(f"{chunks.url}/finish", json={"chunks": chunks.sent}).raise_for_status()
    document = {
        "format": ANSWERS_FORMAT,
        "survey": client["survey"],
        "version": client["version"],
        "answers": {"what_happened": "A long video of what happened.", "who": ["police"]},
        "files": [
            {
                "question": "evidence",
                "part": 0,
                "name": "video.jpg",
                "type": "image/jpeg",
                "size": megabytes * PIECE,
            }
        ],
    }
    slots = [
        {"key_id": s.key_id, "sealed_key": base64.b64encode(s.sealed_key).decode()}
        for s in sealer.slots
    ]
    envelope = {
        "upload": upload["upload"],
        "slots": slots,
        "answers": base64.b64encode(sealer.seal_answers(document)).decode(),
    }
    response = session.post(
        f"{base}/s/testimony",
        data={"csrf_token": token, "glas_envelope": json.dumps(envelope)},
        allow_redirects=False,
    )
    return sha.hexdigest(), response.status_code, time.perf_counter() - started


def sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(PIECE):
            sha.update(chunk)
    return sha.hexdigest()


if __name__ == "__main__":
    main()
