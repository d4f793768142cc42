"""The stem wrapper and glas serve's onion side, on a real tor that never touches the network.

Every tor here runs with ``DisableNetwork 1``: onion services are created (tor answers ADD_ONION
at once) but nothing is published. Publication is proven in test_tornet.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import stem.process

from onion import (
    ClientKey,
    PowSettings,
    ServiceKey,
    Tor,
    TorControlError,
    TorNotInstalled,
    TorSettings,
    TorStartFailed,
)
from onion.tor import Bootstrap, parse_bootstrap
from portal.cli.publication import BootstrapWatch, StatusFile
from portal.config import Config

from .conftest import free_port
from .helpers import GLAS, LiveServer, start, stop

NEEDS_TOR = "needs Debian's tor: apt-get install tor"
pytestmark = [
    pytest.mark.tor,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tor") is None, reason=NEEDS_TOR),
]
OFFLINE = ["DisableNetwork 1"]


@pytest.fixture
def tor(tmp_path: Path):  # type: ignore[no-untyped-def]
    connection = Tor.connect(TorSettings("bundled", tmp_path / "tor", extra_options=OFFLINE))
    yield connection
    connection.close()


def test_bundled_tor_creates_the_service_of_a_key_glas_made(tor: Tor) -> None:
    key = ServiceKey.generate()
    tor.add_service({80: "127.0.0.1:9"}, key, pow_settings=PowSettings())
    assert key.service_id in tor.services and len(key.service_id) == 56


def test_proof_of_work_defence_is_accepted_for_the_respondent_service(tor: Tor) -> None:
    key = ServiceKey.generate()
    tor.add_service({80: "127.0.0.1:9"}, key, pow_settings=PowSettings(True, 50, 100))
    assert key.service_id in tor.controller.get_info("onions/current")
    # That the published descriptor carries pow-params is checked over the private network.


def test_organizer_service_takes_several_client_keys(tor: Tor) -> None:
    clients = [ClientKey.generate().public_base32 for _ in range(3)]
    key = ServiceKey.generate()
    tor.add_service({80: "127.0.0.1:9"}, key, client_keys=clients)
    assert key.service_id in tor.services


def test_closing_stops_the_tor_we_launched(tmp_path: Path) -> None:
    connection = Tor.connect(TorSettings("bundled", tmp_path / "tor", extra_options=OFFLINE))
    process = connection.process
    connection.close()
    assert process is not None and process.poll() is not None


def test_missing_tor_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(TorNotInstalled, match=r"apt-get install tor.*--local-only"):
        Tor.connect(TorSettings("bundled", tmp_path / "tor", binary="no-such-tor-here"))


def test_glas_serve_without_tor_on_path_prints_that_message(tmp_path: Path) -> None:
    env = {**os.environ, "GLAS_DATA_DIR": str(tmp_path / "data"), "PATH": "/nonexistent"}
    result = subprocess.run(serve_command(), env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "tor is not installed" in result.stderr and "apt-get install tor" in result.stderr


def test_control_authentication_failure_is_explained(tmp_path: Path) -> None:
    # A tor like an operator's: password authentication only, no cookie to fall back on.
    hashed = subprocess.run(
        ["tor", "--quiet", "--hash-password", "right password"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    data_dir = tmp_path / "system-tor"
    data_dir.mkdir(mode=0o700)
    process = stem.process.launch_tor_with_config(
        config={
            "DataDirectory": str(data_dir),
            "ControlPort": f"127.0.0.1:{port}",
            "HashedControlPassword": hashed,
            "SocksPort": "0",
            "DisableNetwork": "1",
        },
        completion_percent=0,
        take_ownership=True,
    )
    try:
        with pytest.raises(TorControlError, match="refused our authentication"):
            Tor.connect(TorSettings("system", control=str(port), password="wrong password"))
        attached = Tor.connect(TorSettings("system", control=str(port), password="right password"))
        assert not attached.launched
        attached.close()
    finally:
        process.terminate()
        process.wait()


# stem 1.8.2 leaves its socket unclosed when a control port refuses the connection.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_unreachable_system_tor_is_explained() -> None:
    with pytest.raises(TorControlError, match="Cannot reach a running tor"):
        Tor.connect(TorSettings("system", control=str(free_port())))


def test_tor_that_cannot_bind_its_port_fails_with_tors_reason(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        option = f"SocksPort 127.0.0.1:{busy.getsockname()[1]}"
        with pytest.raises(TorStartFailed, match="tor did not start"):
            Tor.connect(TorSettings("bundled", tmp_path / "tor", extra_options=[*OFFLINE, option]))


def serve_command() -> list[str]:
    return [
        GLAS,
        "serve",
        "--tor",
        "bundled",
        "--port",
        str(free_port()),
        "--organizer-port",
        str(free_port()),
    ]


def serve_once(env: dict[str, str], log: Path) -> str:
    command = serve_command()
    server: LiveServer = start(command, env, log)
    try:
        import time

        deadline = time.monotonic() + 60
        while "Respondent onion:" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        match = re.search(r"Respondent onion: http://([a-z2-7]{56})\.onion/", log.read_text())
        assert match, log.read_text()
        control_port = int(
            Path(env["GLAS_DATA_DIR"], "tor", "control-port").read_text().split(":")[1]
        )
    finally:
        stop(server)
    # SIGTERM took the launched tor down with it: its control port is closed.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", control_port), timeout=2).close()
    assert "Stopped." in log.read_text()
    return match.group(1)


def test_restart_keeps_the_respondent_address_and_rotate_changes_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GLAS_DATA_DIR": str(tmp_path / "data"),
        "GLAS_TOR_OPTIONS": "DisableNetwork 1",
    }
    first = serve_once(env, tmp_path / "1.log")
    assert serve_once(env, tmp_path / "2.log") == first
    key_file = tmp_path / "data" / "onion" / "respondent.json"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    rotated = subprocess.run(
        [GLAS, "onion", "rotate", "--yes"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert first not in rotated
    assert serve_once(env, tmp_path / "3.log") != first


def test_bootstrap_phases_are_read_as_tor_writes_them() -> None:
    stuck = parse_bootstrap(
        'WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting to a relay" '
        'WARNING="Network is unreachable" REASON=NOROUTE COUNT=3 RECOMMENDATION=warn'
    )
    assert (stuck.progress, stuck.summary) == (5, "Connecting to a relay")
    assert stuck.problem == "Network is unreachable (NOROUTE)" and not stuck.done
    assert parse_bootstrap('NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"').done
    assert parse_bootstrap("garbage").progress == 0
    # A connection tor closed normally is reported as WARNING=DONE REASON=DONE: no problem.
    closed = parse_bootstrap(
        'WARN BOOTSTRAP PROGRESS=14 TAG=handshake SUMMARY="Handshaking with a relay" '
        "WARNING=DONE REASON=DONE COUNT=1 RECOMMENDATION=ignore"
    )
    assert closed.problem == ""


class StuckTor:
    """tor that never gets past 5%: the real one needs a network that does not answer, and a
    minute of waiting; the watch's decisions are what is tested here."""

    def bootstrap(self) -> Bootstrap:
        return Bootstrap(5, "Connecting to a relay", "Network is unreachable (NOROUTE)")


