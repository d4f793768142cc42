"""Attachment sizes: the server stores only a size bucket, the reviewer gets the exact file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from crypto.envelope import padded_file_size
from crypto.keys import ReviewerKey
from crypto.stream import ciphertext_size

from . import postgres
from .conftest import RunCli
from .helpers import JPEG_MAGIC, open_bundle, payload_sizes, submit_testimony

pytestmark = [pytest.mark.both_databases]


def test_files_of_2000_and_2002_bytes_are_stored_alike_and_decrypt_exactly(
    client: FlaskClient,
    published: RunCli,
    data_dir: Path,
    reviewer: tuple[Path, ReviewerKey],
    tmp_path: Path,
) -> None:
    photos = [JPEG_MAGIC + os.urandom(size - len(JPEG_MAGIC)) for size in (2000, 2002)]
    for photo in photos:
        submit_testimony(client, "a testimony with a photo", attachment=photo)
    sizes = payload_sizes(data_dir)
    assert sizes == [ciphertext_size(padded_file_size(2000))] * 2  # one size for both
    bundle = tmp_path / "export.glas"
    assert published("export", "--out", bundle).exit_code == 0
    opened, failed = open_bundle(bundle, reviewer[1], tmp_path / "out")
    assert not failed
    received = sorted(path.read_bytes() for o in opened for path in o.files.values())
    assert received == sorted(photos)


def test_padding_costs_at_most_an_eighth_and_hides_the_low_bits() -> None:
    for size in (1, 5_000, 123_457, 3_000_001, 2**30 + 7, 10**11):
        padded = padded_file_size(size)
        assert size <= padded <= max(1024, size * 1.125)
    # Photos of one phone differ by a few kilobytes; most land in the same bucket.
    assert len({padded_file_size(3_000_000 + 1_000 * i) for i in range(40)}) <= 3


@pytest.mark.skipif(
    postgres.MODE == "postgresql", reason="payload files: on PostgreSQL the payloads are rows"
)
def test_payloads_and_their_folders_carry_only_the_day(
    client: FlaskClient, published: RunCli, data_dir: Path
) -> None:
    submit_testimony(client, "a testimony with a photo", attachment=JPEG_MAGIC + b"x" * 5000)
    submit_testimony(client, "and another one", attachment=JPEG_MAGIC + b"y" * 7000)
    blobs = data_dir / "blobs"
    paths = [blobs, *[p for p in blobs.rglob("*") if ".uploads" not in p.parts]]
    assert any(p.name == "file-0" for p in paths)
    for path in paths:
        # Modification times; access times change on any read unless the data dir is mounted
        # noatime (deploy/ says so), and change times cannot be set at all (docs/envelope.md).
        assert path.stat().st_mtime % 86_400 == 0, path.relative_to(data_dir)
