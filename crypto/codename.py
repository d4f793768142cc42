"""Codenames: the respondent's only way back to replies, and nothing that says who they are.

A codename is 30 digits in 5 groups of 6: five random digits and a Damm check digit per group,
25 random digits in all (83 bits). Digits, because every respondent reads and copies them the
same way whatever her language or script (Macedonian, Albanian, Serbian, Russian, Ukrainian and
English all write 0-9); a word list would be English or would need a reviewed list per language.
The check digit catches every single wrong digit and every swap of two neighbours in a group, on
the spot and before any lookup ("there is a typo in group 3"). Spaces, dashes and dots are
ignored. Codenames of seven EFF words (the first format) keep working. From it, Argon2id
derives a master secret, and keyed BLAKE2b derives two things from that under distinct contexts:
the **login id** the server files replies under, and the seed of the respondent's **X25519 key
pair**. The server stores only the login id and the public key; the public key also travels
inside the sealed answers, so only a reviewer can tie a reply to a testimony. The salt is fixed
(a codename must always give the same id).

Versions. The work factor is sized to the secret, not to a password: 83 random bits need no
64 MiB Argon2id, which costs minutes in Tor Browser at "Safer" (no JIT, no WebAssembly). Digit
codenames made now (version 2) use Argon2id with 512 KiB and two passes (under a second there;
the numbers, multi-target case included, are in docs/envelope.md); those made before (version
1, and the words, version 0) keep the INTERACTIVE limits they were made with. A version-2 group's
check digit also covers the version (Damm over "2" and the group), so the check tells the two
apart before anything is derived: a version-1 codename passes the version-2 check with a
chance of 1 in 100,000, and then both derivations are tried, the new one first.

Replies are ``crypto_box`` from the reviewer's key to the respondent's: opening one proves which
reviewer key wrote it. The browser does the same derivation with libsodium.js (same primitives).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import importlib.resources
import json
import re
import secrets
from dataclasses import dataclass
from functools import cache

import nacl.exceptions
import nacl.pwhash
import nacl.utils
from nacl import bindings as sodium

from .envelope import canonical_json
from .errors import AuthenticationFailed, KeyFormatError
from .keys import PublicKey, ReviewerKey

CODENAME_WORDS = 7  # the first format, still read
GROUPS = 5
GROUP_DIGITS = 6  # five random digits and a check digit
CODENAME_DIGITS = GROUPS * GROUP_DIGITS
#: Damm's quasigroup of order 10 (weakly totally anti-symmetric, zero diagonal): one check digit
#: catches all single-digit errors and all adjacent transpositions.
DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
#: What people put between digits when they copy a codename; all of it is ignored.
SEPARATORS = re.compile(r"[\s\-\u2010-\u2014.\u00b7_/]+")
#: The codename formats, newest first: 2 (digits, made now), 1 (digits, made before), 0 (words).
CURRENT_VERSION = 2
#: A version-2 group's check digit is Damm's over this digit and the group.
VERSION_DIGIT = {2: "2", 1: ""}


@dataclass(frozen=True)
class Derivation:
    """How a codename version derives its master secret (Argon2id, libsodium's crypto_pwhash)."""

    salt: bytes
    opslimit: int
    memlimit: int


DERIVATIONS = {
    # Sized for Tor Browser at "Safer" on a slow phone: 1 MiB of Argon2id work, under a second
    # in Firefox without JIT or WebAssembly on the machines we measure (bench/codename.py).
    2: Derivation(hashlib.blake2b(b"glas-codename-2", digest_size=16).digest(), 2, 512 * 1024),
    # INTERACTIVE (64 MiB): what versions 0 and 1 were made with; kept so they still read.
    1: Derivation(
        hashlib.blake2b(b"glas-codename-1", digest_size=16).digest(),
        nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
        nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE,
    ),
}
DERIVATIONS[0] = DERIVATIONS[1]
LOGIN_CONTEXT = b"glas-login-id-1"
KEY_CONTEXT = b"glas-reply-key-1"
#: glas-reply-2 also names the login id: the server opens a codename's reply box only when the
#: first reply to it arrives, never at submission (nothing then ties a box to a testimony's
#: arrival). glas-reply-3 boxes the month it was written with the text, so the respondent sees
#: "December 2026" and the server learns no date. glas-reply-1 and -2 files are still read.
REPLY_FORMAT = "glas-reply-3"
REPLY_FORMATS = frozenset({"glas-reply-1", "glas-reply-2", REPLY_FORMAT})
WITH_LOGIN = frozenset({"glas-reply-2", REPLY_FORMAT})
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
LOGIN_ID = re.compile(r"[0-9a-f]{64}")
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


def damm(digits: str) -> int:
    """The Damm check digit of a string of ASCII digits."""
    interim = 0
    for digit in digits:
        interim = DAMM[interim][ord(digit) - 48]
    return interim


def new_codename(version: int = CURRENT_VERSION) -> str:
    """A new codename as shown: five groups of six digits, separated by spaces (``version``
    1 only for tests and vectors of codenames made before)."""
    groups = []
    for _ in range(GROUPS):
        data = "".join(str(secrets.randbelow(10)) for _ in range(GROUP_DIGITS - 1))
        groups.append(data + str(damm(VERSION_DIGIT[version] + data)))
    return " ".join(groups)


def new_word_codename() -> str:
    """A codename in the first format (seven EFF words): only tests and vectors make these now."""
    words = wordlist()
    return " ".join(secrets.choice(words) for _ in range(CODENAME_WORDS))


@dataclass(frozen=True)
class CodenameCheck:
    """What is wrong with a typed codename, before any key is derived or anything is asked.

    ``typo_groups`` are 1-based group numbers whose check digit does not match; ``length`` is
    the number of digits typed when it is not 30; ``empty`` when nothing was typed.
    ``versions``: the formats it passes the check of, newest first (to be derived in order).
    """

    canonical: str = ""
    typo_groups: tuple[int, ...] = ()
    length: int | None = None
    empty: bool = False
    versions: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.canonical)


