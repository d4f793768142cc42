"""The organizer app: accounts with TOTP, throttled logins, sessions, CSRF, and its pages."""

from __future__ import annotations

import io
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crypto.codename import derive, new_codename, seal_reply
from crypto.keys import ReviewerKey
from crypto.signing import SigningKey
from portal import create_app
from portal.config import Config
from portal.storage import Store, organizers
from portal.storage.models import OrganizerSessionRow
from portal.storage.organizers import MAX_FAILURES_PER_ACCOUNT

from .conftest import PASSWORD, Organizer, RunCli, csrf_token
from .helpers import codename_on, submit_testimony

pytestmark = [pytest.mark.both_databases]

ORGANIZER_PATHS = ["/login", "/setup/x", "/surveys", "/reviewers", "/submissions", "/audit"]


def test_organizer_routes_are_404_on_the_respondent_port(client: FlaskClient) -> None:
    for path in ORGANIZER_PATHS:
        assert client.get(path).status_code == 404, path


def test_every_page_needs_a_login(organizer: Organizer) -> None:
    client = organizer.client()
    for path in ["/", "/surveys", "/reviewers", "/submissions", "/audit", "/replies", "/alerts"]:
        response = client.get(path)
        assert response.status_code == 302 and response.location.endswith("/login"), path


def test_every_login_failure_says_the_same_and_brute_force_is_throttled(
    organizer: Organizer,
) -> None:
    client = organizer.client()
    good = organizer.clock.code(organizer.secret, 1)
    attempts = [
        {"name": "Ana", "password": "wrong passphrase!!", "code": good},
        {"name": "Ana", "password": PASSWORD, "code": "000000"},
        {"name": "Nobody", "password": PASSWORD, "code": good},
    ]
    pages = []
    for data in attempts:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={**data, "csrf_token": token})
        assert response.status_code == 401
        pages.append(re.sub(r'value="[^"]+"', "", response.get_data(as_text=True)))
    assert pages[0] == pages[1] == pages[2]
    assert "The name, passphrase or code is not right." in pages[0]
    for _ in range(MAX_FAILURES_PER_ACCOUNT - len(attempts)):
        token = csrf_token(client.get("/login").get_data(as_text=True))
        client.post("/login", data={**attempts[0], "csrf_token": token})
    # The right passphrase and code are refused too, until a minute has passed.
    assert organizer.log_in(client) == 429
    organizer.clock.advance(seconds=61)
    assert organizer.log_in(client) == 302


def test_a_totp_code_cannot_be_used_twice_and_the_second_time_says_to_wait(
    organizer: Organizer,
) -> None:
    organizer.clock.advance(seconds=30)
    code = organizer.clock.code(organizer.secret)
    assert organizer.log_in(organizer.client(), code) == 302
    again = organizer.client()
    token = csrf_token(again.get("/login").get_data(as_text=True))
    data = {"csrf_token": token, "name": "Ana", "password": PASSWORD, "code": code}
    response = again.post("/login", data=data)
    assert response.status_code == 401
    assert "Wait for the next code on your phone" in response.get_data(as_text=True)


def test_a_fresh_login_page_says_how_accounts_are_made(organizer: Organizer) -> None:
    page = organizer.client().get("/login").get_data(as_text=True)
    assert "glas organizers add" in page


def test_a_post_without_its_csrf_token_is_refused(logged_in: FlaskClient) -> None:
    response = logged_in.post("/surveys", data={"id": "x", "title": "X", "kind": "survey"})
    assert response.status_code == 400
    assert logged_in.post("/logout").status_code == 400


def test_sessions_end_after_30_idle_minutes_and_cookies_are_strict(
    organizer: Organizer,
) -> None:
    client = organizer.client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    organizer.clock.advance(seconds=30)
    data = {
        "csrf_token": token,
        "name": "Ana",
        "password": PASSWORD,
        "code": organizer.clock.code(organizer.secret),
    }
    response = client.post("/login", data=data)
    cookie = response.headers["Set-Cookie"]
    assert "glas_organizer=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    organizer.clock.advance(minutes=29)
    assert client.get("/surveys").status_code == 200
    organizer.clock.advance(minutes=29)  # active 29 minutes ago: still in
    assert client.get("/surveys").status_code == 200
    organizer.clock.advance(minutes=31)
    assert client.get("/surveys").status_code == 302


