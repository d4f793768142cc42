"""The one exception tree of the onion package. Messages say what to do next."""


class OnionError(Exception):
    """Base of every error raised by :mod:`onion`."""


class TorNotInstalled(OnionError):
    """Raised when no tor binary can be found for a bundled tor."""


class TorControlError(OnionError):
    """Raised when tor's control interface cannot be reached or refuses us."""


class TorStartFailed(OnionError):
    """Raised when a tor we launch exits or fails to start."""


class ServiceError(OnionError):
    """Raised when tor refuses to create or remove an onion service."""