def check(codename: str) -> CodenameCheck:
    """Check a typed codename: digits (current format) or seven words (the first format)."""
    text = codename[:MAX_CODENAME_CHARACTERS]
    digits = SEPARATORS.sub("", text)
    if not digits:
        return CodenameCheck(empty=True)
    if re.fullmatch(r"[0-9]+", digits, flags=re.ASCII) is None:
        words = " ".join(text.lower().split())
        return CodenameCheck(canonical=words, versions=(0,))  # the first format: no check part
    if len(digits) != CODENAME_DIGITS:
        return CodenameCheck(length=len(digits))
    groups = [digits[i : i + GROUP_DIGITS] for i in range(0, CODENAME_DIGITS, GROUP_DIGITS)]
    typos = {
        version: tuple(n for n, g in enumerate(groups, 1) if damm(prefix + g) != 0)
        for version, prefix in VERSION_DIGIT.items()
    }
    versions = tuple(v for v, found in typos.items() if not found)
    if versions:
        return CodenameCheck(canonical=digits, versions=versions)
    # Name the groups of the format it is closest to (the newest when both are as close).
    return CodenameCheck(typo_groups=min(typos.values(), key=len))


def normalize(codename: str) -> str:
    """What the keys are derived from: the 30 digits without separators, or for the first
    format the lower-case words with single spaces. A codename that fails `check` is
    normalised like words, so that it derives keys of no real box (same work, no answer)."""
    checked = check(codename)
    if checked.ok:
        return checked.canonical
    return " ".join(codename[:MAX_CODENAME_CHARACTERS].lower().split())


def groups_of(codename: str) -> list[str]:
    """A digit codename's groups, for showing it large; words stay one group each."""
    checked = check(codename)
    if checked.ok and checked.canonical.isdigit():
        c = checked.canonical
        return [c[i : i + GROUP_DIGITS] for i in range(0, CODENAME_DIGITS, GROUP_DIGITS)]
    return codename.split()


