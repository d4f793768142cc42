"""Through a real Tor network (our private one on 127.0.0.1): the product's promise, end to end.

glas serve launches its own tor as a member of the private network; client tors fetch the
respondent onion, submit a no-JavaScript survey with an attachment, and try the organizer onion
with, without and with a revoked client-authorisation key.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from stem.descriptor.hidden_service import HiddenServiceDescriptorV3

from .conftest import EXAMPLES, PASSPHRASE, csrf_token, free_port
from .helpers import GLAS, JPEG_MAGIC, LiveServer, received_file, start, stop, version_folder
from .tornet import TorNet

pytestmark = [
    pytest.mark.tor,
    pytest.mark.slow,
    # One worker runs them all: the network and the portal are made once, not once a worker.
    pytest.mark.xdist_group("tornet"),
    pytest.mark.skipif(
        shutil.which("tor") is None or shutil.which("tor-gencert") is None,
        reason="needs Debian's tor (tor and tor-gencert): apt-get install tor",
    ),
]
FETCH_TIMEOUT = 90


class Portal:
    def __init__(self, server: LiveServer, env: dict[str, str], root: Path) -> None:
        self.server, self.env, self.root = server, env, root
        self.organizer_keys: dict[str, str] = {}

    def glas(self, *args: str) -> str:
        result = subprocess.run([GLAS, *args], env=self.env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def address(self, name: str) -> str:
        match = re.search(
            rf"{name} onion: http://([a-z2-7]{{56}})\.onion/", self.server.log.read_text()
        )
        assert match, self.server.log.read_text()
        return match.group(1)

    def log_length(self) -> int:
        return len(self.server.log.read_text())

    def wait_for_log(self, text: str, timeout: float = 120, after: int = 0) -> None:
        """Wait until the server's log says ``text`` (past its first ``after`` characters)."""
        deadline = time.monotonic() + timeout
        while text not in self.server.log.read_text()[after:]:
            assert time.monotonic() < deadline, (
                f"never saw {text!r}:\n{self.server.log.read_text()}"
            )
            assert self.server.process.poll() is None, self.server.log.read_text()
            time.sleep(0.3)


@pytest.fixture(scope="module")
def portal(tornet: TorNet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("portal")
    env = {
        **os.environ,
        "GLAS_DATA_DIR": str(root / "data"),
        "GLAS_TOR": "bundled",
        "GLAS_TOR_OPTIONS": ";".join(tornet.member_options()),
    }
    passphrase = root / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    setup = Portal(None, env, root)  # type: ignore[arg-type]
    setup.glas("keys", "new", "--out", str(root / "ana.key"), "--passphrase-file", str(passphrase))
    setup.glas("reviewers", "add", str(root / "ana.key"), "--name", "Ana")
    setup.glas("surveys", "import", str(EXAMPLES / "testimony.yaml"), "--publish")
    for name in ("Mila", "Tomo"):
        output = setup.glas("organizers", "add", name)
        setup.organizer_keys[name] = re.search(r"x25519:([A-Z2-7]+)", output).group(1)  # type: ignore[union-attr]
    command = [GLAS, "serve", "--port", str(free_port()), "--organizer-port", str(free_port())]
    server = start(command, env, root / "serve.log")
    setup.server = server
    try:
        setup.wait_for_log("Respondent onion descriptor published.")
        setup.wait_for_log("Organizer onion descriptor published.")
        yield setup
    finally:
        stop(server)


def base64_key(base32_key: str) -> str:
    import base64

    raw = base64.b32decode(base32_key + "=" * (-len(base32_key) % 8))
    return base64.b64encode(raw).decode()


def test_a_client_fetches_the_landing_page_and_submits_a_survey_that_decrypts_offline(
    portal: Portal, tornet: TorNet
) -> None:
    client = tornet.client("respondent-client")
    try:
        url = f"http://{portal.address('Respondent')}.onion/"
        session = requests.Session()
        session.proxies = client.proxies
        assert "Welcome" in session.get(url, timeout=FETCH_TIMEOUT).text
        form = session.get(url + "s/testimony", timeout=FETCH_TIMEOUT).text
        token = csrf_token(form)
        photo = JPEG_MAGIC + os.urandom(300_000)
        answers = {
            "csrf_token": token,
            "what_happened": "Sent over a real Tor network.",
            "who": "client",
        }
        files = [("evidence", ("over-tor.jpg", photo, "image/jpeg"))]
        response = session.post(
            url + "s/testimony", data=answers, files=files, timeout=FETCH_TIMEOUT
        )
        assert response.status_code == 200 and "Thank you" in response.text
        descriptor = client.controller.get_info(f"hs/client/desc/id/{portal.address('Respondent')}")
    finally:
        client.stop()

    bundle, out = portal.root / "over-tor.glas", portal.root / "decrypted"
    portal.glas("export", "--out", str(bundle))
    portal.glas(
        "decrypt",
        str(bundle),
        "--key",
        str(portal.root / "ana.key"),
        "--out",
        str(out),
        "--passphrase-file",
        str(portal.root / "passphrase"),
    )
    csv_text = (version_folder(out, "testimony") / "answers.csv").read_text()
    assert "Sent over a real Tor network." in csv_text
    assert received_file(out, "testimony", "over-tor.jpg").read_bytes() == photo

    # The proof-of-work defence is announced in the (decrypted) descriptor clients fetched.
    inner = HiddenServiceDescriptorV3.from_str(descriptor).decrypt(portal.address("Respondent"))
    assert "pow-params v1" in str(inner)


def fetch_organizer(portal: Portal, tornet: TorNet, name: str, key: str | None) -> int | str:
    client = tornet.client(name)
    try:
        service_id = portal.address("Organizer")
        if key is not None:
            client.add_client_auth(service_id, base64_key(key))
        response = requests.get(
            f"http://{service_id}.onion/", proxies=client.proxies, timeout=FETCH_TIMEOUT
        )
        return response.status_code
    except requests.ConnectionError as e:
        return f"unreachable: {type(e).__name__}"
    finally:
        client.stop()


def test_organizer_onion_answers_only_clients_with_a_valid_key(
    portal: Portal, tornet: TorNet
) -> None:
    assert fetch_organizer(portal, tornet, "staff-mila", portal.organizer_keys["Mila"]) == 200
    assert str(fetch_organizer(portal, tornet, "stranger", None)).startswith("unreachable")
    wrong = "A" * 52
    assert str(fetch_organizer(portal, tornet, "guesser", wrong)).startswith("unreachable")


def test_a_revoked_key_no_longer_reaches_the_organizer_onion(
    portal: Portal, tornet: TorNet
) -> None:
    before = portal.log_length()
    portal.glas("onion", "clients", "revoke", "Mila")
    portal.wait_for_log("Organizer onion now admits 1 client key(s).", timeout=30, after=before)
    # The new descriptor is uploaded: a client fetching now gets it, not the one Mila could open.
    portal.wait_for_log("Organizer onion descriptor published.", after=before)
    assert str(
        fetch_organizer(portal, tornet, "revoked-mila", portal.organizer_keys["Mila"])
    ).startswith("unreachable")
    assert fetch_organizer(portal, tornet, "staff-tomo", portal.organizer_keys["Tomo"]) == 200


def test_onion_status_reports_both_services_published(portal: Portal) -> None:
    status = portal.glas("onion", "status")
    assert status.count("(descriptor published)") == 2, status
