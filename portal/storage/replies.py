"""Reply boxes and replies on the server: filed by login id, opened only with the codename.

A box is opened when the first reply to a codename is imported (its glas-reply-2 file names
the login id), not when the testimony arrives: nothing written at submission time names the
codename, so no table, journal or file position can pair a testimony with its box. Boxes
made at submission by older versions keep working (replies are found by public key first).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from crypto.codename import SealedReply, read_reply

from .errors import StorageError
from .models import ReplyBoxRow, ReplyRow, SettingRow
from .store import Store


def reply_id(data: bytes) -> str:
    """A reply's id is a digest of its file: importing the same file again files nothing."""
    return hashlib.blake2b(data, digest_size=16, person=b"glas-reply-id").hexdigest()


def import_reply(store: Store, data: bytes) -> bool:
    """File a reply (from ``glas reply``) in its codename's box, opening the box if this is the
    first reply to it. Returns False when this very file was filed before (nothing changes)."""
    reply = read_reply(data)
    try:
        return _file(store, reply, data)
    except IntegrityError:
        return False  # the same file imported twice at once: one of them filed it


def _file(store: Store, reply: SealedReply, data: bytes) -> bool:
    with store.session() as s:
        box = s.scalar(select(ReplyBoxRow).where(ReplyBoxRow.public_key == reply.to_public_key))
        if box is None and reply.login_id is not None:
            # Another import may have opened this very box since the query above.
            box = s.get(ReplyBoxRow, reply.login_id)
            if box is not None and box.public_key != reply.to_public_key:
                raise StorageError("This reply names a codename that has another key.")
            if box is None:
                box = ReplyBoxRow(login_id=reply.login_id, public_key=reply.to_public_key)
                s.add(box)
        elif box is None:
            raise StorageError("No codename on this portal has the key this reply is for.")
        elif reply.login_id is not None and reply.login_id != box.login_id:
            raise StorageError("This reply names a codename that has another key.")
        if s.get(ReplyRow, reply_id(data)) is not None:
            return False
        s.add(ReplyRow(id=reply_id(data), login_id=box.login_id, sealed=data))
    return True


def replies_for(store: Store, login_id: str) -> list[tuple[str, SealedReply, str]]:
    """The replies in a box, only those written by this portal's reviewers, each with its
    writer's name if the organizers chose to show names ("" otherwise: "From the centre");
    an unknown login id is simply an empty box (same queries, same work)."""
    named = show_reviewer_names(store)
    senders = {r.key_id: r.name if named else "" for r in store.reviewers()}
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


def has_box(store: Store, login_id: str) -> bool:
    """Whether a box is filed under ``login_id`` (one query, as for any login id)."""
    with store.session() as s:
        return s.get(ReplyBoxRow, login_id) is not None


def delete_reply(store: Store, login_id: str, reply_id: str) -> None:
    with store.session() as s:
        s.execute(delete(ReplyRow).where(ReplyRow.login_id == login_id, ReplyRow.id == reply_id))


SHOW_NAMES_KEY = "replies_show_reviewer_names"


def show_reviewer_names(store: Store) -> bool:
    """Whether respondents see which reviewer wrote a reply ("From Ana") or "From the centre"
    (the default: a name can be a risk to the reviewer and means little to the respondent)."""
    with store.session() as s:
        row = s.get(SettingRow, SHOW_NAMES_KEY)
    return row is not None and row.value == "1"


def set_show_reviewer_names(store: Store, show: bool) -> None:
    with store.session() as s:
        s.execute(delete(SettingRow).where(SettingRow.key == SHOW_NAMES_KEY))
        s.add(SettingRow(key=SHOW_NAMES_KEY, value="1" if show else "0"))
