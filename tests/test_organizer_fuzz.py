"""Throw thousands of odd requests at a real organizer app, logged in: no 5xx, no traceback.

The designer takes text that becomes code-like things (skip-logic expressions, choice lists,
XLSForm workbooks, keys, numbers), so a logged-in session sends random and hostile versions of
each, seeded and reproducible, plus logins that must be throttled, not crash.
"""

from __future__ import annotations

import io
import os
import random
import re
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
import requests

from surveys.model import QUESTION_TYPES

from .conftest import PASSWORD, RunCli, csrf_token
from .helpers import LiveServer, organizer_url_of, stop
from .test_request_fuzz import NASTY

pytestmark = pytest.mark.slow
CASES = 3_000
EXPRESSION_PIECES = [
    "${q1}",
    "${q2}",
    "${nope}",
    ".",
    "'x'",
    '"y"',
    "3",
    "-1.5",
    "=",
    "!=",
    "<",
    ">=",
    "and",
    "or",
    "not",
    "(",
    ")",
    "selected(",
    "count-selected(",
    "string-length(",
    ",",
    "div",
    "mod",
    "+",
    "*",
    "true()",
    "@",
    "${",
    "}",
    "'",
    "\\",
    "\x00",
    "é",
    "__import__",
    "eval(",
]


