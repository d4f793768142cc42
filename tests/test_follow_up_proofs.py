"""A follow-up is shown as the respondent's only when the codename proves it (issue 27 G3).

Before, a follow-up carried the codename's login id and public key, both in the server's
``reply_boxes`` table once a reply was imported: anyone holding the database could write "as"
her, and the reviewer's thread showed it under "Written back under the same codename". Now each
follow-up carries a proof per reviewer — a crypto_box from the codename's secret key of a digest
of the message — made in the browser, or by the server in the one no-JavaScript request that
holds the typed codename. The reviewer opens it with the *testimony's* key; anything else filed
under the login id is shown apart, with a warning.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from crypto.codename import (
    check_follow_up_proof,
    derive,
    follow_up_proof,
    new_codename,
    seal_reply,
)
from crypto.keys import ReviewerKey

from .conftest import RunCli, csrf_token
from .helpers import confirm_codename, decrypt, query, submit_testimony, write_back_json

pytestmark = [pytest.mark.both_databases]

OWN_NO_JS = "Canary-Pf1 I can come on Thursday."
OWN_BROWSER = "Canary-Pf2 Thank you, Friday is better."
NO_PROOF = "Canary-Pf3 forged: come alone to the car park."
WRONG_KEY = "Canary-Pf4 forged with a proof of another codename."
OTHER_KEY = "Canary-Pf5 forged under another key."


def test_a_proof_opens_only_with_the_codenames_key_and_only_for_this_message() -> None:
    keys, other = derive(new_codename()), derive(new_codename())
    reviewer = ReviewerKey.generate()
    key = base64.b64encode(keys.public_key).decode()
    proof = follow_up_proof("hello", keys, [reviewer.public_key])
    assert check_follow_up_proof("hello", keys.login_id, key, proof, reviewer)
    assert not check_follow_up_proof("hello!", keys.login_id, key, proof, reviewer)
    assert not check_follow_up_proof("hello", other.login_id, key, proof, reviewer)
    other_key = base64.b64encode(other.public_key).decode()
    assert not check_follow_up_proof("hello", keys.login_id, other_key, proof, reviewer)
    assert not check_follow_up_proof("hello", keys.login_id, key, proof, ReviewerKey.generate())
    for hostile in (None, [], {"x": 1}, {reviewer.public_key.key_id: "!!"}, "proof"):
        assert not check_follow_up_proof("hello", keys.login_id, key, hostile, reviewer)


def test_follow_ups_without_a_proof_from_the_testimonys_key_are_shown_apart(
    client: FlaskClient,
    published: RunCli,
    reviewer: tuple[Path, ReviewerKey],
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    submit_testimony(client, "Canary-Pf0 they took my passport.")
    codename = confirm_and_read(client)
    keys = derive(codename)
    # A reply opens her box: the database now holds her login id and public key.
    reply = tmp_path / "reply.glas-reply"
    reply.write_bytes(seal_reply("We read you.", keys.public_key, reviewer[1], keys.login_id))
    assert published("replies", "import", reply).exit_code == 0
    ((login_id, stored_key),) = query("SELECT login_id, public_key FROM reply_boxes")
    box_key = base64.b64encode(bytes(stored_key)).decode()

    token = csrf_token(client.get("/replies").get_data(as_text=True))
    sent = client.post(
        "/replies/write", data={"csrf_token": token, "codename": codename, "message": OWN_NO_JS}
    )
    assert sent.status_code == 200
    reviewers = [reviewer[1].public_key]

    def write(message: str, key: str, proof: object = None) -> None:
        body = {"login_id": login_id, "reply_key": key, "message": message}
        if proof is not None:
            body["reply_proof"] = proof
        response = write_back_json(client, token, body)
        assert response.status_code == 200, response.get_data(as_text=True)

    write(OWN_BROWSER, box_key, follow_up_proof(OWN_BROWSER, keys, reviewers))  # her browser
    write(NO_PROOF, box_key)  # whoever holds the database, with what it holds
    attacker = derive(new_codename())
    write(WRONG_KEY, box_key, follow_up_proof(WRONG_KEY, attacker, reviewers))
    own_key = base64.b64encode(attacker.public_key).decode()
    write(OTHER_KEY, own_key, follow_up_proof(OTHER_KEY, attacker, reviewers))
    malformed = {
        "login_id": login_id,
        "reply_key": box_key,
        "message": "x",
        "reply_proof": {"a": 1},
    }
    assert write_back_json(client, token, malformed).status_code == 422

    bundle, out = tmp_path / "export.glas", tmp_path / "out"
    assert published("export", "--out", bundle).exit_code == 0
    result = decrypt(published, out, [bundle], [reviewer[0]], passphrase_file)
    assert result.exit_code == 0, result.output
    (page,) = [p for p in out.glob("testimony/*/testimonies/*.html") if p.name != "index.html"]
    html = page.read_text()
    own, _, apart = html.partition("cannot be proven to come from it")
    assert OWN_NO_JS in own and OWN_BROWSER in own
    for forged in (NO_PROOF, WRONG_KEY, OTHER_KEY):
        assert forged in apart and forged not in own, forged
    report = (out / "report.html").read_text()
    assert "3 follow-ups claim a testimony's codename without proof" in report


def test_a_proof_sealed_by_a_modified_browser_is_checked_like_any_answer(
    client: FlaskClient, published: RunCli
) -> None:
    submit_testimony(client, "Canary-Pf6 a testimony.")
    codename = confirm_and_read(client)
    keys = derive(codename)
    token = csrf_token(client.get("/replies").get_data(as_text=True))
    key = base64.b64encode(keys.public_key).decode()
    for proof in (
        {},
        {"0" * 40: "A" * 95},
        {"g" * 40: "A" * 96},
        dict.fromkeys(map(str, range(51))),
    ):
        body = {"login_id": keys.login_id, "reply_key": key, "message": "x", "reply_proof": proof}
        assert write_back_json(client, token, body).status_code == 422, proof


def confirm_and_read(client: FlaskClient) -> str:
    page = client.get("/s/testimony/thanks").get_data(as_text=True)
    groups = re.findall(r'<span class="group">(\d{6})</span>', page)
    confirm_codename(client)
    return " ".join(groups)
