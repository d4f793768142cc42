"""Write the envelope v1 known-answer vectors in this folder.

Run once by hand (``python -m tests.vectors.generate``) when the format changes; the files are
committed and both implementations (Python now, JavaScript later) must keep decrypting them.
libsodium makes each secretstream header at random, so every run gives new, equally valid files.
The keys in these files are test keys: they protect nothing.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

from crypto.bundle import SubmissionRecord
from crypto.codename import check, damm, derive, normalize, seal_reply
from crypto.envelope import (
    MIN_FILE_PADDING,
    MIN_PADDED_SIZE,
    Binding,
    Sealer,
    file_part,
    padded_file_size,
    padded_size,
)
from crypto.keys import ReviewerKey

HERE = Path(__file__).resolve().parent
SURVEY, VERSION = "testimony", "5d" * 32
PASSPHRASE = "vector passphrase, not a secret"
REPLY_TEXT = "Reply vector: Одговор, përgjigje ✓"


def attachment_plaintext(size: int) -> bytes:
    """The rule for attachment plaintexts in the vectors: byte i is (7 * i + 3) mod 256."""
    return bytes((7 * i + 3) % 256 for i in range(size))


def sealed(
    key: ReviewerKey, submission_id: str, document: dict[str, Any], files: list[bytes]
) -> tuple[SubmissionRecord, dict[str, str]]:
    sealer = Sealer(Binding(SURVEY, VERSION, submission_id), [key.public_key])
    parts = {}
    for index, data in enumerate(files):
        sink = io.BytesIO()
        encryptor = sealer.file_encryptor(index, sink)
        encryptor.write(data)
        encryptor.finish()
        parts[file_part(index)] = sink.getvalue().hex()
    record = SubmissionRecord(
        submission_id,
        SURVEY,
        VERSION,
        "2024-05-01",
        4096,
        sealer.slots,
        sealer.seal_answers(document),
        list(parts),
    )
    return record, parts


def main() -> None:
    key = ReviewerKey.generate()
    common = {
        "reviewer_secret_key": key.secret.hex(),
        "reviewer_public_key": key.public_key.to_line(),
    }
    answers = {
        "format": "glas-answers-1",
        "survey": SURVEY,
        "version": VERSION,
        "answers": {
            "what_happened": 'Він забрав мої документи. Ёж «quotes» "and" \\ \n tab\t',
            "who": ["police", "client"],
            "count": 3,
            "amount": "2.50",
        },
        "files": [],
    }
    record, _ = sealed(key, "0" * 31 + "1", answers, [])
    write(
        "answers-only.json",
        {
            **common,
            "description": "Answers document only, one reviewer.",
            "record": record.to_json().decode("utf-8"),
            "expected_answers_document": answers,
        },
    )

    size = 65536 + 300  # spans two secretstream chunks
    with_files = {
        **answers,
        "files": [
            {
                "question": "evidence",
                "part": 0,
                "name": "фото 1.jpg",
                "type": "image/jpeg",
                "size": size,
            },
            {
                "question": "evidence",
                "part": 1,
                "name": "empty.pdf",
                "type": "application/pdf",
                "size": 0,
            },
        ],
    }
    record, parts = sealed(key, "0" * 31 + "2", with_files, [attachment_plaintext(size), b""])
    write(
        "with-attachments.json",
        {
            **common,
            "description": "Two attachments: one of two chunks, one empty.",
            "record": record.to_json().decode("utf-8"),
            "parts": parts,
            "expected_answers_document": with_files,
            "expected_files": {
                "file-0": {"size": size, "rule": "byte i = (7*i + 3) mod 256"},
                "file-1": {"size": 0, "rule": "empty"},
            },
        },
    )

    tampered = record.to_json().decode("utf-8")
    ciphertext = bytearray(bytes.fromhex(parts["file-0"]))
    ciphertext[100] ^= 1
    write(
        "tampered-attachment.json",
        {
            **common,
            "description": "One bit of file-0 flipped: must fail authentication.",
            "record": tampered,
            "parts": {**parts, "file-0": ciphertext.hex()},
            "expected_failure": "file-0",
        },
    )

    write(
        "key-file.json",
        {
            "description": "A passphrase-protected private key file.",
            "passphrase": PASSPHRASE,
            "key_file": json.loads(key.to_file_bytes(PASSPHRASE.encode())),
            "expected_public_key": key.public_key.to_line(),
            "expected_fingerprint": key.public_key.readable_fingerprint,
        },
    )

    codename_vector(key)
    codename_digits_vector(key)
    codename_v2_vector(key)
    file_padding_vector()
    write(
        "padding.json",
        {
            "description": "Answers documents are padded (ISO/IEC 7816-4) to a power of two.",
            "min_padded_size": MIN_PADDED_SIZE,
            "cases": [
                {"length": n, "padded_length": padded_size(n)}
                for n in (0, 1, 1023, 1024, 2047, 2048, 100_000)
            ],
        },
    )


#: Sizes around the edges of Padmé's buckets, and large ones (beyond 2^31 and 2^32).
FILE_SIZES = (0, 1, 1023, 1024, 1025, 2000, 2002, 2047, 2048, 2049, 65_536, 65_537)
FILE_SIZES += (1_000_000, 5_000_000, 2**31 - 1, 2**31 + 1, 2**32 + 12_345, 10**12)


def file_padding_vector() -> None:
    write(
        "file-padding.json",
        {
            "description": (
                "Attachment plaintexts are padded with zeros to a Padmé bucket "
                "(at least min_file_padding); the answers document keeps the true size."
            ),
            "min_file_padding": MIN_FILE_PADDING,
            "cases": [{"size": n, "padded_size": padded_file_size(n)} for n in FILE_SIZES],
        },
    )


def codename_vector(key: ReviewerKey) -> None:
    """A codename, what it derives, and a reply that only it opens (crypto/codename.py)."""
    codename = "Abacus  zoning tribunal cleft ORBIT spiffy ladle"  # not normalised on purpose
    keys = derive(codename)
    write(
        "codename.json",
        {
            "description": "A codename's login id and key pair, and a reply boxed to it.",
            "codename": codename,
            "normalised": normalize(codename),
            "login_id": keys.login_id,
            "public_key": keys.public_key.hex(),
            "reply_file": seal_reply(REPLY_TEXT, keys.public_key, key).decode("utf-8"),
            "reply_text": REPLY_TEXT,
        },
    )


CODENAME_CHECKS = (
    "483090 117381 902655 300440 776236",
    "483090-117381-902655-300440-776236",
    " 483 090  117 381\n902 655 300440 776236 ",
    "483090 117381 902655 300440 776263",  # neighbours swapped in group 5
    "483090 117381 902655 300440 776237",  # one wrong digit in group 5
    "493090 117381 912655 300440 776236",  # groups 1 and 3
    "483090 117381 902655 300440",
    "",
    " - . ",
    "Abacus  zoning tribunal cleft ORBIT spiffy ladle",
    "١٢٣٤٥٦ 117381 902655 300440 776236",  # Arabic-Indic digits are not codename digits
)


def codename_digits_vector(key: ReviewerKey) -> None:
    """The current codename format: 5 groups of 6 digits with Damm check digits; what typed
    variants check to, and a reply (glas-reply-2, with the login id) only it opens."""
    data = ["48309", "11738", "90265", "30044", "77623"]
    codename = " ".join(group + str(damm(group)) for group in data)
    assert codename == CODENAME_CHECKS[0]
    keys = derive(codename)
    checks = []
    for text in CODENAME_CHECKS:
        result = check(text)
        checks.append(
            {
                "typed": text,
                "canonical": result.canonical,
                "typo_groups": list(result.typo_groups),
                "length": result.length,
                "empty": result.empty,
            }
        )
    write(
        "codename-digits.json",
        {
            "description": (
                "A digit codename's login id and key pair, how typed variants check, and a "
                "glas-reply-2 reply boxed to it."
            ),
            "codename": codename,
            "normalised": normalize(codename),
            "login_id": keys.login_id,
            "public_key": keys.public_key.hex(),
            "checks": checks,
            "reply_file": seal_reply(REPLY_TEXT, keys.public_key, key, keys.login_id).decode(),
            "reply_text": REPLY_TEXT,
        },
    )


#: Typed variants of the version-2 codename below, and a version-1 codename beside it.
CODENAME_V2_CHECKS = (
    "483099 117382 902652 300443 776231",
    "483099-117382-902652-300443-776231",
    "483099 117382 902652 300443 776213",  # neighbours swapped in group 5
    "483099 117382 902652 300443 776232",  # one wrong digit in group 5
    "493099 117382 912652 300443 776231",  # groups 1 and 3
    "483090 117381 902655 300440 776236",  # version 1 (codename-digits.json): still read
)


def codename_v2_vector(key: ReviewerKey) -> None:
    """Version 2 (crypto/codename.py): check digits over "2" and the group, Argon2id with
    512 KiB and 2 passes; typed variants, and a glas-reply-3 reply (month inside the box)."""
    data = ["48309", "11738", "90265", "30044", "77623"]
    codename = " ".join(group + str(damm("2" + group)) for group in data)
    assert codename == CODENAME_V2_CHECKS[0]
    keys = derive(codename)
    assert keys.version == 2
    checks = []
    for text in CODENAME_V2_CHECKS:
        result = check(text)
        checks.append(
            {
                "typed": text,
                "canonical": result.canonical,
                "typo_groups": list(result.typo_groups),
                "versions": list(result.versions),
            }
        )
    reply = seal_reply(REPLY_TEXT, keys.public_key, key, keys.login_id, month="2026-12")
    write(
        "codename-v2.json",
        {
            "description": (
                "A version-2 digit codename: its login id and key pair, how typed variants "
                "check (with the versions they pass), and a glas-reply-3 reply boxed to it."
            ),
            "codename": codename,
            "normalised": normalize(codename),
            "version": 2,
            "login_id": keys.login_id,
            "public_key": keys.public_key.hex(),
            "checks": checks,
            "reply_file": reply.decode(),
            "reply_text": REPLY_TEXT,
            "reply_month": "2026-12",
        },
    )


def write(name: str, vector: dict[str, Any]) -> None:
    (HERE / name).write_text(json.dumps(vector, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["codename-digits"]:  # one vector only, others unchanged
        codename_digits_vector(ReviewerKey.generate())
    elif sys.argv[1:] == ["codename-v2"]:
        codename_v2_vector(ReviewerKey.generate())
    else:
        main()
