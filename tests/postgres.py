"""A throwaway PostgreSQL cluster for the tests: Debian's ``postgresql``, started by the test
session as an unprivileged user, listening on a Unix socket only (no TCP port at all), and
one fresh database per test.

``GLAS_TEST_DATABASE=postgresql pytest`` runs the whole suite on it (``make test`` runs it both
ways); tests that need PostgreSQL whatever the mode use :func:`cluster` directly.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Where Debian puts the server's programs (postgresql-15 on Debian 12).
BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
#: The account that runs the cluster when the tests run as root (initdb refuses root).
UNPRIVILEGED = "nobody"
#: The suite's database: "sqlite" (the default) or "postgresql".
MODE = os.environ.get("GLAS_TEST_DATABASE", "sqlite")

needs_postgres = pytest.mark.skipif(
    not BIN and MODE != "postgresql", reason="needs Debian's postgresql (make install)"
)


@dataclass
class Cluster:
    """A running cluster: its folder, its socket folder and the superuser's name."""

    folder: Path
    socket: Path
    user: str = "glas"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.socket}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; return its output (unaligned, tuples only)."""
        psql = [str(BIN[-1] / "psql"), "-X", "-At", "-h", str(self.socket), "-U", self.user]
        result = subprocess.run(
            [*psql, "-d", database, "-c", statement],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout.strip()

    def template(self) -> str:
        """A new, empty database to fill once and copy for each test (:meth:`copy`)."""
        name = "template_" + secrets.token_hex(6)
        self.sql(f"CREATE DATABASE {name} TEMPLATE template0")
        return name

    def copy(self, template: str, url: str) -> None:
        """Make the (unused) database of ``url`` a copy of ``template``: PostgreSQL copies its
        files, far faster than migrating and importing again."""
        name = url.split("@/", 1)[1].split("?", 1)[0]
        self.sql(f"DROP DATABASE {name} WITH (FORCE)")
        self.sql(f"CREATE DATABASE {name} TEMPLATE {template}")

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh, empty database for one test, dropped after it (with any connection a
        test left open: those are reported by the ResourceWarning checks, not kept)."""
        name = "t_" + secrets.token_hex(6)
        self.sql(f"CREATE DATABASE {name} TEMPLATE template0")
        try:
            yield self.url(name)
        finally:
            self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _as_cluster_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", UNPRIVILEGED, "--", *command]


def start(folder: Path) -> Cluster:
    """initdb and start a cluster in ``folder`` (owned by the unprivileged user when root)."""
    if not BIN:
        raise RuntimeError("PostgreSQL is not installed (make install)")
    bin_dir = BIN[-1]
    data, socket = folder / "data", folder / "socket"
    socket.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(folder, UNPRIVILEGED)
        shutil.chown(socket, UNPRIVILEGED)
    subprocess.run(
        _as_cluster_user(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "glas", "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    # No TCP at all: the socket only; fsync off (a test cluster), small memory.
    options = (
        f"-c listen_addresses='' -k {socket} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c shared_buffers=32MB -c max_connections=200"
    )
    subprocess.run(
        _as_cluster_user(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
             str(folder / "log"), "-w", "-t", "60", "start"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    return Cluster(folder, socket)


def stop(cluster: Cluster) -> None:
    subprocess.run(
        _as_cluster_user(
            [str(BIN[-1] / "pg_ctl"), "-D", str(cluster.folder / "data"), "-m", "immediate",
             "-w", "stop"]
        ),
        check=False,
        capture_output=True,
        timeout=60,
    )  # fmt: skip


@contextlib.contextmanager
def running() -> Iterator[Cluster]:
    """A cluster for the length of the block, in a folder of its own."""
    folder = Path(tempfile.mkdtemp(prefix="glas-pg-"))
    os.chmod(folder, 0o755)  # noqa: S103 (the cluster runs as another user: it must get in)
    cluster = start(folder / "cluster")
    try:
        yield cluster
    finally:
        stop(cluster)
        shutil.rmtree(folder, ignore_errors=True)
