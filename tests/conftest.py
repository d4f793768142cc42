"""Shared fixtures: real key files, a real SQLite data dir, the app, its client and the CLI."""

from __future__ import annotations

import datetime
import functools
import io
import os
import re
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id
import pyotp
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from crypto import keys
from crypto.keys import ReviewerKey
from crypto.signing import SigningKey
from glas.cli import cli
from portal import create_app, create_organizer_app
from portal.config import Config
from portal.organizer import auth
from portal.storage import organizers
from portal.storage.store import Store

from . import markers, postgres
from .tornet import chutney_like_tornet, tornet  # noqa: F401 (fixtures of the tor tests)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="session")
def passphrase_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "passphrase"
    path.write_text(PASSPHRASE + "\n")
    return path


def _make_key(tmp_path_factory: pytest.TempPathFactory, name: str) -> tuple[Path, ReviewerKey]:
    # Argon2id MODERATE takes about a second: make each key once per test session.
    key = ReviewerKey.generate()
    path = tmp_path_factory.mktemp("keys") / f"{name}.key"
    key.save(path, PASSPHRASE.encode())
    return path, key


@pytest.fixture(scope="session")
def reviewer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReviewerKey]:
    return _make_key(tmp_path_factory, "ana")


@pytest.fixture(scope="session")
def other_reviewer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReviewerKey]:
    return _make_key(tmp_path_factory, "boris")


#: make check's fuzzing: a third of the examples each property gets in make test (which runs
#: them all); the quick pass still meets every property, just fewer times.
QUICK = os.environ.get("GLAS_QUICK_FUZZ") == "1"


