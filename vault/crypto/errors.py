"""Exceptions raised by ``vault.crypto``.

Messages name the failure and, where useful, a segment index; they never carry key material,
plaintext, or the caller's binding strings.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by ``vault.crypto``."""


class ConfigurationError(CryptoError):
    """The key provider or escrow is misconfigured (unknown provider, bad scope, missing keys)."""


class KeyUnavailableError(CryptoError):
    """A key-encryption key is missing, destroyed (crypto-shredded), disabled, or unreachable."""


class IntegrityError(CryptoError):
    """Ciphertext failed verification. No plaintext from the failing part was returned."""


class FormatError(IntegrityError):
    """Not a Custody ciphertext, or a version this code does not read."""


class TamperedHeaderError(IntegrityError):
    """The stream header was modified."""


class TamperedSegmentError(IntegrityError):
    """A segment failed authentication: modified, reordered, duplicated, or moved from another stream."""

    def __init__(self, message: str, *, segment: int) -> None:
        super().__init__(message)
        self.segment = segment


class TruncatedError(IntegrityError):
    """The ciphertext ends before its final segment."""


class TrailingDataError(IntegrityError):
    """Bytes follow the final segment."""


class WrongKeyError(IntegrityError):
    """The data key does not match the one the ciphertext was made with (or the header's salt was modified)."""


class WrongBindingError(IntegrityError):
    """The ciphertext was made for another object (its binding or context differs)."""


class AuthenticationError(IntegrityError):
    """A small sealed value or wrapped key failed authentication: wrong key, wrong context, or modified."""
