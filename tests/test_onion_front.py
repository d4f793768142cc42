"""The Onionbalance side of several nodes, without a network: what `glas onion front` writes,
what Onionbalance and tor make of it, and the refusals.

Onionbalance's own loader reads the folder (its key and config); a real tor, offline, serves a
node's onion as an instance from the torrc Glas writes. The front over a real (private) Tor
network is test_onionbalance.py.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import stem.process

from onion import ServiceError, ServiceKey, Tor, TorSettings
from onion.balance import (
    FRONT_CONFIG,
    FRONT_KEY,
    FRONT_TORRC,
    INSTANCE_TORRC,
    InstanceService,
    key_from_tor_file,
    tor_key_file,
    write_front,
)
from portal.config import Config
from portal.storage import Store, onions

from .conftest import RunCli, free_port
from .helpers import GLAS, start, stop

ob_service = pytest.importorskip("onionbalance.hs_v3.service", reason="needs onionbalance")
ob_main = pytest.importorskip("onionbalance.hs_v3.onionbalance", reason="needs onionbalance")


def _instances(count: int) -> list[tuple[str, str]]:
    return [(f"node-{i}", ServiceKey.generate().service_id) for i in range(count)]


def test_onionbalance_loads_the_front_folder_and_finds_the_same_address(tmp_path: Path) -> None:
    listed = _instances(2)
    made = write_front(tmp_path / "front", listed)
    assert made.created
    # Onionbalance's own reading of the folder (without the tor it would then connect to).
    balancer = ob_main.Onionbalance()
    balancer.config_path = str(tmp_path / "front" / FRONT_CONFIG)
    config = balancer.load_config_file()
    service = config["services"][0]
    assert [i["address"] for i in service["instances"]] == [a for _, a in listed]
    reader = ob_service.OnionbalanceService.__new__(ob_service.OnionbalanceService)
    _key, address = reader._load_service_keys(service, balancer.config_path)
    assert address == made.key.address
    # Owner-only, and the torrc makes tor fetch what Onionbalance reads.
    for name in (FRONT_KEY, FRONT_CONFIG, FRONT_TORRC):
        assert (tmp_path / "front" / name).stat().st_mode & 0o077 == 0
    assert "FetchUselessDescriptors 1" in (tmp_path / "front" / FRONT_TORRC).read_text()


def test_writing_the_folder_again_keeps_the_front_key_and_lists_the_new_nodes(
    tmp_path: Path,
) -> None:
    first = write_front(tmp_path, _instances(1))
    again = write_front(tmp_path, _instances(3))
    assert not again.created and again.key == first.key
    assert (tmp_path / FRONT_CONFIG).read_text().count("address:") == 3


def test_key_files_round_trip_and_foreign_ones_are_refused() -> None:
    key = ServiceKey.generate()
    assert key_from_tor_file(tor_key_file(key)) == key
    for hostile in (b"", b"-----BEGIN PRIVATE KEY-----\n", tor_key_file(key)[:-1], b"\0" * 96):
        with pytest.raises(ServiceError):
            key_from_tor_file(hostile)


def test_a_front_needs_instances_and_cannot_front_itself(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="No instance"):
        write_front(tmp_path / "empty", [])
    with pytest.raises(ServiceError, match="At most"):
        write_front(tmp_path / "many", _instances(21))
    made = write_front(tmp_path / "front", _instances(1))
    with pytest.raises(ServiceError, match="cannot also be"):
        write_front(tmp_path / "front", [("self", made.key.service_id)])


@pytest.mark.tor
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tor") is None, reason="needs Debian's tor")
def test_tor_serves_a_nodes_onion_as_an_instance_from_the_torrc_glas_writes(
    tmp_path: Path,
) -> None:
    key, front = ServiceKey.generate(), ServiceKey.generate()
    instance = InstanceService(tmp_path / "tor" / "instance", key, front.service_id, "127.0.0.1:9")
    settings = TorSettings(
        "bundled", tmp_path / "tor", extra_options=["DisableNetwork 1"], include=[instance.write()]
    )
    tor = Tor.connect(settings)
    try:
        tor.expect_configured(key.service_id, instance.directory, instance.torrc)
        assert (instance.directory / "hostname").read_text().strip() == key.address
        assert str(tor.controller.get_conf("HiddenServiceOnionBalanceInstance")) == "1"
        log = (tmp_path / "tor" / "tor.log").read_text()
        assert f"MasterOnionAddress {front.address} registered" in log
        elsewhere = tmp_path / "not-included"
        with pytest.raises(ServiceError, match="%include"):
            tor.expect_configured(key.service_id, elsewhere, elsewhere / "x.torrc")
    finally:
        tor.close()
    for name in ("hs_ed25519_secret_key", "ob_config"):
        assert (instance.directory / name).stat().st_mode & 0o077 == 0
    assert (instance.directory / "hs_ed25519_secret_key").read_bytes() == tor_key_file(key)


def test_glas_onion_front_lists_every_node_and_keeps_only_the_address(
    run_cli: RunCli, tmp_path: Path
) -> None:
    nodes = _instances(2)
    assert run_cli("onion", "instances").output == "Front onion: none\n"  # migrates
    with Store(Config.from_env()) as store:
        for name, address in nodes:
            onions.register_instance(store, address, name)
    out = tmp_path / "front"
    result = run_cli("onion", "front", "--out", out)
    assert result.exit_code == 0, result.output
    for name, address in nodes:
        assert f"Instance {name}: http://{address}.onion/" in result.output
    front = key_from_tor_file((out / FRONT_KEY).read_bytes())
    with Store(Config.from_env()) as store:
        assert onions.front(store) == front.service_id
    listing = run_cli("onion", "instances").output
    assert f"Front onion: http://{front.address}/" in listing
    # The front's private key is in its folder only.
    secret = base64.b64decode(front.private_key)
    data = Path(os.environ["GLAS_DATA_DIR"])
    assert not [p for p in data.rglob("*") if p.is_file() and secret in p.read_bytes()]

    gone = nodes[0][1]
    assert run_cli("onion", "instances", "--forget", gone).exit_code == 0
    assert gone not in run_cli("onion", "instances").output
    assert run_cli("onion", "front", "--clear").exit_code == 0
    assert "Front onion: none" in run_cli("onion", "instances").output


@pytest.mark.parametrize(
    "args, message",
    [
        (["onion", "front"], "Give --out"),
        (["onion", "front", "--out", "{tmp}/f", "--instance", "nope.onion"], "not a v3 onion"),
        (["onion", "front", "--out", "{tmp}/f", "--instance", "a" * 57], "not a v3 onion"),
        (["onion", "front", "--out", "{tmp}/empty"], "No instance onion is known"),
        (["onion", "front", "--out", "{tmp}/file", "--instance", "b" * 56], "file"),
        (["onion", "instances", "--forget", "x" * 200], "not a v3 onion"),
        (["onion", "instances", "--forget", "c" * 56], "No instance"),
    ],
)
def test_bad_input_to_the_front_commands_is_one_line_and_exit_2(
    run_cli: RunCli, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "file").write_text("not a folder")
    result = run_cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.tor
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tor") is None, reason="needs Debian's tor")
def test_with_the_systems_tor_glas_serve_says_what_to_include_then_serves_as_an_instance(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """The operator's tor (offline here) is not Glas's to configure: the first start writes the
    instance's folder and torrc and says which line to add; once tor includes it, it serves."""
    nodes = _instances(1)
    front = run_cli("onion", "front", "--out", tmp_path / "front", "--instance", nodes[0][1])
    assert front.exit_code == 0, front.output
    data = Path(os.environ["GLAS_DATA_DIR"])
    port = free_port()
    command = [GLAS, "serve", "--tor", "system", "--tor-control", str(port)]
    command += ["--port", str(free_port()), "--organizer-port", str(free_port())]

    def system_tor(*include: Path) -> subprocess.Popen[bytes]:
        config: dict[str, str | list[str]] = {
            "DataDirectory": str(tmp_path / "system-tor"),
            "ControlPort": f"127.0.0.1:{port}",
            "CookieAuthentication": "1",
            "SocksPort": "0",
            "DisableNetwork": "1",
        }
        if include:
            config["%include"] = [str(p) for p in include]
        return stem.process.launch_tor_with_config(config=config, completion_percent=0)

    (tmp_path / "system-tor").mkdir(mode=0o700)
    tor = system_tor()
    try:
        first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        tor.terminate()
        tor.wait()
    assert first.returncode == 1, first.stderr
    torrc = data / "tor" / INSTANCE_TORRC
    assert f"Add the line '%include {torrc}'" in first.stderr.strip().splitlines()[-1]

    tor = system_tor(torrc)
    try:
        server = start(command, dict(os.environ), tmp_path / "serve.log")
        try:
            deadline = time.monotonic() + 60
            while "an instance of the Onionbalance front" not in server.log.read_text():
                assert time.monotonic() < deadline, server.log.read_text()
                assert server.process.poll() is None, server.log.read_text()
                time.sleep(0.3)
        finally:
            stop(server)
    finally:
        tor.terminate()
        tor.wait()
