"""A private Tor network on 127.0.0.1 for tests: never a byte to the public Tor network.

One directory authority (keys made with tor-gencert), three relays, and client tors on demand,
all with ``TestingTorNetwork 1`` and our own ``DirAuthority``. The app's own tor joins it through
``glas serve --tor-option`` lines from :meth:`TorNet.member_options`. Options, start-up order and
timings are those measured in ../shared/notes/tor-test-network.md (tor 0.4.9): about 15 s from
nothing to a first onion fetch, ~340 MiB for six tors.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import stem.process
from stem.control import Controller

RELAYS = 3
CONSENSUS_TIMEOUT_SECONDS = 120
#: Starts of the network on fresh ports when a member could not bind the one it was given.
START_ATTEMPTS = 3
# Shortened voting so a consensus exists within seconds (see the note for each value).
NETWORK_OPTIONS = {
    "TestingTorNetwork": "1",
    "AssumeReachable": "1",
    "PathsNeededToBuildCircuits": "0.67",
    "TestingDirAuthVoteGuard": "*",
    "TestingDirAuthVoteExit": "*",
    "V3AuthNIntervalsValid": "2",
    "TestingV3AuthInitialVotingInterval": "5",
    "TestingV3AuthInitialVoteDelay": "2",
    "TestingV3AuthInitialDistDelay": "2",
    "V3AuthVotingInterval": "10",
    "V3AuthVoteDelay": "2",
    "V3AuthDistDelay": "2",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ClientTor:
    """A tor with a SocksPort in the private network, and a controller to give it auth keys."""

    process: subprocess.Popen[bytes]
    socks_port: int
    controller: Controller

    @property
    def proxies(self) -> dict[str, str]:
        url = f"socks5h://127.0.0.1:{self.socks_port}"
        return {"http": url, "https": url}

    def add_client_auth(self, service_id: str, private_key_base64: str) -> None:
        self.controller.msg(f"ONION_CLIENT_AUTH_ADD {service_id} x25519:{private_key_base64}")

    def stop(self) -> None:
        self.controller.close()
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclass
class TorNet:
    root: Path
    #: Seconds between votes. Onionbalance's ``--is-testnet`` assumes chutney's 20 (it derives
    #: the onion time period from it); 10 reaches a first consensus sooner.
    voting_interval: int = 10
    relays: int = RELAYS
    #: Relays that also cache directories, and so become HSDirs. Tor itself uses the
    #: authority; Onionbalance builds its own hash ring, finds no microdescriptor for it, and
    #: with fewer than five HSDirs loops for ever placing its second replica.
    hsdir_relays: int = 0
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    dir_authority: str = ""
    dir_port: int = 0
    #: The folder of the current start (a retried start gets a fresh one).
    base: Path = Path()

    @property
    def network_options(self) -> dict[str, str]:
        interval = str(self.voting_interval)
        initial = "5" if self.voting_interval == 10 else interval
        return {
            **NETWORK_OPTIONS,
            "TestingV3AuthInitialVotingInterval": initial,
            "V3AuthVotingInterval": interval,
        }

    def start(self) -> None:
        """Start the authority and relays and wait for a consensus that lists them all.

        free_port() only finds a port free at that moment: another process (a server of the
        other test worker, an outgoing connection) may take it before tor binds it, and tor then
        exits at once, before it opens its log (seen in CI as "no consensus"). Such a start is
        tried again on new ports, in a fresh folder; the reason is in each tor's stdout.log."""
        for attempt in range(START_ATTEMPTS):
            self.base = self.root / f"start{attempt}"
            self._start_members()
            if self._members_came_up():
                self._wait_for_consensus(self.relays + 1, self.hsdir_relays)
                return
            self.stop()
            self.processes.clear()
        raise RuntimeError(f"the test network did not start; see {self.root}/*/*/stdout.log")

    def _members_came_up(self) -> bool:
        """True once the authority answers on its DirPort and every member still runs."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                return False
            try:
                socket.create_connection(("127.0.0.1", self.dir_port), timeout=1).close()
            except OSError:
                time.sleep(0.2)
                continue
            time.sleep(1)  # the relays bind their ports as quickly
            return all(process.poll() is None for process in self.processes)
        return False

    def _start_members(self) -> None:
        self.base.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.dir_port, auth_or_port = free_port(), free_port()
        auth_dir = self._data_dir("auth0")
        v3ident = self._make_authority_keys(auth_dir)
        fingerprint = _fingerprint(auth_dir)
        self.dir_authority = (
            f"auth0 orport={auth_or_port} no-v2 v3ident={v3ident} "
            f"127.0.0.1:{self.dir_port} {fingerprint}"
        )
        self._launch(
            "auth0",
            auth_or_port,
            {
                "DirPort": f"127.0.0.1:{self.dir_port}",
                "AuthoritativeDirectory": "1",
                "V3AuthoritativeDirectory": "1",
                # Without these two, the first consensus stalls for 70-90 s.
                "AuthDirVoteStableGuaranteeMinUptime": "0",
                "AuthDirVoteStableGuaranteeMTBF": "0",
            },
        )
        for i in range(self.relays):
            # DirCache 0: stale microdescriptors from relays would cost another 10 s.
            cache = "1" if i < self.hsdir_relays else "0"
            self._launch(f"relay{i}", free_port(), {"DirCache": cache})

    def member_options(self) -> list[str]:
        """torrc lines that make another tor (the app's) a member of this network."""
        options = {**self.network_options, "DirAuthority": self.dir_authority}
        return [f"{key} {value}" for key, value in options.items()]

    def client(self, name: str) -> ClientTor:
        socks_port, control_port = free_port(), free_port()
        data_dir = self._data_dir(name)
        process = stem.process.launch_tor_with_config(
            config={
                **self._member_config(data_dir),
                "SocksPort": f"127.0.0.1:{socks_port}",
                "ControlPort": f"127.0.0.1:{control_port}",
                "CookieAuthentication": "1",
                "Log": f"notice file {data_dir / 'tor.log'}",
            },
            completion_percent=100,
            timeout=None,
            take_ownership=True,
            close_output=True,
        )
        self.processes.append(process)
        controller = Controller.from_port(address="127.0.0.1", port=control_port)
        controller.authenticate()
        return ClientTor(process, socks_port, controller)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def _data_dir(self, name: str) -> Path:
        path = self.base / name
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    def _member_config(self, data_dir: Path) -> dict[str, str]:
        return {
            **self.network_options,
            "DirAuthority": self.dir_authority,
            "DataDirectory": str(data_dir),
        }

    def _make_authority_keys(self, data_dir: Path) -> str:
        keys = data_dir / "keys"
        keys.mkdir(mode=0o700, exist_ok=True)
        subprocess.run(
            [
                "tor-gencert",
                "--create-identity-key",
                "-m",
                "12",
                "-a",
                f"127.0.0.1:{self.dir_port}",
                "-i",
                str(keys / "authority_identity_key"),
                "-s",
                str(keys / "authority_signing_key"),
                "-c",
                str(keys / "authority_certificate"),
                "--passphrase-fd",
                "0",
            ],
            input=b"\n",
            check=True,
            capture_output=True,
        )
        for line in (keys / "authority_certificate").read_text().splitlines():
            if line.startswith("fingerprint "):
                return line.split()[1]
        raise RuntimeError("tor-gencert wrote no fingerprint")

    def _launch(self, name: str, or_port: int, extra: dict[str, str]) -> None:
        data_dir = self._data_dir(name)
        torrc = data_dir / "torrc"
        lines = {
            **self._member_config(data_dir),
            "Nickname": name,
            "Address": "127.0.0.1",
            "ORPort": f"127.0.0.1:{or_port}",
            "SocksPort": "0",
            "ExitRelay": "0",
            "ContactInfo": "glas-tests@localhost",
            "Log": f"notice file {data_dir / 'tor.log'}",
            **extra,
        }
        torrc.write_text("".join(f"{k} {v}\n" for k, v in lines.items()))
        with open(data_dir / "stdout.log", "wb") as output:  # why a tor exits before its log
            self.processes.append(
                subprocess.Popen(["tor", "-f", str(torrc)], stdout=output, stderr=output)
            )

    def _wait_for_consensus(self, routers: int, hsdirs: int = 0) -> None:
        url = f"http://127.0.0.1:{self.dir_port}/tor/status-vote/current/consensus-microdesc"
        deadline = time.monotonic() + CONSENSUS_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    text = response.read().decode()
                flags = [line for line in text.splitlines() if line.startswith("s ")]
                stable = sum("Stable" in f and "Guard" in f for f in flags) >= routers
                if stable and sum("HSDir" in f.split() for f in flags) >= hsdirs:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"no consensus with {routers} stable guards; see {self.base}/*/tor.log")


@pytest.fixture(scope="module")
def tornet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TorNet]:
    """A private network for the tests of one module (import this fixture there)."""
    network = TorNet(tmp_path_factory.mktemp("tornet"))
    yield from _running(network)


@pytest.fixture(scope="module")
def chutney_like_tornet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TorNet]:
    """A network with the timings Onionbalance's ``--is-testnet`` assumes (chutney's 20-s
    votes) and enough HSDirs it can see (about 550 MiB with the nodes' and the front's tors)."""
    network = TorNet(
        tmp_path_factory.mktemp("tornet"), voting_interval=20, relays=6, hsdir_relays=5
    )
    yield from _running(network)


def _running(network: TorNet) -> Iterator[TorNet]:
    try:
        network.start()
        yield network
    finally:
        network.stop()


def _fingerprint(data_dir: Path) -> str:
    output = subprocess.run(
        [
            "tor",
            "--ignore-missing-torrc",
            "-f",
            "/dev/null",
            "--DataDirectory",
            str(data_dir),
            "--ORPort",
            "1",
            "--list-fingerprint",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "".join(output.strip().splitlines()[-1].split()[1:])
