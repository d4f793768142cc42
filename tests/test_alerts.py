"""The signed warning feed: signing offline, trusting and importing on the server, the pages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from crypto import BadSignature
from crypto.signing import SigningKey, verify
from surveys import SurveyDefinitionError
from surveys.alerts import ALERTS_CONTEXT, load_alerts_text

from .browsers import chromium, needs_chromium
from .conftest import FEED, RunCli
from .helpers import LiveServer

pytestmark = [pytest.mark.both_databases]


def test_a_signature_covers_every_byte_and_only_this_kind_of_file() -> None:
    key = SigningKey.generate()
    payload = load_alerts_text(FEED.read_bytes()).canonical()
    signed = key.sign(ALERTS_CONTEXT, payload)
    assert verify(signed, ALERTS_CONTEXT, [key.public_key]) == (payload, key.public_key)
    document = json.loads(signed)
    for changed in (
        {**document, "payload": document["payload"].replace("Peugeot", "Renault")},
        {**document, "context": "glas-other-1"},
    ):
        with pytest.raises(BadSignature):
            verify(json.dumps(changed).encode(), ALERTS_CONTEXT, [key.public_key])
    with pytest.raises(BadSignature, match="does not trust"):
        verify(signed, ALERTS_CONTEXT, [SigningKey.generate().public_key])


def test_a_feed_with_mistakes_is_refused_with_every_line() -> None:
    text = b"language: en\nalerts:\n  - month: 2026-13\n    danger: ghosts\n    area: X\n"
    with pytest.raises(SurveyDefinitionError) as caught:
        load_alerts_text(text, "feed.yaml")
    message = str(caught.value)
    assert "feed.yaml:3: 'month' is a month like 2026-10" in message
    assert "feed.yaml:4: 'danger' is one of" in message
    assert "'description' is required" in message


def test_a_trusted_signed_feed_shows_newest_first_in_the_respondents_language(
    trusted: RunCli, signed_feed: Path, client: FlaskClient, signing_key: tuple[Path, SigningKey]
) -> None:
    assert client.get("/alerts").status_code == 200
    result = trusted("alerts", "import", signed_feed)
    assert result.exit_code == 0 and "Published 4 warnings signed by Centre" in result.output
    page = client.get("/alerts?lang=en").get_data(as_text=True)
    months = re.findall(r'<span class="month">(\d{4}-\d{2})</span>', page)
    assert months == ["2026-11", "2026-10", "2026-09", "2026-08"]
    assert "A man in a grey Peugeot" in page and "Removed the condom" in page
    assert signing_key[1].public_key.readable_fingerprint in page
    macedonian = client.get("/alerts?lang=mk").get_data(as_text=True)
    assert "Маж во сив пежо" in macedonian and "Бит Пазар" in macedonian
    # Albanian: the area of the first warning is translated; its description falls back to mk.
    albanian = client.get("/alerts?lang=sq").get_data(as_text=True)
    assert "Bit Pazari" in albanian and "Një burrë me Peugeot gri" in albanian
    assert "Клиент кој договара" in albanian
    assert "/alerts" in client.get("/").get_data(as_text=True)


def test_a_tampered_or_foreign_feed_is_refused_and_the_published_one_stays(
    trusted: RunCli, signed_feed: Path, client: FlaskClient, tmp_path: Path, passphrase_file: Path
) -> None:
    assert trusted("alerts", "import", signed_feed).exit_code == 0
    tampered = tmp_path / "tampered.signed"
    tampered.write_text(signed_feed.read_text().replace("Peugeot", "Renault"))
    result = trusted("alerts", "import", tampered)
    assert result.exit_code == 2 and "changed after signing" in result.output
    stranger = tmp_path / "stranger.key"
    SigningKey.generate().save(stranger, b"another passphrase, long enough")
    pass_file = tmp_path / "pass"
    pass_file.write_text("another passphrase, long enough\n")
    foreign = tmp_path / "foreign.signed"
    signed = trusted(
        "alerts", "sign", FEED, "--key", stranger, "--out", foreign, "--passphrase-file", pass_file
    )
    assert signed.exit_code == 0
    result = trusted("alerts", "import", foreign)
    assert result.exit_code == 2 and "does not trust" in result.output
    page = client.get("/alerts?lang=en").get_data(as_text=True)
    assert "Peugeot" in page and "Renault" not in page


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_the_printable_page_is_one_a4_page(
    trusted: RunCli, signed_feed: Path, live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    assert trusted("alerts", "import", signed_feed).exit_code == 0
    live = live_server()
    with chromium() as browser:
        for code in ("en", "mk", "ru"):
            page = browser.new_page()
            page.goto(f"{live.url}alerts/print?lang={code}")
            pdf = page.pdf(format="A4", print_background=True)
            (tmp_path / f"alerts-{code}.pdf").write_bytes(pdf)
            pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
            assert pages == 1, (code, pages)
