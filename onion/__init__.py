"""Tor control through stem: attach or launch a tor, publish the portal's onion services.

Never imports the portal; ``glas serve`` composes this with the web apps.
"""

from .errors import OnionError, ServiceError, TorControlError, TorNotInstalled, TorStartFailed
from .keys import ClientKey, ServiceKey, ServiceKeyStore
from .tor import PowSettings, Tor, TorSettings

__all__ = [
    "ClientKey",
    "OnionError",
    "PowSettings",
    "ServiceError",
    "ServiceKey",
    "ServiceKeyStore",
    "Tor",
    "TorControlError",
    "TorNotInstalled",
    "TorSettings",
    "TorStartFailed",
]
