"""The respondent app through Flask's test client: pages, validation, limits and headers."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import current_store

from .conftest import csrf_token, post_multipart

pytestmark = [pytest.mark.both_databases]


def count(app: Flask) -> int:
    with app.app_context():
        return current_store().count_submissions()


def incoming_leftovers(data_dir: Path) -> list[Path]:
    """Files of forms being received (``.incoming/<node>/<form>/file-N``) still on disk."""
    return [p for p in (data_dir / "blobs" / ".incoming").rglob("*") if p.is_file()]


def test_landing_page_lists_published_surveys(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Tell us what happened" in page and "What do you need from the centre?" in page


def test_survey_form_is_plain_html_with_constraints_and_deferred_scripts(
    client: FlaskClient,
) -> None:
    page = client.get("/s/testimony").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert "required" in page and 'minlength="10"' in page and 'type="file"' in page
    # The form works without them; the scripts only add encryption in the browser.
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/js/glas-worker-client.js" defer>',
        '<script src="/static/js/glas-logic.js" defer>',
        '<script src="/static/js/glas-form.js" defer>',
    ]
    assert "style=" not in page
    assert not re.search(r'(src|href|action)="https?://', page)


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/s/testimony", "/no-such-page"):
        headers = client.get(path).headers
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Server" not in headers


def test_unknown_survey_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/s/not-a-survey")
    assert response.status_code == 404 and "does not exist" in response.get_data(as_text=True)


def test_missing_required_answer_rerenders_with_message_and_stores_nothing(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    token = csrf_token(client.get("/s/testimony").get_data(as_text=True))
    response = post_multipart(
        client,
        "/s/testimony",
        {
            "csrf_token": token,
            "who": "police",
            "place": "street",
            "evidence": (io.BytesIO(b"CANARY photo"), "p.jpg", "image/jpeg"),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This question needs an answer." in page
    assert 'value="street" checked' in page  # what was given is kept
    assert "attach them again" in page
    assert count(app) == 0 and incoming_leftovers(data_dir) == []


def test_valid_submission_is_stored_and_thanked(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client.get("/s/needs-assessment").get_data(as_text=True))
    response = client.post(
        "/s/needs-assessment",
        data={
            "csrf_token": token,
            "services_wanted": ["legal", "doctor"],
            "visits_per_month": "2",
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/thanks")
    assert count(app) == 1


def test_missing_csrf_token_is_refused_with_a_page(app: Flask, client: FlaskClient) -> None:
    client.get("/s/needs-assessment")
    response = client.post("/s/needs-assessment", data={"services_wanted": "legal"})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert count(app) == 0


def test_request_over_the_size_limit_gets_a_413_page_naming_the_limit(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    token = csrf_token(client.get("/s/testimony").get_data(as_text=True))
    response = post_multipart(
        client,
        "/s/testimony",
        {
            "csrf_token": token,
            "what_happened": "long enough text",
            "who": "police",
            "evidence": (io.BytesIO(b"\0" * (3 * 1024 * 1024)), "big.jpg", "image/jpeg"),
        },
    )
    assert response.status_code == 413
    assert "The limit is 2 MB" in response.get_data(as_text=True)
    assert count(app) == 0 and incoming_leftovers(data_dir) == []


def test_too_many_files_are_refused(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client.get("/s/testimony").get_data(as_text=True))
    files = [(io.BytesIO(b"x"), f"{i}.jpg", "image/jpeg") for i in range(11)]
    response = post_multipart(
        client,
        "/s/testimony",
        {
            "csrf_token": token,
            "what_happened": "long enough text",
            "who": "police",
            "evidence": files,
        },
    )
    assert response.status_code == 413 and "At most 10 files" in response.get_data(as_text=True)
    assert count(app) == 0


def test_files_sent_to_a_page_that_takes_none_are_refused(client: FlaskClient) -> None:
    response = client.post("/", data={"x": (io.BytesIO(b"data"), "a.txt")})
    assert response.status_code in (400, 405)


def test_a_bot_filling_the_honeypot_is_thanked_and_nothing_is_stored(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    page = client.get("/s/testimony").get_data(as_text=True)
    assert 'name="website"' in page and 'class="hp"' in page
    response = post_multipart(
        client,
        "/s/testimony",
        {
            "csrf_token": csrf_token(page),
            "what_happened": "buy cheap pills now",
            "who": "police",
            "website": "http://spam.example",
            "evidence": (io.BytesIO(b"x"), "a.jpg", "image/jpeg"),
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/thanks")
    assert count(app) == 0 and incoming_leftovers(data_dir) == []


def test_a_form_with_too_many_fields_is_refused(app: Flask, client: FlaskClient) -> None:
    from portal.config import MAX_FORM_PARTS

    token = csrf_token(client.get("/s/needs-assessment").get_data(as_text=True))
    fields: dict[str, object] = {f"x{i}": "y" for i in range(MAX_FORM_PARTS + 10)}
    response = post_multipart(client, "/s/needs-assessment", {"csrf_token": token, **fields})
    assert response.status_code == 413
    assert count(app) == 0


def test_a_text_answer_over_the_form_memory_limit_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    token = csrf_token(client.get("/s/needs-assessment").get_data(as_text=True))
    response = post_multipart(
        client,
        "/s/needs-assessment",
        {
            "csrf_token": token,
            "services_wanted": "legal",
            "suggestions": "x" * (2 * 1024 * 1024),
        },
    )
    assert response.status_code == 413 and count(app) == 0
