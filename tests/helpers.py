"""Helpers shared by tests that make real submissions and open real bundles."""

from __future__ import annotations

import io
import os
from pathlib import Path

from flask.testing import FlaskClient

from crypto.bundle import BundleReader
from crypto.keys import ReviewerKey
from crypto.reviewer import Failed, Opened, decrypt_bundle

from .conftest import csrf_token, post_multipart


def submit_testimony(client: FlaskClient, text: str, attachment: bytes | None = None) -> None:
    token = csrf_token(client.get("/s/testimony").get_data(as_text=True))
    fields: dict[str, object] = {"csrf_token": token, "what_happened": text, "who": ["police"]}
    if attachment is not None:
        fields["evidence"] = (io.BytesIO(attachment), "photo.jpg", "image/jpeg")
    response = post_multipart(client, "/s/testimony", fields)
    assert response.status_code == 303, response.get_data(as_text=True)


def open_bundle(bundle: Path, key: ReviewerKey, out: Path) -> tuple[list[Opened], list[Failed]]:
    """Decrypt with the library (the CLI's engine) and sort results into opened and failed."""
    out.mkdir(parents=True, exist_ok=True)
    opened: list[Opened] = []
    failed: list[Failed] = []

    def place(record, answers, part):  # type: ignore[no-untyped-def]
        return out / f"{record.submission_id}-{part}-{os.urandom(4).hex()}"

    with BundleReader(bundle) as reader:
        for result in decrypt_bundle(reader, [key], place):
            (opened if isinstance(result, Opened) else failed).append(result)  # type: ignore[arg-type]
    return opened, failed


def version_folder(out: Path, survey_id: str) -> Path:
    """The one survey-version folder glas decrypt made for ``survey_id``."""
    (folder,) = (out / survey_id).iterdir()
    return folder


def received_file(out: Path, survey_id: str, name: str) -> Path:
    (path,) = (version_folder(out, survey_id) / "files" / "original").glob(f"*/{name}")
    return path