def test_a_page_view_writes_the_sessions_last_use_at_most_every_ten_minutes(
    organizer: Organizer,
) -> None:
    """The row's time serves only the sweep of day-old sessions: most page views read it and
    write nothing (no commit, no fsync, no finer trace of when staff worked)."""
    client = organizer.client()
    assert organizer.log_in(client) == 302
    store = Store(Config.from_env())

    def last_use() -> object:
        with store.session() as s:
            return s.scalars(select(OrganizerSessionRow.seen)).one()

    opened = last_use()
    organizer.clock.advance(minutes=9)
    assert client.get("/surveys").status_code == 200
    assert last_use() == opened
    organizer.clock.advance(minutes=1)
    assert client.get("/surveys").status_code == 200
    assert last_use() == organizer.clock.now


def test_log_out_everywhere_ends_every_session_of_the_account(organizer: Organizer) -> None:
    laptop, phone = organizer.client(), organizer.client()
    assert organizer.log_in(laptop) == 302 and organizer.log_in(phone) == 302
    token = csrf_token(laptop.get("/").get_data(as_text=True))
    assert laptop.post("/logout-everywhere", data={"csrf_token": token}).status_code == 302
    assert phone.get("/surveys").status_code == 302
    assert laptop.get("/surveys").status_code == 302


def test_log_out_ends_the_session_wherever_its_cookie_was_copied(organizer: Organizer) -> None:
    laptop, thief = organizer.client(), organizer.client()
    assert organizer.log_in(laptop) == 302
    cookie = laptop.get_cookie("glas_organizer")
    assert cookie is not None
    thief.set_cookie("glas_organizer", cookie.value)
    assert thief.get("/surveys").status_code == 200  # a copy works while the session is open
    token = csrf_token(laptop.get("/").get_data(as_text=True))
    assert laptop.post("/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/surveys").status_code == 302  # and not after: the server ended it
    assert laptop.get("/surveys").status_code == 302
    other = organizer.client()
    assert organizer.log_in(other) == 302 and other.get("/surveys").status_code == 200


def test_forty_concurrent_wrong_logins_cost_at_most_five_passphrase_checks(
    organizer: Organizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[int] = []
    verify = organizers._verify_password
    monkeypatch.setattr(organizers, "_verify_password", lambda *a: checks.append(1) or verify(*a))
    clients = [organizer.client() for _ in range(40)]
    tokens = [csrf_token(c.get("/login").get_data(as_text=True)) for c in clients]
    data = {"name": "Ana", "password": "a wrong passphrase", "code": "123456"}
    start = threading.Barrier(len(clients))

    def attempt(index: int) -> int:
        start.wait()
        form = {**data, "csrf_token": tokens[index]}
        return clients[index].post("/login", data=form).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(attempt, range(len(clients))))
    assert len(checks) <= MAX_FAILURES_PER_ACCOUNT, statuses
    assert statuses.count(401) == len(checks) and statuses.count(429) == 40 - len(checks)


def test_reviewer_keys_are_added_with_their_fingerprint_and_removed(
    logged_in: FlaskClient, tmp_path: Path
) -> None:
    key = ReviewerKey.generate().public_key
    token = csrf_token(logged_in.get("/reviewers").get_data(as_text=True))
    data = {"csrf_token": token, "name": "Bojana", "key": key.to_line()}
    page = logged_in.post("/reviewers", data=data, follow_redirects=True).get_data(as_text=True)
    assert key.readable_fingerprint in page and "Bojana" in page
    bad = {"csrf_token": token, "name": "Eve", "key": "glas-pk-1:nonsense"}
    page = logged_in.post("/reviewers", data=bad, follow_redirects=True).get_data(as_text=True)
    assert 'class="notice error"' in page
    ids = re.findall(r"/reviewers/(\d+)/remove", page)
    last = ids[-1]
    logged_in.post(f"/reviewers/{last}/remove", data={"csrf_token": token, "confirmed": "yes"})
    page = logged_in.get("/reviewers").get_data(as_text=True)
    assert f"/reviewers/{last}/remove" not in page and "removed" in page


