"""A throwaway portal for benchmarks: one reviewer, one survey, `glas serve` on loopback.

Only 127.0.0.1 is ever contacted. `with BenchPortal("testimony") as portal:` starts it; on
leaving, the server is stopped. `portal.decrypt()` exports and decrypts everything received.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GLAS = str(Path(sys.executable).with_name("glas"))
PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throwaway key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BenchPortal:
    def __init__(self, survey: str, **env: str) -> None:
        self.survey = survey
        self.work = Path(tempfile.mkdtemp(prefix="glas-bench-"))
        secret = self.work / "portal.secret"  # the nodes' shared secret, outside the database
        secret.write_bytes(os.urandom(48).hex().encode())
        self.env = {
            **os.environ,
            "GLAS_DATA_DIR": str(self.work / "data"),
            "GLAS_SECRET_FILE": str(secret),
            **env,
        }
        self.key = self.work / "ana.key"
        self.passphrase = self.work / "passphrase"
        self.port = free_port()
        self.server: subprocess.Popen[bytes] | None = None
        #: Further app servers on the same database (PostgreSQL), each with its own data dir.
        self.nodes: list[tuple[subprocess.Popen[bytes], int]] = []

    def glas(self, *args: str) -> str:
        result = subprocess.run([GLAS, *args], env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"glas {args[0]} failed: {result.stderr}")
        return result.stdout

    def __enter__(self) -> BenchPortal:
        self.passphrase.write_text(PASSPHRASE + "\n")
        self.glas("keys", "new", "--out", str(self.key), "--passphrase-file", str(self.passphrase))
        self.glas("reviewers", "add", str(self.key), "--name", "Ana")
        self.glas("surveys", "import", str(ROOT / "examples" / f"{self.survey}.yaml"), "--publish")
        self.server = self._serve(self.port, self.env)
        self.form = self._wait_for_form(self.port)
        return self

    def add_node(self) -> int:
        """Start one more `glas serve` with a data dir of its own on the same database; return
        its port (the portal's form, token and cookie work there too: the secret is shared)."""
        port = free_port()
        env = {**self.env, "GLAS_DATA_DIR": str(self.work / f"data-{len(self.nodes) + 2}")}
        self.nodes.append((self._serve(port, env), port))
        self._wait_for_form(port)
        return port

    @staticmethod
    def _serve(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                GLAS,
                "serve",
                "--local-only",
                "--port",
                str(port),
                "--organizer-port",
                str(free_port()),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for server in [self.server, *(n for n, _ in self.nodes)]:
            if server is not None and server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=60)

    @property
    def token(self) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.form.text)
        assert match is not None
        return match.group(1)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.form.cookies)

    def sessions(self, count: int) -> list[tuple[str, str]]:
        """``count`` respondents' sessions (cookie, CSRF token), each from the form's page: a
        session without JavaScript may send a few times only (portal/respondent/pace.py)."""
        found = []
        with requests.Session() as http:
            for _ in range(count):
                http.cookies.clear()
                page = http.get(f"http://127.0.0.1:{self.port}/s/{self.survey}", timeout=30)
                match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
                assert match is not None
                cookie = "; ".join(f"{c.name}={c.value}" for c in page.cookies)
                found.append((cookie, match.group(1)))
        return found

    def decrypt(self) -> Path:
        """Export and decrypt everything; return the folder of the survey's version."""
        bundle, out = self.work / "all.glas", self.work / "out"
        self.glas("export", "--out", str(bundle))
        self.glas(
            "decrypt",
            str(bundle),
            "--key",
            str(self.key),
            "--passphrase-file",
            str(self.passphrase),
            "--out",
            str(out),
            "--quiet",
        )
        return next((out / self.survey).iterdir())

    def reply_to_all(self, text: str) -> None:
        """The reviewer's round trip for every testimony received: decrypt, `glas reply`,
        and the organizers' `glas replies import`."""
        folder = self.decrypt()
        message = self.work / "reply.txt"
        message.write_text(text)
        with open(folder / "answers.csv", encoding="utf-8") as table:
            ids = [line.split(",", 1)[0] for line in table.read().splitlines()[1:]]
        for number, submission_id in enumerate(ids):
            reply = self.work / f"reply-{number}.glas-reply"
            self.glas(
                "reply", str(self.work / "out"), submission_id, "--key", str(self.key),
                "--message-file", str(message), "--out", str(reply), "--passphrase-file",
                str(self.passphrase),
            )  # fmt: skip
            self.glas("replies", "import", str(reply))

    def remove(self) -> None:
        subprocess.run(["rm", "-rf", str(self.work)], check=False)

    def _wait_for_form(self, port: int) -> requests.Response:
        url = f"http://127.0.0.1:{port}/s/{self.survey}"
        for _ in range(600):
            try:
                return requests.get(url, timeout=2)
            except requests.ConnectionError:
                time.sleep(0.1)
        sys.exit("glas serve did not come up")
