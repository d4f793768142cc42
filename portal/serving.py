"""Run the two web apps as separate gunicorn processes on loopback.

Separate processes, not one app on two ports: the organizer blueprint is simply absent from the
process that serves respondents, so no routing mistake can expose it on the public onion.

Each gunicorn is forked from `glas serve` rather than started as a new interpreter: the child
has the web stack imported already (Flask, SQLAlchemy, our packages: seconds of CPU on a small
machine, paid once instead of once per app) and builds only its own app.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

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
    process: BaseProcess

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def exited(self) -> bool:
        return self.process.exitcode is not None

    def stop(self) -> None:
        if not self.exited:
            self.process.terminate()
            self.process.join(timeout=30)
            if not self.exited:
                self.process.kill()
                self.process.join()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_apps(*apps: tuple[str, str, int]) -> list[AppProcess]:
    """Start gunicorn for each (name, factory, port) at once, and wait until every one accepts
    connections. Side by side, not one after the other: each builds its own app first. If one
    fails, those already started are stopped."""
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


STOPPING = {signal.SIGTERM, signal.SIGINT, signal.SIGQUIT}


def _launch(name: str, factory: str, port: int) -> BaseProcess:
    arguments = [
        "--config",
        "python:portal.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--name",
        f"glas-{name}",
        factory,
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    # Stop signals wait until the child has its own handlers: a TERM that reached it between
    # the fork and gunicorn's set-up would otherwise run the parent's handler there, and the
    # app would boot and never stop.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        process = multiprocessing.get_context("fork").Process(
            target=_run_gunicorn, args=(arguments,), name=f"glas-{name}"
        )
        process.start()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
    return process


def _run_gunicorn(arguments: list[str]) -> None:
    """In the forked child: gunicorn as its command line would run it, with these arguments."""
    for number in STOPPING:
        signal.signal(number, signal.SIG_DFL)  # until gunicorn installs its own
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
    from gunicorn.app.wsgiapp import WSGIApplication

    sys.argv = ["gunicorn", *arguments]
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn").run()


def _wait_until_accepting(app: AppProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if app.exited:
            raise ServeError(f"The {app.name} app exited while starting (see the messages above).")
        try:
            socket.create_connection(("127.0.0.1", app.port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise ServeError(f"The {app.name} app did not start within {START_TIMEOUT_SECONDS} seconds.")
