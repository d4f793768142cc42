"""Organizer accounts: Argon2id passwords, TOTP codes used once, throttled logins, audit log.

Staff reach the organizer onion only with a client-authorisation key; an account adds what a
stolen laptop alone does not give: a passphrase and a code from a phone. Every failure says
the same thing, and an unknown name costs the same Argon2id work as a known one.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import secrets

import nacl.exceptions
import nacl.pwhash
import pyotp
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from surveys.messages import N_, Message

from .errors import AccountError, CodeReused, LoginFailed, LoginThrottled, StorageError
from .models import AuditRow, LoginAttemptRow, OrganizerRow, OrganizerSessionRow
from .store import Store, today

#: A passphrase of four words or a password of 12 characters; nothing else is imposed.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024
SETUP_VALID = datetime.timedelta(days=7)
#: Session rows unused for this long are swept (the cookie's idle limit is shorter).
SESSION_SWEEP = datetime.timedelta(days=1)
#: A session's last use is written again only when it is older than this: the sweep needs no
#: finer time, and a page view need not be a write (with its fsync) to the database.
SEEN_STEP = datetime.timedelta(minutes=10)
#: Any number: the key of PostgreSQL's advisory lock that serialises login throttling.
THROTTLE_LOCK = 0x61A5
LOGIN_WINDOW = datetime.timedelta(minutes=1)
#: Failed logins allowed per minute for one account, and for all accounts together.
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_OVERALL = 5
#: How many 30-second steps a phone's clock may be off.
TOTP_DRIFT_STEPS = 1
PASSWORD_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
PASSWORD_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
ISSUER = "Glas"
FAILED = "The name, passphrase or code is not right."
CODE_REUSED = "That code was just used. Wait for the next code on your phone, then log in."
REUSED = "reused"
THROTTLED = "Too many attempts. Please wait a minute and try again."


@functools.cache
def dummy_hash() -> str:
    """Verified against when the name is unknown, so both cost the same time. Made on first
    use, not at import: every `glas` command imported it and paid a 64 MiB Argon2id hash."""
    return nacl.pwhash.argon2id.str(
        secrets.token_bytes(16), opslimit=PASSWORD_OPSLIMIT, memlimit=PASSWORD_MEMLIMIT
    ).decode("ascii")


def now() -> datetime.datetime:
    """The current UTC time without zone (how the database keeps it). Staff actions only."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def create_organizer(store: Store, name: str) -> str:
    """Create an account and return its one-time setup token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    row = OrganizerRow(
        name=name,
        totp_secret=pyotp.random_base32(),
        setup_token=_token_hash(token),
        setup_expires=now() + SETUP_VALID,
        created=today(),
    )
    with store.session() as s:
        if s.scalar(select(OrganizerRow).where(OrganizerRow.name == name)) is not None:
            raise StorageError(f"An organizer called '{name}' already exists.")
        s.add(row)
    return token


def renew_setup(store: Store, name: str) -> str:
    """A new setup token for an account (a lost phone or passphrase); the old login stops."""
    token = secrets.token_urlsafe(32)
    with store.session() as s:
        row = s.scalar(select(OrganizerRow).where(OrganizerRow.name == name))
        if row is None:
            raise StorageError(f"No organizer called '{name}'.")
        row.password_hash = None
        row.totp_secret = pyotp.random_base32()
        row.totp_last_step = 0
        row.setup_token = _token_hash(token)
        row.setup_expires = now() + SETUP_VALID
        row.session_epoch += 1
    return token


def disable_account(store: Store, name: str) -> None:
    """Close an account: no passphrase, no setup link, every session ended."""
    with store.session() as s:
        row = s.scalar(select(OrganizerRow).where(OrganizerRow.name == name))
        if row is None:
            return  # an organizer from before accounts existed: only the onion key to revoke
        row.password_hash = None
        row.setup_token = None
        row.setup_expires = None
        row.session_epoch += 1


def account_for_setup(store: Store, token: str) -> OrganizerRow | None:
    """The account a setup token belongs to, while it is valid."""
    with store.session() as s:
        row = s.scalar(select(OrganizerRow).where(OrganizerRow.setup_token == _token_hash(token)))
        if row is None or row.setup_expires is None or row.setup_expires < now():
            return None
        return row


def provisioning_uri(row: OrganizerRow) -> str:
    """What the QR code holds: the TOTP secret for an authenticator app."""
    return pyotp.TOTP(row.totp_secret).provisioning_uri(name=row.name, issuer_name=ISSUER)


def password_problem(password: str, again: str) -> Message | None:
    """Why a new passphrase cannot be used (for the organizer's language), or None."""
    if password != again:
        return Message(N_("The two passphrases are not the same."))
    if len(password) < PASSWORD_MIN_LENGTH:
        return Message(
            N_("Please use at least %(most)s characters, or a few words."),
            {"most": PASSWORD_MIN_LENGTH},
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        return Message(N_("Please use at most %(most)s characters."), {"most": PASSWORD_MAX_LENGTH})
    return None


def complete_setup(store: Store, token: str, password: str, code: str) -> OrganizerRow:
    """Set the passphrase once the code shows the authenticator app has the secret."""
    row = account_for_setup(store, token)
    if row is None:
        raise AccountError(N_("This setup link is not valid any more. Ask for a new one."))
    if _accept_code(store, row, code) is not True:
        raise AccountError(N_("The code is not right. Check the phone's clock and try again."))
    hashed = nacl.pwhash.argon2id.str(
        password.encode("utf-8"), opslimit=PASSWORD_OPSLIMIT, memlimit=PASSWORD_MEMLIMIT
    )
    with store.session() as s:
        s.execute(
            update(OrganizerRow)
            .where(OrganizerRow.id == row.id)
            .values(password_hash=hashed.decode("ascii"), setup_token=None, setup_expires=None)
        )
    return row


def log_in(store: Store, name: str, password: str, code: str) -> OrganizerRow:
    """Check name, passphrase and a fresh code; raise LoginThrottled or LoginFailed.

    Throttling is atomic: the attempt is counted *before* the passphrase is checked, in one
    transaction that holds the database's write lock (SQLite) or an advisory lock (PostgreSQL)
    from the count to the insert, so 40 concurrent guesses cost at most five Argon2id checks.
    A login that succeeds takes its count back.
    """
    moment = now()
    with store.session() as s:
        _lock_throttle(s)
        s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < moment - LOGIN_WINDOW))
        recent = select(func.count()).select_from(LoginAttemptRow)
        overall = s.scalar(recent) or 0
        mine = s.scalar(recent.where(LoginAttemptRow.account == name[:200])) or 0
        if overall >= MAX_FAILURES_OVERALL or mine >= MAX_FAILURES_PER_ACCOUNT:
            raise LoginThrottled(THROTTLED)
        attempt = LoginAttemptRow(account=name[:200], at=moment)
        s.add(attempt)
        s.flush()
        attempt_id = attempt.id
        row = s.scalar(select(OrganizerRow).where(OrganizerRow.name == name))
    stored = row.password_hash if row is not None and row.password_hash else None
    good = _verify_password(stored or dummy_hash(), password) and stored
    accepted = _accept_code(store, row, code) if row is not None and good else None
    if row is not None and accepted is True:
        with store.session() as s:
            s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.id == attempt_id))
        return row
    if accepted is REUSED:
        # Only someone with the passphrase learns this: right after setup, the code just
        # typed there cannot open a session too.
        raise CodeReused(CODE_REUSED)
    raise LoginFailed(FAILED)


