"""The one exception tree of the crypto package.

Messages name the file, the submission id or the limit involved and never contain key material or
plaintext, because they end up on terminals and in logs.
"""


class CryptoError(Exception):
    """Base of every error raised by :mod:`crypto`."""


class BadPassphrase(CryptoError):
    """Raised when a key file cannot be opened with the passphrase given."""


class KeyFormatError(CryptoError, ValueError):
    """Raised when a public key line or key file is not in a format we know."""


class AuthenticationFailed(CryptoError):
    """Raised when ciphertext was modified, truncated, reordered or bound to other metadata."""


class MalformedDocument(AuthenticationFailed):
    """Raised when an authentic payload holds a document that breaks its format (anyone holding
    the content key, such as a hostile respondent's browser, can seal any bytes)."""


class NotARecipient(CryptoError):
    """Raised when a submission holds no key slot for the reviewer key being used."""


class BundleFormatError(CryptoError, ValueError):
    """Raised when an export bundle is damaged or not a Glas bundle at all."""


class BadSignature(CryptoError, ValueError):
    """Raised when a signed file was changed after signing, or its signer is not trusted."""
