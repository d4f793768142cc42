"""Helpers shared by tests: real submissions, real bundles, and `glas serve` as a process."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
from flask.testing import FlaskClient

from crypto.bundle import BundleReader
from crypto.envelope import Binding, Sealer
from crypto.keys import PublicKey, ReviewerKey
from crypto.reviewer import Failed, Opened, decrypt_bundle
from portal.respondent import work
from surveys.answers import ANSWERS_FORMAT

from .conftest import ROOT, csrf_token, free_port, post_multipart

#: The first bytes of a JPEG: the server accepts a "photo" only when its content is an image.
JPEG_MAGIC = b"\xff\xd8\xff\xe0"


def submit_testimony(client: FlaskClient, text: str, attachment: bytes | None = None) -> None:
    token = csrf_token(client.get("/s/testimony").get_data(as_text=True))
    fields: dict[str, object] = {"csrf_token": token, "what_happened": text, "who": ["police"]}
    if attachment is not None:
        fields["evidence"] = (io.BytesIO(attachment), "photo.jpg", "image/jpeg")
    response = post_multipart(client, "/s/testimony", fields)
    assert response.status_code == 303, response.get_data(as_text=True)


CODENAME_GROUPS = re.compile(r'<span class="group">(\d{6})</span>')


def codename_on(page: str) -> str | None:
    """The codename a thanks page shows (five groups of digits), or None."""
    groups = CODENAME_GROUPS.findall(page)
    return " ".join(groups) if groups else None


def confirm_codename(client: FlaskClient, survey: str = "testimony") -> str:
    """Tick "I have written it down" on the thanks page; returns the page after it."""
    page = client.get(f"/s/{survey}/thanks").get_data(as_text=True)
    response = client.post(
        f"/s/{survey}/thanks", data={"csrf_token": csrf_token(page), "written": "1"}
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def open_bundle(bundle: Path, key: ReviewerKey, out: Path) -> tuple[list[Opened], list[Failed]]:
    """Decrypt with the library (the CLI's engine) and sort results into opened and failed."""
    out.mkdir(parents=True, exist_ok=True)
    opened: list[Opened] = []
    failed: list[Failed] = []

    def place(record, answers, part, head):  # type: ignore[no-untyped-def]
        return out / f"{record.submission_id}-{part}-{os.urandom(4).hex()}"

    with BundleReader(bundle) as reader:
        for result in decrypt_bundle(reader, [key], place, out / ".partial"):
            (opened if isinstance(result, Opened) else failed).append(result)  # type: ignore[arg-type]
    return opened, failed


def decrypt(cli: Any, out: Path, bundles: list[Path], keys: list[Path], passphrase: Path) -> Any:
    """`glas decrypt` BUNDLES with KEYS into OUT through the CLI (``cli`` runs it in-process)."""
    args: list[object] = ["decrypt", *bundles, "--out", out, "--passphrase-file", passphrase]
    for key in keys:
        args += ["--key", key]
    return cli(*args)


def version_folder(out: Path, survey_id: str) -> Path:
    """The one survey-version folder glas decrypt made for ``survey_id``."""
    (folder,) = (out / survey_id).iterdir()
    return folder


def received_file(out: Path, survey_id: str, name: str) -> Path:
    (path,) = (version_folder(out, survey_id) / "files" / "original").glob(f"*/{name}")
    return path


GLAS = str(Path(sys.executable).with_name("glas"))


class LiveServer:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log


def start(command: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> LiveServer:
    with open(log, "wb") as out:
        # A session of its own, so stop() reaches every process it starts (gunicorn, tor, ...).
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = re.search(r"http://127\.0\.0\.1:\d+/", log.read_text(errors="replace"))
        if match:
            try:
                # Up means it answers; on a loaded machine the first answer may take a while.
                requests.get(match.group(0), timeout=30)
                return LiveServer(process, match.group(0), log)
            except (requests.ConnectionError, requests.Timeout):
                pass
        if process.poll() is not None:
            raise AssertionError(f"server exited early:\n{log.read_text()}")
        time.sleep(0.2)
    stop(LiveServer(process, "", log))  # no server left behind to fail a later test
    raise AssertionError(f"server did not come up:\n{log.read_text()}")


def stop(server: LiveServer) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=60)


def organizer_url_of(server: LiveServer) -> str:
    """The organizer app's loopback address, as `glas serve` printed it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pattern = r"Organizer interface \(local\): (http://127\.0\.0\.1:\d+/)"
        match = re.search(pattern, server.log.read_text())
        if match:
            return match.group(1)
        time.sleep(0.2)
    raise AssertionError(server.log.read_text())


def serve_local(env: dict[str, str], log: Path) -> LiveServer:
    """`glas serve --local-only` on two free loopback ports."""
    command = [
        GLAS,
        "serve",
        "--local-only",
        "--port",
        str(free_port()),
        "--organizer-port",
        str(free_port()),
    ]
    return start(command, env, log)


def files_containing(needle: bytes, *roots: Path) -> list[Path]:
    hits = []
    for root in roots:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and needle in path.read_bytes():
                hits.append(path)
    return hits


def seal_like_the_browser(
    client: dict[str, Any], upload: dict[str, Any], attachment: bytes
) -> tuple[dict[str, Any], bytes]:
    """Seal answers and one attachment as the page's worker does, with crypto/ standing in for
    libsodium.js. ``client`` is the survey version's JSON, ``upload`` the server's answer to
    creating an upload. Returns the envelope to post and the attachment ciphertext to upload."""
    recipients = [PublicKey.from_line(line) for line in client["recipients"]]
    binding = Binding(client["survey"], client["version"], upload["submission_id"])
    sealer = Sealer(binding, recipients)
    sink = io.BytesIO()
    encryptor = sealer.file_encryptor(0, sink)
    encryptor.write(attachment)
    encryptor.finish()
    files = [{"question": "evidence", "part": 0, "name": "a.jpg", "type": "image/jpeg"}]
    document = {
        "format": ANSWERS_FORMAT,
        "survey": client["survey"],
        "version": client["version"],
        "answers": {"what_happened": "Sealed in the browser, told here.", "who": ["police"]},
        "files": [{**files[0], "size": len(attachment)}],
    }
    slots = [
        {"key_id": s.key_id, "sealed_key": base64.b64encode(s.sealed_key).decode()}
        for s in sealer.slots
    ]
    answers = base64.b64encode(sealer.seal_answers(document)).decode()
    return {"upload": upload["upload"], "slots": slots, "answers": answers}, sink.getvalue()


def ask_upload(session: requests.Session, url: str) -> dict[str, Any]:
    """Ask a live server for an upload slot as the page's script does: solve its challenge."""
    puzzle = session.post(url + "/challenge", timeout=30).json()
    proof = work.solve(puzzle["challenge"], puzzle["bits"])
    created = session.post(url, json={"challenge": puzzle["challenge"], "proof": proof}, timeout=30)
    assert created.status_code == 201, created.text
    return dict(created.json())


def answer_testimony(
    glas: Any, key_file: Path, passphrase_file: Path, work: Path, containing: str, reply: str
) -> None:
    """The reviewer's round trip: export, decrypt, `glas reply` to the testimony whose answers
    contain ``containing``, and the organizers' `glas replies import`. ``glas`` runs the CLI."""
    bundle, out = work / "export.glas", work / "decrypted"
    assert glas("export", "--out", bundle).exit_code == 0
    result = glas(
        "decrypt", bundle, "--key", key_file, "--out", out, "--passphrase-file", passphrase_file
    )
    assert result.exit_code == 0, result.output
    (table,) = out.glob("testimony/*/answers.csv")
    rows = [line for line in table.read_text().splitlines() if containing in line]
    submission_id = rows[0].split(",")[0]
    message, reply_file = work / "reply.txt", work / "reply.glas-reply"
    message.write_text(reply)
    options = ["--message-file", message, "--out", reply_file, "--passphrase-file", passphrase_file]
    written = glas("reply", out, submission_id, "--key", key_file, *options)
    assert written.exit_code == 0, written.output
    assert reply.encode() not in reply_file.read_bytes()
    assert glas("replies", "import", reply_file).exit_code == 0


class RecordingProxy:
    """A loopback TCP proxy that keeps every byte a browser sends to the server.

    Whatever the browser (Chromium, Firefox) and whatever the request (page, fetch, worker,
    form post), what leaves the browser passes here: tests search it for plaintext.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._sent: list[bytearray] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/"
        threading.Thread(target=self._accept, daemon=True).start()

    def sent(self) -> bytes:
        with self._lock:
            return b"".join(bytes(b) for b in self._sent)

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            record = bytearray()
            with self._lock:
                self._sent.append(record)
            threading.Thread(target=_pump, args=(client, upstream, record), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client, None), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket, record: bytearray | None) -> None:
    try:
        while data := source.recv(256 * 1024):
            if record is not None:
                record += data
            target.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, target):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


def publish_yaml(cli: Any, folder: Path, survey_id: str, definition: bytes) -> None:
    """Import and publish a YAML definition through `glas surveys import`."""
    path = folder / f"{survey_id}.yaml"
    path.write_bytes(definition)
    result = cli("surveys", "import", path, "--publish")
    assert result.exit_code == 0, result.output


def sealed_answers(cli: Any, key: Any, folder: Path, survey_id: str) -> dict[str, Any]:
    """Export everything, open it with ``key``, and return the one submission's answers."""
    bundle = folder / "export.glas"
    assert cli("export", "--out", bundle).exit_code == 0
    opened, _ = open_bundle(bundle, key, folder / "out")
    (result,) = [o for o in opened if o.answers["survey"] == survey_id]
    answers: dict[str, Any] = result.answers["answers"]
    return answers


def browser_log_in(page: Any, organizer_url: str, setup_path: str, name: str = "Ana") -> None:
    """Set up an organizer account through its setup link, then log in, in a browser page."""
    import pyotp

    from .conftest import PASSWORD

    page.goto(organizer_url + setup_path.lstrip("/"))
    totp = pyotp.TOTP(page.locator("#secret").inner_text().replace(" ", ""))
    page.fill("#password", PASSWORD)
    page.fill("#again", PASSWORD)
    page.fill("#code", totp.now())
    page.click("button[type=submit]")
    page.wait_for_url("**/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.fill("#code", totp.at(time.time() + 30))  # the next code: each works once
    page.click("main button[type=submit]")
    page.wait_for_url(organizer_url)


def query(statement: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only statement on the test's database, SQLite or PostgreSQL, through the
    store's own engine (no test opens the database file behind its back)."""
    from sqlalchemy import text

    from portal.config import Config
    from portal.storage.store import Store

    with Store(Config.from_env(), pooled=False) as store, store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(statement))]


def table_columns() -> dict[str, set[str]]:
    """Every table of the test's database and its columns."""
    from sqlalchemy import inspect

    from portal.config import Config
    from portal.storage.store import Store

    with Store(Config.from_env(), pooled=False) as store:
        found = inspect(store.engine)
        return {t: {c["name"] for c in found.get_columns(t)} for t in found.get_table_names()}


def payload_sizes(data_dir: Path) -> list[int]:
    """The stored ciphertext size of every attachment payload, sorted: files in the data dir,
    or rows in PostgreSQL (GLAS_TEST_DATABASE=postgresql)."""
    from . import postgres

    if postgres.MODE == "postgresql":
        statement = "SELECT sum(length(data)) FROM payload_chunks GROUP BY submission_id, part"
        return sorted(int(n) for (n,) in query(statement))
    return sorted(p.stat().st_size for p in (data_dir / "blobs").glob("[0-9a-f]*/*/file-*"))


def uploads_left(data_dir: Path) -> int:
    """Browser uploads the server still holds (files, or rows in PostgreSQL)."""
    from . import postgres

    if postgres.MODE == "postgresql":
        return int(query("SELECT count(*) FROM uploads")[0][0])
    folder = data_dir / "blobs" / ".uploads"
    return len(list(folder.iterdir())) if folder.is_dir() else 0


def write_back_json(client: FlaskClient, token: str, body: dict[str, Any]) -> Any:
    """POST /replies/write.json as the replies page's script does: with a solved challenge."""
    headers = {"X-CSRFToken": token}
    puzzle = client.post("/replies/challenge", headers=headers).get_json()
    solved = {
        "challenge": puzzle["challenge"],
        "work": work.solve(puzzle["challenge"], puzzle["bits"]),
    }
    return client.post("/replies/write.json", json={**body, **solved}, headers=headers)
