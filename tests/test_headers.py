"""Security headers on every response, and no inline script or style anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import create_organizer_app
from portal.config import Config

from .conftest import ROOT, csrf_token

EXPECTED = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CSP_PARTS = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
]


def check(response, browser_crypto: bool = False) -> None:  # type: ignore[no-untyped-def]
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert all(part in csp for part in CSP_PARTS) and "unsafe-inline" not in csp
    # Only the survey form (it loads the crypto bundle) and the worker's scripts may have these.
    wider = ("script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "worker-src 'self'")
    assert all((part in csp) == browser_crypto for part in wider), csp
    permissions = response.headers["Permissions-Policy"]
    assert all(f"{f}=()" in permissions for f in ("camera", "microphone", "geolocation"))
    assert "Server" not in response.headers


@pytest.mark.parametrize(
    "path",
    ["/", "/s/testimony", "/s/testimony/thanks", "/alerts", "/nope", "/static/css/glas.css"],
)
def test_every_respondent_response_carries_the_headers(client: FlaskClient, path: str) -> None:
    with client.get(path) as response:
        check(response, browser_crypto=path == "/s/testimony")
        if path != "/static/css/glas.css":
            assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["/static/js/glas-worker.js", "/static/js/glas-envelope.js", "/static/js/glas-form.js"]
)
def test_only_the_worker_scripts_get_the_wider_policy(client: FlaskClient, path: str) -> None:
    # A dedicated worker obeys the CSP its own script arrives with: without 'wasm-unsafe-eval'
    # there, libsodium would silently take its pure-JavaScript path.
    with client.get(path) as response:
        assert response.status_code == 200
        check(response, browser_crypto=not path.endswith("glas-form.js"))


def test_error_responses_carry_them_too(client: FlaskClient) -> None:
    check(client.put("/"))
    check(client.post("/s/testimony", data={}))  # no CSRF token: an error page
    check(client.get("/s/testimony?" + "x" * 10), browser_crypto=True)  # the form itself


def test_the_organizer_app_carries_them_and_has_no_respondent_routes(
    app: Flask, data_dir: Path
) -> None:
    organizer = create_organizer_app(Config.from_env()).test_client()
    check(organizer.get("/"))
    assert organizer.get("/s/testimony").status_code == 404
    assert app.test_client().get("/organizer").status_code == 404


def test_no_template_or_page_has_inline_script_style_or_outside_resources(
    client: FlaskClient,
) -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=|javascript:", re.I)
    for template in (ROOT / "portal" / "templates").rglob("*.html"):
        assert not inline.search(template.read_text()), template
    for path in ("/", "/s/testimony", "/s/needs-assessment"):
        page = client.get(path).get_data(as_text=True)
        assert not inline.search(page) and not re.search(r'(src|href|action)="(https?:)?//', page)
        assert csrf_token(page) if path != "/" else True
