"""Codenames and replies: a way back to an anonymous respondent that the server cannot follow."""

from __future__ import annotations

import re
import shlex
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from crypto.codename import (
    CODENAME_DIGITS,
    CODENAME_WORDS,
    GROUP_DIGITS,
    check,
    derive,
    new_codename,
    new_word_codename,
    seal_reply,
)
from crypto.keys import ReviewerKey
from portal import create_app
from portal.config import Config
from portal.respondent.codenames import reply_fields
from portal.storage import Store
from portal.storage.models import ReplyBoxRow
from portal.storage.replies import import_reply, set_show_reviewer_names
from surveys import load_survey_file
from surveys.schema import document_problem

from .conftest import EXAMPLES, PASSPHRASE, RunCli, csrf_token
from .helpers import (
    answer_testimony,
    codename_on,
    confirm_codename,
    decrypt,
    files_containing,
    query,
    submit_testimony,
    table_columns,
    write_back_json,
)

pytestmark = [pytest.mark.both_databases]

REPLY = "Canary-Rp7 We can help: come on Tuesday, ask for Mila. Правна помош е бесплатна."


def codename_from_thanks(client: FlaskClient) -> str | None:
    return codename_on(client.get("/s/testimony/thanks").get_data(as_text=True))


def read_replies(client: FlaskClient, codename: str, status: int = 200) -> str:
    token = csrf_token(client.get("/replies").get_data(as_text=True))
    response = client.post("/replies", data={"csrf_token": token, "codename": codename})
    assert response.status_code == status
    return response.get_data(as_text=True)


def test_a_codename_is_thirty_digits_whose_groups_carry_a_check_digit() -> None:
    codename = new_codename()
    assert re.fullmatch(r"(\d{6} ){4}\d{6}", codename)
    keys = derive(codename)
    assert derive(f"  {codename.replace(' ', '-')} ") == keys  # separators do not matter
    other = derive(new_codename())
    assert other.login_id != keys.login_id and other.public_key != keys.public_key
    assert keys.login_id != keys.public_key.hex()  # two contexts, two unrelated values


def test_every_single_wrong_digit_and_every_swap_of_neighbours_is_named_by_its_group() -> None:
    digits = check(new_codename()).canonical
    for position in range(CODENAME_DIGITS):
        group = position // GROUP_DIGITS + 1
        for replacement in "0123456789":
            if replacement == digits[position]:
                continue
            typed = digits[:position] + replacement + digits[position + 1 :]
            assert check(typed).typo_groups == (group,), typed
        end = position + 1
        if end % GROUP_DIGITS and digits[position] != digits[end]:
            swapped = digits[:position] + digits[end] + digits[position] + digits[end + 1 :]
            assert check(swapped).typo_groups == (group,), swapped


def test_a_typo_is_named_before_any_key_is_derived(client: FlaskClient) -> None:
    digits = check(new_codename()).canonical
    wrong = digits[:14] + str((int(digits[14]) + 1) % 10) + digits[15:]
    page = read_replies(client, wrong, status=422)
    assert "typo in group 3" in page
    assert "you typed 12 digits" in read_replies(client, digits[:12], status=422)


