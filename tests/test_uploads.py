"""The JavaScript path's server side: resumable ciphertext uploads and browser-sealed posts.

A browser is played here by Python sealing with crypto/ exactly as the page's worker does (the
real browsers are in test_browser_crypto.py): what matters is what the server accepts, refuses,
stores once, and cleans up.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from crypto.codename import new_codename
from crypto.keys import ReviewerKey
from portal import create_app, current_store
from portal.config import Config
from portal.respondent import work
from portal.storage.models import ReplyBoxRow
from portal.storage.uploads import (
    EMPTY_SECONDS,
    RATE_GRACE_SECONDS,
    UPLOAD_CHUNK_SIZE,
    UPLOAD_IDLE_SECONDS,
    UPLOAD_LIFETIME_SECONDS,
    work_bits,
)

from .conftest import csrf_token
from .helpers import codename_on, open_bundle, query, seal_like_the_browser, submit_testimony

pytestmark = [pytest.mark.both_databases]


class Browser:
    """What glas-form.js does, one HTTP request at a time."""

    def __init__(self, client: FlaskClient, survey: str = "testimony") -> None:
        self.client = client
        self.survey = survey
        self.token = csrf_token(client.get(f"/s/{survey}").get_data(as_text=True))
        self.headers = {"X-CSRFToken": self.token}

    def client_definition(self) -> dict[str, Any]:
        page = self.client.get(f"/s/{self.survey}").get_data(as_text=True)
        url = page.split('data-client="', 1)[1].split('"', 1)[0]
        return dict(self.client.get(url).get_json())

    def create(self, size: int | None = None) -> dict[str, Any]:
        response = self.ask_upload(size)
        assert response.status_code == 201, response.get_data(as_text=True)
        return dict(response.get_json())

    def ask_upload(self, size: int | None = None) -> Any:
        """Solve the proof of work and ask for an upload slot, as the page's script does."""
        url = f"/s/{self.survey}/uploads"
        puzzle = self.client.post(f"{url}/challenge", headers=self.headers).get_json()
        body: dict[str, Any] = {
            "challenge": puzzle["challenge"],
            "proof": work.solve(puzzle["challenge"], puzzle["bits"]),
        }
        if size is not None:
            body["bytes"] = size
        return self.client.post(url, headers=self.headers, json=body)

    def put(self, upload: dict[str, Any], part: str, index: int, data: bytes) -> Any:
        return self.client.put(
            f"{upload['url']}/{part}/{index}",
            data=data,
            headers={**self.headers, "Content-Type": "application/octet-stream"},
        )

    def finish(self, upload: dict[str, Any], part: str, chunks: int) -> Any:
        return self.client.post(
            f"{upload['url']}/{part}/finish", json={"chunks": chunks}, headers=self.headers
        )

    def post(self, envelope: dict[str, Any]) -> Any:
        fields = {"csrf_token": self.token, "glas_envelope": json.dumps(envelope)}
        return self.client.post(f"/s/{self.survey}", data=fields)


def upload_all(browser: Browser, upload: dict[str, Any], ciphertext: bytes) -> int:
    chunks = [
        ciphertext[i : i + UPLOAD_CHUNK_SIZE] for i in range(0, len(ciphertext), UPLOAD_CHUNK_SIZE)
    ]
    for index, chunk in enumerate(chunks):
        assert browser.put(upload, "file-0", index, chunk).status_code == 201
    return len(chunks)


def uploads_dir(data_dir: Path) -> Path:
    return data_dir / "blobs" / ".uploads"


# What the server holds of uploads in progress, in files (SQLite) or in the database
# (PostgreSQL, tests/postgres.py), read the same way by the tests below.


def open_uploads(app: Flask, data_dir: Path) -> set[str]:
    """The tokens of the uploads the server holds."""
    with app.app_context():
        if current_store().shared:
            return {t for (t,) in query("SELECT token FROM uploads")}
    folder = uploads_dir(data_dir)
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def stored_chunks(app: Flask, data_dir: Path) -> list[tuple[str, bytes]]:
    """Every chunk the server holds: its number and its bytes."""
    with app.app_context():
        if current_store().shared:
            return [(str(n), bytes(d)) for n, d in query("SELECT seq, data FROM upload_chunks")]
    files = uploads_dir(data_dir).rglob("*")
    return [(p.name, p.read_bytes()) for p in files if p.is_file() and p.name != "upload.json"]


