"""A small proof of work before an upload slot is given: slots cannot be taken for free.

The server hands out a stateless challenge (16 random bytes, the minute it was made, and an
HMAC under the app's secret key so it cannot be forged); the page's worker finds a counter such
that SHA-256(challenge ‖ counter as 8 bytes, big-endian) starts with ``bits`` zero bits, and
sends it with the upload request. SHA-256, through the browser's WebCrypto, runs at native speed
whether or not JavaScript has a JIT: Chromium with ``--jitless`` (as Tor Browser "Safer") loses
about a third, where libsodium's BLAKE2b without WebAssembly was 300 times slower.

An attacker with native code still solves a puzzle in milliseconds: this makes a flood cost
something, it does not stop it. The upload budget and the short expiry (storage/uploads.py) are
what keep a flood from filling the portal. Nothing here is stored: a used challenge is
remembered in this process's memory until it expires, so one solution opens at most one upload
per server process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time

from flask import current_app

CONTEXT = b"glas-upload-work-1"
NONCE_SIZE = 16
MAC_SIZE = 16
VALID_MINUTES = 10
_used: dict[bytes, int] = {}


class WorkRefused(ValueError):
    """Raised when an upload request carries no valid proof of work."""


def new_challenge() -> str:
    """A fresh challenge for the page to solve, as URL-safe base64."""
    body = secrets.token_bytes(NONCE_SIZE) + _minute().to_bytes(4, "big")
    return base64.urlsafe_b64encode(body + _mac(body)).decode("ascii")


def check(challenge: object, proof: object, difficulty: int) -> None:
    """Accept a solved, recent, unused challenge, or raise :class:`WorkRefused`."""
    if difficulty == 0:
        return
    if not isinstance(challenge, str) or type(proof) is not int or not 0 <= proof < 2**64:
        raise WorkRefused("The request carries no proof of work.")
    try:
        raw = base64.urlsafe_b64decode(challenge.encode("ascii"))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise WorkRefused("The challenge is malformed.") from None
    body, mac = raw[: NONCE_SIZE + 4], raw[NONCE_SIZE + 4 :]
    if len(raw) != NONCE_SIZE + 4 + MAC_SIZE or not hmac.compare_digest(mac, _mac(body)):
        raise WorkRefused("The challenge was not made here.")
    made = int.from_bytes(body[NONCE_SIZE:], "big")
    if not 0 <= _minute() - made <= VALID_MINUTES:
        raise WorkRefused("The challenge has expired.")
    digest = hashlib.sha256(raw + proof.to_bytes(8, "big")).digest()
    if int.from_bytes(digest, "big") >> (256 - difficulty):
        raise WorkRefused("The proof of work does not solve the challenge.")
    _forget_old()
    nonce = body[:NONCE_SIZE]
    if nonce in _used:
        raise WorkRefused("This challenge was used already.")
    _used[nonce] = made


def solve(challenge: str, difficulty: int) -> int:
    """Find the proof as the page's worker does (glas-worker.js): for tests and benchmarks,
    which stand in for a browser."""
    raw = base64.urlsafe_b64decode(challenge.encode("ascii"))
    counter = 0
    while difficulty and (
        int.from_bytes(hashlib.sha256(raw + counter.to_bytes(8, "big")).digest(), "big")
        >> (256 - difficulty)
    ):
        counter += 1
    return counter


def _mac(body: bytes) -> bytes:
    key = current_app.config["SECRET_KEY"]
    secret = key if isinstance(key, bytes) else str(key).encode("utf-8")
    return hmac.new(secret, CONTEXT + body, hashlib.sha256).digest()[:MAC_SIZE]


def _minute() -> int:
    return int(time.time() // 60)


def _forget_old() -> None:
    oldest = _minute() - VALID_MINUTES - 1
    for nonce in [n for n, made in _used.items() if made < oldest]:
        del _used[nonce]
