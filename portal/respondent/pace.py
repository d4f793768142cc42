"""A pace for what is sent without JavaScript: a few sends a session, then one every two
minutes (a token bucket kept in the session cookie, signed; nothing is kept on the server).

With JavaScript every submission and write-back pays a proof of work (work.py); without it a
page cannot solve one, so the session's own bucket stands in. A flooder can start new sessions,
each from the form's page, which costs a request and a page per send; the day's storage budget
(storage/budget.py) bounds what any flood stores. The bucket holds minutes, never a finer time.
"""

from __future__ import annotations

import time

from flask import session

from surveys.messages import N_

SESSION_KEY = "sends"
#: Sends a session may make at once (a respondent sends a survey or two, and a write-back).
CAPACITY = 5
#: One more send every this many minutes, up to the capacity.
REFILL_MINUTES = 2
TOO_FAST = N_(
    "You have sent several times in a few minutes. Your answers are still here: please wait "
    "two minutes, then press Send again."
)


def take_send() -> bool:
    """Spend one send of this session's bucket; False when it is empty (too many, too fast)."""
    now = int(time.time() // 60)
    kept = session.get(SESSION_KEY)
    if (
        isinstance(kept, list)
        and len(kept) == 2
        and all(type(v) is int for v in kept)
        and 0 <= kept[0] <= CAPACITY
        and kept[1] <= now
    ):
        tokens, at = kept
    else:
        tokens, at = CAPACITY, now
    refilled = (now - at) // REFILL_MINUTES
    if refilled:
        tokens, at = min(CAPACITY, tokens + refilled), at + refilled * REFILL_MINUTES
    if tokens < 1:
        return False
    session[SESSION_KEY] = [tokens - 1, at if tokens - 1 < CAPACITY else now]
    return True
