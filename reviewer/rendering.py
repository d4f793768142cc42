"""HTML for the reviewer: one Jinja environment per language, autoescaped, templates in
reviewer/templates, speaking the reviewer's language from the interface's catalogs."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from glas.messages import catalog, cli_language


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("reviewer", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(catalog(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def render(template: str, **context: Any) -> str:
    language = cli_language()
    return environment(language).get_template(template).render(language=language, **context)
