"""One onion address in front of two nodes: Onionbalance over our private Tor network.

Two real `glas serve` nodes, each with its own data dir and its own tor in the private
network, on one PostgreSQL. `glas onion front` lists both nodes' onions and writes the front's
folder; after a restart each node serves as an instance of the front. The front is real
Onionbalance (its `--is-testnet` timings) driving a tor of its own. A client that knows only
the front's address submits; with one node stopped it still submits; an export holds both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import stem.process
import yaml

from onion.balance import FRONT_CONFIG, FRONT_KEY, FRONT_TORRC, key_from_tor_file

from .conftest import EXAMPLES, PASSPHRASE, csrf_token, free_port
from .helpers import GLAS, LiveServer, start, stop, version_folder
from .postgres import Cluster, needs_postgres
from .tornet import TorNet

ONIONBALANCE = Path(sys.executable).with_name("onionbalance")
pytestmark = [
    pytest.mark.tor,
    pytest.mark.postgres_server,
    pytest.mark.slow,
    needs_postgres,
    pytest.mark.skipif(
        shutil.which("tor") is None or shutil.which("tor-gencert") is None,
        reason="needs Debian's tor (tor and tor-gencert): apt-get install tor",
    ),
    pytest.mark.skipif(not ONIONBALANCE.exists(), reason="needs onionbalance (make install)"),
]
#: Onionbalance publishes within 10 s of its first fetch on a testnet (see SHORT_FIRST_WAIT).
FRONT_TIMEOUT = 240
#: Onionbalance's first round is fetch, a fixed 45 s wait, publish (``INITIAL_CALLBACK_DELAY``):
#: sized for the public network's descriptors. On the private network they arrive in a second or
#: two, and its testnet schedule publishes every 10 s anyway, so the test starts it with a short
#: first wait instead of idling 45 s; everything else is Onionbalance as installed.
SHORT_FIRST_WAIT = (
    "import sys; import onionbalance.hs_v3.params as p; p.INITIAL_CALLBACK_DELAY = 5; "
    "from onionbalance.manager import main; sys.argv[0] = 'onionbalance'; sys.exit(main())"
)


class Node:
    def __init__(self, name: str, env: dict[str, str], root: Path) -> None:
        self.name, self.env, self.root = name, env, root
        self.server: LiveServer | None = None
        self.args = [] if name == "node-a" else ["--no-organizer-onion"]

    def launch(self) -> None:
        """Start `glas serve`; its tor joins the network and publishes in the background."""
        log = self.root / f"{self.name}-{time.monotonic_ns()}.log"
        command = [GLAS, "serve", "--port", str(free_port())]
        command += ["--organizer-port", str(free_port()), *self.args]
        self.server = start(command, self.env, log)

    def published(self) -> None:
        self.wait_for("Respondent onion descriptor published.")

    def wait_for(self, text: str, timeout: float = 120) -> None:
        assert self.server is not None
        deadline = time.monotonic() + timeout
        while text not in self.server.log.read_text():
            assert time.monotonic() < deadline, self.server.log.read_text()
            assert self.server.process.poll() is None, self.server.log.read_text()
            time.sleep(0.3)

    def log(self) -> str:
        assert self.server is not None
        return self.server.log.read_text()

    def address(self) -> str:
        return onion_in("Respondent onion", self.log())

    def stop(self) -> None:
        if self.server is not None:
            stop(self.server)
            self.server = None


Popen = subprocess.Popen[bytes]


def onion_in(label: str, text: str) -> str:
    match = re.search(rf"{label}: http://([a-z2-7]{{56}})\.onion/", text)
    assert match, text
    return match.group(1)


def glas(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([GLAS, *args], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def two_nodes(
    chutney_like_tornet: TorNet,
    pg_cluster: Cluster,
    tmp_path: Path,
) -> Iterator[tuple[Node, Node, Path]]:
    with pg_cluster.database() as url:
        secret = tmp_path / "portal.secret"  # every node's, outside the database
        secret.write_bytes(os.urandom(48).hex().encode())
        base = {
            **os.environ,
            "GLAS_SECRET_FILE": str(secret),
            "GLAS_DATABASE_URL": url,
            "GLAS_TOR": "bundled",
            "GLAS_TOR_OPTIONS": ";".join(chutney_like_tornet.member_options()),
        }
        nodes = [
            Node(
                name,
                {**base, "GLAS_DATA_DIR": str(tmp_path / name), "GLAS_NODE_NAME": name},
                tmp_path,
            )
            for name in ("node-a", "node-b")
        ]
        try:
            yield nodes[0], nodes[1], tmp_path
        finally:
            for node in nodes:
                node.stop()


def test_an_onionbalance_front_reaches_both_nodes_and_survives_one_stopping(
    two_nodes: tuple[Node, Node, Path],
    chutney_like_tornet: TorNet,
) -> None:
    a, b, root = two_nodes
    tornet = chutney_like_tornet
    (root / "passphrase").write_text(PASSPHRASE + "\n")
    key = str(root / "ana.key")
    glas(a.env, "keys", "new", "--out", key, "--passphrase-file", str(root / "passphrase"))
    glas(a.env, "reviewers", "add", key, "--name", "Ana")
    glas(a.env, "surveys", "import", str(EXAMPLES / "testimony.yaml"), "--publish")
    glas(a.env, "organizers", "add", "Mila")

    # Each node publishes its own onion first, and records it in the shared database. The
    # nodes start side by side, as two machines would: each waits on its own tor.
    for node in (a, b):
        node.launch()
    for node in (a, b):
        node.published()
    instances = {
        node.name: re.search(
            r"Respondent onion: http://([a-z2-7]{56})\.onion/", node.server.log.read_text()
        ).group(1)  # type: ignore[union-attr]
        for node in (a, b)
    }
    front = root / "front"
    written = glas(a.env, "onion", "front", "--out", str(front))
    front_id = onion_in(r"Front onion", written)
    for name, address in instances.items():
        assert f"Instance {name}: http://{address}.onion/" in written
    config = yaml.safe_load((front / FRONT_CONFIG).read_text())
    assert {i["address"] for i in config["services"][0]["instances"]} == set(instances.values())
    assert key_from_tor_file((front / FRONT_KEY).read_bytes()).service_id == front_id
    assert (front / FRONT_KEY).stat().st_mode & 0o077 == 0
    # The front's key is in its folder only: not in either node's data dir, nor the database.
    secret = (front / FRONT_KEY).read_bytes()[32:]
    for node in (a, b):
        assert not [
            p
            for p in Path(node.env["GLAS_DATA_DIR"]).rglob("*")
            if p.is_file() and secret in p.read_bytes()
        ]

    # Restarted, each node serves as an instance of the front; only A has the organizer onion.
    for node in (a, b):
        node.stop()
        node.launch()
    for node in (a, b):
        node.published()
        assert (
            f"an instance of the Onionbalance front http://{front_id}.onion/"
            in node.server.log.read_text()
        )  # type: ignore[union-attr]
    a.wait_for("Organizer onion descriptor published.")
    assert "Organizer onion: not published from this node" in b.server.log.read_text()  # type: ignore[union-attr]

    balancer = start_front(front, tornet)
    client = tornet.client("respondent")
    try:
        url = f"http://{front_id}.onion/"
        first = submit_through(url, client.proxies, "Through the front, both nodes up.")
        assert "Thank you" in first, balancer.log()
        a.stop()
        second = submit_through(url, client.proxies, "Through the front, node A stopped.")
        assert "Thank you" in second, balancer.log()
    finally:
        client.stop()
        balancer.stop()

    bundle, out = root / "front.glas", root / "decrypted"
    glas(b.env, "export", "--out", str(bundle))
    glas(
        b.env,
        "decrypt",
        str(bundle),
        "--key",
        key,
        "--out",
        str(out),
        "--passphrase-file",
        str(root / "passphrase"),
    )
    answers = (version_folder(out, "testimony") / "answers.csv").read_text()
    assert "both nodes up" in answers and "node A stopped" in answers


class Front:
    """Onionbalance and the tor it drives, as on the front machine."""

    def __init__(
        self, folder: Path, tor: subprocess.Popen[bytes], balancer: subprocess.Popen[bytes]
    ) -> None:
        self.folder, self.tor, self.balancer = folder, tor, balancer

    def log(self) -> str:
        return (self.folder / "onionbalance.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        for process in (self.balancer, self.tor):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:  # Onionbalance may not heed SIGTERM
                    process.kill()
                    process.wait()


def start_front(folder: Path, tornet: TorNet) -> Front:
    """Start the front from the folder `glas onion front` wrote: its torrc (in the private
    network, on a control socket rather than port 9051), then Onionbalance on that socket."""
    torrc = dict(
        line.split(" ", 1)
        for line in (folder / FRONT_TORRC).read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert torrc["FetchUselessDescriptors"] == "1"
    socket = folder / "control"
    config = {
        **torrc,
        **dict(option.split(" ", 1) for option in tornet.member_options()),
        "DataDirectory": str(folder / "tor-data"),
        "ControlPort": "0",
        "ControlSocket": str(socket),
        "Log": f"notice file {folder / 'tor.log'}",
    }
    tor = stem.process.launch_tor_with_config(
        config=config, completion_percent=100, timeout=None, take_ownership=False, close_output=True
    )
    wait_for_hsdirs(socket, tornet.hsdir_relays)
    with open(folder / "onionbalance.log", "wb") as log:
        balancer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SHORT_FIRST_WAIT,
                "-c",
                str(folder / FRONT_CONFIG),
                "-s",
                str(socket),
                "--is-testnet",
                "-v",
                "info",
            ],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Front(folder, tor, balancer)


def wait_for_hsdirs(socket: Path, wanted: int) -> None:
    """Wait until the front's tor knows every HSDir with its ed25519 identity (from its
    microdescriptor), as Onionbalance's hash ring needs them.

    Onionbalance places its descriptor's second replica on HSDirs the first did not use; with
    fewer HSDirs in its view than that needs, it loops for ever (seen in CI: a ring of 4 of
    the network's 5, when the front started before its tor had every microdescriptor)."""
    from stem.control import Controller

    deadline = time.monotonic() + 120
    with Controller.from_socket_file(str(socket)) as controller:
        controller.authenticate()
        while True:
            known = 0
            for status in controller.get_network_statuses():
                if "HSDir" not in status.flags:
                    continue
                described = controller.get_microdescriptor(status.fingerprint, None)
                known += bool(described and described.identifiers.get("ed25519"))
            if known >= wanted:
                return
            assert time.monotonic() < deadline, f"the front's tor knows {known} HSDirs"
            time.sleep(0.5)


def submit_through(url: str, proxies: dict[str, str], text: str) -> str:
    """A no-JavaScript testimony through the client's tor, retried while the front's
    descriptor is not yet published (or names a node that has just stopped)."""
    deadline = time.monotonic() + FRONT_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        session = requests.Session()
        session.proxies = proxies
        try:
            form = session.get(url + "s/testimony", timeout=60).text
            fields = {"csrf_token": csrf_token(form), "what_happened": text, "who": "client"}
            response = session.post(url + "s/testimony", data=fields, timeout=60)
            if response.status_code == 200:
                return response.text
            last = f"{response.status_code}: {response.text[:300]}"
        except (requests.ConnectionError, requests.Timeout) as e:
            last = type(e).__name__
        time.sleep(3)
    raise AssertionError(f"never submitted through {url}: {last}")