def expression(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return rng.choice(NASTY)
    return " ".join(rng.choice(EXPRESSION_PIECES) for _ in range(rng.randint(0, 25)))


def workbook(rng: random.Random) -> bytes:
    """Not an XLSForm: random bytes, an empty zip, or a zip with a broken sheet."""
    choice = rng.random()
    if choice < 0.4:
        return os.urandom(rng.randint(0, 3000))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        if choice > 0.6:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("xl/workbook.xml", rng.choice(["<x", "<workbook/>", "\x00" * 10]))
    return out.getvalue()


def question(rng: random.Random) -> dict[str, str]:
    fields = {
        "type": rng.choice([*QUESTION_TYPES, "geopoint", "", rng.choice(NASTY)]),
        "name": rng.choice(["q1", "q2", "1bad", "csrf_token", "", rng.choice(NASTY)]),
        "label": rng.choice(["A question", "", rng.choice(NASTY)]),
        "choices": "\n".join(
            rng.choice(["a = A", "=", "b", "= =", rng.choice(NASTY)])
            for _ in range(rng.randint(0, 5))
        ),
        "minimum": rng.choice(["", "1", "x", "2024-01-01", "1e999", "-0"]),
        "maximum": rng.choice(["", "5", "99999999999999999999", "NaN"]),
        "max_length": rng.choice(["", "10", "-1", "x"]),
        "max_files": rng.choice(["", "3", "1000"]),
        "relevant": expression(rng),
        "constraint": expression(rng),
        "group": rng.choice(["", "g1", rng.choice(NASTY)]),
        "accept": rng.choice(["", "image/*", rng.choice(NASTY)]),
    }
    if rng.random() < 0.5:
        fields["required"] = "y"
    return {k: v for k, v in fields.items() if rng.random() < 0.9}


def organizer_request(rng: random.Random, session: requests.Session, url: str, token: str) -> Any:
    survey = rng.choice(["fz", "fz", "fz", "testimony", "nope"])
    kind = rng.random()
    data: dict[str, Any] = {"csrf_token": token if rng.random() < 0.95 else "bad"}
    if kind < 0.35:
        data.update(question(rng))
        index = rng.choice(["new", "new", "new", "0", "1", "99"])
        return session.post(f"{url}surveys/{survey}/questions/{index}", data=data, timeout=30)
    if kind < 0.45:
        files = {"file": ("form.xlsx", workbook(rng))}
        return session.post(f"{url}surveys/import", data=data, files=files, timeout=30)
    if kind < 0.55:
        data.update(
            {
                "name": rng.choice(["g1", "", rng.choice(NASTY)]),
                "relevant": expression(rng),
                "field_list": "y",
            }
        )
        return session.post(f"{url}surveys/{survey}/groups", data=data, timeout=30)
    if kind < 0.62:
        data.update({"title": rng.choice(["T", "", rng.choice(NASTY)]), "pages": "y"})
        return session.post(f"{url}surveys/{survey}/settings", data=data, timeout=30)
    if kind < 0.68:
        data.update(
            {
                "exported_days": rng.choice(["", "30", "-5", "x", "9" * 30]),
                "all_days": rng.choice(["", "0", "36501"]),
            }
        )
        return session.post(f"{url}submissions/retention", data=data, timeout=30)
    if kind < 0.74:
        data.update(
            {
                "name": rng.choice(["Ana", "", rng.choice(NASTY)]),
                "key": rng.choice(["glas-pk-1:AAAA", "", rng.choice(NASTY)]),
            }
        )
        return session.post(f"{url}reviewers", data=data, timeout=30)
    if kind < 0.80:
        action = rng.choice(["publish", "close", "reopen", "questions/0/move"])
        data["direction"] = rng.choice(["up", "down", "sideways"])
        return session.post(f"{url}surveys/{survey}/{action}", data=data, timeout=30)
    path = rng.choice(
        [
            f"surveys/{survey}",
            f"surveys/{survey}/preview",
            f"surveys/{survey}/xlsform",
            "audit",
            "submissions",
            rng.choice(NASTY).replace("\x00", "%00"),
            "setup/" + "a" * 300,
        ]
    )
    return session.get(url + path, timeout=30)


def test_thousands_of_odd_organizer_requests_give_no_5xx_and_no_traceback(
    live_server: Callable[..., LiveServer], published: RunCli
) -> None:
    live = live_server()
    url = organizer_url_of(live)
    added = published("organizers", "add", "Ana")
    setup = re.search(r"/setup/\S+", added.output)
    assert setup
    session = requests.Session()
    page = session.get(url + setup.group(0).lstrip("/"), timeout=30).text
    secret = re.search(r'<code id="secret">([A-Z2-7 ]+)</code>', page)
    assert secret
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    data = {"csrf_token": csrf_token(page), "password": PASSWORD, "again": PASSWORD}
    session.post(url + setup.group(0).lstrip("/"), data={**data, "code": totp.now()}, timeout=30)
    login = {
        "csrf_token": csrf_token(session.get(url + "login", timeout=30).text),
        "name": "Ana",
        "password": PASSWORD,
        "code": totp.at(time.time() + 30),
    }
    assert session.post(url + "login", data=login, timeout=30).url == url
    token = csrf_token(session.get(url + "surveys", timeout=30).text)
    new = {"csrf_token": token, "id": "fz", "title": "Fuzz", "kind": "survey", "language": "en"}
    session.post(url + "surveys", data=new, timeout=30)

    rng = random.Random(20261123)
    statuses: Counter[int] = Counter()
    for _ in range(CASES):
        statuses[organizer_request(rng, session, url, token).status_code] += 1
    # Logins with odd input from a second browser: throttled after five, never a crash.
    stranger = requests.Session()
    for _ in range(50):
        page = stranger.get(url + "login", timeout=30).text
        odd = {
            "csrf_token": csrf_token(page),
            "name": rng.choice(NASTY),
            "password": rng.choice(NASTY),
            "code": rng.choice(["", "1" * 12, "x"]),
        }
        statuses[stranger.post(url + "login", data=odd, timeout=30).status_code] += 1
    print(f"organizer fuzz: {CASES + 50} cases, statuses {dict(sorted(statuses.items()))}")
    assert not [s for s in statuses if s >= 500], statuses
    assert statuses[429] > 0, "failed logins are throttled"
    stop(live)
    log = live.log.read_text()
    assert "Traceback" not in log and "Unhandled" not in log, log[-3000:]
