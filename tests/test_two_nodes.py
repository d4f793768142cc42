"""Two app servers, each with its own data dir, on one PostgreSQL: respondents and organizers may
land on either (as behind Onionbalance), and nothing depends on which.

Two real `glas serve` processes: no-JavaScript submissions to both, a browser upload begun on
one and finished on the other, an organizer who logs in on one and works on the other,
retention from one node, and an export from the other that holds every submission, all of
which decrypt. No payload file is left in either data dir: they are in the database.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import requests

from crypto.keys import ReviewerKey
from portal import create_app
from portal.config import Config
from portal.storage import Store
from portal.storage.retention import Retention, set_retention

from .conftest import EXAMPLES, PASSWORD, RunCli, csrf_token
from .helpers import (
    JPEG_MAGIC,
    LiveServer,
    ask_upload,
    codename_on,
    open_bundle,
    organizer_url_of,
    seal_like_the_browser,
    serve_local,
    stop,
)
from .postgres import Cluster, needs_postgres

pytestmark = [pytest.mark.postgres_server, pytest.mark.slow, needs_postgres]


@pytest.fixture
def nodes(
    pg_cluster: Cluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reviewer: tuple[Path, ReviewerKey],
) -> Iterator[tuple[LiveServer, LiveServer, RunCli]]:
    with pg_cluster.database() as url:
        # The nodes share a secret outside the database (deploy/README.md).
        secret = tmp_path / "portal.secret"
        secret.write_bytes(base64.b64encode(os.urandom(48)))
        monkeypatch.setenv("GLAS_SECRET_FILE", str(secret))
        monkeypatch.setenv("GLAS_DATABASE_URL", url)
        monkeypatch.setenv("GLAS_DATA_DIR", str(tmp_path / "node-a"))
        cli = RunCli()
        assert cli("reviewers", "add", reviewer[0], "--name", "Ana").exit_code == 0
        result = cli("surveys", "import", EXAMPLES / "testimony.yaml", "--publish")
        assert result.exit_code == 0, result.output
        servers = []
        try:
            for name in ("node-a", "node-b"):
                env = {**os.environ, "GLAS_DATA_DIR": str(tmp_path / name)}
                servers.append(serve_local(env, tmp_path / f"{name}.log"))
            yield servers[0], servers[1], cli
        finally:
            for server in servers:
                stop(server)


def _testimony(url: str, text: str, photo: bytes) -> tuple[requests.Session, str]:
    """Send a testimony without JavaScript; the session, and the thanks page it led to."""
    session = requests.Session()
    form = session.get(url + "s/testimony", timeout=30).text
    fields = {"csrf_token": csrf_token(form), "what_happened": text, "who": ["police"]}
    files = [("evidence", ("a.jpg", photo, "image/jpeg"))]
    response = session.post(url + "s/testimony", data=fields, files=files, timeout=60)
    assert response.status_code == 200, response.text
    return session, response.text


def test_two_nodes_on_one_database_are_one_portal(
    nodes: tuple[LiveServer, LiveServer, RunCli],
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b, cli = nodes
    photos = [JPEG_MAGIC + os.urandom(70_000) for _ in range(2)]
    respondent, thanks = _testimony(a.url, "Told to node A.", photos[0])
    _testimony(b.url, "Told to node B.", photos[1])
    # The codename A made is shown again by B, if the reload reaches B.
    codename = codename_on(thanks)
    assert codename is not None
    again = respondent.get(b.url + "s/testimony/thanks", timeout=30).text
    assert codename_on(again) == codename
    # Whoever holds the database but not the nodes' secret opens no captured cookie (H6).
    cookie = respondent.cookies.get("pending")
    assert cookie is not None
    monkeypatch.delenv("GLAS_SECRET_FILE")
    monkeypatch.setenv("GLAS_DATA_DIR", str(tmp_path / "seized"))
    seized = create_app(Config.from_env(), prepare=False).test_client()
    seized.set_cookie("pending", cookie, path="/s/")
    assert codename_on(seized.get("/s/testimony/thanks").get_data(as_text=True)) is None
    monkeypatch.setenv("GLAS_DATA_DIR", str(tmp_path / "node-a"))
    monkeypatch.setenv("GLAS_SECRET_FILE", str(tmp_path / "portal.secret"))

    # A browser upload: the slot and the first chunk on A, the rest, finish and send on B.
    session = requests.Session()
    page = session.get(a.url + "s/testimony", timeout=30).text
    session.headers["X-CSRFToken"] = token = csrf_token(page)
    client = session.get(a.url.rstrip("/") + re.findall(r'data-client="([^"]+)"', page)[0])
    upload = ask_upload(session, a.url + "s/testimony/uploads")
    envelope, ciphertext = seal_like_the_browser(
        client.json(), upload, JPEG_MAGIC + os.urandom(upload["chunk_size"] + 5000)
    )
    size = upload["chunk_size"]
    chunks = [ciphertext[i : i + size] for i in range(0, len(ciphertext), size)]
    path = upload["url"] + "/file-0"
    assert session.put(f"{a.url.rstrip('/')}{path}/0", data=chunks[0]).status_code == 201
    for index, chunk in enumerate(chunks[1:], start=1):
        assert session.put(f"{b.url.rstrip('/')}{path}/{index}", data=chunk).status_code == 201
    finished = session.post(f"{b.url.rstrip('/')}{path}/finish", json={"chunks": len(chunks)})
    assert finished.status_code == 200, finished.text
    fields = {"csrf_token": token, "glas_envelope": json.dumps(envelope)}
    assert session.post(b.url + "s/testimony", data=fields).status_code == 200

    # An organizer: set up and logged in on A, working on B (sessions and secret are shared).
    added = cli("organizers", "add", "Ana")
    setup = re.search(r"/setup/(\S+)", added.output)
    assert setup, added.output
    staff = requests.Session()
    on_a, on_b = organizer_url_of(a), organizer_url_of(b)
    form = staff.get(on_a + f"setup/{setup.group(1)}", timeout=30).text
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', form)
    assert secret
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    now = datetime.datetime.now(datetime.UTC)
    data = {"csrf_token": csrf_token(form), "password": PASSWORD, "again": PASSWORD}
    made = staff.post(on_a + f"setup/{setup.group(1)}", data={**data, "code": totp.at(now)})
    assert made.status_code == 200 and "/login" in made.url, made.text
    login = staff.get(on_a + "login", timeout=30).text
    code = totp.at(now + datetime.timedelta(seconds=30))
    fields = {"csrf_token": csrf_token(login), "name": "Ana", "password": PASSWORD, "code": code}
    assert staff.post(on_a + "login", data=fields).status_code == 200
    submissions = staff.get(on_b + "submissions", timeout=30)
    assert submissions.status_code == 200 and "/login" not in submissions.url

    # Export from B: every submission, all open; no payload file in either data dir.
    monkeypatch.setenv("GLAS_DATA_DIR", str(tmp_path / "node-b"))
    bundle = tmp_path / "all.glas"
    assert cli("export", "--out", bundle).exit_code == 0
    opened, failed = open_bundle(bundle, reviewer[1], tmp_path / "opened")
    assert failed == [] and len(opened) == 3
    texts = {o.answers["answers"]["what_happened"] for o in opened}
    assert texts == {"Told to node A.", "Told to node B.", "Sealed in the browser, told here."}
    for name in ("node-a", "node-b"):
        assert not [p for p in (tmp_path / name).rglob("file-*") if p.is_file()], name

    # Retention from A: gone for both.
    monkeypatch.setenv("GLAS_DATA_DIR", str(tmp_path / "node-a"))
    with Store(Config.from_env()) as store:
        set_retention(store, Retention(all_days=0))
    assert cli("retention", "apply").exit_code == 0
    monkeypatch.setenv("GLAS_DATA_DIR", str(tmp_path / "node-b"))
    empty = tmp_path / "empty.glas"
    result = cli("export", "--out", empty)
    assert result.exit_code == 0 and not empty.exists(), result.output
