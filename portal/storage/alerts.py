"""The warning feed on the server: which signers it trusts, and the feed they signed.

The server keeps the whole signed file and checks it again every time it shows it, against the
signers it trusts *now*: removing a signer takes its feed down at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from crypto import BadSignature
from crypto.signing import SignerKey, verify
from surveys import SurveyDefinitionError
from surveys.alerts import ALERTS_CONTEXT, AlertFeed, load_alerts_text

from .errors import StorageError
from .models import AlertFeedRow, AlertSignerRow
from .store import Store, today


@dataclass(frozen=True)
class SignedFeed:
    feed: AlertFeed
    signer: SignerKey
    signer_name: str
    imported: str


def trust_signer(store: Store, name: str, key: SignerKey) -> None:
    row = AlertSignerRow(name=name, key_id=key.key_id, public_key=key.raw, added=today())
    try:
        with store.session() as s:
            s.add(row)
    except IntegrityError as e:
        raise StorageError("This signer key is already trusted.") from e


def trusted_signers(store: Store) -> dict[SignerKey, str]:
    with store.session() as s:
        rows = s.scalars(select(AlertSignerRow).order_by(AlertSignerRow.id))
        return {SignerKey(r.public_key): r.name for r in rows}


def import_feed(store: Store, signed: bytes, source: str) -> SignedFeed:
    """Check the signature and the feed; only then replace the feed shown to respondents.

    Raises crypto.BadSignature or surveys.SurveyDefinitionError; the old feed stays then."""
    shown = _checked(store, signed, source)
    with store.session() as s:
        s.execute(delete(AlertFeedRow))
        s.add(AlertFeedRow(signed=signed, imported=today()))
    return shown


def current_feed(store: Store) -> SignedFeed | None:
    with store.session() as s:
        row = s.scalar(select(AlertFeedRow).order_by(AlertFeedRow.id.desc()))
        if row is None:
            return None
        signed, imported = row.signed, row.imported.isoformat()
    try:
        shown = _checked(store, signed, "the stored warning feed")
    except (BadSignature, SurveyDefinitionError):
        return None  # its signer is no longer trusted: the feed is taken down
    return SignedFeed(shown.feed, shown.signer, shown.signer_name, imported)


def _checked(store: Store, signed: bytes, source: str) -> SignedFeed:
    signers = trusted_signers(store)
    payload, signer = verify(signed, ALERTS_CONTEXT, list(signers))
    feed = load_alerts_text(payload, source)
    return SignedFeed(feed, signer, signers[signer], today().isoformat())
