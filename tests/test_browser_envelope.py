"""The JavaScript envelope module agrees with crypto/ both ways (Node runs the browser's file)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from typing import Any

import pytest

from crypto import stream
from crypto.bundle import SubmissionRecord
from crypto.envelope import KeySlot, open_answers, open_content_key
from crypto.keys import ReviewerKey

from .conftest import ROOT
from .vectors.generate import attachment_plaintext

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None or not (ROOT / "node_modules" / "libsodium-wrappers").is_dir(),
    reason="needs Node.js and `npm ci` (make install does both)",
)


def test_the_javascript_module_decrypts_every_known_answer_vector() -> None:
    result = subprocess.run(
        [NODE, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout


def test_an_envelope_sealed_in_javascript_opens_in_python() -> None:
    key = ReviewerKey.generate()
    submission_id = "ab" * 16
    size = 3 * 65536  # whole chunks only: the final chunk is a full one
    document: dict[str, Any] = {
        "format": "glas-answers-1",
        "survey": "testimony",
        "version": "5d" * 32,
        "answers": {
            "what_happened": 'Він забрав мої документи. «quotes» "and" \\ \n tab\t 😀',
            "who": ["police", "client"],
            "count": 123456789012345678,
            "amount": "2.50",
        },
        "files": [
            {
                "question": "evidence",
                "part": 0,
                "name": "фото.jpg",
                "type": "image/jpeg",
                "size": size,
            }
        ],
    }
    sealed = subprocess.run(
        [NODE, "tests/js/seal.js", key.public_key.to_line(), submission_id],
        cwd=ROOT,
        # JSON.parse would round the big integer: it travels as text, seal.js makes it a BigInt.
        input=json.dumps(
            {**document, "answers": {**document["answers"], "count": "123456789012345678"}}
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = json.loads(sealed.stdout)
    record = SubmissionRecord(
        submission_id,
        "testimony",
        document["version"],
        "2024-05-01",
        4096,
        [KeySlot(s["key_id"], base64.b64decode(s["sealed_key"])) for s in out["slots"]],
        base64.b64decode(out["answers"]),
        list(out["parts"]),
    )
    content_key = open_content_key(record.slots, key)
    assert open_answers(content_key, record.binding, record.answers) == document
    ciphertext = bytes.fromhex(out["parts"]["file-0"])
    assert len(ciphertext) == stream.ciphertext_size(size)
    plaintext = stream.decrypt_bytes(content_key, record.binding.ad("file-0"), ciphertext)
    assert plaintext == attachment_plaintext(size)
