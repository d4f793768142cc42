"""The copy of sent replies a `glas decrypt` folder keeps (reviewer/sent.py): read back as far
as it holds (day, text) pairs, whatever else the file holds; the page escapes what it shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer.sent import SENT_FOLDER, fill_reply_section, keep_reply, sent_replies

SID = "0123456789abcdef0123456789abcdef"
PAGE = "<p>before</p><!-- glas:reply --><!-- glas:reply-end --><p>after</p>"


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"\xff\xfe",
        b'{"day": "2026-12-01", "text": "a"}',
        b'[1, "x", null, {"day": 3, "text": "t"}, {"day": "2026-12-01"}]',
        b"[" * 100_000,
    ],
)
def test_a_damaged_copy_shows_what_it_can_and_never_fails(tmp_path: Path, content: bytes) -> None:
    (tmp_path / SENT_FOLDER).mkdir()
    (tmp_path / SENT_FOLDER / f"{SID}.json").write_bytes(content)
    assert sent_replies(tmp_path, SID) == []
    assert "before" in fill_reply_section(PAGE, tmp_path, SID, None)


def test_an_id_that_is_not_one_reads_nothing_outside_the_folder(tmp_path: Path) -> None:
    (tmp_path / "secret.json").write_text(json.dumps([{"day": "d", "text": "secret"}]))
    assert sent_replies(tmp_path / SENT_FOLDER, "../secret") == []


def test_replies_are_kept_in_order_and_shown_escaped(tmp_path: Path) -> None:
    keep_reply(tmp_path, SID, "2026-12-01", "Come on Monday.")
    keep_reply(tmp_path, SID, "2026-12-02", "<script>alert(1)</script>")
    assert [t for _, t in sent_replies(tmp_path, SID)] == [
        "Come on Monday.",
        "<script>alert(1)</script>",
    ]
    page = fill_reply_section(PAGE, tmp_path, SID, None)
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert page.index("Come on Monday.") < page.index("&lt;script&gt;")
