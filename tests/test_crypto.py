"""Keys, chunked streams and the envelope: round trips, tampering and misuse."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import AuthenticationFailed, BadPassphrase, KeyFormatError, NotARecipient, stream
from crypto.envelope import (
    MIN_PADDED_SIZE,
    Binding,
    Sealer,
    file_part,
    new_submission_id,
    open_answers,
    open_content_key,
    pad,
    unpad,
)
from crypto.keys import PublicKey, ReviewerKey, readable_fingerprint

KEY = bytes(range(32))
AD = b"glas-envelope-1\nsurvey\nversion\nid\nfile-0"


def encrypt(data: bytes, ad: bytes = AD) -> bytes:
    return stream.encrypt_bytes(KEY, ad, data)


@pytest.mark.parametrize(
    "size",
    [
        0,
        1,
        stream.CHUNK_SIZE - 1,
        stream.CHUNK_SIZE,
        stream.CHUNK_SIZE + 1,
        3 * stream.CHUNK_SIZE + 5,
    ],
)
def test_stream_round_trips_at_chunk_boundaries(size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    ciphertext = encrypt(data)
    assert len(ciphertext) == stream.ciphertext_size(size)
    assert stream.decrypt_bytes(KEY, AD, ciphertext) == data


def test_stream_encryptor_holds_at_most_one_chunk_whatever_the_write_sizes() -> None:
    sink = io.BytesIO()
    encryptor = stream.StreamEncryptor(KEY, AD, sink)
    for _ in range(40):
        encryptor.write(b"x" * 10_000)
        assert len(encryptor._buffer) <= stream.CHUNK_SIZE
    encryptor.finish()
    assert stream.decrypt_bytes(KEY, AD, sink.getvalue()) == b"x" * 400_000


def test_truncated_stream_is_detected_even_at_a_chunk_boundary() -> None:
    ciphertext = encrypt(b"y" * (2 * stream.CHUNK_SIZE + 10))
    cut = stream.HEADER_SIZE + 2 * stream.CIPHER_CHUNK_SIZE
    with pytest.raises(AuthenticationFailed, match="truncated"):
        stream.decrypt_bytes(KEY, AD, ciphertext[:cut])


def test_reordered_chunks_fail() -> None:
    ciphertext = encrypt(b"z" * (3 * stream.CHUNK_SIZE))
    h, c = stream.HEADER_SIZE, stream.CIPHER_CHUNK_SIZE
    swapped = (
        ciphertext[:h]
        + ciphertext[h + c : h + 2 * c]
        + ciphertext[h : h + c]
        + ciphertext[h + 2 * c :]
    )
    with pytest.raises(AuthenticationFailed):
        stream.decrypt_bytes(KEY, AD, swapped)


def test_other_additional_data_fails() -> None:
    with pytest.raises(AuthenticationFailed):
        stream.decrypt_bytes(KEY, AD + b"x", encrypt(b"hello"))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=3000), position=st.integers(min_value=0))
def test_any_single_byte_flip_fails(data: bytes, position: int) -> None:
    ciphertext = bytearray(encrypt(data))
    ciphertext[position % len(ciphertext)] ^= 0x01
    with pytest.raises(AuthenticationFailed):
        stream.decrypt_bytes(KEY, AD, bytes(ciphertext))


@pytest.mark.parametrize("length", [0, 1, 1023, 1024, 5000])
def test_padding_hides_length_within_power_of_two_buckets(length: int) -> None:
    padded = pad(b"a" * length)
    assert len(padded) >= MIN_PADDED_SIZE and len(padded) & (len(padded) - 1) == 0
    assert len(padded) > length
    assert unpad(padded) == b"a" * length


def test_key_file_round_trip_and_wrong_passphrase(tmp_path: Path) -> None:
    key = ReviewerKey.generate()
    path = tmp_path / "k.key"
    key.save(path, b"a long enough passphrase")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert ReviewerKey.load(path, b"a long enough passphrase").secret == key.secret
    with pytest.raises(BadPassphrase, match="Wrong passphrase"):
        ReviewerKey.load(path, b"not the passphrase")


def test_key_file_with_weakened_kdf_is_refused(tmp_path: Path) -> None:
    document = json.loads(ReviewerKey.generate().to_file_bytes(b"passphrase here"))
    document["kdf"]["memlimit"] = 8192
    with pytest.raises(KeyFormatError, match="limits"):
        ReviewerKey.from_file_bytes(json.dumps(document).encode(), b"passphrase here")


def test_key_repr_never_shows_the_secret() -> None:
    key = ReviewerKey.generate()
    assert key.secret.hex() not in repr(key) and "redacted" in repr(key)


def test_public_key_line_round_trip_and_clear_errors() -> None:
    key = ReviewerKey.generate().public_key
    assert PublicKey.from_line(key.to_line()) == key
    with pytest.raises(KeyFormatError, match="starts with"):
        PublicKey.from_line("ssh-ed25519 AAAA")
    with pytest.raises(KeyFormatError, match="32 bytes"):
        PublicKey.from_line("glas-pk-1:AAAA")


def test_fingerprint_reads_in_ten_groups_of_four() -> None:
    groups = readable_fingerprint(bytes(32)).split(" ")
    assert len(groups) == 10 and all(len(g) == 4 for g in groups)


def seal(recipients: list[ReviewerKey]) -> tuple[Sealer, bytes]:
    sealer = Sealer(
        Binding("testimony", "ab" * 32, new_submission_id()), [k.public_key for k in recipients]
    )
    return sealer, sealer.seal_answers({"answers": {"q": "secret"}})


def test_every_recipient_opens_the_answers_and_nobody_else() -> None:
    ana, boris, eve = ReviewerKey.generate(), ReviewerKey.generate(), ReviewerKey.generate()
    sealer, answers = seal([ana, boris])
    for key in (ana, boris):
        content_key = open_content_key(sealer.slots, key)
        assert open_answers(content_key, sealer.binding, answers)["answers"]["q"] == "secret"
    with pytest.raises(NotARecipient):
        open_content_key(sealer.slots, eve)


def test_answers_moved_to_another_survey_or_submission_fail() -> None:
    ana = ReviewerKey.generate()
    sealer, answers = seal([ana])
    content_key = open_content_key(sealer.slots, ana)
    b = sealer.binding
    for moved in (
        Binding("needs-assessment", b.version, b.submission_id),
        Binding(b.survey_id, "cd" * 32, b.submission_id),
        Binding(b.survey_id, b.version, new_submission_id()),
    ):
        with pytest.raises(AuthenticationFailed):
            open_answers(content_key, moved, answers)


def test_attachment_cannot_be_swapped_into_another_file_slot() -> None:
    ana = ReviewerKey.generate()
    sealer, _ = seal([ana])
    sink = io.BytesIO()
    encryptor = sealer.file_encryptor(0, sink)
    encryptor.write(b"photo bytes")
    encryptor.finish()
    content_key = open_content_key(sealer.slots, ana)
    ad_0, ad_1 = sealer.binding.ad(file_part(0)), sealer.binding.ad(file_part(1))
    assert stream.decrypt_bytes(content_key, ad_0, sink.getvalue()) == b"photo bytes"
    with pytest.raises(AuthenticationFailed):
        stream.decrypt_bytes(content_key, ad_1, sink.getvalue())
