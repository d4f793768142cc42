"""`glas serve`'s processes: both apps forked from it, stopped as one, whenever the signal comes.

An operator's `systemctl stop` (or Ctrl-C) may come while the apps are still starting; a stop
that then waited for gunicorn's 20-second graceful timeout, or left an app behind, was seen
before (a worker signalled while booting). The budget below is far from a normal stop (about
2 s) and short of that timeout, so a loaded machine meets it and the old fault does not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from .conftest import RunCli, free_port
from .helpers import GLAS, organizer_url_of, serve_local, stop

pytestmark = [pytest.mark.slow]

STOP_BUDGET_SECONDS = 15


def _group_is_gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def _gone_by(group: int, deadline: float) -> bool:
    """Whether every process of the group has ended by the deadline (monotonic clock)."""
    while not _group_is_gone(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _group_is_gone(group)


#: Moments of the start, by what the log says: at once (nothing forked yet), an app's master
#: building its app, a worker booting (before gunicorn's handlers are in place), and up.
MOMENTS = ["", "Starting gunicorn", "Booting worker", "Organizer interface (local)"]


@pytest.mark.parametrize("moment", MOMENTS, ids=["at-once", "master", "worker", "up"])
def test_a_stop_while_the_apps_start_ends_every_process_within_its_budget(
    published: RunCli, data_dir: Path, tmp_path: Path, moment: str
) -> None:
    env = {**os.environ, "GLAS_DATA_DIR": str(data_dir)}
    command = [GLAS, "serve", "--local-only", "--port", str(free_port())]
    command += ["--organizer-port", str(free_port())]
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while moment not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert moment in log.read_text()
        os.killpg(process.pid, signal.SIGTERM)
        started = time.monotonic()
        process.wait(timeout=STOP_BUDGET_SECONDS)
        assert _gone_by(process.pid, started + STOP_BUDGET_SECONDS), log.read_text()
    finally:
        if not _group_is_gone(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_each_app_serves_only_its_own_pages_and_both_stop_with_the_command(
    published: RunCli, data_dir: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "GLAS_DATA_DIR": str(data_dir)}
    server = serve_local(env, tmp_path / "serve.log")
    try:
        organizer = organizer_url_of(server)
        assert requests.get(server.url, timeout=30).status_code == 200
        assert requests.get(organizer + "login", timeout=30).status_code == 200
        # The respondent app has no organizer pages, the organizer app no survey pages.
        assert requests.get(server.url + "login", timeout=30).status_code == 404
        assert requests.get(organizer + "s/testimony", timeout=30).status_code == 404
        # Only the command itself is signalled (as `kill PID` would): it stops both apps.
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=STOP_BUDGET_SECONDS)
        deadline = time.monotonic() + STOP_BUDGET_SECONDS
        assert _gone_by(server.process.pid, deadline), server.log.read_text()
    finally:
        stop(server)
