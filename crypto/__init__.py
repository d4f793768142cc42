"""Keys, the envelope, export bundles and the reviewer's decryption: pure Python on PyNaCl.

Nothing here imports Flask; the portal and the command line compose these pieces.
"""

from .errors import (
    AuthenticationFailed,
    BadPassphrase,
    BadSignature,
    BundleFormatError,
    CryptoError,
    KeyFormatError,
    MalformedDocument,
    NotARecipient,
)

__all__ = [
    "AuthenticationFailed",
    "BadPassphrase",
    "BadSignature",
    "BundleFormatError",
    "CryptoError",
    "KeyFormatError",
    "MalformedDocument",
    "NotARecipient",
]