def _lock_throttle(s: Session) -> None:
    """Serialise throttle transactions. On SQLite the DELETE that follows is the transaction's
    first write and takes the database's write lock before anything is counted."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": THROTTLE_LOCK})


def open_session(store: Store, organizer_id: int) -> str:
    """Start a session; return its token for the cookie (the server keeps only its hash)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    with store.session() as s:
        s.execute(
            delete(OrganizerSessionRow).where(OrganizerSessionRow.seen < moment - SESSION_SWEEP)
        )
        s.add(
            OrganizerSessionRow(
                token_hash=_token_hash(token), organizer_id=organizer_id, seen=moment
            )
        )
    return token


def session_valid(store: Store, organizer_id: int, epoch: object, token: object) -> bool:
    """True while the session's row exists and the account is set up with this epoch."""
    if not isinstance(token, str) or not isinstance(epoch, int):
        return False
    with store.session() as s:
        found = s.get(OrganizerSessionRow, _token_hash(token))
        if found is None or found.organizer_id != organizer_id:
            return False
        moment = now()
        if moment - found.seen >= SEEN_STEP:
            found.seen = moment
        account = s.get(OrganizerRow, organizer_id)
        return (
            account is not None and bool(account.password_hash) and account.session_epoch == epoch
        )


def close_session(store: Store, token: object) -> None:
    """End one session, wherever its cookie was copied to."""
    if isinstance(token, str):
        with store.session() as s:
            s.execute(
                delete(OrganizerSessionRow).where(
                    OrganizerSessionRow.token_hash == _token_hash(token)
                )
            )


def log_out_everywhere(store: Store, organizer_id: int) -> None:
    with store.session() as s:
        s.execute(
            update(OrganizerRow)
            .where(OrganizerRow.id == organizer_id)
            .values(session_epoch=OrganizerRow.session_epoch + 1)
        )
        s.execute(
            delete(OrganizerSessionRow).where(OrganizerSessionRow.organizer_id == organizer_id)
        )


def organizers(store: Store) -> list[OrganizerRow]:
    with store.session() as s:
        return list(s.scalars(select(OrganizerRow).order_by(OrganizerRow.name)))


def audit(store: Store, organizer: str, action: str, detail: str = "") -> None:
    """Record an organizer's action. Callers pass names of things, never respondent data."""
    with store.session() as s:
        s.add(AuditRow(at=now(), organizer=organizer, action=action, detail=detail[:2000]))


def audit_log(store: Store, limit: int = 200) -> list[AuditRow]:
    with store.session() as s:
        return list(s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)))


def _accept_code(store: Store, row: OrganizerRow, code: str) -> bool | str:
    """True once per code: the step it belongs to must be newer than the last one accepted;
    :data:`REUSED` for a right code that was already used, False for a wrong one."""
    code = "".join(code.split())
    totp = pyotp.TOTP(row.totp_secret)
    current = totp.timecode(now().replace(tzinfo=datetime.UTC))
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            with store.session() as s:
                claimed = s.execute(
                    update(OrganizerRow)
                    .where(OrganizerRow.id == row.id, OrganizerRow.totp_last_step < step)
                    .values(totp_last_step=step)
                )
                return True if claimed.rowcount else REUSED  # type: ignore[attr-defined]
    return False


def _verify_password(hashed: str, password: str) -> bool:
    try:
        return bool(nacl.pwhash.verify(hashed.encode("ascii"), password.encode("utf-8")))
    except nacl.exceptions.InvalidkeyError:
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
