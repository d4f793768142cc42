"""The one place that reads and writes the server's state: database rows and blob payloads."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import secrets
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crypto.bundle import SubmissionRecord
from crypto.envelope import KeySlot
from crypto.keys import PublicKey
from surveys import Survey, load_survey_text
from surveys.followups import FOLLOW_UP_ID

from ..config import Config
from .blobs import BlobStore
from .budget import DailyBudget
from .database import is_current, make_engine, session_factory, upgrade
from .errors import StorageError, UnknownUpload
from .grouping import CommitGroup
from .models import (
    OnionClientRow,
    ReviewerRow,
    SettingRow,
    SubmissionRow,
    SurveyReviewerRow,
    SurveyRow,
    SurveyVersionRow,
    UploadRow,
)
from .shared import DatabaseUploadStore, PayloadReader, move_upload, write_payloads
from .uploads import Upload, UploadStore


def today() -> datetime.date:
    """The current day in UTC: the finest time the server ever records about a respondent."""
    return datetime.datetime.now(datetime.UTC).date()


#: The settings row of the Flask secret (PostgreSQL).
SECRET_KEY_SETTING = "flask_secret_key"  # noqa: S105 (the row's name, not a secret)
#: Tables whose rows respondents cause, rewritten in key order by :meth:`Store.tidy`.
ORDERED_TABLES = (
    "submissions",
    "reply_boxes",
    "replies",
    "payload_chunks",
    "uploads",
    "upload_chunks",
    "used_challenges",
)


@dataclass(frozen=True)
class PublishedSurvey:
    survey: Survey
    version: str


class Store:
    def __init__(self, config: Config, pooled: bool = True) -> None:
        """``pooled=False`` for a command: it keeps no connection open between statements."""
        self.config = config
        self.engine = make_engine(config.database_url, pooled)
        self._sessions = session_factory(self.engine)
        self._commits = CommitGroup(self._sessions)
        self.blobs = BlobStore(config.blob_dir)
        #: On PostgreSQL payloads and uploads are in the database, which every app server
        #: shares; the data dir keeps only what is this node's (forms being received).
        self.shared = self.engine.dialect.name == "postgresql"
        limits = (config.max_request_bytes, config.max_files, config.upload_budget_bytes)
        self.uploads: UploadStore | DatabaseUploadStore = (
            DatabaseUploadStore(self.session, *limits)
            if self.shared
            else UploadStore(config.blob_dir, *limits)
        )
        # Parsed definitions by digest: a version never changes, so this never goes stale.
        self._definitions: dict[str, Survey] = {}
        #: Values the apps derive from the store and reuse for a few seconds (per process).
        self.cache: dict[str, tuple[float, object]] = {}
        self.budget = DailyBudget(self, config.daily_budget_bytes)
        #: The session of the use case under way in this thread or greenlet (:meth:`transaction`).
        self._active: ContextVar[Session | None] = ContextVar(f"glas-{id(self)}", default=None)

    def close(self) -> None:
        """Close every pooled connection (a server at exit; a test at its end)."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def initialise(self) -> None:
        """Create the data dir and migrate the schema (safe while a server is running)."""
        self.config.prepare_data_dir()
        upgrade(self.engine)
        # Forked server workers must open their own connections, never inherit these.
        self.engine.dispose()

    def sweep_leftovers(self) -> None:
        """Remove what a crash left behind: half-received uploads and payloads with no row.

        .. warning:: Only when no server process is receiving: a sweep would delete an upload
           in progress, or a submission's payloads between their rename and its row's commit.
           Hence only at the start of ``glas serve`` (and of a test app), never from commands.
        """
        if self.shared:  # payloads are rows: only this node's forms in progress are files
            self.blobs.sweep(None)
        else:
            with self.session() as s:
                self.blobs.sweep(s.scalars(select(SubmissionRow.id)))
        # Browser uploads may resume after a restart; only expired ones go.
        self.uploads.sweep()
        self.engine.dispose()

    def tidy(self) -> None:
        """Rewrite what respondents left in key order, so that no position says which rows
        came last: the SQLite file (VACUUM), or on PostgreSQL the tables of submissions and
        replies (CLUSTER on their random keys: the heap, where ``ctid`` gives the order of
        arrival, and its TOAST are written anew, without the rows retention deleted). `glas
        serve` runs it every GLAS_TIDY_MINUTES, and retention right after deleting."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("VACUUM")
        elif self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                # A long export holds its tables; rather than queue every submission behind
                # the rewrite, give up after a few seconds (the next tidy tries again).
                connection.exec_driver_sql("SET lock_timeout = '5s'")
                for table in ORDERED_TABLES:
                    connection.exec_driver_sql(f"CLUSTER {table} USING {table}_pkey")
        self.engine.dispose()

    def secret_key(self) -> bytes:
        """The Flask secret (CSRF tokens, the pending codename's cookie): a file in the data
        dir on SQLite, as ever. On PostgreSQL, keyed BLAKE2b of a row every app server reads
        under the secret each node holds outside the database (GLAS_SECRET_FILE, the same on
        every node; else the data dir's own): a form made by one node is accepted by another,
        and whoever holds only the database opens no cookie with what it holds."""
        if self.engine.dialect.name != "postgresql":
            return self.config.secret_key()
        node = self.config.node_secret()
        fresh = base64.b64encode(secrets.token_bytes(32)).decode()
        with self.session() as s:
            s.execute(
                pg_insert(SettingRow)
                .values(key=SECRET_KEY_SETTING, value=fresh)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            value = s.scalar(select(SettingRow.value).where(SettingRow.key == SECRET_KEY_SETTING))
        # Read before server workers fork: none of them may inherit this connection.
        self.engine.dispose()
        shared = base64.b64decode(value or fresh)
        return hashlib.blake2b(
            shared, key=node[:64], digest_size=32, person=b"glas-secret-key"
        ).digest()

    def check_schema(self) -> None:
        """Refuse to serve from a database that is not migrated to this version of Glas."""
        if not is_current(self.engine):
            raise StorageError(
                "The database schema is not up to date; run 'glas serve' (which migrates) first."
            )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction of its own, or in the use case's (:meth:`transaction`):
        then its statements are flushed at the end of the block, so that a refusal (a
        duplicate name) is raised where it happens and the whole use case rolls back."""
        active = self._active.get()
        if active is not None:
            yield active
            active.flush()
            return
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction for a use case that changes several rows (invite an organizer,
        publish a draft, apply retention): every :meth:`session` opened inside it, by this
        thread or greenlet, shares it; all of it commits, or none of it does."""
        if self._active.get() is not None:
            yield
            return
        with self._sessions() as session, session.begin():
            token = self._active.set(session)
            try:
                yield
            finally:
                self._active.reset(token)

    # Reviewers -------------------------------------------------------------------------------

    def add_reviewer(self, name: str, key: PublicKey) -> ReviewerRow:
        row = ReviewerRow(
            name=name, key_id=key.key_id, public_key=key.raw, added=today(), active=True
        )
        try:
            with self.session() as s:
                s.add(row)
        except IntegrityError as e:
            raise StorageError("This reviewer key is already registered.") from e
        return row

    def reviewers(self) -> list[ReviewerRow]:
        with self.session() as s:
            return list(s.scalars(select(ReviewerRow).order_by(ReviewerRow.id)))

    def recipients(self, survey_id: str | None = None) -> list[PublicKey]:
        """The keys a new submission to the survey is sealed to: the active reviewers chosen
        for it in the designer, or every active reviewer when none were chosen."""
        with self.session() as s:
            query = select(ReviewerRow).where(ReviewerRow.active.is_(True))
            if survey_id is not None:
                chosen = select(SurveyReviewerRow.reviewer_id).where(
                    SurveyReviewerRow.survey_id == survey_id
                )
                if s.scalar(select(func.count()).select_from(chosen.subquery())):
                    query = query.where(ReviewerRow.id.in_(chosen))
            rows = s.scalars(query.order_by(ReviewerRow.id))
            return [PublicKey(r.public_key) for r in rows]

    def deactivate_reviewer(self, reviewer_id: int) -> str:
        """Stop sealing new submissions to a key (older ones keep their slots for it)."""
        with self.session() as s:
            row = s.get(ReviewerRow, reviewer_id)
            if row is None:
                raise StorageError("There is no such reviewer key.")
            row.active = False
            return row.name

    # Organizer onion clients ---------------------------------------------------------------

    def add_onion_client(self, name: str, public_key_base32: str) -> None:
        try:
            with self.session() as s:
                s.add(OnionClientRow(name=name, public_key=public_key_base32, added=today()))
        except IntegrityError as e:
            raise StorageError(f"An organizer called '{name}' already exists.") from e

    def onion_clients(self) -> list[OnionClientRow]:
        with self.session() as s:
            return list(s.scalars(select(OnionClientRow).order_by(OnionClientRow.name)))

    def active_client_keys(self) -> list[str]:
        """Public keys the organizer onion admits now (sorted, so changes are easy to spot)."""
        return sorted(c.public_key for c in self.onion_clients() if c.revoked is None)

    def revoke_onion_client(self, name: str) -> None:
        with self.session() as s:
            row = s.scalar(select(OnionClientRow).where(OnionClientRow.name == name))
            if row is None:
                raise StorageError(f"No organizer called '{name}'.")
            if row.revoked is None:
                row.revoked = today()

    # Surveys ---------------------------------------------------------------------------------

    def import_survey(self, survey: Survey, publish: bool) -> str:
        """Store a definition as a version (once per digest) and optionally publish it."""
        digest = survey.digest()
        if publish and not self.recipients(survey.id):
            raise StorageError(
                "A survey cannot be published before a reviewer key is added "
                "(glas reviewers add): nobody could read the answers."
            )
        with self.session() as s:
            row = s.get(SurveyRow, survey.id)
            if row is None:
                row = SurveyRow(id=survey.id, title=survey.title)
                s.add(row)
                s.flush()
            row.title = survey.title
            if s.get(SurveyVersionRow, digest) is None:
                definition = survey.canonical().decode("utf-8")
                s.add(
                    SurveyVersionRow(
                        digest=digest, survey_id=survey.id, definition=definition, created=today()
                    )
                )
            if publish:
                row.published_version = digest
        return digest

    def is_closed(self, survey_id: str) -> bool:
        with self.session() as s:
            row = s.get(SurveyRow, survey_id)
            return row is not None and row.closed

    def published_surveys(self) -> list[PublishedSurvey]:
        """What the start page lists (the built-in follow-up survey is reached from replies)."""
        with self.session() as s:
            rows = s.execute(
                select(SurveyVersionRow)
                .join(SurveyRow, SurveyRow.published_version == SurveyVersionRow.digest)
                .where(SurveyRow.closed.is_(False), SurveyRow.id != FOLLOW_UP_ID)
                .order_by(SurveyRow.title)
            ).scalars()
            return [PublishedSurvey(self._definition(r), r.digest) for r in rows]

    def published(self, survey_id: str) -> PublishedSurvey | None:
        with self.session() as s:
            row = s.get(SurveyRow, survey_id)
            if row is None or row.published_version is None or row.closed:
                return None
            version = s.get(SurveyVersionRow, row.published_version)
            assert version is not None
            return PublishedSurvey(self._definition(version), version.digest)

    def latest_definition(self, survey_id: str) -> Survey | None:
        """The survey's published version, else its newest stored version."""
        with self.session() as s:
            row = s.get(SurveyRow, survey_id)
            if row is None:
                return None
            digest = row.published_version
            query = select(SurveyVersionRow).where(SurveyVersionRow.survey_id == survey_id)
            if digest is not None:
                version = s.get(SurveyVersionRow, digest)
            else:
                version = s.scalars(query.order_by(SurveyVersionRow.created.desc())).first()
            return self._definition(version) if version is not None else None

    def definitions(self, digests: set[str]) -> dict[str, Survey]:
        with self.session() as s:
            rows = s.scalars(select(SurveyVersionRow).where(SurveyVersionRow.digest.in_(digests)))
            return {r.digest: self._definition(r) for r in rows}

    # Submissions -----------------------------------------------------------------------------

    def save_submission(self, record: SubmissionRecord, incoming: Path | None) -> None:
        """Make a submission durable: payloads first, then the row that makes it visible (in
        the database: both in one transaction). Refused past the day's storage budget."""
        row = self._row(record)
        self.budget.spend(record.size_bucket, row.received)
        if incoming is not None and self.shared:
            with self.session() as s:
                s.add(row)
                s.flush()
                write_payloads(s, record.submission_id, incoming)
            self.blobs.discard(incoming)
            return
        if incoming is not None:
            self.blobs.commit(incoming, record.submission_id)
        self._commits.add(row)

    def save_uploaded(self, record: SubmissionRecord, upload: Upload) -> None:
        """Store a submission the browser sealed, its payloads those of ``upload``."""
        if not self.shared:
            self.save_submission(record, upload.payload_dir if record.parts else None)
            return
        self.budget.spend(record.size_bucket, datetime.date.fromisoformat(record.received))
        with self.session() as s:
            if s.get(UploadRow, upload.token, with_for_update=True) is None:
                raise UnknownUpload("This upload was sent already, or has expired.")
            s.add(self._row(record))
            s.flush()
            move_upload(s, record.submission_id, upload.token)

    def payload(self, submission_id: str, part: str) -> Path | PayloadReader:
        """Where a payload is read from: its file, or the database."""
        if self.shared:
            return PayloadReader(self.session, submission_id, part)
        return self.blobs.part_path(submission_id, part)

    def delete_payloads(self, submission_id: str) -> None:
        """Before its row is deleted (in the database they go with the row)."""
        if not self.shared:
            self.blobs.delete(submission_id)

    @staticmethod
    def _row(record: SubmissionRecord) -> SubmissionRow:
        return SubmissionRow(
            id=record.submission_id,
            survey_id=record.survey_id,
            version=record.version,
            received=datetime.date.fromisoformat(record.received),
            size_bucket=record.size_bucket,
            slots=json.dumps(
                [
                    {"key_id": s.key_id, "sealed_key": base64.b64encode(s.sealed_key).decode()}
                    for s in record.slots
                ]
            ),
            answers=record.answers,
            parts=json.dumps(record.parts),
        )

    def pending_export(self) -> Generator[SubmissionRecord, None, None]:
        """Every submission not yet exported, oldest day first, read in batches."""
        query = (
            select(SubmissionRow)
            .where(SubmissionRow.exported.is_(None))
            .order_by(SubmissionRow.received, SubmissionRow.id)
            .execution_options(yield_per=500)
        )
        with self.session() as s:
            rows = s.scalars(query)
            try:
                for row in rows:
                    yield _record(row)
            finally:
                rows.close()  # its server-side cursor (PostgreSQL), also when abandoned

    def pending_versions(self) -> set[str]:
        with self.session() as s:
            query = select(SubmissionRow.version).where(SubmissionRow.exported.is_(None))
            return set(s.scalars(query.distinct()))

    def mark_exported(self, submission_ids: list[str]) -> None:
        day = today()
        with self.session() as s:
            for start in range(0, len(submission_ids), 500):
                batch = submission_ids[start : start + 500]
                s.execute(
                    update(SubmissionRow).where(SubmissionRow.id.in_(batch)).values(exported=day)
                )

    def _definition(self, row: SurveyVersionRow) -> Survey:
        survey = self._definitions.get(row.digest)
        if survey is None:
            source = f"survey version {row.digest[:12]}"
            survey = load_survey_text(row.definition.encode("utf-8"), source, stored=True)
            self._definitions[row.digest] = survey
        return survey

    def count_submissions(self, *, pending_only: bool = False) -> int:
        """How many submissions are stored (or wait for export), counted by the database."""
        query = select(func.count()).select_from(SubmissionRow)
        if pending_only:
            query = query.where(SubmissionRow.exported.is_(None))
        with self.session() as s:
            return s.scalar(query) or 0


def _record(row: SubmissionRow) -> SubmissionRecord:
    return SubmissionRecord(
        submission_id=row.id,
        survey_id=row.survey_id,
        version=row.version,
        received=row.received.isoformat(),
        size_bucket=row.size_bucket,
        slots=[
            KeySlot(s["key_id"], base64.b64decode(s["sealed_key"])) for s in json.loads(row.slots)
        ],
        answers=row.answers,
        parts=list(json.loads(row.parts)),
    )
