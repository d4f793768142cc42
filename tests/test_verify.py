"""``glas verify`` finds any damage without a key: one flipped byte anywhere names its member."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from crypto.bundle import BundleReader
from crypto.errors import BundleFormatError
from crypto.trailer import read_trailer

from .conftest import RunCli
from .helpers import JPEG_MAGIC, submit_testimony
from .hostile import flip, member_layout

#: Offsets within a header block to flip: name, mode, size, mtime, checksum, type, magic, prefix.
HEADER_BYTES = (0, 60, 100, 124, 130, 136, 148, 154, 155, 156, 257, 345)


@pytest.fixture
def bundle(client: FlaskClient, published: RunCli, tmp_path: Path) -> Path:
    submit_testimony(client, "first testimony text")
    submit_testimony(client, "second, with a photo", attachment=JPEG_MAGIC + b"p" * 150_000)
    path = tmp_path / "export.glas"
    assert published("export", "--out", path).exit_code == 0
    return path


def test_an_intact_bundle_verifies_and_lists_a_digest_for_every_member(
    bundle: Path, published: RunCli
) -> None:
    result = published("verify", bundle)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    with BundleReader(bundle, digests=True) as reader:
        for _ in reader.raw_entries():
            pass
        assert reader.trailer is not None and reader.trailer.members is not None
        assert dict(reader.digests) == reader.trailer.members
        assert set(reader.trailer.members) == set(member_layout(bundle)) - {"end.json"}


def test_one_flipped_byte_in_any_member_is_named_by_verify(
    bundle: Path, published: RunCli, tmp_path: Path
) -> None:
    layout = member_layout(bundle)
    assert len(layout) == 5  # manifest, two records, one attachment, end.json
    tried = 0
    for name, (header, data, size) in layout.items():
        positions = [header + offset for offset in HEADER_BYTES]
        positions += sorted({data, data + size // 3, data + size // 2, data + size - 1})
        for position in positions:
            damaged = flip(bundle, position, tmp_path / "damaged.glas")
            result = published("verify", damaged)
            assert result.exit_code == 1, (name, position - header, result.output)
            assert name in result.stderr, (name, position - header, result.stderr)
            assert "Traceback" not in result.output
            tried += 1
    assert tried > 60


def test_a_bundle_cut_short_names_what_is_missing(
    bundle: Path, published: RunCli, tmp_path: Path
) -> None:
    layout = member_layout(bundle)
    (part,) = [n for n in layout if n.count("/") == 2]
    header, _, _ = layout[part]
    cut = tmp_path / "cut.glas"
    cut.write_bytes(bundle.read_bytes()[:header])
    result = published("verify", cut)
    assert result.exit_code == 1
    assert "end.json" in result.stderr and part in result.stderr


def test_a_trailer_that_was_edited_is_damaged_even_as_valid_json() -> None:
    body = json.dumps({"members": {}, "submissions": 3, "check": "0" * 32}).encode()
    with pytest.raises(BundleFormatError, match="checksum"):
        read_trailer(body)
    for hostile in (b"[]", b"{}", b'{"submissions": "3"}', b"[" * 100_000, b"\xff"):
        with pytest.raises(BundleFormatError):
            read_trailer(hostile)


def test_a_bundle_written_before_member_digests_still_verifies_and_says_so(
    bundle: Path, published: RunCli, tmp_path: Path
) -> None:
    """Older bundles' end.json held only the count: they stay readable, with that limit said."""
    data = bytearray(bundle.read_bytes())
    _, start, size = member_layout(bundle)["end.json"]
    old = json.dumps({"submissions": 2}).encode().ljust(size)
    assert len(old) == size  # padded with spaces, which JSON allows
    data[start : start + size] = old
    older = tmp_path / "older.glas"
    older.write_bytes(bytes(data))
    result = published("verify", older)
    assert result.exit_code == 0, result.output
    assert "before bundles carried member digests" in result.stderr
