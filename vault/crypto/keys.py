"""Wrapped data keys and the key-provider interface.

A data key never leaves memory unwrapped. Stored, it is a self-describing record (``WrappedKey``)
naming the provider, the scope (whose key-encryption key wrapped it), that KEK's id and version,
and the provider's ciphertext. The caller's context (the item's id) is bound at wrap time and
must be given again to unwrap.
"""

from __future__ import annotations

import re
import struct
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Final

from vault.crypto.errors import ConfigurationError, FormatError

WRAP_VERSION: Final = 1
_SCOPE = re.compile(r"[a-z]{2,16}:[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_PROVIDER = re.compile(r"[a-z]{1,16}")


def check_scope(scope: str) -> str:
    """Scopes look like ``org:<slug>`` or ``jur:<CC>``; anything else is refused before it names a file."""
    if not _SCOPE.fullmatch(scope):
        raise ConfigurationError("A key scope looks like 'org:<slug>' or 'jur:<CC>' (letters, digits, - and _).")
    return scope


def check_context(context: str) -> bytes:
    """Contexts are identifiers (they reach KMS audit logs): required, never a name or a secret."""
    if not context:
        raise ConfigurationError("A non-empty context (the object's id) is required.")
    return context.encode("utf-8")


@dataclass(frozen=True)
class KekRef:
    """One version of a scope's key-encryption key."""

    provider: str
    scope: str
    kek_id: str
    version: int


@dataclass(frozen=True)
class WrappedKey:
    """A data key wrapped by a KEK. ``to_bytes``/``from_bytes`` give the stored form (see docs/encryption.md)."""

    provider: str
    scope: str
    kek_id: str
    kek_version: int
    payload: bytes

    @property
    def kek(self) -> KekRef:
        return KekRef(provider=self.provider, scope=self.scope, kek_id=self.kek_id, version=self.kek_version)

    def prefix(self) -> bytes:
        """Everything but the payload: authenticated by the provider together with the context."""
        provider = self.provider.encode("ascii")
        scope = self.scope.encode("utf-8")
        kek_id = self.kek_id.encode("ascii")
        return (
            bytes([WRAP_VERSION, len(provider)])
            + provider
            + bytes([len(scope)])
            + scope
            + struct.pack(">H", len(kek_id))
            + kek_id
            + struct.pack(">I", self.kek_version)
        )

    def to_bytes(self) -> bytes:
        return self.prefix() + self.payload

    @classmethod
    def from_bytes(cls, raw: bytes) -> WrappedKey:
        try:
            return cls._parse(memoryview(raw))
        except (IndexError, struct.error, UnicodeDecodeError):
            raise FormatError("Malformed wrapped key.") from None

    @classmethod
    def _parse(cls, raw: memoryview) -> WrappedKey:
        if raw[0] != WRAP_VERSION:
            raise FormatError(f"Unsupported wrapped-key version {raw[0]}.")
        at = 1
        provider = bytes(raw[at + 1 : at + 1 + raw[at]]).decode("ascii")
        at += 1 + raw[at]
        scope = bytes(raw[at + 1 : at + 1 + raw[at]]).decode("utf-8")
        at += 1 + raw[at]
        (kek_len,) = struct.unpack(">H", raw[at : at + 2])
        kek_id = bytes(raw[at + 2 : at + 2 + kek_len]).decode("ascii")
        at += 2 + kek_len
        (version,) = struct.unpack(">I", raw[at : at + 4])
        payload = bytes(raw[at + 4 :])
        if not payload or not _PROVIDER.fullmatch(provider) or not _SCOPE.fullmatch(scope):
            raise FormatError("Malformed wrapped key.")
        return cls(provider=provider, scope=scope, kek_id=kek_id, kek_version=version, payload=payload)


class KeyProvider(ABC):
    """Holds key-encryption keys, one per scope, with versions for rotation."""

    name: ClassVar[str]

    @abstractmethod
    def current(self, scope: str) -> KekRef:
        """The scope's current KEK version, created on first use."""

    @abstractmethod
    def wrap(self, data_key: bytes, *, scope: str, context: str) -> WrappedKey:
        """Wrap ``data_key`` with the scope's current KEK, binding scope and context."""

    @abstractmethod
    def unwrap(self, wrapped: WrappedKey, *, context: str) -> bytes:
        """Recover the data key; raises ``KeyUnavailableError`` or ``AuthenticationError``."""

    @abstractmethod
    def rotate(self, scope: str) -> KekRef:
        """Make a new KEK version current for the scope; older versions still unwrap."""
