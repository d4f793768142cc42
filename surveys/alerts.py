"""The "bad clients and attackers" warning feed: short, vetted warnings for sex workers.

Reviewers write it as YAML on the offline machine from reports they have checked, then sign it
(``glas alerts sign``); the portal shows it newest first, in the respondent's language. A warning
says what happened, where (an area, not an address), which month, and the kind of danger; it
never names a respondent. Like survey definitions, any text may be ``{language: text}``.

The signed payload is the feed's canonical JSON, which the portal reads back with this same
loader (JSON is YAML), so a feed is checked by the same rules at signing and at import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .document import Located, LocatedList, read_document
from .errors import SurveyDefinitionError
from .loader import LANGUAGE_CODE, DefinitionReader
from .model import DEFAULT_LANGUAGE, Translations, text_value

#: The signature context of a warning feed (crypto.signing): a feed signature fits nothing else.
ALERTS_CONTEXT = "glas-alerts-1"
DANGERS = (
    "violence",
    "robbery",
    "refused_payment",
    "condom_removal",
    "threats",
    "police",
    "other",
)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_ALERTS = 500
MAX_AREA = 120
MAX_DESCRIPTION = 600
FEED_KEYS = {"language", "alerts"}
ALERT_KEYS = {"month", "area", "danger", "description"}


@dataclass(frozen=True)
class Alert:
    month: str
    danger: str
    area: str
    description: str
    translations: Translations = ()

    def to_dict(self, language: str) -> dict[str, Any]:
        return {
            "month": self.month,
            "danger": self.danger,
            "area": text_value(self, "area", language),
            "description": text_value(self, "description", language),
        }


@dataclass(frozen=True)
class AlertFeed:
    language: str
    alerts: tuple[Alert, ...]

    def newest_first(self) -> list[Alert]:
        return sorted(self.alerts, key=lambda a: a.month, reverse=True)

    def canonical(self) -> bytes:
        """What is signed: canonical JSON, the same bytes for the same feed."""
        document = {
            "language": self.language,
            "alerts": [a.to_dict(self.language) for a in self.alerts],
        }
        return json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")


def load_alerts_text(data: bytes, source: str = "<alerts>") -> AlertFeed:
    """Read a feed (YAML, or the signed JSON); raise SurveyDefinitionError with every problem."""
    return _AlertReader(source).feed(read_document(data, source))


class _AlertReader(DefinitionReader):
    def feed(self, data: Any) -> AlertFeed:
        if not isinstance(data, Located):
            self.problem(1, "a warning feed is a mapping with language and alerts")
            raise SurveyDefinitionError(self.source, self.problems)
        self.unknown_keys(data, FEED_KEYS, "feed")
        self.language = self.text(data, "language") or DEFAULT_LANGUAGE
        if not LANGUAGE_CODE.match(self.language):
            self.problem(data.key_lines["language"], "'language' is a code such as en, mk or sq")
        items = data.get("alerts")
        alerts: list[Alert] = []
        if not isinstance(items, LocatedList):
            self.problem(data.key_lines.get("alerts", data.line), "'alerts' is a list")
        elif len(items) > MAX_ALERTS:
            self.problem(items.line, f"at most {MAX_ALERTS} alerts: remove old ones")
        else:
            alerts = [a for a in (self.alert(item, items.line) for item in items) if a]
        if self.problems:
            raise SurveyDefinitionError(self.source, self.problems)
        return AlertFeed(self.language, tuple(alerts))

    def alert(self, data: Any, list_line: int) -> Alert | None:
        if not isinstance(data, Located):
            self.problem(
                list_line, "every alert is a mapping with month, area, danger, description"
            )
            return None
        before = len(self.problems)
        self.unknown_keys(data, ALERT_KEYS, "alert")
        month = self.text(data, "month", required=True)
        if month and not MONTH.match(month):
            self.problem(data.key_lines["month"], "'month' is a month like 2026-10 (no day)")
        danger = self.text(data, "danger", required=True)
        if danger and danger not in DANGERS:
            self.problem(data.key_lines["danger"], f"'danger' is one of {', '.join(DANGERS)}")
        area, area_tr = self.translatable(data, "area", required=True)
        description, description_tr = self.translatable(data, "description", required=True)
        for key, texts, limit in (
            ("area", [area, *(t for _, _, t in area_tr)], MAX_AREA),
            ("description", [description, *(t for _, _, t in description_tr)], MAX_DESCRIPTION),
        ):
            if any(len(text) > limit for text in texts):
                self.problem(data.key_lines[key], f"'{key}' is at most {limit} characters")
        if len(self.problems) > before:
            return None
        return Alert(month, danger, area, description, (*area_tr, *description_tr))
