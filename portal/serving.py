"""Run the two web apps as separate gunicorn processes on loopback.

Separate processes, not one app on two ports: the organizer blueprint is simply absent from the
process that serves respondents, so no routing mistake can expose it on the public onion.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from .errors import PortalError

RESPONDENT_FACTORY = "portal:create_app(prepare=False)"
ORGANIZER_FACTORY = "portal:create_organizer_app(prepare=False)"
START_TIMEOUT_SECONDS = 60


class ServeError(PortalError):
    """Raised when an app cannot be started or stops by itself."""


@dataclass
class AppProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_apps(*apps: tuple[str, str, int]) -> list[AppProcess]:
    """Start gunicorn for each (name, factory, port) at once, and wait until every one accepts
    connections. Side by side, not one after the other: each imports the whole app first,
    seconds on a small machine. If one fails, those already started are stopped."""
    started: list[AppProcess] = []
    try:
        for name, factory, port in apps:
            started.append(AppProcess(name, port, _launch(name, factory, port)))
        for app in started:
            _wait_until_accepting(app)
    except BaseException:
        for app in started:
            app.stop()
        raise
    return started


def _launch(name: str, factory: str, port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:portal.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--name",
        f"glas-{name}",
        factory,
    ]
    return subprocess.Popen(command, env=os.environ.copy())


def _wait_until_accepting(app: AppProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise ServeError(f"The {app.name} app exited while starting (see the messages above).")
        try:
            socket.create_connection(("127.0.0.1", app.port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise ServeError(f"The {app.name} app did not start within {START_TIMEOUT_SECONDS} seconds.")
