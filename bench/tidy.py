"""Benchmark: how long `glas serve`'s periodic rewrite of the SQLite file (Store.tidy, VACUUM)
holds writes back, for a database of N submissions.

    .venv/bin/python bench/tidy.py [N]      (N defaults to 100000)

Fills a fresh data dir with N submission rows as the portal stores them (random ids, ciphertext
of 600 to 3,000 bytes: what a needs assessment or a short testimony seals to), then times
Store.tidy() next to the baseline of copying the same database file once (the disk's own
speed, measured in the same run), and prints both and their ratio. While tidy runs, writers
wait on SQLite's lock (busy timeout 30 s), so its time is the longest pause a submission sees.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.config import Config  # noqa: E402
from portal.storage import Store  # noqa: E402
from portal.storage.models import SubmissionRow, SurveyRow, SurveyVersionRow  # noqa: E402

BATCH = 5000


def fill(store: Store, count: int) -> None:
    day = datetime.date.today()
    with store.session() as s:
        s.add(SurveyRow(id="bench", title="Bench", published_version="v" * 64))
        s.flush()
        s.add(SurveyVersionRow(digest="v" * 64, survey_id="bench", definition="{}", created=day))
    rng = secrets.SystemRandom()
    for start in range(0, count, BATCH):
        with store.session() as s:
            for _ in range(min(BATCH, count - start)):
                s.add(
                    SubmissionRow(
                        id=secrets.token_hex(16),
                        survey_id="bench",
                        version="v" * 64,
                        received=day,
                        size_bucket=4096,
                        slots=json.dumps([{"key_id": "k" * 40, "sealed_key": "s" * 108}]),
                        answers=os.urandom(rng.randint(600, 3000)),
                        parts="[]",
                    )
                )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        config = Config.from_env({"GLAS_DATA_DIR": tmp})
        store = Store(config)
        store.initialise()
        fill(store, count)
        database = Path(tmp) / "glas.sqlite3"
        size = database.stat().st_size
        started = time.perf_counter()
        shutil.copyfile(database, Path(tmp) / "copy.sqlite3")
        os.sync()
        baseline = time.perf_counter() - started
        (Path(tmp) / "copy.sqlite3").unlink()
        started = time.perf_counter()
        store.tidy()
        tidy = time.perf_counter() - started
    print(
        f"{count} submissions, database {size / 2**20:.0f} MiB: tidy (VACUUM) {tidy:.2f} s, "
        f"copying the file {baseline:.2f} s (baseline), ratio {tidy / baseline:.1f}"
    )


if __name__ == "__main__":
    main()
