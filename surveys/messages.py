"""Messages for respondents, translatable without this package knowing about translations.

A :class:`Message` holds an English template and its parameters; ``str()`` gives English (for
the reviewer's tools and logs of tests), and the portal translates the template with gettext
when it shows the message. ``N_`` and ``N_plural`` only mark strings for ``pybabel extract``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(template: str) -> str:
    return template


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


@dataclass(frozen=True)
class Message:
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    plural: str | None = None
    count: int | None = None

    @classmethod
    def counted(cls, forms: tuple[str, str], count: int, **params: Any) -> Message:
        return cls(forms[0], {"num": count, **params}, forms[1], count)

    def __str__(self) -> str:
        template = self.plural if self.plural and self.count != 1 else self.template
        return template % self.params if self.params else template


@dataclass(frozen=True)
class SurveyText:
    """A message the survey's author wrote (``constraint_message``, ``required_message``):
    shown in the survey's own translations, not looked up in the interface catalogs."""

    item: Any
    field: str

    def __str__(self) -> str:
        return str(getattr(self.item, self.field))
