"""Spent upload challenges (portal/respondent/work.py), in the database every node shares.

A solved challenge opens one upload. Kept in a process's memory it would open one per server
process, and one per node behind Onionbalance; here it opens one in all. A row is a random
nonce and the minute its challenge was made; it goes once the challenge has expired, and it
names no upload, submission or respondent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from .models import UsedChallengeRow

if TYPE_CHECKING:
    from .store import Store


def spend(store: Store, nonce: bytes, minute: int, oldest: int) -> bool:
    """Mark ``nonce`` spent; False when it was spent already. Challenges made before the
    minute ``oldest`` have expired: their rows are deleted here."""
    with store.session() as s:
        s.execute(delete(UsedChallengeRow).where(UsedChallengeRow.minute < oldest))
    try:
        with store.session() as s:
            s.add(UsedChallengeRow(nonce=nonce.hex(), minute=minute))
    except IntegrityError:
        return False
    return True
