"""Codenames: the respondent's only way back to replies, and nothing that says who they are.

A codename is 7 words from the EFF long wordlist (7,776 words: 90.5 bits). From it, Argon2id
derives a master secret, and keyed BLAKE2b derives two things from that under distinct contexts:
the **login id** the server files replies under, and the seed of the respondent's **X25519 key
pair**. The server stores only the login id and the public key; the public key also travels
inside the sealed answers, so only a reviewer can tie a reply to a testimony. The salt is fixed
(a codename must always give the same id); 90 bits make guessing hopeless all the same.

Replies are ``crypto_box`` from the reviewer's key to the respondent's: opening one proves which
reviewer key wrote it. The browser does the same derivation with libsodium.js (same primitives).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import json
import secrets
from dataclasses import dataclass
from functools import cache

import nacl.exceptions
import nacl.pwhash
import nacl.utils
from nacl import bindings as sodium

from .errors import AuthenticationFailed, KeyFormatError
from .keys import PublicKey, ReviewerKey

CODENAME_WORDS = 7
CODENAME_SALT = hashlib.blake2b(b"glas-codename-1", digest_size=16).digest()
#: INTERACTIVE, not MODERATE: the no-JavaScript path derives on the server for every reading.
CODENAME_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
CODENAME_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
LOGIN_CONTEXT = b"glas-login-id-1"
KEY_CONTEXT = b"glas-reply-key-1"
REPLY_FORMAT = "glas-reply-1"
MAX_CODENAME_CHARACTERS = 200
NONCE_SIZE: int = sodium.crypto_box_NONCEBYTES
MAC_SIZE = 16  # crypto_box_MACBYTES (PyNaCl does not export it)


@cache
def wordlist() -> tuple[str, ...]:
    """The EFF long wordlist as shipped by the diceware package (not typed in by hand)."""
    text = importlib.resources.files("diceware").joinpath("wordlists/wordlist_en_eff.txt")
    words = tuple(line.split()[-1] for line in text.read_text("utf-8").splitlines() if line)
    if len(words) != 7776 or len(set(words)) != 7776:
        raise KeyFormatError("The codename wordlist is not the EFF long list.")
    return words


def new_codename() -> str:
    words = wordlist()
    return " ".join(secrets.choice(words) for _ in range(CODENAME_WORDS))


def normalize(codename: str) -> str:
    """What people type: any case, any spacing."""
    return " ".join(codename[:MAX_CODENAME_CHARACTERS].lower().split())


@dataclass(frozen=True)
class CodenameKeys:
    login_id: str
    public_key: bytes
    secret_key: bytes

    def __repr__(self) -> str:
        return f"CodenameKeys(login_id={self.login_id[:8]}…, secret=<redacted>)"


def derive(codename: str) -> CodenameKeys:
    """Derive the login id and key pair; the same work for any input, valid or not."""
    master = nacl.pwhash.argon2id.kdf(
        32,
        normalize(codename).encode("utf-8"),
        CODENAME_SALT,
        opslimit=CODENAME_OPSLIMIT,
        memlimit=CODENAME_MEMLIMIT,
    )
    login_id = hashlib.blake2b(LOGIN_CONTEXT, key=master, digest_size=32).hexdigest()
    seed = hashlib.blake2b(KEY_CONTEXT, key=master, digest_size=32).digest()
    public_key, secret_key = sodium.crypto_box_seed_keypair(seed)
    return CodenameKeys(login_id, public_key, secret_key)


def seal_reply(text: str, to_public_key: bytes, reviewer: ReviewerKey) -> bytes:
    """A reply file: the text boxed from the reviewer's key to the respondent's."""
    nonce = nacl.utils.random(NONCE_SIZE)
    boxed = sodium.crypto_box(text.encode("utf-8"), nonce, to_public_key, reviewer.secret)
    document = {
        "format": REPLY_FORMAT,
        "to": base64.b64encode(to_public_key).decode("ascii"),
        "from": reviewer.public_key.to_line(),
        "box": base64.b64encode(nonce + boxed).decode("ascii"),
    }
    return (json.dumps(document) + "\n").encode("utf-8")


@dataclass(frozen=True)
class SealedReply:
    to_public_key: bytes
    sender: PublicKey
    box: bytes


def read_reply(data: bytes) -> SealedReply:
    try:
        document = json.loads(data)
        if document.get("format") != REPLY_FORMAT:
            raise ValueError("format")
        to = base64.b64decode(document["to"], validate=True)
        box = base64.b64decode(document["box"], validate=True)
        sender = PublicKey.from_line(str(document["from"]))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        raise KeyFormatError("This is not a Glas reply file.") from e
    if len(to) != 32 or len(box) <= NONCE_SIZE + MAC_SIZE:
        raise KeyFormatError("This reply file is damaged.")
    return SealedReply(to, sender, box)


def open_reply(reply: SealedReply, keys: CodenameKeys) -> str:
    nonce, boxed = (
        reply.box[: sodium.crypto_box_NONCEBYTES],
        reply.box[sodium.crypto_box_NONCEBYTES :],
    )
    try:
        text = sodium.crypto_box_open(boxed, nonce, reply.sender.raw, keys.secret_key)
    except nacl.exceptions.CryptoError as e:
        raise AuthenticationFailed("The reply failed authentication.") from e
    return bytes(text).decode("utf-8")
