"""Known-answer vectors of envelope v1 (tests/vectors/, written by tests/vectors/generate.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crypto import AuthenticationFailed, stream
from crypto.bundle import SubmissionRecord
from crypto.codename import check, derive, normalize, open_reply, read_reply
from crypto.envelope import open_answers, open_content_key, padded_file_size, padded_size
from crypto.keys import ReviewerKey

from .vectors.generate import PASSPHRASE, attachment_plaintext

VECTORS = Path(__file__).resolve().parent / "vectors"


def load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text())


def opened(vector: dict[str, Any]) -> tuple[SubmissionRecord, bytes]:
    record = SubmissionRecord.from_json(vector["record"].encode("utf-8"))
    key = ReviewerKey(bytes.fromhex(vector["reviewer_secret_key"]))
    assert key.public_key.to_line() == vector["reviewer_public_key"]
    return record, open_content_key(record.slots, key)


@pytest.mark.parametrize("name", ["answers-only.json", "with-attachments.json"])
def test_vector_answers_decrypt_to_the_stated_document(name: str) -> None:
    vector = load(name)
    record, content_key = opened(vector)
    assert (
        open_answers(content_key, record.binding, record.answers)
        == vector["expected_answers_document"]
    )


def test_vector_attachments_decrypt_to_the_stated_bytes() -> None:
    vector = load("with-attachments.json")
    record, content_key = opened(vector)
    for part, expected in vector["expected_files"].items():
        ciphertext = bytes.fromhex(vector["parts"][part])
        plaintext = stream.decrypt_bytes(content_key, record.binding.ad(part), ciphertext)
        assert plaintext == attachment_plaintext(expected["size"])


def test_tampered_vector_fails_authentication() -> None:
    vector = load("tampered-attachment.json")
    record, content_key = opened(vector)
    part = vector["expected_failure"]
    with pytest.raises(AuthenticationFailed):
        stream.decrypt_bytes(
            content_key, record.binding.ad(part), bytes.fromhex(vector["parts"][part])
        )


def test_key_file_vector_opens_with_its_passphrase() -> None:
    vector = load("key-file.json")
    assert vector["passphrase"] == PASSPHRASE
    key = ReviewerKey.from_file_bytes(json.dumps(vector["key_file"]).encode(), PASSPHRASE.encode())
    assert key.public_key.to_line() == vector["expected_public_key"]
    assert key.public_key.readable_fingerprint == vector["expected_fingerprint"]


def test_padding_vector_sizes() -> None:
    for case in load("padding.json")["cases"]:
        assert padded_size(case["length"]) == case["padded_length"]


def test_file_padding_vector_sizes() -> None:
    vector = load("file-padding.json")
    for case in vector["cases"]:
        padded = padded_file_size(case["size"])
        assert padded == case["padded_size"]
        assert case["size"] <= padded <= max(vector["min_file_padding"], case["size"] * 1.125)


def test_codename_vector_derives_its_login_id_and_key_and_opens_its_reply() -> None:
    vector = load("codename.json")
    assert normalize(vector["codename"]) == vector["normalised"]
    keys = derive(vector["codename"])
    assert keys.login_id == vector["login_id"] and keys.public_key.hex() == vector["public_key"]
    reply = read_reply(vector["reply_file"].encode("utf-8"))
    assert open_reply(reply, keys).text == vector["reply_text"]


def test_digit_codename_vector_checks_typed_variants_and_opens_its_reply() -> None:
    vector = load("codename-digits.json")
    assert normalize(vector["codename"]) == vector["normalised"]
    keys = derive(vector["codename"])
    assert keys.login_id == vector["login_id"] and keys.public_key.hex() == vector["public_key"]
    for case in vector["checks"]:
        result = check(case["typed"])
        assert (result.canonical, list(result.typo_groups), result.length, result.empty) == (
            case["canonical"],
            case["typo_groups"],
            case["length"],
            case["empty"],
        ), case["typed"]
    reply = read_reply(vector["reply_file"].encode("utf-8"))
    assert reply.login_id == keys.login_id
    assert open_reply(reply, keys).text == vector["reply_text"]


def test_a_version_2_codename_derives_cheaply_reads_a_dated_reply_and_old_ones_still_read() -> None:
    vector = load("codename-v2.json")
    keys = derive(vector["codename"])
    assert keys.version == 2
    assert keys.login_id == vector["login_id"] and keys.public_key.hex() == vector["public_key"]
    for case in vector["checks"]:
        result = check(case["typed"])
        assert (result.canonical, list(result.typo_groups), list(result.versions)) == (
            case["canonical"],
            case["typo_groups"],
            case["versions"],
        ), case["typed"]
    reply = read_reply(vector["reply_file"].encode("utf-8"))
    opened = open_reply(reply, keys)
    assert (opened.text, opened.month) == (vector["reply_text"], vector["reply_month"])
    # A codename made before (version 1) still derives its own keys, the INTERACTIVE way.
    old = load("codename-digits.json")
    assert derive(old["codename"]).login_id == old["login_id"]
