"""A small proof of work before an upload slot is given: slots cannot be taken for free.

The server hands out a stateless challenge (16 random bytes, the minute it was made, and an
HMAC under the app's secret key so it cannot be forged). The page's worker solves
:data:`PIECES` small puzzles, one per index i: a counter such that SHA-256(challenge ‖ i as one
byte ‖ counter as 8 bytes, big-endian) starts with ``bits - 3`` zero bits — 2^bits hashes in
all on average, as one puzzle of ``bits`` would be, but with a far shorter tail (the slowest of
twenty is not four times the median). SHA-256 through the browser's WebCrypto runs at native
speed whether or not JavaScript has a JIT (Chromium with ``--jitless``, as Tor Browser "Safer",
loses little, where libsodium's BLAKE2b without WebAssembly was 300 times slower); the worker
hashes 32 candidates at a time, which Firefox needs to reach its speed.

An attacker with native code still solves a puzzle in milliseconds: this makes a flood cost
something, it does not stop it. The upload budget and the short expiry (storage/uploads.py) are
what keep a flood from filling the portal. A used challenge is remembered in the database
until it expires (storage/challenges.py), so one solution opens one upload on every node.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

from flask import current_app

from .. import current_config, current_store
from ..config import MAX_UPLOAD_WORK_BITS
from ..storage import challenges
from ..storage.uploads import work_bits

CONTEXT = b"glas-upload-work-1"
NONCE_SIZE = 16
MAC_SIZE = 16
VALID_MINUTES = 10
#: Puzzles per challenge; a power of two, so each is 3 bits easier than the whole.
PIECES = 8
PIECE_SHIFT = 3


class WorkRefused(ValueError):
    """Raised when an upload request carries no valid proof of work."""


def new_challenge(bits: int) -> str:
    """A fresh challenge for the page to solve, as URL-safe base64: it names its own
    difficulty (``bits``), which its MAC covers, so a rise in difficulty meanwhile does not
    refuse a page that solved what it was given."""
    body = secrets.token_bytes(NONCE_SIZE) + _minute().to_bytes(4, "big") + bytes([bits])
    return base64.urlsafe_b64encode(body + _mac(body)).decode("ascii")


def current_bits() -> int:
    """What a new slot costs now: the configured bits, more while many slots are open."""
    config = current_config()
    open_now = current_store().uploads.open_count()
    return work_bits(config.upload_work_bits, open_now, MAX_UPLOAD_WORK_BITS)


def check(challenge: object, proof: object, difficulty: int) -> None:
    """Accept a solved, recent, unused challenge of at least ``difficulty`` bits (the
    configured base), or raise :class:`WorkRefused`."""
    if difficulty == 0:
        return
    if (
        not isinstance(challenge, str)
        or not isinstance(proof, list)
        or len(proof) != PIECES
        or not all(type(p) is int and 0 <= p < 2**64 for p in proof)
    ):
        raise WorkRefused("The request carries no proof of work.")
    try:
        raw = base64.urlsafe_b64decode(challenge.encode("ascii"))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise WorkRefused("The challenge is malformed.") from None
    body, mac = raw[: NONCE_SIZE + 5], raw[NONCE_SIZE + 5 :]
    if len(raw) != NONCE_SIZE + 5 + MAC_SIZE or not hmac.compare_digest(mac, _mac(body)):
        raise WorkRefused("The challenge was not made here.")
    made = int.from_bytes(body[NONCE_SIZE : NONCE_SIZE + 4], "big")
    bits = body[NONCE_SIZE + 4]
    if not 0 <= _minute() - made <= VALID_MINUTES:
        raise WorkRefused("The challenge has expired.")
    if bits < difficulty:
        raise WorkRefused("The challenge asks for less work than the portal does.")
    if not all(_solves(raw, i, counter, bits) for i, counter in enumerate(proof)):
        raise WorkRefused("The proof of work does not solve the challenge.")
    oldest = _minute() - VALID_MINUTES - 1
    if not challenges.spend(current_store(), body[:NONCE_SIZE], made, oldest):
        raise WorkRefused("This challenge was used already.")


def solve(challenge: str, difficulty: int) -> list[int]:
    """Find the proof as the page's worker does (glas-worker.js): for tests and benchmarks,
    which stand in for a browser."""
    raw = base64.urlsafe_b64decode(challenge.encode("ascii"))
    proof = []
    for index in range(PIECES):
        counter = 0
        while not _solves(raw, index, counter, difficulty):
            counter += 1
        proof.append(counter)
    return proof


def _solves(raw: bytes, index: int, counter: int, difficulty: int) -> bool:
    zeros = max(difficulty - PIECE_SHIFT, 0)
    digest = hashlib.sha256(raw + bytes([index]) + counter.to_bytes(8, "big")).digest()
    return not int.from_bytes(digest, "big") >> (256 - zeros) if zeros else True


def _mac(body: bytes) -> bytes:
    key = current_app.config["SECRET_KEY"]
    secret = key if isinstance(key, bytes) else str(key).encode("utf-8")
    return hmac.new(secret, CONTEXT + body, hashlib.sha256).digest()[:MAC_SIZE]


def _minute() -> int:
    return int(time.time() // 60)
