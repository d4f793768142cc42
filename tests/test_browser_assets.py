"""The browser's libsodium is served as one file, gzipped when the browser accepts it."""

from __future__ import annotations

import gzip
import re

from flask.testing import FlaskClient

from .browsers import BUNDLE, needs_bundle

pytestmark = needs_bundle


def bundle_url(client: FlaskClient) -> str:
    page = client.get("/s/needs-assessment").get_data(as_text=True)
    (url,) = re.findall(r'data-sodium="([^"]+)"', page)
    return url.replace("&amp;", "&")


def test_the_bundle_is_one_file_with_libsodium_and_its_wrappers() -> None:
    text = BUNDLE.read_text()
    # One script: the wrappers find libsodium's pure-JavaScript fallback only when both run as one.
    assert "libsodium_raw_version" in text or "_sodium_init" in text
    assert "crypto_secretstream_xchacha20poly1305_init_push" in text
    assert gzip.decompress(BUNDLE.with_name("sodium.js.gz").read_bytes()) == BUNDLE.read_bytes()


def test_browsers_that_accept_gzip_get_the_compressed_bundle(client: FlaskClient) -> None:
    url = bundle_url(client)
    assert re.fullmatch(r"/static/js/vendor/sodium\.js\?v=[0-9a-f]{16}", url)
    with client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}) as zipped:
        assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
        assert zipped.content_length is not None and zipped.content_length < 400_000
        assert "Accept-Encoding" in zipped.headers["Vary"]
        assert "max-age=31536000" in zipped.headers["Cache-Control"]
        assert zipped.mimetype == "text/javascript"
    with client.get(url, headers={"Accept-Encoding": "identity"}) as plain:
        assert "Content-Encoding" not in plain.headers
        assert plain.get_data() == BUNDLE.read_bytes()


def test_the_survey_version_json_names_the_reviewer_keys_and_the_rules(
    client: FlaskClient,
) -> None:
    page = client.get("/s/testimony").get_data(as_text=True)
    (url,) = re.findall(r'data-client="([^"]+)"', page)
    body = client.get(url).get_json()
    assert body["format"] == "glas-client-1" and body["survey"] == "testimony"
    assert len(body["recipients"]) == 1 and body["recipients"][0].startswith("glas-pk-1:")
    rules = {q["name"]: q for q in body["questions"]}
    assert rules["what_happened"]["min_length"] == 10 and rules["evidence"]["max_files"] == 5
    assert client.get(url.replace(body["version"], "0" * 64)).status_code == 404
