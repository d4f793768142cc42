"""Reply boxes and replies on the server: filed by login id, opened only with the codename."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from crypto.codename import SealedReply, read_reply

from ..errors import StorageError
from .models import ReplyBoxRow, ReplyRow
from .store import Store


def open_box(store: Store, login_id: str, public_key: bytes) -> None:
    """Make the box a new codename's replies will be filed in."""
    with store.session() as s:
        s.add(ReplyBoxRow(login_id=login_id, public_key=public_key))


def import_reply(store: Store, data: bytes) -> SealedReply:
    """File a reply (from ``glas reply``) in the box of the public key it is boxed to."""
    reply = read_reply(data)
    with store.session() as s:
        box = s.scalar(select(ReplyBoxRow).where(ReplyBoxRow.public_key == reply.to_public_key))
        if box is None:
            raise StorageError("No codename on this portal has the key this reply is for.")
        s.add(ReplyRow(id=secrets.token_hex(16), login_id=box.login_id, sealed=data))
    return reply


def replies_for(store: Store, login_id: str) -> list[tuple[str, SealedReply, str]]:
    """The replies in a box with their writers' names, only those written by this portal's
    reviewers; an unknown login id is simply an empty box (same queries, same work)."""
    senders = {r.key_id: r.name for r in store.reviewers()}
    with store.session() as s:
        rows = s.execute(
            select(ReplyRow.id, ReplyRow.sealed)
            .where(ReplyRow.login_id == login_id)
            .order_by(ReplyRow.id)
        ).all()
    found = [(reply_id, read_reply(sealed)) for reply_id, sealed in rows]
    return [
        (reply_id, reply, senders[reply.sender.key_id])
        for reply_id, reply in found
        if reply.sender.key_id in senders
    ]


def delete_reply(store: Store, login_id: str, reply_id: str) -> None:
    with store.session() as s:
        s.execute(delete(ReplyRow).where(ReplyRow.login_id == login_id, ReplyRow.id == reply_id))
