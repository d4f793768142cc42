"""Typed configuration read once from the environment at start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "./instance"
DEFAULT_MAX_REQUEST_MB = 512
DEFAULT_MAX_FILES = 10
#: All uploads in progress together may hold at most this much ciphertext (and never more than
#: half the free disk): a flood of upload creations cannot fill the disk or take every slot.
DEFAULT_UPLOAD_BUDGET_MB = 8192
#: What all submissions of one day may store together (size buckets): a flood fills a day.
DEFAULT_DAILY_BUDGET_MB = 4096
#: Proof of work asked before an upload slot is given (portal/respondent/work.py); 0: none.
DEFAULT_UPLOAD_WORK_BITS = 14
MAX_UPLOAD_WORK_BITS = 28
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
#: Text answers stay in memory while a form is parsed; this bounds all of them together.
MAX_FORM_MEMORY_BYTES = 1024 * 1024
#: Fields of one form (urlencoded or multipart): a repeat's instances each send theirs, and at
#: most MAX_INSTANCES (150) are walked, so a real form stays far below this.
MAX_FORM_PARTS = 2000
#: Organizers upload XLSForms, replies and feeds: small files, kept in memory.
ORGANIZER_MAX_REQUEST_BYTES = 16 * 1024 * 1024
#: The two onion services' names (their key files in the data dir's onion/ folder).
RESPONDENT_SERVICE, ORGANIZER_SERVICE = "respondent", "organizer"


#: Worker processes per app (GLAS_WORKERS): each holds a thousand connections (gevent); two
#: keep one app answering while the other restarts. A small machine or a test may run one.
DEFAULT_WORKERS = 2
MAX_WORKERS = 16

#: Minutes between rewrites of the SQLite file in key order: the order of arrival of the rows
#: written since the last one is all a copy of the file could show.
DEFAULT_TIDY_MINUTES = 10


class ConfigError(Exception):
    """Raised at start-up when the environment asks for something impossible."""


@dataclass(frozen=True)
class Config:
    """Where Glas keeps its data and how much it accepts in one request."""

    data_dir: Path
    database_url: str
    max_request_bytes: int = DEFAULT_MAX_REQUEST_MB * 1024 * 1024
    max_files: int = DEFAULT_MAX_FILES
    upload_budget_bytes: int = DEFAULT_UPLOAD_BUDGET_MB * 1024 * 1024
    upload_work_bits: int = DEFAULT_UPLOAD_WORK_BITS
    #: How often `glas serve` rewrites the SQLite file in key order (Store.tidy).
    tidy_seconds: int = DEFAULT_TIDY_MINUTES * 60
    #: A secret every node of one portal is given outside the database (GLAS_SECRET_FILE), so
    #: that the database alone opens no cookie; None: the data dir's own (one node).
    secret_file: Path | None = None
    #: What all submissions of one day may store (GLAS_DAILY_BUDGET_MB).
    daily_budget_bytes: int = DEFAULT_DAILY_BUDGET_MB * 1024 * 1024
    #: Gunicorn worker processes per app (GLAS_WORKERS).
    workers: int = DEFAULT_WORKERS

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def onion_dir(self) -> Path:
        """Onion service keys and client keys' public halves (0700)."""
        return self.data_dir / "onion"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        data_dir = Path(env.get("GLAS_DATA_DIR") or DEFAULT_DATA_DIR).resolve()
        url = env.get("GLAS_DATABASE_URL") or f"sqlite:///{data_dir / 'glas.sqlite3'}"
        try:
            max_mb = int(env.get("GLAS_MAX_REQUEST_MB") or DEFAULT_MAX_REQUEST_MB)
            max_files = int(env.get("GLAS_MAX_FILES") or DEFAULT_MAX_FILES)
            budget_mb = int(env.get("GLAS_UPLOAD_BUDGET_MB") or DEFAULT_UPLOAD_BUDGET_MB)
            work = env.get("GLAS_UPLOAD_WORK_BITS") or str(DEFAULT_UPLOAD_WORK_BITS)
            work_bits = int(work)
            tidy = float(env.get("GLAS_TIDY_MINUTES") or DEFAULT_TIDY_MINUTES)
            daily_mb = int(env.get("GLAS_DAILY_BUDGET_MB") or DEFAULT_DAILY_BUDGET_MB)
            workers = int(env.get("GLAS_WORKERS") or DEFAULT_WORKERS)
        except ValueError as e:
            raise ConfigError(
                "GLAS_MAX_REQUEST_MB, GLAS_MAX_FILES, GLAS_UPLOAD_BUDGET_MB, GLAS_DAILY_BUDGET_MB, "
                "GLAS_WORKERS and GLAS_UPLOAD_WORK_BITS are whole numbers, GLAS_TIDY_MINUTES a "
                "number."
            ) from e
        if not 1 <= workers <= MAX_WORKERS:
            raise ConfigError(f"GLAS_WORKERS is 1 to {MAX_WORKERS}.")
        if not 0.05 <= tidy <= 1440:
            raise ConfigError("GLAS_TIDY_MINUTES is 0.05 to 1440.")
        if not 0 <= work_bits <= MAX_UPLOAD_WORK_BITS:
            raise ConfigError(f"GLAS_UPLOAD_WORK_BITS is 0 (off) to {MAX_UPLOAD_WORK_BITS}.")
        if max_mb < 1 or max_files < 0 or budget_mb < 1 or daily_mb < 1:
            raise ConfigError(
                "GLAS_MAX_REQUEST_MB, GLAS_UPLOAD_BUDGET_MB and GLAS_DAILY_BUDGET_MB must be at "
                "least 1, GLAS_MAX_FILES at least 0."
            )
        secret_file = env.get("GLAS_SECRET_FILE")
        return cls(
            data_dir,
            url,
            max_mb * 1024 * 1024,
            max_files,
            budget_mb * 1024 * 1024,
            work_bits,
            max(3, round(tidy * 60)),
            Path(secret_file).resolve() if secret_file else None,
            daily_mb * 1024 * 1024,
            workers,
        )

    def prepare_data_dir(self) -> None:
        """Create the data directory, owner-only, before anything is written into it."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.blob_dir.mkdir(mode=0o700, exist_ok=True)

    def node_secret(self) -> bytes:
        """The secret this node holds outside the database: GLAS_SECRET_FILE (the same file on
        every node of a portal), else the data dir's own (made once, 0600)."""
        if self.secret_file is None:
            return self.secret_key()
        try:
            secret = self.secret_file.read_bytes()
        except OSError as e:
            raise ConfigError(f"GLAS_SECRET_FILE {self.secret_file}: {e.strerror}.") from e
        if len(secret.strip()) < 32:
            raise ConfigError(
                f"GLAS_SECRET_FILE {self.secret_file} holds less than 32 bytes: make it with "
                "'head -c 48 /dev/urandom | base64 > FILE' and give every node the same one."
            )
        return secret.strip()

    def secret_key(self) -> bytes:
        """Return the Flask secret key, made once and kept in the data dir (0600)."""
        path = self.data_dir / SECRET_KEY_FILE
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        key = secrets.token_bytes(32)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        return key
