"""The database tables: only ciphertext and coarse metadata (docs/envelope.md, "Stored")."""

from __future__ import annotations

import datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


#: Rows kept in the order of their random primary key, not of arrival (migration 0006): where
#: a row sits in the SQLite file says nothing about when it came.
UNORDERED = {"sqlite_with_rowid": False}


class SurveyRow(Base):
    """A survey; ``published_version`` is the version respondents answer now (or none)."""

    __tablename__ = "surveys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    published_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: A closed survey takes no answers; reopening it takes them again for the same version.
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class SurveyVersionRow(Base):
    """A frozen definition, named by its digest; submissions stay bound to it."""

    __tablename__ = "survey_versions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id"), index=True)
    definition: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime.date] = mapped_column(Date)


class ReviewerRow(Base):
    """A reviewer's public key; submissions are sealed to every active reviewer."""

    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    added: Mapped[datetime.date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SubmissionRow(Base):
    """One sealed submission. Its attachment payloads live in the blob store.

    ``received`` is a day, never a time; ``exported`` is the day it first left in a bundle.
    """

    __tablename__ = "submissions"
    __table_args__ = UNORDERED

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id"), index=True)
    version: Mapped[str] = mapped_column(ForeignKey("survey_versions.digest"))
    received: Mapped[datetime.date] = mapped_column(Date)
    size_bucket: Mapped[int] = mapped_column(Integer)
    slots: Mapped[str] = mapped_column(Text)
    answers: Mapped[bytes] = mapped_column(LargeBinary)
    parts: Mapped[str] = mapped_column(Text, default="[]")
    exported: Mapped[datetime.date | None] = mapped_column(Date, nullable=True, index=True)


class OnionClientRow(Base):
    """A staff member's x25519 client-authorisation key for the organizer onion (public half)."""

    __tablename__ = "onion_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    public_key: Mapped[str] = mapped_column(String(52))
    added: Mapped[datetime.date] = mapped_column(Date)
    revoked: Mapped[datetime.date | None] = mapped_column(Date, nullable=True)


class AlertSignerRow(Base):
    """A key the warning feed may be signed with (the centre's offline signing key, public half)."""

    __tablename__ = "alert_signers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    added: Mapped[datetime.date] = mapped_column(Date)


class AlertFeedRow(Base):
    """The signed warning feed as imported (the whole signed file, checked again when shown)."""

    __tablename__ = "alert_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signed: Mapped[bytes] = mapped_column(LargeBinary)
    imported: Mapped[datetime.date] = mapped_column(Date)


class ReplyBoxRow(Base):
    """Where replies to one codename are filed: its login id and public key, nothing else.

    No date and no submission id: nothing here ties a box to the testimony it came with
    (the public key is also inside that testimony's ciphertext, for the reviewer).
    """

    __tablename__ = "reply_boxes"
    __table_args__ = UNORDERED

    login_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)


class ReplyRow(Base):
    """One reviewer's reply, boxed to the respondent's key (only the codename opens it)."""

    __tablename__ = "replies"
    __table_args__ = UNORDERED

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    login_id: Mapped[str] = mapped_column(ForeignKey("reply_boxes.login_id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class OrganizerRow(Base):
    """A staff account. ``password_hash`` is Argon2id; none until the setup link is used.

    ``session_epoch`` is in every session cookie: raising it logs the account out everywhere.
    """

    __tablename__ = "organizers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    totp_secret: Mapped[str] = mapped_column(String(64))
    #: The last TOTP time step accepted: a code is good once, never again in its window.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: SHA-256 of the one-time setup token (the token itself is only printed).
    setup_token: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    setup_expires: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created: Mapped[datetime.date] = mapped_column(Date)


class OrganizerSessionRow(Base):
    """A logged-in organizer session: the cookie holds the token, the server only its hash.

    Deleting the row (log out, idle timeout, removal of the account) ends the session wherever
    the cookie was copied to.
    """

    __tablename__ = "organizer_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    organizer_id: Mapped[int] = mapped_column(
        ForeignKey("organizers.id", ondelete="CASCADE"), index=True
    )
    seen: Mapped[datetime.datetime] = mapped_column(DateTime)


class LoginAttemptRow(Base):
    """A failed organizer login (staff, never respondents), kept a minute for rate limiting."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime.datetime] = mapped_column(DateTime, index=True)


class AuditRow(Base):
    """What an organizer did and when. Never respondent data: only names of surveys, keys, files."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime)
    organizer: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text, default="", server_default="")


class SurveyDraftRow(Base):
    """The designer's working copy of a survey (canonical JSON), published as a new version."""

    __tablename__ = "survey_drafts"

    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id"), primary_key=True)
    definition: Mapped[str] = mapped_column(Text)


class SurveyReviewerRow(Base):
    """A reviewer a survey's submissions are sealed to (none listed: every active reviewer)."""

    __tablename__ = "survey_reviewers"

    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"), primary_key=True)


class SettingRow(Base):
    """One server setting the organizers change in the browser (retention periods)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PayloadChunkRow(Base):
    """A piece of an attachment's ciphertext, when the payloads live in the database
    (PostgreSQL: every app server reads them). Written with its submission in one transaction,
    deleted with it; ``seq`` orders the pieces of one payload."""

    __tablename__ = "payload_chunks"
    __table_args__ = UNORDERED

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class UploadRow(Base):
    """A browser upload in progress, when uploads live in the database (PostgreSQL): what
    resuming needs, no more. ``touched`` is when a chunk last came (uploads idle for 15
    minutes are deleted); the row and its chunks go when the form is sent."""

    __tablename__ = "uploads"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[str] = mapped_column(String(32))
    reserved: Mapped[int] = mapped_column(Integer)
    touched: Mapped[datetime.datetime] = mapped_column(DateTime, index=True)
    #: The minute (since the epoch) the slot was made: it lives UPLOAD_LIFETIME_SECONDS at most.
    made: Mapped[int] = mapped_column(Integer, server_default="0")


class UploadChunkRow(Base):
    """One chunk of an upload in progress (ciphertext); ``payload_size`` is set on every chunk
    of a payload once ``finish`` found it whole."""

    __tablename__ = "upload_chunks"
    __table_args__ = UNORDERED

    token: Mapped[str] = mapped_column(
        ForeignKey("uploads.token", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))
    payload_size: Mapped[int | None] = mapped_column(Integer, nullable=True)


class OnionInstanceRow(Base):
    """A node's respondent onion, as an instance Onionbalance may front (``glas onion front``).
    Only the address and a name for the organizers: both are public to anyone who runs the
    node, and nothing here is a respondent's."""

    __tablename__ = "onion_instances"

    address: Mapped[str] = mapped_column(String(56), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))


class UsedChallengeRow(Base):
    """An upload challenge already spent (portal/respondent/work.py), so that one solution
    opens one upload on every node. ``minute`` is when the challenge was made: rows go once
    it has expired (11 minutes), and no row names an upload or a submission."""

    __tablename__ = "used_challenges"
    __table_args__ = UNORDERED

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, index=True)