def change_upload(
    app: Flask, data_dir: Path, token: str, version: str = "", idle: float = 0
) -> None:
    """Tamper with an upload's state as a seized and modified server could: its version, or
    when it was last touched (``idle`` seconds ago)."""
    with app.app_context():
        store = current_store()
        if store.shared:
            with store.engine.begin() as connection:
                if version:
                    connection.execute(
                        text("UPDATE uploads SET version = :v WHERE token = :t"),
                        {"v": version, "t": token},
                    )
                if idle:
                    moment = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
                    connection.execute(
                        text("UPDATE uploads SET touched = :m WHERE token = :t"),
                        {"m": moment - datetime.timedelta(seconds=idle), "t": token},
                    )
            return
    if version:
        meta_file = uploads_dir(data_dir) / token / "upload.json"
        meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "version": version}))
    if idle:
        long_ago = time.time() - idle
        os.utime(uploads_dir(data_dir) / token, (long_ago, long_ago))


def count(app: Flask) -> int:
    with app.app_context():
        return current_store().count_submissions()


def test_a_browser_sealed_submission_is_stored_and_decrypts(
    app: Flask,
    client: FlaskClient,
    data_dir: Path,
    reviewer: tuple[Path, ReviewerKey],
    published: Any,
    tmp_path: Path,
) -> None:
    browser = Browser(client)
    upload = browser.create()
    attachment = os.urandom(UPLOAD_CHUNK_SIZE + 1000)  # two chunks of ciphertext
    envelope, ciphertext = seal_like_the_browser(browser.client_definition(), upload, attachment)
    chunks = upload_all(browser, upload, ciphertext)
    assert browser.finish(upload, "file-0", chunks).get_json() == {"size": len(ciphertext)}
    response = browser.post(envelope)
    assert response.status_code == 303 and response.headers["Location"].endswith("/thanks")
    assert open_uploads(app, data_dir) == set()  # the upload became the submission

    bundle = tmp_path / "export.glas"
    assert published("export", "--out", bundle).exit_code == 0
    (opened,), failed = open_bundle(bundle, reviewer[1], tmp_path / "out")
    assert not failed and opened.record.submission_id == upload["submission_id"]
    assert opened.answers["answers"]["what_happened"] == "Sealed in the browser, told here."
    (path,) = opened.files.values()
    assert path.read_bytes() == attachment


