"""Chunked secretstream payloads: one answers document or one attachment each.

Every payload is ``header || chunk_1 || ... || chunk_n`` where each chunk is the
``crypto_secretstream_xchacha20poly1305`` encryption of up to :data:`CHUNK_SIZE` plaintext bytes.
Only the last chunk carries ``TAG_FINAL``: a reader that reaches the end of the ciphertext without
seeing it knows the payload was truncated. Memory stays at one chunk whatever the file size.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import IO, Protocol

from nacl import bindings as sodium
from nacl.exceptions import CryptoError as NaclCryptoError

from .errors import AuthenticationFailed

#: Plaintext bytes per secretstream message (fixed by envelope v1; readers rely on it).
CHUNK_SIZE = 64 * 1024
HEADER_SIZE: int = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES: int = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
CIPHER_CHUNK_SIZE = CHUNK_SIZE + ABYTES
KEY_SIZE: int = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
TAG_MESSAGE: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class Readable(Protocol):
    """Anything ciphertext can be read from: a file, or one member of a bundle."""

    def read(self, n: int = -1, /) -> bytes: ...


def ciphertext_size(plaintext_size: int) -> int:
    """Return the exact ciphertext size of a payload of ``plaintext_size`` bytes."""
    chunks = max(1, -(-plaintext_size // CHUNK_SIZE))
    return HEADER_SIZE + plaintext_size + chunks * ABYTES


def is_stream_size(size: int) -> bool:
    """True when ``size`` bytes can be a whole payload: a header, then full chunks, then a final
    chunk that exists. The server cannot read the final *tag* (it is encrypted); this is the part
    of "the stream ends properly" it can check for browser uploads. The reviewer checks the tag.
    """
    body = size - HEADER_SIZE
    if body < ABYTES:
        return False
    last = body % CIPHER_CHUNK_SIZE
    return last == 0 or last >= ABYTES


class StreamEncryptor:
    """Encrypt a payload as it arrives, holding at most one chunk of plaintext in memory.

    ``write()`` may be called with pieces of any size; ``finish()`` must be called exactly once and
    returns the last ciphertext bytes. Ciphertext goes to ``sink`` as soon as a chunk is full.
    """

    def __init__(self, key: bytes, ad: bytes, sink: IO[bytes]) -> None:
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        self._ad = ad
        self._sink = sink
        self._buffer = bytearray()
        self.plaintext_size = 0
        self.ciphertext_size = HEADER_SIZE
        self.finished = False
        sink.write(sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, key))

    def write(self, data: bytes) -> int:
        """Take more plaintext; full chunks are encrypted and written out at once."""
        if self.finished:
            raise ValueError("This payload is already finished.")
        self._buffer += data
        self.plaintext_size += len(data)
        # Strictly greater: the final chunk must always exist, so a full last chunk is kept back.
        while len(self._buffer) > CHUNK_SIZE:
            self._push(bytes(self._buffer[:CHUNK_SIZE]), TAG_MESSAGE)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def pad_to(self, length: int) -> None:
        """Append zero bytes until ``length`` plaintext bytes were written (never cuts)."""
        while self.plaintext_size < length:
            self.write(bytes(min(CHUNK_SIZE, length - self.plaintext_size)))

    def finish(self) -> None:
        """Encrypt what is left as the final chunk."""
        if self.finished:
            return
        self._push(bytes(self._buffer), TAG_FINAL)
        self._buffer.clear()
        self.finished = True

    def _push(self, chunk: bytes, tag: int) -> None:
        encrypted = sodium.crypto_secretstream_xchacha20poly1305_push(
            self._state, chunk, self._ad, tag
        )
        self.ciphertext_size += len(encrypted)
        self._sink.write(encrypted)


def encrypt_bytes(key: bytes, ad: bytes, plaintext: bytes) -> bytes:
    """Encrypt a small payload held in memory (the answers document)."""
    sink = io.BytesIO()
    encryptor = StreamEncryptor(key, ad, sink)
    encryptor.write(plaintext)
    encryptor.finish()
    return sink.getvalue()


def iter_cipher_chunks(source: Readable) -> Iterator[bytes]:
    """Cut a ciphertext file into the pieces a reader decrypts one at a time."""
    while chunk := source.read(CIPHER_CHUNK_SIZE):
        yield chunk


def decrypt_chunks(
    key: bytes, ad: bytes, header: bytes, chunks: Iterable[bytes]
) -> Iterator[bytes]:
    """Yield plaintext chunk by chunk; raise :class:`AuthenticationFailed` on any tampering.

    A caller must consume the whole iterator: only the end proves that nothing was cut off.
    """
    if len(header) != HEADER_SIZE:
        raise AuthenticationFailed("The payload is too short to hold a stream header.")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
    except NaclCryptoError as e:
        raise AuthenticationFailed("The payload header is invalid.") from e
    final_seen = False
    for chunk in chunks:
        if final_seen:
            raise AuthenticationFailed("The payload continues after its final chunk.")
        try:
            plaintext, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, ad)
        except NaclCryptoError as e:
            raise AuthenticationFailed("A payload chunk failed authentication.") from e
        if tag == TAG_FINAL:
            final_seen = True
        elif tag != TAG_MESSAGE:
            raise AuthenticationFailed("A payload chunk carries an unexpected tag.")
        yield plaintext
    if not final_seen:
        raise AuthenticationFailed("The payload was truncated: its final chunk is missing.")


def decrypt_file(key: bytes, ad: bytes, source: Readable) -> Iterator[bytes]:
    """Decrypt a payload read from a file, streaming."""
    return decrypt_chunks(key, ad, source.read(HEADER_SIZE), iter_cipher_chunks(source))


def decrypt_bytes(key: bytes, ad: bytes, ciphertext: bytes) -> bytes:
    """Decrypt a payload held in memory."""
    if HEADER_SIZE + ABYTES <= len(ciphertext) <= HEADER_SIZE + CIPHER_CHUNK_SIZE:
        # One chunk (every answers document of a survey): the same checks, without the stream
        # machinery; opening 100,000 submissions spends noticeable time there otherwise.
        return b"".join(
            decrypt_chunks(key, ad, ciphertext[:HEADER_SIZE], (ciphertext[HEADER_SIZE:],))
        )
    return b"".join(decrypt_file(key, ad, io.BytesIO(ciphertext)))