def test_the_audit_log_says_who_did_what(logged_in: FlaskClient) -> None:
    token = csrf_token(logged_in.get("/surveys").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "id": "checkin",
        "title": "Check-in",
        "kind": "survey",
        "language": "en",
    }
    logged_in.post("/surveys", data=data)
    question = {"csrf_token": token, "type": "text", "name": "area", "label": "Area?"}
    logged_in.post("/surveys/checkin/questions/new", data=question)
    logged_in.post("/surveys/checkin/questions/0", data={**question, "label": "Which area?"})
    second = {**question, "name": "age", "type": "integer", "label": "Age?"}
    logged_in.post("/surveys/checkin/questions/new", data=second)
    logged_in.post(
        "/surveys/checkin/questions/1/move", data={"csrf_token": token, "direction": "up"}
    )
    logged_in.post(
        "/surveys/checkin/questions/1/delete", data={"csrf_token": token, "confirmed": "yes"}
    )
    page = logged_in.get("/audit").get_data(as_text=True)
    assert "Ana" in page and "logged in" in page and "created a survey" in page
    for step in (
        "added a question</td><td data-record>checkin area",
        "edited a question</td><td data-record>checkin area",
        "added a question</td><td data-record>checkin age",
        "moved a question up</td><td data-record>checkin age",
        "deleted a question</td><td data-record>checkin area",
    ):
        assert step in page, step


def test_command_line_actions_are_in_the_audit_log(
    logged_in: FlaskClient, published: RunCli, reviewer: tuple[Path, ReviewerKey]
) -> None:
    assert published("organizers", "add", "Mila").exit_code == 0
    assert published("retention", "apply").exit_code == 0
    page = logged_in.get("/audit").get_data(as_text=True)
    for action in (
        "added a reviewer key",
        "imported and published a survey",
        "invited an organizer",
        "deleted submissions by retention",
    ):
        assert action in page, action
    assert "command line (" in page


def test_the_respondent_app_still_works_next_to_accounts(organizer: Organizer) -> None:
    respondent = create_app(Config.from_env()).test_client()
    assert respondent.get("/").status_code == 200


