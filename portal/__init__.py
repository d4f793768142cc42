"""The web portal: an application factory and one blueprint per audience."""

from __future__ import annotations

import logging
import time
import traceback
from types import TracebackType
from typing import cast

from flask import Blueprint, Flask, Request, current_app
from flask_wtf.csrf import CSRFProtect

from glas.languages import LANGUAGES, Language

from .config import (
    MAX_FORM_MEMORY_BYTES,
    MAX_FORM_PARTS,
    ORGANIZER_MAX_REQUEST_BYTES,
    Config,
)
from .errors import register_error_handlers
from .i18n import register_i18n, survey_language
from .sealing import MemoryUploadRequest, SealingRequest
from .security import register_security_headers
from .storage import Store
from .storage.languages import fallback_language

STORE_EXTENSION = "glas.store"
csrf = CSRFProtect()


class GlasFlask(Flask):
    """Flask with sealed uploads and a log that never repeats what a request contained."""

    request_class: type[Request] = SealingRequest

    def log_exception(
        self,
        exc_info: tuple[type[BaseException], BaseException, TracebackType]
        | tuple[None, None, None],
    ) -> None:
        # The exception message and the request path may quote a respondent's input: log only
        # the kind of error and the line of our code that raised it.
        kind, _value, tb = exc_info
        frames = traceback.extract_tb(tb) if tb is not None else []
        where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown place"
        name = kind.__name__ if kind is not None else "error"
        self.logger.error("Unhandled %s at %s (details withheld by design)", name, where)


class OrganizerFlask(GlasFlask):
    """The organizers' app: their uploads (XLSForms, replies, feeds) are small and stay in
    memory; the respondents' sealing request class is not needed here."""

    request_class = MemoryUploadRequest


def create_app(config: Config | None = None, *, prepare: bool = True) -> Flask:
    """Create and configure the respondent application: the only one on the public onion."""
    from .respondent import bp

    return _make_app(config, prepare, bp, GlasFlask)


def create_organizer_app(config: Config | None = None, *, prepare: bool = True) -> Flask:
    """Create and configure the organizer application (its own port and onion)."""
    from .organizer import bp
    from .storage.organizers import dummy_hash

    dummy_hash()  # now, in the master: the first login with an unknown name costs what any does
    app = _make_app(config, prepare, bp, OrganizerFlask)
    app.config.update(
        MAX_CONTENT_LENGTH=ORGANIZER_MAX_REQUEST_BYTES,
        # Its own cookie: never confused with a respondent's session on the same machine.
        SESSION_COOKIE_NAME="glas_organizer",
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    return app


def _make_app(
    config: Config | None, prepare: bool, blueprint: Blueprint, app_class: type[GlasFlask]
) -> Flask:
    """``prepare=False`` is for server workers: ``glas serve`` migrated and swept already, and
    a sweep while another process is receiving an upload would delete its payloads."""
    config = config or Config.from_env()
    store = Store(config)
    if prepare:
        store.initialise()
        store.sweep_leftovers()
    else:
        store.check_schema()

    app = app_class(__name__)
    app.config.from_mapping(
        SECRET_KEY=store.secret_key(),
        MAX_CONTENT_LENGTH=config.max_request_bytes,
        MAX_FORM_MEMORY_SIZE=MAX_FORM_MEMORY_BYTES,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
        # Large uploads over Tor can take longer than Flask-WTF's default hour.
        WTF_CSRF_TIME_LIMIT=None,
        # Views that take uploads must arrange sealing before the form is parsed, so CSRF is
        # checked explicitly (see respondent.views), never by a hook that parses first.
        WTF_CSRF_CHECK_DEFAULT=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        GLAS=config,
    )
    app.extensions[STORE_EXTENSION] = store
    app.logger.setLevel(logging.INFO)
    csrf.init_app(app)
    register_security_headers(app)
    # The respondent side offers every language of its published surveys (issue 30).
    register_i18n(app, offered_languages if app_class is not OrganizerFlask else None)
    register_error_handlers(app)

    app.register_blueprint(blueprint)
    return app


#: How long the offered languages are reused before the database is asked again.
LANGUAGES_TTL_SECONDS = 5.0


def offered_languages() -> tuple[dict[str, Language], str]:
    """The published surveys' languages beyond the interface's, and the organizers' fallback
    interface language. Read again every few seconds, not on every request: a flood of page
    views costs no more queries than a quiet portal."""
    store = current_store()
    now = time.monotonic()
    cached = store.cache.get("languages")
    if cached is None or now - cached[0] > LANGUAGES_TTL_SECONDS:
        codes = {c for p in store.published_surveys() for c in p.survey.languages}
        extra = {c: survey_language(c) for c in sorted(codes) if c not in LANGUAGES}
        cached = (now, (extra, fallback_language(store)))
        store.cache["languages"] = cached
    return cast(tuple[dict[str, Language], str], cached[1])


def current_store() -> Store:
    """The store of the application handling the current request."""
    return cast(Store, current_app.extensions[STORE_EXTENSION])


def current_config() -> Config:
    return cast(Config, current_app.config["GLAS"])
