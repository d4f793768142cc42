"""The ``glas`` command's messages in its user's language.

Reviewers and organizers run these commands in a terminal, often on an offline laptop; the
language comes from ``GLAS_LANGUAGE``, else the usual ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``
and ``LANG``, among the catalogs the web interface ships (the same ``.mo`` files). Text that
names files, keys or commands stays as it is; messages raised inside ``crypto`` and ``surveys``
(file:line problems) stay English, as compilers' do.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import os
from collections.abc import Iterator
from typing import Any

from .languages import DEFAULT_LANGUAGE, LANGUAGES, TRANSLATIONS

LANGUAGE_VARIABLES = ("GLAS_LANGUAGE", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


_chosen: list[str] = []


@contextlib.contextmanager
def speaking(code: str | None) -> Iterator[None]:
    """Speak ``code`` inside this block (a command's ``--language``), if a catalog ships for
    it; the environment's language again after it."""
    saved = list(_chosen)
    if code in LANGUAGES:
        _chosen[:] = [code]
    try:
        yield
    finally:
        _chosen[:] = saved


def cli_language() -> str:
    """The language chosen by a command's option, else the first shipped language the
    environment asks for (``mk_MK.UTF-8`` gives ``mk``)."""
    if _chosen:
        return _chosen[0]
    for variable in LANGUAGE_VARIABLES:
        for part in os.environ.get(variable, "").split(":"):
            code = part.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
            if code in LANGUAGES:
                return code
    return DEFAULT_LANGUAGE


@functools.cache
def catalog(language: str) -> gettext.NullTranslations:
    """The shipped catalog of ``language`` (English, the source, when there is none)."""
    return gettext.translation("messages", TRANSLATIONS, languages=[language], fallback=True)


def _(message: str, **params: Any) -> str:
    text = catalog(cli_language()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, count: int, **params: Any) -> str:
    text = catalog(cli_language()).ngettext(singular, plural, count)
    return text % {"num": count, **params}