def test_a_testimony_gets_a_codename_it_keeps_until_written_down_and_a_reply_reaches_it(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, "Canary-Ts1 he took my passport at the bus station.")
    codename = codename_from_thanks(client)
    assert codename is not None and codename_from_thanks(client) == codename  # a reload keeps it
    # Not ticked: shown again, with a word why.
    thanks = client.get("/s/testimony/thanks").get_data(as_text=True)
    unticked = client.post("/s/testimony/thanks", data={"csrf_token": csrf_token(thanks)})
    assert unticked.status_code == 422 and codename_on(unticked.get_data(as_text=True)) == codename
    # Meanwhile the cookie holds it sealed with a key only the running app has.
    pending = client.get_cookie("pending", path="/s/")
    assert pending is not None and codename.replace(" ", "") not in pending.value
    assert codename_on(confirm_codename(client)) is None
    assert codename_from_thanks(client) is None  # written down: gone for good
    assert client.get_cookie("pending", path="/s/") is None
    submit_testimony(client, "Another testimony, not answered yet.")
    unanswered = codename_from_thanks(client)
    assert unanswered is not None and unanswered != codename
    confirm_codename(client)

    # Nothing at submission names a codename: no reply box until the first reply arrives.
    assert query("SELECT count(*) FROM reply_boxes") == [(0,)]

    answer_testimony(published, reviewer[0], passphrase_file, tmp_path, "Canary-Ts1", REPLY)
    page = read_replies(client, codename)
    assert REPLY in page and "From the centre" in page and "Ana" not in page
    # Imported again: filed once.
    again = published("replies", "import", tmp_path / "reply.glas-reply")
    assert again.exit_code == 0 and "1 reply was filed before" in again.output
    assert read_replies(client, codename).count(REPLY) == 1
    # The organizers may choose to show reviewers' names.
    set_show_reviewer_names(Store(Config.from_env()), True)
    assert "From Ana" in read_replies(client, codename)

    # A codename without replies and one that never existed get the same page.
    empty = read_replies(client, unanswered)
    wrong = read_replies(client, new_codename())
    strip = re.compile(r"(value=\"[^\"]*\")|(<textarea[^>]*>[^<]*</textarea>)")
    assert strip.sub("", empty) == strip.sub("", wrong) and REPLY not in empty

    # What the server keeps: no reply text, no codename; no table ties a login id to a testimony.
    for secret in (REPLY, codename, codename.replace(" ", ""), "Canary-Rp7"):
        assert files_containing(secret.encode(), data_dir) == []
    tables = table_columns()
    assert tables["reply_boxes"] == {"login_id", "public_key"}
    login_id = derive(codename).login_id
    for table_name in tables:
        if table_name not in ("reply_boxes", "replies"):
            dump = str(query(f"SELECT * FROM {table_name}"))  # noqa: S608
            assert login_id not in dump, table_name

    # The respondent deletes the reply once read.
    (reply_id,) = re.findall(r'name="reply" value="([0-9a-f]{32})"', page)
    token = csrf_token(page)
    deleted = client.post(
        "/replies/delete",
        data={"csrf_token": token, "codename": codename, "reply": reply_id},
    )
    assert deleted.status_code == 200 and REPLY not in deleted.get_data(as_text=True)


def test_an_old_seven_word_codename_still_reads_its_replies(
    client: FlaskClient, published: RunCli, reviewer: tuple[Path, ReviewerKey], tmp_path: Path
) -> None:
    # A box made at submission by the first version, and a glas-reply-1 file (no login id).
    words = new_word_codename()
    assert len(words.split()) == CODENAME_WORDS
    keys = derive(words)
    store = Store(Config.from_env())
    with store.session() as s:
        s.add(ReplyBoxRow(login_id=keys.login_id, public_key=keys.public_key))
    passphrase = PASSPHRASE.encode()
    old_reply = seal_reply(REPLY, keys.public_key, ReviewerKey.load(reviewer[0], passphrase))
    assert b'"glas-reply-1"' in old_reply
    (tmp_path / "old.glas-reply").write_bytes(old_reply)
    assert published("replies", "import", tmp_path / "old.glas-reply").exit_code == 0
    assert REPLY in read_replies(client, words.upper())
    # A first-format reply to a codename the server has no box for cannot be filed.
    stray = seal_reply(REPLY, derive(new_word_codename()).public_key, ReviewerKey.generate())
    (tmp_path / "stray.glas-reply").write_bytes(stray)
    result = published(
        "replies", "import", tmp_path / "stray.glas-reply", tmp_path / "old.glas-reply"
    )
    assert result.exit_code == 2 and "stray.glas-reply" in result.output


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
        assert (codename_on(thanks) is not None) is expected, survey