def test_organizers_upload_replies_that_only_the_codename_reads(
    logged_in: FlaskClient, client: FlaskClient, reviewer: tuple[Path, ReviewerKey]
) -> None:
    submit_testimony(client, "Canary-Or1 a testimony that gets an answer.")
    codename = codename_on(client.get("/s/testimony/thanks").get_data(as_text=True))
    assert codename
    keys = derive(codename)
    reply = seal_reply("Canary-Or2 come on Tuesday.", keys.public_key, reviewer[1], keys.login_id)
    # A first-format reply (no login id) to a codename that has no box here cannot be filed.
    stranger = seal_reply("lost", derive(new_codename()).public_key, reviewer[1])
    token = csrf_token(logged_in.get("/replies").get_data(as_text=True))
    files = [
        (io.BytesIO(reply), "a.glas-reply"),
        (io.BytesIO(stranger), "b.glas-reply"),
        (io.BytesIO(reply), "c.glas-reply"),
    ]
    response = logged_in.post(
        "/replies",
        data={"csrf_token": token, "file": files},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 reply filed." in page and "b.glas-reply: No codename" in page
    assert "1 reply was filed before; not filed again." in page
    token = csrf_token(client.get("/replies").get_data(as_text=True))
    read = client.post("/replies", data={"csrf_token": token, "codename": codename})
    assert "Canary-Or2 come on Tuesday." in read.get_data(as_text=True)


def test_organizers_publish_the_signed_warning_feed_and_a_tampered_one_is_refused(
    logged_in: FlaskClient, trusted: RunCli, signed_feed: Path, client: FlaskClient
) -> None:
    token = csrf_token(logged_in.get("/alerts").get_data(as_text=True))
    tampered = signed_feed.read_bytes().replace(b"Bit Pazar", b"Karpos", 1)
    response = logged_in.post(
        "/alerts",
        data={"csrf_token": token, "file": (io.BytesIO(tampered), "alerts.signed")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "No warnings are shown yet." in response.get_data(
        as_text=True
    )
    response = logged_in.post(
        "/alerts",
        data={"csrf_token": token, "file": (io.BytesIO(signed_feed.read_bytes()), "a.signed")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "signed by Centre" in response.get_data(as_text=True)
    assert "Karpos" not in client.get("/alerts").get_data(as_text=True)
    assert "published the warning feed" in logged_in.get("/audit").get_data(as_text=True)


def test_staff_are_invited_reset_and_removed_in_the_browser(
    logged_in: FlaskClient, organizer: Organizer
) -> None:
    token = csrf_token(logged_in.get("/staff").get_data(as_text=True))
    page = logged_in.post("/staff", data={"csrf_token": token, "name": "Bojana"})
    text = page.get_data(as_text=True)
    key = re.search(r'<code id="client-key">([A-Z2-7]{52})</code>', text)
    link = re.search(r'<code id="setup-link">http://[a-z2-7]{56}\.onion(/setup/\S+)</code>', text)
    assert key and link and "awaiting setup" in text
    store = Store(Config.from_env())
    assert len(store.active_client_keys()) == 2  # Ana's and Bojana's
    fresh = organizer.client()
    assert fresh.get(link.group(1)).status_code == 200
    again = logged_in.post("/staff/Bojana/reset", data={"csrf_token": token}).get_data(as_text=True)
    second = re.search(r'<code id="setup-link">http://\S+?(/setup/\S+)</code>', again)
    assert second and fresh.get(link.group(1)).status_code == 404
    assert fresh.get(second.group(1)).status_code == 200
    assert "client-key" not in again, "a reset keeps the onion key"
    page = logged_in.post("/staff/Ana/remove", data={"csrf_token": token}, follow_redirects=True)
    assert "cannot remove yourself" in page.get_data(as_text=True)
    asked = logged_in.post("/staff/Bojana/remove", data={"csrf_token": token})
    assert "Remove Bojana?" in asked.get_data(as_text=True)  # asked first, removed nothing yet
    page = logged_in.post(
        "/staff/Bojana/remove",
        data={"csrf_token": token, "confirmed": "yes"},
        follow_redirects=True,
    )
    assert "removed" in page.get_data(as_text=True)
    assert len(store.active_client_keys()) == 1
    assert fresh.get(second.group(1)).status_code == 404
    audit = logged_in.get("/audit").get_data(as_text=True)
    assert "invited an organizer" in audit and "removed an organizer" in audit


def test_a_warning_feed_signer_is_trusted_in_the_browser(
    logged_in: FlaskClient, signing_key: tuple[Path, SigningKey], signed_feed: Path
) -> None:
    token = csrf_token(logged_in.get("/alerts").get_data(as_text=True))
    line = signing_key[1].public_key.to_line()
    data = {"csrf_token": token, "name": "Centre", "key": line}
    page = logged_in.post("/alerts/signers", data=data, follow_redirects=True)
    assert signing_key[1].public_key.readable_fingerprint in page.get_data(as_text=True)
    response = logged_in.post(
        "/alerts",
        data={"csrf_token": token, "file": (io.BytesIO(signed_feed.read_bytes()), "a.signed")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "signed by Centre" in response.get_data(as_text=True)


def test_organizers_choose_whether_respondents_see_reviewer_names(
    logged_in: FlaskClient, client: FlaskClient, reviewer: tuple[Path, ReviewerKey]
) -> None:
    submit_testimony(client, "Canary-On1 a testimony that gets an answer.")
    codename = codename_on(client.get("/s/testimony/thanks").get_data(as_text=True))
    assert codename
    keys = derive(codename)
    reply = seal_reply("Canary-On2 see you Monday.", keys.public_key, reviewer[1], keys.login_id)
    token = csrf_token(logged_in.get("/replies").get_data(as_text=True))
    logged_in.post(
        "/replies",
        data={"csrf_token": token, "file": [(io.BytesIO(reply), "a.glas-reply")]},
        content_type="multipart/form-data",
    )

    def sender() -> str:
        token = csrf_token(client.get("/replies").get_data(as_text=True))
        page = client.post("/replies", data={"csrf_token": token, "codename": codename})
        (line,) = re.findall(r'<p class="from">([^<]+)</p>', page.get_data(as_text=True))
        return line

    assert sender() == "From the centre"
    logged_in.post("/replies/names", data={"csrf_token": token, "show": "1"})
    assert sender() == "From Ana"
    logged_in.post("/replies/names", data={"csrf_token": token})
    assert sender() == "From the centre"


def test_setup_links_are_printed_for_every_address_the_organizer_app_answers_on(
    run_cli: RunCli, data_dir: Path
) -> None:
    alone = run_cli("organizers", "add", "Mila")
    assert alone.exit_code == 0, alone.output
    onion = re.search(r"http://[a-z2-7]{56}\.onion(/setup/\S+)", alone.output)
    assert onion, alone.output
    assert f"http://127.0.0.1:8081{onion.group(1)}" in alone.output
    # While glas serve runs it says where the organizer app listens on this machine.
    status = Config.from_env().onion_dir / "status.json"
    status.write_text(
        json.dumps({"pid": os.getpid(), "local": {"organizer": "http://127.0.0.1:9101/"}})
    )
    served = run_cli("organizers", "reset", "Mila")
    path = re.search(r"http://[a-z2-7]{56}\.onion(/setup/\S+)", served.output)
    assert path and f"On this machine: http://127.0.0.1:9101{path.group(1)}" in served.output