@dataclass(frozen=True)
class CodenameKeys:
    login_id: str
    public_key: bytes
    secret_key: bytes
    version: int = CURRENT_VERSION

    def __repr__(self) -> str:
        return f"CodenameKeys(login_id={self.login_id[:8]}…, secret=<redacted>)"


def derive(codename: str, version: int | None = None) -> CodenameKeys:
    """Derive the login id and key pair of the newest format the codename passes the check
    of (or of ``version``). A codename that fails the check derives as the current version,
    keys of no real box: the same work for any input, valid or not."""
    if version is None:
        version = (check(codename).versions or (CURRENT_VERSION,))[0]
    how = DERIVATIONS[version]
    master = nacl.pwhash.argon2id.kdf(
        32, normalize(codename).encode("utf-8"), how.salt, opslimit=how.opslimit,
        memlimit=how.memlimit,
    )  # fmt: skip
    login_id = hashlib.blake2b(LOGIN_CONTEXT, key=master, digest_size=32).hexdigest()
    seed = hashlib.blake2b(KEY_CONTEXT, key=master, digest_size=32).digest()
    public_key, secret_key = sodium.crypto_box_seed_keypair(seed)
    return CodenameKeys(login_id, public_key, secret_key, version)


def derive_all(codename: str) -> list[CodenameKeys]:
    """The keys of every format the codename passes the check of, newest first (almost always
    one; both digit formats for 1 codename in 100,000 made before version 2)."""
    return [derive(codename, version) for version in check(codename).versions]


def seal_reply(
    text: str,
    to_public_key: bytes,
    reviewer: ReviewerKey,
    login_id: str | None = None,
    month: str | None = None,
) -> bytes:
    """A reply file: the text (with ``month``, "YYYY-MM", default this month) boxed from the
    reviewer's key to the respondent's. With the codename's login id (sealed in testimonies
    since glas-reply-2) the server can open the box; without it, a glas-reply-1 file for a box
    opened the old way (plain text, no month)."""
    nonce = nacl.utils.random(NONCE_SIZE)
    if login_id:
        written = month or datetime.date.today().strftime("%Y-%m")
        if MONTH.fullmatch(written) is None:
            raise KeyFormatError("A reply's month is written YYYY-MM.")
        content = json.dumps({"month": written, "text": text}, sort_keys=True).encode("utf-8")
    else:
        content = text.encode("utf-8")
    boxed = sodium.crypto_box(content, nonce, to_public_key, reviewer.secret)
    document: dict[str, str] = {
        "format": REPLY_FORMAT if login_id else "glas-reply-1",
        "to": base64.b64encode(to_public_key).decode("ascii"),
        "from": reviewer.public_key.to_line(),
        "box": base64.b64encode(nonce + boxed).decode("ascii"),
    }
    if login_id:
        if LOGIN_ID.fullmatch(login_id) is None:
            raise KeyFormatError("A login id is 64 lower-case hex digits.")
        document["login"] = login_id
    return (json.dumps(document) + "\n").encode("utf-8")


@dataclass(frozen=True)
class SealedReply:
    to_public_key: bytes
    sender: PublicKey
    box: bytes
    login_id: str | None = None
    #: Whether the box holds {"month", "text"} (glas-reply-3) rather than the text alone.
    dated: bool = False


@dataclass(frozen=True)
class OpenedReply:
    text: str
    #: "YYYY-MM" the reviewer wrote it (None for replies written before glas-reply-3).
    month: str | None = None


def read_reply(data: bytes) -> SealedReply:
    try:
        document = json.loads(data)
        if document.get("format") not in REPLY_FORMATS:
            raise ValueError("format")
        to = base64.b64decode(document["to"], validate=True)
        box = base64.b64decode(document["box"], validate=True)
        sender = PublicKey.from_line(str(document["from"]))
        login = document.get("login") if document["format"] in WITH_LOGIN else None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
        raise KeyFormatError("This is not a Glas reply file.") from e
    if len(to) != 32 or len(box) <= NONCE_SIZE + MAC_SIZE:
        raise KeyFormatError("This reply file is damaged.")
    if document["format"] in WITH_LOGIN and (
        not isinstance(login, str) or LOGIN_ID.fullmatch(login) is None
    ):
        raise KeyFormatError("This reply file is damaged.")
    return SealedReply(to, sender, box, login, document["format"] == REPLY_FORMAT)