def test_a_chunk_sent_again_is_stored_once_and_a_different_one_is_refused(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    browser = Browser(client)
    upload = browser.create()
    first = browser.put(upload, "file-0", 0, b"c" * 1000)
    again = browser.put(upload, "file-0", 0, b"c" * 1000)
    other = browser.put(upload, "file-0", 0, b"d" * 1000)
    assert (first.status_code, first.get_json()) == (201, {"stored": True})
    assert (again.status_code, again.get_json()) == (200, {"stored": False})
    assert other.status_code == 409 and "error" in other.get_json()
    assert stored_chunks(app, data_dir) == [("0", b"c" * 1000)]


def test_finish_needs_every_chunk_and_the_shape_of_a_whole_stream(client: FlaskClient) -> None:
    browser = Browser(client)
    upload = browser.create()
    browser.put(upload, "file-0", 0, b"x" * UPLOAD_CHUNK_SIZE)
    browser.put(upload, "file-0", 2, b"x" * 100)
    assert browser.finish(upload, "file-0", 3).status_code == 422  # chunk 1 is missing
    assert browser.finish(upload, "file-0", 10**20).status_code == 422  # found by the fuzzer
    assert browser.finish(upload, "file-0", 0).status_code == 422
    browser.put(upload, "file-0", 1, b"x" * 1000)
    assert browser.finish(upload, "file-0", 2).status_code == 422  # chunk 2 was not counted
    # 24 + 65,553 * 64 = 4,195,416 bytes: 4 MiB + 1,000 + 100 has a final chunk of a few bytes,
    # shorter than any secretstream chunk can be.
    upload = browser.create()
    browser.put(upload, "file-0", 0, b"x" * UPLOAD_CHUNK_SIZE)
    size = 24 + 65553 * 64 + 5 - UPLOAD_CHUNK_SIZE
    browser.put(upload, "file-0", 1, b"x" * size)
    assert browser.finish(upload, "file-0", 2).status_code == 422
    upload = browser.create()
    browser.put(upload, "file-0", 0, b"x" * (24 + 17))
    assert browser.finish(upload, "file-0", 1).get_json() == {"size": 41}
    assert browser.finish(upload, "file-0", 1).get_json() == {"size": 41}  # idempotent


def test_uploads_are_refused_beyond_the_limits_and_without_a_token(
    client: FlaskClient,
) -> None:
    browser = Browser(client)
    upload = browser.create()
    assert browser.put(upload, "file-10", 0, b"x").status_code == 413  # GLAS_MAX_FILES is 10
    assert browser.put(upload, "../../etc", 0, b"x").status_code in (404, 413)
    assert browser.put(upload, "file-0", 10**6, b"x").status_code == 413
    assert browser.put(upload, "file-0", 0, b"x" * (UPLOAD_CHUNK_SIZE + 1)).status_code == 413
    assert browser.put(upload, "file-0", 0, b"").status_code in (411, 413)  # empty: no length
    unknown = {**upload, "url": upload["url"].rsplit("/", 1)[0] + "/" + "0" * 32}
    assert browser.put(unknown, "file-0", 0, b"x").status_code == 404
    elsewhere = {**upload, "url": upload["url"].replace("/testimony/", "/needs-assessment/")}
    assert browser.put(elsewhere, "file-0", 0, b"x").status_code == 404
    no_token = client.put(f"{upload['url']}/file-0/0", data=b"x")
    assert no_token.status_code == 400
    assert client.post("/s/testimony/uploads").status_code == 400


@pytest.mark.parametrize("damage", ["slots", "version", "garbage", "unfinished", "answers"])
def test_a_browser_post_that_does_not_fit_is_refused_and_nothing_is_stored(
    app: Flask, client: FlaskClient, data_dir: Path, damage: str
) -> None:
    browser = Browser(client)
    upload = browser.create()
    envelope, ciphertext = seal_like_the_browser(browser.client_definition(), upload, b"photo")
    if damage != "unfinished":
        browser.put(upload, "file-0", 0, ciphertext)
        browser.finish(upload, "file-0", 1)
    else:
        browser.put(upload, "file-0", 0, ciphertext[:10])
    if damage == "slots":
        envelope["slots"] = envelope["slots"] * 2
    if damage == "version":
        change_upload(app, data_dir, upload["upload"], version="0" * 64)
    if damage == "answers":
        envelope["answers"] = base64.b64encode(b"x" * 1000).decode()
    text = "not json" if damage == "garbage" else envelope
    response = (
        browser.post(text)
        if damage != "garbage"
        else client.post("/s/testimony", data={"csrf_token": browser.token, "glas_envelope": text})
    )
    assert response.status_code == (409 if damage in ("slots", "version") else 400)
    assert "<h1>" in response.get_data(as_text=True)
    assert count(app) == 0


def test_uploads_nobody_touches_expire_and_the_start_up_sweep_keeps_live_ones(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    browser = Browser(client)
    old, fresh = browser.create(), browser.create()
    browser.put(fresh, "file-0", 0, b"x")
    change_upload(app, data_dir, old["upload"], idle=UPLOAD_IDLE_SECONDS + 60)
    with app.app_context():
        current_store().sweep_leftovers()
    assert open_uploads(app, data_dir) == {fresh["upload"]}
    assert browser.put(fresh, "file-0", 1, b"y").status_code == 201  # resumes after a restart


def test_a_flood_of_upload_claims_neither_locks_out_a_respondent_nor_outgrows_the_budget(
    data_dir: Path, published: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claims hold no disk: the budget counts bytes stored, and empty uploads go in a minute."""
    monkeypatch.setenv("GLAS_MAX_REQUEST_MB", "16")
    monkeypatch.setenv("GLAS_UPLOAD_BUDGET_MB", "8")
    app = create_app(Config.from_env())
    attacker, respondent = Browser(app.test_client()), Browser(app.test_client())
    claims = [attacker.ask_upload(10**12).status_code for _ in range(40)]
    assert claims == [201] * 40  # each claims the limit; none of it is held back
    mine = respondent.create(3 * 2**20)
    chunk = b"c" * UPLOAD_CHUNK_SIZE
    assert respondent.put(mine, "file-0", 0, chunk[: 3 * 2**20]).status_code == 201
    # An attacker who sends real bytes fills the budget, and the next chunk finds no room.
    flooding = attacker.create(16 * 2**20)
    assert attacker.put(flooding, "file-0", 0, chunk).status_code == 201
    with app.app_context():
        current_store().uploads._total = (0.0, 0)  # count again now, not in two seconds
    refused = attacker.put(flooding, "file-0", 1, chunk)
    assert refused.status_code == 503 and "no room" in refused.get_json()["error"]
    # Uploads that received nothing are gone a minute later; the respondent's stays.
    a_minute_on = time.time() + EMPTY_SECONDS + 5
    with app.app_context():
        assert current_store().uploads.sweep(a_minute_on) == 40
    assert open_uploads(app, data_dir) == {mine["upload"], flooding["upload"]}


def test_an_upload_stores_no_more_than_it_announced(client: FlaskClient) -> None:
    browser = Browser(client)
    upload = browser.create(1000)
    assert browser.put(upload, "file-0", 0, b"x" * 1000).status_code == 201
    assert browser.put(upload, "file-0", 1, b"y").status_code == 413


def test_the_last_chunk_sent_again_after_a_lost_answer_is_confirmed_not_refused(
    client: FlaskClient,
) -> None:
    # Found by the browser test of a dropped chunk: the chunk that fills the upload was stored,
    # its answer lost, and sending it again was "larger than announced" (413).
    browser = Browser(client)
    upload = browser.create(1000)
    assert browser.put(upload, "file-0", 0, b"x" * 1000).status_code == 201
    again = browser.put(upload, "file-0", 0, b"x" * 1000)
    assert (again.status_code, again.get_json()) == (200, {"stored": False})
    assert browser.put(upload, "file-0", 0, b"z" * 1000).status_code == 409
    assert browser.put(upload, "file-0", 1, b"y").status_code == 413


def test_an_upload_slot_costs_a_solved_fresh_unused_challenge(client: FlaskClient) -> None:
    browser = Browser(client)
    url = "/s/testimony/uploads"

    def ask(body: dict[str, Any]) -> Any:
        return client.post(url, headers=browser.headers, json=body)

    puzzle = client.post(f"{url}/challenge", headers=browser.headers).get_json()
    challenge, bits = puzzle["challenge"], puzzle["bits"]
    assert bits == 14
    proof = work.solve(challenge, bits)
    assert ask({}).status_code == 403  # no proof at all
    raw = base64.urlsafe_b64decode(challenge)
    miss = next(c for c in range(100) if not work._solves(raw, 0, c, bits))
    wrong = [miss, *proof[1:]]
    assert ask({"challenge": challenge, "proof": wrong}).get_json()["error"]
    assert ask({"challenge": challenge, "proof": proof[:-1]}).status_code == 403
    forged = challenge[:-4] + ("AAAA" if challenge[-4:] != "AAAA" else "BBBB")
    assert ask({"challenge": forged, "proof": work.solve(forged, bits)}).status_code == 403
    assert ask({"challenge": challenge, "proof": proof}).status_code == 201
    assert ask({"challenge": challenge, "proof": proof}).status_code == 403  # used once only
    for hostile in ("", "!!", "A" * 10_000, 7, None):
        assert ask({"challenge": hostile, "proof": proof}).status_code == 403


def test_an_old_challenge_is_refused(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = Browser(client)
    puzzle = client.post("/s/testimony/uploads/challenge", headers=browser.headers).get_json()
    later = time.time() + (work.VALID_MINUTES + 2) * 60
    monkeypatch.setattr(work.time, "time", lambda: later)
    body = {"challenge": puzzle["challenge"], "proof": work.solve(puzzle["challenge"], 14)}
    response = client.post("/s/testimony/uploads", headers=browser.headers, json=body)
    assert response.status_code == 403 and "expired" in response.get_json()["error"]


def test_with_javascript_the_server_hears_nothing_of_the_codename_and_opens_no_box(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    # An earlier testimony sent without JavaScript, its codename never confirmed...
    submit_testimony(client, "An earlier testimony, sent without JavaScript.")
    assert client.get_cookie("pending", path="/s/") is not None
    browser = Browser(client)
    upload = browser.create()
    # The page makes the codename itself: the upload's answer carries nothing of one.
    assert not {"codename", "reply_key", "reply_login"} & set(upload)
    envelope, ciphertext = seal_like_the_browser(browser.client_definition(), upload, b"photo")
    chunks = upload_all(browser, upload, ciphertext)
    assert browser.finish(upload, "file-0", chunks).status_code == 200
    # Even a page that sends a codename along gets no box opened for it.
    codename = new_codename()
    assert browser.post({**envelope, "codename": codename}).status_code == 303
    with app.app_context(), current_store().session() as s:
        assert s.scalar(select(func.count()).select_from(ReplyBoxRow)) == 0
    # ...is not shown in place of the one this page made.
    assert client.get_cookie("pending", path="/s/") is None
    assert codename_on(client.get("/s/testimony/thanks").get_data(as_text=True)) is None


def test_a_solved_challenge_opens_one_upload_in_every_process_that_shares_the_database(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another server process (or another node behind Onionbalance) on the same database.
    other = create_app(Config.from_env()).test_client()
    browser = Browser(client)
    puzzle = client.post("/s/testimony/uploads/challenge", headers=browser.headers).get_json()
    body = {"challenge": puzzle["challenge"], "proof": work.solve(puzzle["challenge"], 14)}
    first = client.post("/s/testimony/uploads", headers=browser.headers, json=body)
    assert first.status_code == 201
    token = csrf_token(other.get("/s/testimony").get_data(as_text=True))
    again = other.post("/s/testimony/uploads", headers={"X-CSRFToken": token}, json=body)
    assert again.status_code == 403 and "used already" in again.get_json()["error"]

    # The spent challenge is forgotten once it has expired: nothing piles up.
    assert query("SELECT count(*) FROM used_challenges") == [(1,)]
    later = time.time() + (work.VALID_MINUTES + 2) * 60
    monkeypatch.setattr(work.time, "time", lambda: later)
    Browser(client).create()
    assert query("SELECT count(*), min(minute) FROM used_challenges") == [(1, int(later // 60))]


def test_a_trickle_of_one_byte_chunks_keeps_no_slot_past_its_quarter_hour_or_its_day(
    app: Flask, client: FlaskClient, data_dir: Path
) -> None:
    """Before, each 1-byte chunk touched the slot again: one slot lived about 13 days."""
    browser = Browser(client)
    trickle, real = browser.create(), browser.create()
    assert browser.put(trickle, "file-0", 0, b"x").status_code == 201
    # A real respondent's photo: far above the minimum rate over the same time.
    assert browser.put(real, "file-0", 0, b"p" * 400_000).status_code == 201
    sixteen_minutes_on = time.time() + RATE_GRACE_SECONDS + 60
    touch_at(app, data_dir, [trickle["upload"], real["upload"]], sixteen_minutes_on)
    with app.app_context():
        assert current_store().uploads.sweep(sixteen_minutes_on) == 1
    assert open_uploads(app, data_dir) == {real["upload"]}
    # However busy, no slot outlives a day.
    a_day_on = time.time() + UPLOAD_LIFETIME_SECONDS + 120
    touch_at(app, data_dir, [real["upload"]], a_day_on)
    with app.app_context():
        assert current_store().uploads.sweep(a_day_on) == 1
    assert open_uploads(app, data_dir) == set()


def touch_at(app: Flask, data_dir: Path, tokens: list[str], moment: float) -> None:
    """Mark uploads as touched at ``moment`` (a chunk just came), as the clock would say then."""
    for token in tokens:
        change_upload(app, data_dir, token, idle=time.time() - moment)


def test_the_proof_of_work_grows_with_the_slots_open(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [work_bits(14, n, 28) for n in (0, 63, 64, 127, 128, 10_000, 10**9)] == [
        14, 14, 15, 15, 16, 22, 28,
    ]  # fmt: skip
    assert work_bits(0, 10**6, 28) == 0  # switched off stays off
    browser = Browser(client)
    url = "/s/testimony/uploads/challenge"
    assert client.post(url, headers=browser.headers).get_json()["bits"] == 14
    with app.app_context():
        store = current_store()
        for _ in range(130):
            store.uploads.create("testimony", "v" * 64, 0)
        store.uploads._open = (0.0, 0)  # count again now
    harder = client.post(url, headers=browser.headers).get_json()
    assert harder["bits"] == 16
    # What a challenge asks is sealed in it: the page pays what it was told, no less.
    body = {"challenge": harder["challenge"], "proof": work.solve(harder["challenge"], 14)}
    refused = client.post("/s/testimony/uploads", headers=browser.headers, json=body)
    assert refused.status_code == 403
    body["proof"] = work.solve(harder["challenge"], 16)
    assert (
        client.post("/s/testimony/uploads", headers=browser.headers, json=body).status_code == 201
    )
