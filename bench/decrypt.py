"""Benchmark: glas decrypt on N synthetic survey submissions, against a bare PyNaCl loop.

    .venv/bin/python bench/decrypt.py [N]        (N defaults to 100000)

Makes N needs-assessment submissions sealed to two reviewers into one bundle, then measures in
the same run (a) a bare single-process loop doing only the cryptography a reviewer must do per
submission (crypto_box_seal_open + secretstream pulls), and (b) `glas decrypt` itself, end to end,
as a subprocess (key file with Argon2id, bundle reading, validation, CSV, JSON, XLSX, report).
Prints both, their ratio, and glas's own phase timings. Goal (design §5): CSV + JSON for 100,000
submissions in <= 10 s on 2 cores and <= 2x the bare loop.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nacl import bindings as sodium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crypto import stream  # noqa: E402
from crypto.bundle import BundleWriter, SubmissionRecord  # noqa: E402
from crypto.envelope import Binding, Sealer, new_submission_id  # noqa: E402
from crypto.keys import PublicKey, ReviewerKey  # noqa: E402
from surveys import load_survey_file  # noqa: E402

PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throwaway key
SURVEY = load_survey_file(ROOT / "examples" / "needs-assessment.yaml")


def synthetic_answers(rng: random.Random) -> dict[str, object]:
    answers: dict[str, object] = {}
    for q in SURVEY.answerable_questions:
        if rng.random() < 0.2 and not q.required:
            continue
        if q.type == "select_one":
            answers[q.name] = rng.choice(q.choices).name
        elif q.type == "select_multiple":
            picked = {c.name for c in q.choices if rng.random() < 0.3} or {q.choices[0].name}
            answers[q.name] = [c.name for c in q.choices if c.name in picked]
        elif q.type == "integer":
            answers[q.name] = rng.randint(0, 20)
        elif q.type == "textarea":
            answers[q.name] = "Synthetic suggestion number " + str(rng.randint(0, 10**6))
    return answers


def make_records(args: tuple[int, int, list[bytes]]) -> list[bytes]:
    start, count, public_keys = args
    rng = random.Random(start)
    recipients = [PublicKey(pk) for pk in public_keys]
    version = SURVEY.digest()
    out = []
    for _ in range(count):
        binding = Binding(SURVEY.id, version, new_submission_id())
        sealer = Sealer(binding, recipients)
        document = {
            "format": "glas-answers-1",
            "survey": SURVEY.id,
            "version": version,
            "answers": synthetic_answers(rng),
            "files": [],
        }
        record = SubmissionRecord(
            binding.submission_id,
            SURVEY.id,
            version,
            "2026-11-01",
            2048,
            sealer.slots,
            sealer.seal_answers(document),
            [],
        )
        out.append(record.to_json())
    return out


def bare_loop(records: list[tuple[bytes, bytes]], key: ReviewerKey) -> float:
    """Only the cryptography, one process: open the key slot, pull every chunk."""
    public, secret = key.public_key.raw, key.secret
    ad = b"benchmark"  # the same work whatever the additional data; ours fails auth otherwise
    started = time.perf_counter()
    for sealed_key, payload in records:
        content_key = sodium.crypto_box_seal_open(sealed_key, public, secret)
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(
            state, payload[: stream.HEADER_SIZE], content_key
        )
        for chunk in stream.iter_cipher_chunks(
            __import__("io").BytesIO(payload[stream.HEADER_SIZE :])
        ):
            sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, ad)
    return time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    work = Path(tempfile.mkdtemp(prefix="glas-bench-"))
    keys = [ReviewerKey.generate(), ReviewerKey.generate()]
    key_file, passphrase = work / "ana.key", work / "passphrase"
    keys[0].save(key_file, PASSPHRASE.encode())
    passphrase.write_text(PASSPHRASE + "\n")

    started = time.perf_counter()
    cores = os.cpu_count() or 1
    per = -(-count // cores)
    jobs = [
        (i * per, min(per, count - i * per), [k.public_key.raw for k in keys]) for i in range(cores)
    ]
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        batches = pool.map(make_records, [j for j in jobs if j[1] > 0])
    bundle = work / "bench.glas"
    writer = BundleWriter(bundle, "2026-11-01", {SURVEY.digest(): SURVEY.to_dict()})
    bare_input = []
    for batch in batches:
        for data in batch:
            record = SubmissionRecord.from_json(data)
            writer.add(record, {})
            # The bare loop gets the same ciphertext, re-encrypted under a plain AD it can pass.
            content_key = sodium.crypto_box_seal_open(
                record.slots[0].sealed_key, keys[0].public_key.raw, keys[0].secret
            )
            payload = stream.encrypt_bytes(
                content_key, b"benchmark", os.urandom(len(record.answers) - 41)
            )
            bare_input.append((record.slots[0].sealed_key, payload))
    writer.commit()
    print(
        f"made {count} submissions to 2 reviewers in {time.perf_counter() - started:.1f} s "
        f"({bundle.stat().st_size / 1e6:.0f} MB bundle)"
    )

    bare = bare_loop(bare_input, keys[0])
    print(f"bare PyNaCl loop, 1 process: {bare:.2f} s ({count / bare:,.0f} submissions/s)")

    out = work / "out"
    started = time.perf_counter()
    glas = str(Path(sys.executable).with_name("glas"))
    result = subprocess.run(
        [
            glas,
            "decrypt",
            str(bundle),
            "--key",
            str(key_file),
            "--passphrase-file",
            str(passphrase),
            "--out",
            str(out),
            "--quiet",
            "--timings",
        ],
        capture_output=True,
        text=True,
    )
    total = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"glas decrypt failed:\n{result.stderr}")
    phases = dict(
        line.removeprefix("timing ").split(": ")
        for line in result.stderr.splitlines()
        if line.startswith("timing ")
    )
    csv_json = float(phases["decrypt + CSV + JSON"].split()[0])
    with open(next(out.glob("*/*/answers.csv"))) as table:
        rows = sum(1 for _ in table) - 1
    print(f"glas decrypt, whole command: {total:.2f} s on {cores} cores ({rows} rows)")
    for name, value in phases.items():
        print(f"  phase {name}: {value}")
    print(
        f"ratio CSV+JSON phase / bare loop: {csv_json / bare:.2f}x (goal <= 2x); "
        f"whole command / bare loop: {total / bare:.2f}x"
    )
    print(
        json.dumps(
            {
                "n": count,
                "bare_s": round(bare, 2),
                "csv_json_s": csv_json,
                "total_s": round(total, 2),
                "ratio": round(csv_json / bare, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
