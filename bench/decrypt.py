"""Benchmark: glas decrypt on N synthetic survey submissions, against a bare PyNaCl loop.

    .venv/bin/python bench/decrypt.py [N]        (N defaults to 100000)

Makes N needs-assessment submissions sealed to two reviewers into one bundle, then measures,
three times, in the same run (a) a bare single-process loop doing only the cryptography a
reviewer must do per submission (crypto_box_seal_open + secretstream pulls), and (b) `glas
decrypt` itself, end to end, as a subprocess (key file with Argon2id, bundle reading,
validation, CSV, JSON, XLSX, SPSS and Stata, report). Prints glas's phase timings and both
ratios per run, and the start-up time of `glas --help` and `glas decrypt --help`. Goals (issue
18): decrypt + CSV + JSON <= 2x the bare loop (the XLSX rows are made in the same phase here),
the whole command <= 3x, start-up < 0.4 s.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
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
from crypto.keys import PublicKey, ReviewerKey  # noqa: E402
from surveys import load_survey_file  # noqa: E402
from tests.synthetic import sealed_record, synthetic_answers  # noqa: E402

PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throwaway key
RUNS = 3
STARTS = 5
SURVEY = load_survey_file(ROOT / "examples" / "needs-assessment.yaml")


def make_records(args: tuple[int, int, list[bytes]]) -> list[bytes]:
    start, count, public_keys = args
    rng = random.Random(start)
    recipients = [PublicKey(pk) for pk in public_keys]
    return [
        sealed_record(SURVEY, synthetic_answers(SURVEY, rng), recipients, "2026-11-01").to_json()
        for _ in range(count)
    ]


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

    glas = str(Path(sys.executable).with_name("glas"))
    print(
        f"start-up (best of {STARTS}): glas --help {startup([glas, '--help']):.3f} s, "
        f"glas decrypt --help {startup([glas, 'decrypt', '--help']):.3f} s (goal < 0.4 s)"
    )
    runs = []
    for run in range(1, RUNS + 1):
        bare = bare_loop(bare_input, keys[0])
        total, phases, rows = decrypt(glas, bundle, key_file, passphrase, work / f"out{run}")
        tables = phases["decrypt + CSV + JSON + XLSX"]
        runs.append({"bare_s": round(bare, 2), "tables_s": tables, "total_s": round(total, 2)})
        print(
            f"run {run}: bare PyNaCl loop (1 process) {bare:.2f} s; glas decrypt {total:.2f} s "
            f"on {cores} cores ({rows} rows): "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items())
        )
        print(
            f"  ratio decrypt + CSV + JSON + XLSX / bare: {tables / bare:.2f}x (goal <= 2x); "
            f"whole command / bare: {total / bare:.2f}x (goal <= 3x)"
        )
        shutil.rmtree(work / f"out{run}")
    print(json.dumps({"n": count, "cores": cores, "runs": runs}))


def startup(command: list[str]) -> float:
    """The best of a few wall-clock starts: the cost a reviewer feels before any work."""
    best = float("inf")
    for _ in range(STARTS):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def decrypt(
    glas: str, bundle: Path, key_file: Path, passphrase: Path, out: Path
) -> tuple[float, dict[str, float], int]:
    """One whole `glas decrypt` as a subprocess: its wall time, its phases, its rows."""
    started = time.perf_counter()
    result = subprocess.run(
        [glas, "decrypt", str(bundle), "--key", str(key_file), "--passphrase-file",
         str(passphrase), "--out", str(out), "--quiet", "--timings"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    total = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"glas decrypt failed:\n{result.stderr}")
    phases = {
        name: float(value.split()[0])
        for name, value in (
            line.removeprefix("timing ").split(": ")
            for line in result.stderr.splitlines()
            if line.startswith("timing ")
        )
    }
    with open(next(out.glob("*/*/answers.csv"))) as table:
        rows = sum(1 for _ in table) - 1
    return total, phases, rows


if __name__ == "__main__":
    main()
