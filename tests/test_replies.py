"""Codenames and replies: a way back to an anonymous respondent that the server cannot follow."""

from __future__ import annotations

import re
import sqlite3
import statistics
import time
from pathlib import Path

from flask.testing import FlaskClient

from crypto.codename import CODENAME_WORDS, derive, new_codename, wordlist
from crypto.keys import ReviewerKey

from .conftest import RunCli, csrf_token
from .helpers import answer_testimony, files_containing, submit_testimony

REPLY = "Canary-Rp7 We can help: come on Tuesday, ask for Mila. Правна помош е бесплатна."


def codename_from_thanks(client: FlaskClient) -> str | None:
    page = client.get("/s/testimony/thanks").get_data(as_text=True)
    found = re.search(r'<p class="words">([a-z \-]+)</p>', page)
    return found.group(1) if found else None


def read_replies(client: FlaskClient, codename: str) -> str:
    token = csrf_token(client.get("/replies").get_data(as_text=True))
    response = client.post("/replies", data={"csrf_token": token, "codename": codename})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_codename_is_seven_words_of_the_eff_list_and_always_gives_the_same_keys() -> None:
    assert len(wordlist()) == 7776 and "abacus" in wordlist()  # from the diceware package
    codename = new_codename()
    assert len(codename.split()) == CODENAME_WORDS
    keys = derive(codename)
    assert derive(f"  {codename.upper()} ") == keys  # case and spacing do not matter
    other = derive(new_codename())
    assert other.login_id != keys.login_id and other.public_key != keys.public_key
    assert keys.login_id != keys.public_key.hex()  # two contexts, two unrelated values


def test_a_testimony_gets_a_codename_once_and_a_reply_reaches_only_that_codename(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, "Canary-Ts1 he took my passport at the bus station.")
    codename = codename_from_thanks(client)
    assert codename is not None and codename_from_thanks(client) is None  # shown only once
    submit_testimony(client, "Another testimony, not answered yet.")
    unanswered = codename_from_thanks(client)
    assert unanswered is not None and unanswered != codename

    answer_testimony(published, reviewer[0], passphrase_file, tmp_path, "Canary-Ts1", REPLY)

    page = read_replies(client, codename)
    assert REPLY in page and "From Ana" in page
    # A wrong codename and a codename without replies get the same page.
    empty = read_replies(client, unanswered)
    wrong = read_replies(client, new_codename())
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", empty) == strip.sub("", wrong) and REPLY not in empty

    # What the server keeps: no reply text, no codename; no table ties a login id to a testimony.
    for secret in (REPLY, codename, "Canary-Rp7"):
        assert files_containing(secret.encode(), data_dir) == []
    database = sqlite3.connect(data_dir / "glas.sqlite3")
    columns = {row[1] for row in database.execute("PRAGMA table_info(reply_boxes)")}
    assert columns == {"login_id", "public_key"}
    login_id = derive(codename).login_id
    for (table_name,) in database.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        if table_name not in ("reply_boxes", "replies"):
            dump = str(database.execute(f"SELECT * FROM {table_name}").fetchall())  # noqa: S608
            assert login_id not in dump, table_name
    database.close()

    # The respondent deletes the reply once read.
    (reply_id,) = re.findall(r'name="reply" value="([0-9a-f]{32})"', page)
    token = csrf_token(page)
    deleted = client.post(
        "/replies/delete",
        data={"csrf_token": token, "codename": codename, "reply": reply_id},
    )
    assert deleted.status_code == 200 and REPLY not in deleted.get_data(as_text=True)


def test_a_wrong_codename_takes_as_long_as_one_without_replies(
    client: FlaskClient, published: RunCli
) -> None:
    submit_testimony(client, "A testimony whose codename has no replies.")
    real = codename_from_thanks(client)
    assert real is not None
    timings: dict[str, list[float]] = {"real": [], "wrong": []}
    for _ in range(8):
        for kind, codename in (("real", real), ("wrong", new_codename())):
            started = time.perf_counter()
            read_replies(client, codename)
            timings[kind].append(time.perf_counter() - started)
    real_median, wrong_median = (statistics.median(timings[k]) for k in ("real", "wrong"))
    # Both do one key derivation and one query: no early return for an unknown codename.
    assert abs(real_median - wrong_median) < 0.25 * max(real_median, wrong_median) + 0.01, timings


def test_a_survey_gives_a_codename_only_when_it_says_replies_true(
    client: FlaskClient, published: RunCli, tmp_path: Path
) -> None:
    definition = tmp_path / "follow-up.yaml"
    definition.write_text(
        "id: follow-up\ntitle: Follow-up\nreplies: true\n"
        "questions:\n  - {name: need, type: text, label: 'What do you need'}\n"
    )
    assert published("surveys", "import", definition, "--publish").exit_code == 0
    for survey, expected in (("follow-up", True), ("needs-assessment", False)):
        form = client.get(f"/s/{survey}").get_data(as_text=True)
        fields = {"csrf_token": csrf_token(form), "need": "a doctor", "services_wanted": "doctor"}
        assert client.post(f"/s/{survey}", data=fields).status_code == 303
        thanks = client.get(f"/s/{survey}/thanks").get_data(as_text=True)
        assert ('class="words"' in thanks) is expected, survey