def test_a_tor_stuck_for_a_minute_is_said_plainly_once(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = [0.0]
    status = StatusFile(Config.from_env())
    watch = BootstrapWatch(StuckTor(), status, clock=lambda: now[0])  # type: ignore[arg-type]
    watch.check()
    assert "Tor: 5% (Connecting to a relay)" in capsys.readouterr().out
    now[0] = 61
    watch.check()
    watch.check()
    said = capsys.readouterr().err
    assert said.count("has not reached the Tor network after 60 s") == 1
    assert "Network is unreachable" in said and "bridges" in said and "clock" in said
    assert json.loads(status.path.read_text())["tor"]["progress"] == 5


def test_serve_with_the_network_off_says_so_and_onion_status_says_why(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GLAS_DATA_DIR": str(tmp_path / "data"),
        "GLAS_TOR_OPTIONS": "DisableNetwork 1",
    }
    log = tmp_path / "serve.log"
    server: LiveServer = start(serve_command(), env, log)
    try:
        deadline = time.monotonic() + 60
        while "DisableNetwork 1" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "tor's network is switched off (DisableNetwork 1)" in log.read_text()
        status = subprocess.run(
            [GLAS, "onion", "status"], env=env, capture_output=True, text=True, check=True
        ).stdout
        assert "Respondent onion:" in status
        assert "not published yet: !! tor's network is switched off" in status
    finally:
        stop(server)