def examples(full: int) -> int:
    """How many Hypothesis examples a property gets in this run."""
    return max(20, full // 3) if QUICK else full


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """On PostgreSQL only what can behave differently there runs (marked both_databases);
    tests that make their own PostgreSQL databases run in the SQLite pass, whatever it is.

    A test that must run alone (serial) is never one of make check's: check runs everything
    on its workers at once, with no second pass to wait for."""
    slow = ("slow", "browser", "tor", "postgres_server")
    for item in items:
        if item.get_closest_marker("serial") and not any(item.get_closest_marker(m) for m in slow):
            raise pytest.UsageError(f"{item.nodeid}: a serial test is also slow, browser or tor")
    # The longest first (tor networks, then the live fuzzers and other slow tests, then
    # browsers), so that the two workers end together on short tests instead of one waiting
    # while the other finishes a private Tor network. A stable sort: a module's tests stay in
    # their order.
    items.sort(key=lambda item: -_weight(item))
    if postgres.MODE != "postgresql":
        return
    alike = pytest.mark.skip(reason="behaves alike on both databases: run on SQLite only")
    once = pytest.mark.skip(reason="makes its own PostgreSQL databases: run in the first pass")
    for item in items:
        if item.get_closest_marker("postgres_server") is not None:
            item.add_marker(once)
        elif item.get_closest_marker("both_databases") is None:
            item.add_marker(alike)


def _weight(item: pytest.Item) -> int:
    if item.get_closest_marker("tor") is not None:
        return 3
    if item.get_closest_marker("slow") is not None:
        return 1 if item.get_closest_marker("browser") is not None else 2
    return 1 if item.get_closest_marker("browser") is not None else 0


def pytest_runtest_setup(item: pytest.Item) -> None:
    markers.current.append(item)


def pytest_runtest_teardown(item: pytest.Item) -> None:
    if markers.current and markers.current[-1] is item:
        markers.current.pop()


@pytest.fixture(autouse=True)
def _tor_only_where_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that launches tor in this process without the 'tor' marker fails by name."""
    import stem.process

    launch = stem.process.launch_tor_with_config

    def guarded(*args: Any, **kwargs: Any) -> Any:
        markers.require("tor")
        return launch(*args, **kwargs)

    monkeypatch.setattr(stem.process, "launch_tor_with_config", guarded)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    """One throwaway PostgreSQL cluster for the session (tests/postgres.py)."""
    if postgres.MODE != "postgresql":
        markers.require("postgres_server")
    with postgres.running() as cluster:
        yield cluster


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The database of this test: None for SQLite in the data dir (the default), else a fresh
    PostgreSQL database (GLAS_TEST_DATABASE=postgresql)."""
    if postgres.MODE != "postgresql":
        yield None
        return
    cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
    with cluster.database() as url:
        yield url


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("GLAS_DATA_DIR", str(path))
    if database_url is None:
        monkeypatch.delenv("GLAS_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("GLAS_DATABASE_URL", database_url)
    return path


@pytest.fixture
def run_cli(data_dir: Path) -> Iterator[RunCli]:
    yield RunCli()


class RunCli:
    """Run ``glas`` in-process against the test data dir; returns click's Result."""

    def __call__(self, *args: str | os.PathLike[str]) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def publish_examples(run_cli: RunCli, reviewer: tuple[Path, ReviewerKey]) -> None:
    """One reviewer and both example surveys, published, in the data dir of ``run_cli``."""
    assert run_cli("reviewers", "add", reviewer[0], "--name", "Ana").exit_code == 0
    for name in ("testimony", "needs-assessment"):
        result = run_cli("surveys", "import", EXAMPLES / f"{name}.yaml", "--publish")
        assert result.exit_code == 0, result.output


@dataclass(frozen=True)
class Template:
    """A data dir (and on PostgreSQL a database) made by :func:`publish_examples` once."""

    folder: Path
    database: str | None


@pytest.fixture(scope="session")
def published_template(
    tmp_path_factory: pytest.TempPathFactory,
    reviewer: tuple[Path, ReviewerKey],
    request: pytest.FixtureRequest,
) -> Template:
    """Made once a session and copied for each test: migrating and importing take about a
    second a test, a copy a few milliseconds (the copy is what the commands made, byte for
    byte)."""
    folder = tmp_path_factory.mktemp("template") / "data"
    database = None
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GLAS_DATA_DIR", str(folder))
        patch.delenv("GLAS_DATABASE_URL", raising=False)
        if postgres.MODE == "postgresql":
            cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
            database = cluster.template()
            patch.setenv("GLAS_DATABASE_URL", cluster.url(database))
        made = _collect_stores(patch)
        try:
            publish_examples(RunCli(), reviewer)
        finally:
            for store in made:
                store.close()
    return Template(folder, database)


@pytest.fixture
def published(
    run_cli: RunCli,
    data_dir: Path,
    database_url: str | None,
    published_template: Template,
    request: pytest.FixtureRequest,
) -> RunCli:
    """A data dir with one reviewer and both example surveys published (a fresh copy)."""
    shutil.copytree(published_template.folder, data_dir, dirs_exist_ok=True)
    if published_template.database is not None and database_url is not None:
        cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
        cluster.copy(published_template.database, database_url)
    return run_cli


@pytest.fixture
def app(data_dir: Path, published: RunCli) -> Flask:
    return create_app(Config.from_env())


def _collect_stores(monkeypatch: pytest.MonkeyPatch) -> list[Store]:
    """From now on, every store opened is listed (to be closed by the caller)."""
    made: list[Store] = []
    opened = Store.__init__

    def init(self: Store, *args: Any, **kwargs: Any) -> None:
        opened(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Store, "__init__", init)
    return made


@pytest.fixture(autouse=True)
def _stores_are_closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every store a test opened (apps, commands, the test itself) is closed after it, as a
    server closes its own at exit: no connection is left for the garbage collector."""
    made = _collect_stores(monkeypatch)
    yield
    for store in made:
        store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def csrf_token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def post_multipart(client: FlaskClient, path: str, fields: dict[str, object]) -> TestResponse:
    """POST a multipart form encoded in memory.

    Werkzeug's test client spools big bodies to a temporary file of its own; encoding here keeps
    the test side off the disk too, so disk checks only ever see what the server wrote.
    """

    def as_file(value: object) -> object:
        if isinstance(value, tuple):  # (stream, filename, content type), as the test client takes
            return FileStorage(value[0], filename=value[1], content_type=value[2])
        return [as_file(v) for v in value] if isinstance(value, list) else value

    values = {name: as_file(value) for name, value in fields.items()}
    boundary, body = encode_multipart(values)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture(scope="session", autouse=True)
def _argon2id_once_per_input() -> Iterator[None]:
    """Each Argon2id input is worked out once a test process, then remembered.

    Argon2id is a pure function, and deliberately slow: a key file opens in one to four
    seconds (MODERATE, 256 MiB) and an organizer's passphrase checks in half a second. The
    suite opens the same session keys and checks the same passphrases hundreds of times; that
    alone was minutes of make test. Remembering an answer changes no outcome (a wrong
    passphrase is a different input and is derived for real), and every file, parameter and
    floor stays the production one. The cost itself is measured once, in bench/."""
    derive = functools.cache(keys._derive)
    verify = nacl.pwhash.argon2id.verify
    checked: dict[tuple[bytes, bytes], bool | Exception] = {}

    def remembered_verify(hashed: bytes, password: bytes) -> bool:
        if (hashed, password) not in checked:
            try:
                checked[hashed, password] = verify(hashed, password)
            except Exception as refused:  # given back as it came
                checked[hashed, password] = refused
        outcome = checked[hashed, password]
        if isinstance(outcome, Exception):
            raise type(outcome)(*outcome.args)
        return outcome

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "_derive", derive)
        patch.setattr(nacl.pwhash.argon2id, "verify", remembered_verify)
        yield


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Compile the interface catalogs, as make install does (.mo files are never committed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "portal" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as source, open(mo, "wb") as target:
                write_mo(target, read_po(source))


@pytest.fixture
def live_server(published: RunCli, data_dir: Path, tmp_path: Path) -> Iterator[object]:
    """Start `glas serve --local-only` on the test data dir; extra env vars as keywords.

    The server's TMPDIR is tmp_path/server-tmp and its log tmp_path/server.log, so that tests
    can search both. Every server started is stopped at the end. One worker per app unless a
    test asks for more (GLAS_WORKERS="2", the default of `glas serve`): what a page does is the
    same in either, and each worker costs the machine a second of start-up the other tests
    wait for; tests of load and of budgets run with the operator's default.
    """
    from .helpers import serve_local, stop

    servers = []
    tmpdir = tmp_path / "server-tmp"
    tmpdir.mkdir(exist_ok=True)

    def make(**env: str):  # type: ignore[no-untyped-def]
        full = {**os.environ, "GLAS_DATA_DIR": str(data_dir), "TMPDIR": str(tmpdir)}
        full = {**full, "GLAS_WORKERS": "1", **env}
        server = serve_local(full, tmp_path / "server.log")
        servers.append(server)
        return server

    yield make
    for server in servers:
        stop(server)


@pytest.fixture
def proxied(live_server):  # type: ignore[no-untyped-def]
    """A live server and a proxy in front of it that records every byte the browser sends."""
    from .helpers import RecordingProxy

    live = live_server()
    proxy = RecordingProxy(int(live.url.rsplit(":", 1)[1].strip("/")))
    yield live, proxy
    proxy.close()


FEED = EXAMPLES / "alerts.yaml"


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SigningKey]:
    key = SigningKey.generate()
    path = tmp_path_factory.mktemp("signing") / "centre.key"
    key.save(path, PASSPHRASE.encode())
    return path, key


@pytest.fixture
def signed_feed(
    run_cli: RunCli, signing_key: tuple[Path, SigningKey], passphrase_file: Path, tmp_path: Path
) -> Path:
    out = tmp_path / "alerts.signed"
    key_file = signing_key[0]
    result = run_cli(
        "alerts",
        "sign",
        FEED,
        "--key",
        key_file,
        "--out",
        out,
        "--passphrase-file",
        passphrase_file,
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def trusted(published: RunCli, signing_key: tuple[Path, SigningKey]) -> RunCli:
    result = published("alerts", "trust", signing_key[1].public_key.to_line(), "--name", "Centre")
    assert result.exit_code == 0, result.output
    return published


# Organizer accounts ---------------------------------------------------------------------

PASSWORD = "four words of passphrase"


class Clock:
    """The organizer side's clocks (TOTP steps, throttling, idle sessions), moved by tests."""

    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 11, 23, 12, 0, 0)

    def advance(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)

    def code(self, secret: str, steps_ahead: int = 0) -> str:
        moment = self.now.replace(tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=30 * steps_ahead
        )
        return pyotp.TOTP(secret).at(moment)


@dataclass
class Organizer:
    app: Flask
    secret: str
    clock: Clock

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def log_in(self, client: FlaskClient, code: str | None = None) -> int:
        """Log in with a fresh code (a new 30-second step each time) and return the status."""
        if code is None:
            self.clock.advance(seconds=30)
            code = self.clock.code(self.secret)
        token = csrf_token(client.get("/login").get_data(as_text=True))
        data = {"csrf_token": token, "name": "Ana", "password": PASSWORD, "code": code}
        return client.post("/login", data=data).status_code


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(organizers, "now", lambda: clock.now)
    monkeypatch.setattr(auth, "clock", lambda: clock.now.timestamp())
    return clock


@pytest.fixture
def organizer(published: RunCli, clock: Clock) -> Iterator[Organizer]:
    result = published("organizers", "add", "Ana")
    assert result.exit_code == 0, result.output
    token = re.search(r"/setup/(\S+)", result.output)
    assert token, result.output
    app = create_organizer_app(Config.from_env())
    client = app.test_client()
    page = client.get(f"/setup/{token.group(1)}").get_data(as_text=True)
    assert '<img src="data:image/svg+xml' in page, "the QR code is inline, nothing fetched"
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    data = {
        "csrf_token": csrf_token(page),
        "password": PASSWORD,
        "again": PASSWORD,
        "code": clock.code(secret.group(1).replace(" ", "")),
    }
    assert client.post(f"/setup/{token.group(1)}", data=data).status_code == 302
    assert client.get(f"/setup/{token.group(1)}").status_code == 404, "the link works once"
    yield Organizer(app, secret.group(1).replace(" ", ""), clock)


@pytest.fixture
def logged_in(organizer: Organizer) -> FlaskClient:
    client = organizer.client()
    assert organizer.log_in(client) == 302
    return client


def gps_photo() -> bytes:
    image = Image.new("RGB", (32, 24), (180, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (41.0, 59.0, 47.0), 3: "E", 4: (21.0, 25.0, 53.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def submit_needs(client: FlaskClient, **answers: object) -> None:
    token = csrf_token(client.get("/s/needs-assessment").get_data(as_text=True))
    response = post_multipart(client, "/s/needs-assessment", {"csrf_token": token, **answers})
    assert response.status_code == 303


@pytest.fixture
def two_bundles(client: FlaskClient, published: RunCli, tmp_path: Path) -> list[Path]:
    from .helpers import submit_testimony  # helpers imports this module

    submit_needs(
        client,
        services_wanted=["legal", "doctor"],
        visits_per_month="4",
        feel_safe="unsafe",
        suggestions="=HYPERLINK(evil)",
    )
    submit_needs(client, services_wanted=["condoms"], visits_per_month="12")
    submit_testimony(client, "He took my passport and hit me.", attachment=gps_photo())
    first = tmp_path / "first.glas"
    assert published("export", "--out", first).exit_code == 0
    submit_needs(client, services_wanted=["shelter"], age_group="under_25")
    second = tmp_path / "second.glas"
    assert published("export", "--out", second).exit_code == 0
    return [first, second]


@pytest.fixture
def decrypted(
    two_bundles: list[Path],
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> Path:
    """The two bundles decrypted by Ana into a fresh folder."""
    from .helpers import decrypt

    out = tmp_path / "out"
    assert decrypt(published, out, two_bundles, [reviewer[0]], passphrase_file).exit_code == 0
    return out
