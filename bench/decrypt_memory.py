"""Benchmark: peak memory of `glas decrypt` on a bundle holding one large attachment.

    .venv/bin/python bench/decrypt_memory.py [MB]      (MB defaults to 1024)

Seals one testimony with an attachment of MB megabytes of random bytes (streamed, never held in
memory), exports it as a bundle, then runs `glas decrypt` under GNU time and prints its peak
resident set size next to that of `glas --version` (the interpreter's baseline) in the same run.
Goal (issue 6): peak RSS under 200 MB for a 1 GB attachment. The Argon2id key derivation
(256 MiB, MODERATE limits) runs in a short-lived child and is reported on its own line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crypto.bundle import BundleWriter, SubmissionRecord  # noqa: E402
from crypto.envelope import Binding, Sealer, new_submission_id  # noqa: E402
from crypto.keys import ReviewerKey  # noqa: E402
from surveys import load_survey_file  # noqa: E402

PASSPHRASE = "benchmark passphrase, not a secret"  # noqa: S105 - a throwaway key
PIECE = 4 * 1024 * 1024


def peak_rss_mb(command: list[str]) -> tuple[float, float, float]:
    """(peak of the command's own process, peak of any process it ran, seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        ["/usr/bin/time", "-v", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    own = 0.0
    while process.poll() is None:
        for child in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split():
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            if match:
                own = max(own, int(match.group(1)) / 1024)
        time.sleep(0.05)
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"{command[1]} failed:\n{stderr[-2000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr).group(1))  # type: ignore[union-attr]
    return own, kb / 1024, elapsed


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    work = Path(tempfile.mkdtemp(prefix="glas-membench-"))
    key = ReviewerKey.generate()
    key.save(work / "ana.key", PASSPHRASE.encode())
    (work / "passphrase").write_text(PASSPHRASE + "\n")
    survey = load_survey_file(ROOT / "examples" / "testimony.yaml")
    binding = Binding(survey.id, survey.digest(), new_submission_id())
    sealer = Sealer(binding, [key.public_key])
    part = work / "file-0"
    with open(part, "wb") as sink:
        encryptor = sealer.file_encryptor(0, sink)
        for _ in range(megabytes * 1024 * 1024 // PIECE):
            encryptor.write(os.urandom(PIECE))
        encryptor.finish()
    size = megabytes * 1024 * 1024
    document = {
        "format": "glas-answers-1",
        "survey": survey.id,
        "version": binding.version,
        "answers": {"what_happened": "A large video as evidence.", "who": ["police"]},
        "files": [
            {
                "question": "evidence",
                "part": 0,
                "name": "video.mp4",
                "type": "video/mp4",
                "size": size,
            }
        ],
    }
    record = SubmissionRecord(
        binding.submission_id,
        survey.id,
        binding.version,
        "2026-11-01",
        size,
        sealer.slots,
        sealer.seal_answers(document),
        ["file-0"],
    )
    bundle = work / "big.glas"
    writer = BundleWriter(bundle, "2026-11-01", {binding.version: survey.to_dict()})
    writer.add(record, {"file-0": part})
    writer.commit()
    part.unlink()

    glas = str(Path(sys.executable).with_name("glas"))
    baseline, _, _ = peak_rss_mb([glas, "--version"])
    peak, tree_peak, elapsed = peak_rss_mb(
        [
            glas,
            "decrypt",
            str(bundle),
            "--key",
            str(work / "ana.key"),
            "--passphrase-file",
            str(work / "passphrase"),
            "--out",
            str(work / "out"),
            "--quiet",
        ]
    )
    (received,) = (work / "out").glob("*/*/files/original/*/video.mp4")
    assert received.stat().st_size == size
    print(
        f"attachment: {megabytes} MB; decrypted in {elapsed:.1f} s ({megabytes / elapsed:.0f} MB/s)"
    )
    print(
        f"peak RSS of the glas decrypt process: {peak:.0f} MB (goal < 200 MB); "
        f"interpreter baseline (glas --version): {baseline:.0f} MB"
    )
    print(
        f"peak RSS of any process it ran: {tree_peak:.0f} MB (the Argon2id child: 256 MiB "
        "by design, for about a second)"
    )
    subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
