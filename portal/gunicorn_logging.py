"""A gunicorn logger that never writes what a request contained, nor who sent it.

Gunicorn's own messages about bad requests quote the client address and the offending request
line or header ("Invalid request from ip=…: Invalid HTTP Header: '…'"), and its handler for
crashed requests logs the URI with a traceback. For a portal whose respondents fear the police,
the log keeps only the kind of event.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

#: Gunicorn messages that carry request data, and what is written instead.
REDACTED = {
    "Invalid request from ip": "Refused an invalid HTTP request (details withheld by design).",
    "Error handling request": "Error while handling a request (details withheld by design).",
    "Socket error processing request": "Socket error in a request (details withheld by design).",
    "Ignored premature client disconnection": "A client disconnected early.",
    "Closing connection": "Closed a connection.",
    "HTTP/2 stream closed": "An HTTP/2 stream closed.",
}


def _redacted(msg: Any) -> str | None:
    text = str(msg)
    return next((safe for prefix, safe in REDACTED.items() if text.startswith(prefix)), None)


class RedactingLogger(Logger):  # type: ignore[misc]
    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if safe := _redacted(msg):
            super().warning(safe)
        else:
            super().warning(msg, *args, **kwargs)

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if safe := _redacted(msg):
            super().error(safe)
        else:
            super().error(msg, *args, **kwargs)

    def exception(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        # A traceback's last line quotes the exception message, which may quote the request.
        super().error(_redacted(msg) or "Unhandled error in the web server (details withheld).")

    def debug(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        if safe := _redacted(msg):
            super().debug(safe)
        else:
            super().debug(msg, *args, **kwargs)
