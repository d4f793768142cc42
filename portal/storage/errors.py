"""What the store raises. Nothing here knows HTTP: the web layer (portal/errors.py) maps each
error to its answer, and the commands to their one line and exit code."""

from __future__ import annotations


class PortalError(Exception):
    """Base of every error raised by :mod:`portal`."""


class StorageError(PortalError):
    """Raised when the server cannot store or find what it was asked to."""


class AccountError(PortalError):
    """An organizer account operation that cannot go ahead; the message is for the organizer."""


class LoginFailed(AccountError):
    """Wrong name, password or code: deliberately one message for all three."""


class CodeReused(AccountError):
    """The passphrase was right and the code too, but that code was already used."""


class LoginThrottled(AccountError):
    """Too many failed logins in the last minute, for this account or altogether."""


class UploadError(PortalError):
    """A browser upload (JavaScript path) that cannot go on; the message is for the page."""


class UnknownUpload(UploadError):
    """No such upload, or it expired, or it was sent already."""


class ChunkConflict(UploadError):
    """A different chunk with this number was stored before."""


class UploadIncomplete(UploadError):
    """Chunks missing, cut off, or not the shape of a whole payload."""


class UploadTooLarge(UploadError):
    """More than the upload announced, or than the portal accepts."""


class UploadsFull(UploadError):
    """No room for more uploads now (too many, or the budget is used)."""


class DailyBudgetReached(StorageError):
    """Raised when a submission would pass the storage budget of the day (GLAS_DAILY_BUDGET_MB):
    a flood fills a day, not the disk."""