def test_a_respondent_writes_back_and_the_reviewer_sees_it_in_the_testimonys_thread(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    data_dir: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, "Canary-Wb1 they took my phone at the checkpoint.")
    codename = codename_from_thanks(client)
    assert codename is not None
    confirm_codename(client)
    page = read_replies(client, codename)
    message = "Canary-Wb2 I can come on Thursday, not before."
    token = csrf_token(page)
    sent = client.post(
        "/replies/write", data={"csrf_token": token, "codename": codename, "message": message}
    )
    assert sent.status_code == 200 and "Your message was sent" in sent.get_data(as_text=True)
    # The browser's way: login id and public key only. Malformed ones and empty text are refused.
    keys = derive(codename)
    fields = reply_fields(keys)
    headers = {"X-CSRFToken": token}
    for body, status in (
        ({"login_id": "x", "reply_key": fields["reply_key"], "message": "hi"}, 400),
        ({"login_id": keys.login_id, "reply_key": "A" * 44, "message": "hi"}, 400),
        ({"login_id": keys.login_id, "reply_key": fields["reply_key"], "message": " "}, 422),
        ({"login_id": keys.login_id, "reply_key": fields["reply_key"], "message": "x" * 4001}, 422),
        (
            {"login_id": keys.login_id, "reply_key": fields["reply_key"], "message": "Canary-Wb3"},
            200,
        ),
    ):
        response = write_back_json(client, token, body)
        assert response.status_code == status, (body, response.get_data(as_text=True))
    # Without a solved challenge a write-back is refused: it costs a flooder what a slot does.
    unpaid = {"login_id": keys.login_id, "reply_key": fields["reply_key"], "message": "Unpaid"}
    assert client.post("/replies/write.json", json=unpaid, headers=headers).status_code == 403
    # Nothing readable stays on the server, and the follow-up survey is not on the start page.
    for secret in (message, "Canary-Wb3", codename.replace(" ", ""), keys.login_id):
        assert files_containing(secret.encode(), data_dir) == []
    assert "follow-up" not in client.get("/").get_data(as_text=True)

    bundle, out = tmp_path / "export.glas", tmp_path / "reviewer"
    assert published("export", "--out", bundle).exit_code == 0
    result = decrypt(published, out, [bundle], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    pages = [p for p in out.glob("testimony/*/testimonies/*.html") if p.name != "index.html"]
    (thread,) = [p.read_text() for p in pages]
    assert "Canary-Wb1" in thread and message in thread and "Canary-Wb3" in thread
    assert thread.index(message) > thread.index("Canary-Wb1")


def test_glas_reply_takes_the_short_id_the_report_shows(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, "Canary-Si1 they came at night.")
    bundle, out = tmp_path / "export.glas", tmp_path / "reviewer"
    assert published("export", "--out", bundle).exit_code == 0
    opened = decrypt(published, out, [bundle], [reviewer[0]], passphrase_file)
    assert opened.exit_code == 0, opened.output
    (row,) = [r for r in (out / "testimony").glob("*/answers.csv")]
    submission_id = row.read_text().splitlines()[1].split(",")[0]
    message = tmp_path / "m.txt"
    message.write_text("Come on Monday.")
    common = ["--message-file", message, "--passphrase-file", passphrase_file]
    for typed, code in ((submission_id[:8].upper(), 0), ("0000000", 2), ("zz" * 8, 2)):
        target = tmp_path / f"{typed}.glas-reply"
        result = published("reply", out, typed, "--key", reviewer[0], "--out", target, *common)
        assert result.exit_code == code, result.output
    assert (tmp_path / f"{submission_id[:8].upper()}.glas-reply").is_file()


def test_a_testimony_page_says_her_language_how_to_reply_and_what_was_replied(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    client.get("/?lang=mk")  # she reads the portal in Macedonian
    submit_testimony(client, "Canary-Lg1 they came at night.")
    bundle, out = tmp_path / "export.glas", tmp_path / "reviewer"
    assert published("export", "--out", bundle).exit_code == 0
    assert decrypt(published, out, [bundle], [reviewer[0]], passphrase_file).exit_code == 0
    (page,) = [p for p in out.glob("testimony/*/testimonies/*.html") if p.name != "index.html"]
    submission_id = page.stem
    html = page.read_text()
    assert "Her pages were in: Македонски (mk)" in html
    command = (
        f"glas reply {out.resolve()} {submission_id} --key {reviewer[0].resolve()} "
        f"--message-file reply.txt --out reply-{submission_id[:8]}.glas-reply"
    )
    assert command in html
    # Run as shown (with the test's passphrase file): the reply is on the page at once, and
    # again after decrypting into the same folder.
    (tmp_path / "reply.txt").write_text("Canary-Lg2 come on Monday.")
    words = shlex.split(command)[1:]
    words[words.index("reply.txt")] = str(tmp_path / "reply.txt")
    words[-1] = str(tmp_path / words[-1])
    assert published(*words, "--passphrase-file", passphrase_file).exit_code == 0
    assert "Canary-Lg2 come on Monday." in page.read_text()
    page.unlink()
    assert decrypt(published, out, [bundle], [reviewer[0]], passphrase_file).exit_code == 0
    assert "Canary-Lg2 come on Monday." in page.read_text()


def test_a_forged_or_foreign_pending_cookie_shows_no_codename(client: FlaskClient) -> None:
    submit_testimony(client, "A testimony whose codename is waiting to be written down.")
    real = client.get_cookie("pending", path="/s/")
    assert real is not None
    forged = [
        "x" * 3_000,  # longer than any sealed codename
        "not base64 at all!",
        real.value[:-4] + "AAAA",
        create_app(Config.from_env()).test_client().get("/").get_data(as_text=True)[:50],
    ]
    for value in forged:
        client.set_cookie("pending", value, path="/s/")
        page = client.get("/s/testimony/thanks")
        assert page.status_code == 200 and codename_on(page.get_data(as_text=True)) is None
    # Another survey's thanks page does not show this one's codename either.
    client.set_cookie("pending", real.value, path="/s/")
    assert codename_on(client.get("/s/testimony/thanks").get_data(as_text=True))
    assert codename_on(client.get("/s/needs-assessment/thanks").get_data(as_text=True)) is None


def test_writing_back_with_a_mistyped_codename_stores_nothing(
    client: FlaskClient, data_dir: Path
) -> None:
    digits = check(new_codename()).canonical
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    token = csrf_token(client.get("/replies").get_data(as_text=True))
    response = client.post(
        "/replies/write", data={"csrf_token": token, "codename": wrong, "message": "hello"}
    )
    assert response.status_code == 422 and "typo in group 5" in response.get_data(as_text=True)
    assert query("SELECT count(*) FROM submissions") == [(0,)]


def test_the_same_reply_imported_at_once_from_eight_places_is_filed_once(
    published: RunCli, reviewer: tuple[Path, ReviewerKey], data_dir: Path
) -> None:
    keys = derive(new_codename())
    reply = seal_reply("Once only.", keys.public_key, reviewer[1], keys.login_id)
    store = Store(Config.from_env())
    with ThreadPoolExecutor(max_workers=8) as pool:
        filed = list(pool.map(lambda _: import_reply(store, reply), range(8)))
    assert filed.count(True) == 1
    assert query("SELECT count(*) FROM replies") == [(1,)]


@pytest.mark.parametrize(
    "language", ["<script>", "x" * 9, "mk-" + "a" * 9, 7, None, ["mk"], "mk\n", "a-b-c-d-e-f-g"]
)
def test_a_sealed_language_that_is_not_a_tag_is_refused_by_the_reviewer(language: object) -> None:
    survey = load_survey_file(EXAMPLES / "testimony.yaml")
    document = {"format": "glas-answers-1", "answers": {}, "files": [], "language": language}
    problem = document_problem(survey, survey.id, survey.digest(), document)
    assert problem is not None and "language" in problem
