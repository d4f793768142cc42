"""The portal's exceptions, and the one place where errors become HTTP responses.

Error pages say what went wrong and what to do, and the log records only the kind of error and
where it happened: never the message, which might quote an answer.
"""

from __future__ import annotations

import errno
import logging
import sys

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from surveys.errors import TooMuchWork
from surveys.expressions import MAX_CALCULATION_LENGTH
from surveys.model import MAX_INSTANCES

from .storage.errors import (
    AccountError,
    ChunkConflict,
    CodeReused,
    DailyBudgetReached,
    LoginFailed,
    LoginThrottled,
    PortalError,
    StorageError,
    UnknownUpload,
    UploadError,
    UploadIncomplete,
    UploadsFull,
    UploadTooLarge,
)

log = logging.getLogger("glas")

__all__ = [
    "AccountError", "ChunkConflict", "CodeReused", "LoginFailed", "LoginThrottled",
    "PortalError", "StorageError", "UnknownUpload", "UploadError", "UploadIncomplete",
    "UploadTooLarge", "UploadsFull",
]  # fmt: skip


class TooSlow(TimeoutError):
    """Raised while reading a request when the client sends too slowly (gevent_worker.py)."""


class TooManyFiles(RequestEntityTooLarge):
    """Raised while a form streams in when it carries more files than the server accepts."""

    def __init__(self, description: str, max_files: int) -> None:
        super().__init__(description)
        self.max_files = max_files


#: The HTTP answer to each upload error (the store's errors know nothing of HTTP).
UPLOAD_STATUS: dict[type[UploadError], int] = {
    UnknownUpload: 404,
    ChunkConflict: 409,
    UploadIncomplete: 422,
    UploadTooLarge: 413,
    UploadsFull: 503,
}


def upload_status(error: UploadError) -> int:
    return next((code for kind, code in UPLOAD_STATUS.items() if isinstance(error, kind)), 400)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(UploadError)
    def upload_error(error: UploadError) -> ResponseReturnValue:
        # The upload API answers the page's script in JSON; the message is ours, never input.
        status = upload_status(error)
        if request.path.split("/")[3:4] == ["uploads"]:
            return jsonify(error=str(error)), status
        return render_error(status, _title(status), _advice(status))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_error(
            400,
            _("The form has expired or was sent from elsewhere."),
            _("Please go back, reload the page and send it again."),
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
        if isinstance(error, TooManyFiles):
            at_most = str(
                ngettext(
                    "At most %(num)d file can be sent at once.",
                    "At most %(num)d files can be sent at once.",
                    error.max_files,
                )
            )
            return render_error(413, _("Too many files."), at_most)
        limit_mb = (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        return render_error(
            413,
            _("What you sent is too large."),
            _(
                "The limit is %(mb)d MB for everything sent at once, files included. "
                "Please attach fewer or smaller files.",
                mb=limit_mb,
            ),
        )

    @app.errorhandler(DailyBudgetReached)
    def daily_budget(error: DailyBudgetReached) -> ResponseReturnValue:
        app.logger.warning("The storage budget of the day was reached: a submission was refused.")
        return render_error(
            503,
            _("The portal has taken all it can store today."),
            _("What you sent was not kept. Please try again tomorrow."),
        )

    @app.errorhandler(TooMuchWork)
    def too_much_work(error: TooMuchWork) -> ResponseReturnValue:
        # A form no survey page would send (or a survey no importer would accept): refused
        # before it costs more; nothing was stored.
        return render_error(
            413,
            _("What you sent asks for more than this portal handles at once."),
            _(
                "A form can hold at most %(num)d entries in its repeated sections, and an "
                "answer worked out from others at most %(length)d characters. Please go back, "
                "remove some entries and send again.",
                num=MAX_INSTANCES,
                length=MAX_CALCULATION_LENGTH,
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        return render_error(code, _title(code), _advice(code))

    @app.errorhandler(DataError)
    def unstorable(error: DataError) -> ResponseReturnValue:
        # Input the database cannot hold (PostgreSQL refuses a NUL in text): the sender's.
        return render_error(400, _title(400), _advice(400))

    @app.errorhandler(TooSlow)
    def too_slow(error: TooSlow) -> ResponseReturnValue:
        # Expected under a slow-client attack: cut off, not an error of ours, nothing logged.
        return render_error(408, _("The connection was too slow."), _advice(408))

    @app.errorhandler(OSError)
    @app.errorhandler(OperationalError)
    def storage_full_or_internal(error: Exception) -> ResponseReturnValue:
        if _is_storage_full(error):
            app.logger.error("Storage is full: a submission was refused (503).")
            return render_error(
                503,
                _("The server's storage is full."),
                _("What you sent was not kept. Please try again later."),
            )
        return internal_error(error)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> ResponseReturnValue:
        # Handled here, so Flask would not log it: log it the redacted way (GlasFlask).
        app.log_exception(sys.exc_info())
        return render_error(
            500,
            _("Something went wrong on our side."),
            _("Nothing you sent was kept. Please try again later."),
        )


def _(text: str, **variables: object) -> str:
    """Translate for the respondent (Flask-Babel's gettext, typed)."""
    return str(gettext(text, **variables))


def _is_storage_full(error: BaseException) -> bool:
    """True for a full disk or quota, whether the file system or SQLite noticed it."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(error, OperationalError) and "full" in str(error.orig).lower()


def render_error(code: int, title: str, advice: str) -> ResponseReturnValue:
    return render_template("error.html", code=code, title=title, advice=advice), code


def _title(code: int) -> str:
    titles = {
        400: _("The request could not be understood."),
        404: _("Page not found."),
        405: _("This page cannot be used that way."),
        413: _("What you sent is too large."),
        414: _("The address is too long."),
        503: _("The portal cannot take answers right now."),
    }
    return titles.get(code, _("Something went wrong."))


def _advice(code: int) -> str:
    advice = {
        404: _("This page does not exist. Check the address, or start from the home page."),
        405: _("Start from the home page."),
        400: _("Please go back and try again."),
        408: _("Please try again. In Tor Browser, a new circuit for this site may help."),
        503: _("Please try again later."),
    }
    return advice.get(code, _("Please go back and try again."))
