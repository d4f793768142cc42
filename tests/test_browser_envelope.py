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


def test_a_follow_up_proof_made_in_javascript_holds_in_the_reviewers_python() -> None:
    from crypto.codename import check_follow_up_proof, derive, new_codename

    reviewers = [ReviewerKey.generate(), ReviewerKey.generate()]
    codename = new_codename()
    keys = derive(codename)
    message = 'Пишувам повторно: «четврток» "ok" \\ \n 😀'
    script = """
const sodium = require("libsodium-wrappers-sumo");
const glasEnvelope = require("./portal/static/js/glas-envelope.js");
(async () => {
  await sodium.ready;
  const envelope = glasEnvelope(sodium);
  const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const keys = envelope.deriveCodename(input.codename);
  console.log(JSON.stringify({
    key: sodium.to_base64(keys.publicKey, sodium.base64_variants.ORIGINAL),
    login: keys.loginId,
    proof: envelope.followUpProof(input.message, keys, input.reviewers),
  }));
})();
"""
    made = subprocess.run(
        [NODE, "-e", script],
        cwd=ROOT,
        input=json.dumps(
            {
                "codename": codename,
                "message": message,
                "reviewers": [r.public_key.to_line() for r in reviewers],
            }
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(made.stdout)
    assert found["login"] == keys.login_id
    assert found["key"] == base64.b64encode(keys.public_key).decode()
    for reviewer in reviewers:
        assert check_follow_up_proof(
            message, found["login"], found["key"], found["proof"], reviewer
        )
    assert not check_follow_up_proof(
        message + ".", found["login"], found["key"], found["proof"], reviewers[0]
    )