def open_reply(reply: SealedReply, keys: CodenameKeys) -> OpenedReply:
    """The reply's text (and month), or AuthenticationFailed: boxed by another key, to another
    codename, or not the shape its format says (a reviewer's tool wrote it, but check anyway)."""
    nonce, boxed = (
        reply.box[: sodium.crypto_box_NONCEBYTES],
        reply.box[sodium.crypto_box_NONCEBYTES :],
    )
    try:
        opened = bytes(sodium.crypto_box_open(boxed, nonce, reply.sender.raw, keys.secret_key))
        if not reply.dated:
            return OpenedReply(opened.decode("utf-8"))
        content = json.loads(opened)
        text, month = content["text"], content["month"]
        if not isinstance(text, str) or not isinstance(month, str) or not MONTH.fullmatch(month):
            raise ValueError("content")
    except nacl.exceptions.CryptoError as e:
        raise AuthenticationFailed("The reply failed authentication.") from e
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        raise AuthenticationFailed("The reply's content is damaged.") from e
    return OpenedReply(text, month)


#: A follow-up's proof that its sender holds the codename (issue 27): one crypto_box per
#: reviewer, from the codename's key to the reviewer's, of a digest of what was written.
PROOF_CONTEXT = b"glas-follow-up-1"
PROOF_SIZE = 32


def follow_up_digest(message: str, login_id: str, reply_key: str) -> bytes:
    """What a follow-up's proof covers: the message (as sealed), and the login id and public key
    it is written under (base64, as the answers document carries them), as canonical JSON."""
    document = canonical_json({"key": reply_key, "login": login_id, "message": message})
    return hashlib.blake2b(document, key=PROOF_CONTEXT, digest_size=PROOF_SIZE).digest()


def follow_up_proof(message: str, keys: CodenameKeys, reviewers: list[PublicKey]) -> dict[str, str]:
    """Per reviewer key id, ``nonce ‖ crypto_box(digest, nonce, reviewer, codename secret)``
    in base64: only the holder of the codename (or of that reviewer's secret key) makes one
    that opens with the testimony's public key."""
    reply_key = base64.b64encode(keys.public_key).decode("ascii")
    digest = follow_up_digest(message, keys.login_id, reply_key)
    proofs = {}
    for reviewer in reviewers:
        nonce = nacl.utils.random(NONCE_SIZE)
        boxed = sodium.crypto_box(digest, nonce, reviewer.raw, keys.secret_key)
        proofs[reviewer.key_id] = base64.b64encode(nonce + boxed).decode("ascii")
    return proofs


def check_follow_up_proof(
    message: str, login_id: str, reply_key: str, proof: object, reviewer: ReviewerKey
) -> bool:
    """Whether ``proof`` (a follow-up's ``reply_proof``) holds, for this reviewer, a box from
    ``reply_key`` of the digest of this message under this login id. The reviewer then compares
    ``reply_key`` with the *testimony's*: only that ties the follow-up to its codename."""
    if not isinstance(proof, dict):
        return False
    sealed = proof.get(reviewer.public_key.key_id)
    try:
        raw = base64.b64decode(str(sealed), validate=True)
        sender = base64.b64decode(reply_key, validate=True)
        if len(sender) != 32 or len(raw) != NONCE_SIZE + MAC_SIZE + PROOF_SIZE:
            return False
        opened = sodium.crypto_box_open(raw[NONCE_SIZE:], raw[:NONCE_SIZE], sender, reviewer.secret)
    except (ValueError, TypeError, nacl.exceptions.CryptoError):
        return False
    return hmac.compare_digest(bytes(opened), follow_up_digest(message, login_id, reply_key))
