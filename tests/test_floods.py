"""Submissions of every kind share the flood defences (issue 27 G4).

Before, follow-ups and no-JavaScript submissions cost a flooder nothing: 45 stored a second
from one client. Now with JavaScript every send pays a proof of work (an upload slot, or a
write-back's own challenge); without it, a session sends five times and then once every two
minutes, getting its answers back (429) in between; and whatever the path, a day's submissions
store at most GLAS_DAILY_BUDGET_MB, past which the portal answers 503 and tells the organizers.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from portal import create_app
from portal.config import Config
from portal.respondent import pace
from portal.storage import Store

from .conftest import Organizer, RunCli, csrf_token, post_multipart
from .helpers import JPEG_MAGIC

pytestmark = [pytest.mark.both_databases]


def stored() -> int:
    with Store(Config.from_env()) as store:
        return store.count_submissions()


def send_needs(client: FlaskClient, suggestion: str) -> tuple[int, str]:
    token = csrf_token(client.get("/s/needs-assessment").get_data(as_text=True))
    fields = {"csrf_token": token, "services_wanted": ["legal"], "suggestions": suggestion}
    response = client.post("/s/needs-assessment", data=fields)
    return response.status_code, response.get_data(as_text=True)


def test_a_session_that_sends_too_fast_without_javascript_waits_and_keeps_its_answers(
    client: FlaskClient, app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(pace.CAPACITY):
        assert send_needs(client, f"Canary-Fl{n}")[0] == 303
    status, page = send_needs(client, "Canary-Fl-kept")
    assert status == 429
    assert "please wait two minutes" in page and "Canary-Fl-kept" in page  # nothing is lost
    assert stored() == pace.CAPACITY
    # Another session is not held back; this one is, until two minutes have passed.
    other = create_app(Config.from_env()).test_client()
    assert send_needs(other, "Canary-Fl-other")[0] == 303
    later = pace.time.time() + pace.REFILL_MINUTES * 60
    monkeypatch.setattr(pace.time, "time", lambda: later)
    assert send_needs(client, "Canary-Fl-later")[0] == 303
    assert send_needs(client, "Canary-Fl-again")[0] == 429


def test_a_tampered_bucket_is_a_full_one_never_a_bigger_one(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session[pace.SESSION_KEY] = [10**6, 0]
    for _ in range(pace.CAPACITY):
        assert send_needs(client, "x")[0] == 303
    assert send_needs(client, "x")[0] == 429


def test_past_the_days_budget_every_path_answers_503_and_the_organizers_are_told(
    published: RunCli,
    organizer: Organizer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLAS_DAILY_BUDGET_MB", "1")
    client = create_app(Config.from_env()).test_client()
    photo = JPEG_MAGIC + b"p" * 600_000  # a 1 MiB size bucket, with its answers: the budget

    def testimony() -> int:
        token = csrf_token(client.get("/s/testimony").get_data(as_text=True))
        fields = {
            "csrf_token": token,
            "what_happened": "Canary-Bu sent during a flood.",
            "who": ["police"],
            "evidence": (io.BytesIO(photo), "photo.jpg", "image/jpeg"),
        }
        return post_multipart(client, "/s/testimony", fields).status_code

    assert testimony() == 303
    refused = [testimony() for _ in range(3)]
    assert refused == [503, 503, 503]
    assert stored() == 1
    page = client.get("/").get_data(as_text=True)
    assert page  # the portal itself still answers
    staff = organizer.client()
    assert organizer.log_in(staff) == 302
    home = staff.get("/").get_data(as_text=True)
    assert "reached its storage budget for the day" in home and "refused 3 submissions" in home


def test_a_write_back_without_javascript_spends_the_same_bucket(
    client: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    from .helpers import codename_on, confirm_codename, submit_testimony

    submit_testimony(client, "Canary-Fw a testimony for a write-back.")
    codename = codename_on(client.get("/s/testimony/thanks").get_data(as_text=True))
    assert codename is not None
    confirm_codename(client)
    token = csrf_token(client.get("/replies").get_data(as_text=True))
    statuses = []
    for n in range(pace.CAPACITY):
        fields = {"csrf_token": token, "codename": codename, "message": f"Canary-Fw{n}"}
        statuses.append(client.post("/replies/write", data=fields).status_code)
    assert statuses == [200] * (pace.CAPACITY - 1) + [429]  # the testimony spent one
