"""The audit log's actions as organizers read them, in their language.

The log stores each action in English (it is a record, and a record does not change language
when its reader does); the page shows the words below translated. An action not listed here
is shown as stored.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from surveys.messages import N_

ACTIONS = frozenset(
    {
        N_("added a group"),
        N_("added a question"),
        N_("added a reviewer key"),
        N_("changed retention"),
        N_("changed the settings of a survey"),
        N_("chose the reviewers of a survey"),
        N_("chose the fallback interface language"),
        N_("closed a survey"),
        N_("created a survey"),
        N_("deleted a group"),
        N_("deleted a question"),
        N_("deleted submissions by retention"),
        N_("discarded a draft"),
        N_("downloaded an export bundle"),
        N_("edited a group"),
        N_("edited a question"),
        N_("exported a bundle"),
        N_("exported an XLSForm"),
        N_("forgot an instance onion"),
        N_("gave an organizer a new setup link"),
        N_("hid reviewer names on replies"),
        N_("imported a survey"),
        N_("imported an XLSForm"),
        N_("imported and published a survey"),
        N_("invited an organizer"),
        N_("logged in"),
        N_("logged out"),
        N_("logged out everywhere"),
        N_("moved a question down"),
        N_("moved a question up"),
        N_("published a survey"),
        N_("published the warning feed"),
        N_("removed a reviewer key"),
        N_("removed an organizer"),
        N_("removed the Onionbalance front"),
        N_("reopened a survey"),
        N_("revoked an organizer onion key"),
        N_("set the Onionbalance front"),
        N_("set up the account"),
        N_("showed reviewer names on replies"),
        N_("translated a survey"),
        N_("trusted a warning-feed signer"),
        N_("uploaded replies"),
    }
)


COMMAND_LINE = re.compile(r"command line \((?P<account>[^)]*)\)")


def actor_words(actor: str) -> str:
    """Who did it: an organizer's name, or the command line (and the system account)."""
    found = COMMAND_LINE.fullmatch(actor)
    if found is None:
        return actor
    return str(gettext("command line (%(account)s)", account=found["account"]))


def action_words(action: str) -> str:
    """``action`` in the organizer's language when it is one of ours, else as stored."""
    return str(gettext(action)) if action in ACTIONS else action
