"""Envelope encryption: choose a provider, wrap/unwrap/re-wrap data keys.

``settings.CUSTODY_KEY_PROVIDER`` picks the provider that wraps new keys; unwrapping follows the
provider named in the wrapped record, so keys wrapped before a switch still open.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings

from vault.crypto.errors import ConfigurationError
from vault.crypto.keys import KekRef, KeyProvider, WrappedKey, check_scope
from vault.crypto.kms import KmsKeyProvider
from vault.crypto.local import LocalKeyProvider
from vault.crypto.stream import DATA_KEY_SIZE


@functools.lru_cache(maxsize=8)
def _local(key_dir: str) -> LocalKeyProvider:
    return LocalKeyProvider(Path(key_dir))


@functools.lru_cache(maxsize=8)
def _kms(endpoint_url: str | None, region_name: str) -> KmsKeyProvider:
    return KmsKeyProvider(endpoint_url=endpoint_url, region_name=region_name)


def get_provider(name: str | None = None) -> KeyProvider:
    """The configured provider (``name=None``) or a named one ("local" or "kms")."""
    name = name or settings.CUSTODY_KEY_PROVIDER
    if name == "local":
        return _local(str(settings.CUSTODY_KEY_DIR))
    if name == "kms":
        return _kms(settings.AWS_KMS_ENDPOINT_URL, settings.AWS_KMS_REGION_NAME)
    raise ConfigurationError(f"Unknown key provider {name!r} (use 'local' or 'kms').")


def local_provider() -> LocalKeyProvider:
    """The local-file provider at ``settings.CUSTODY_KEY_DIR`` (for scope destruction)."""
    return _local(str(settings.CUSTODY_KEY_DIR))


def wrap_data_key(data_key: bytes, *, scope: str, context: str, provider: str | None = None) -> bytes:
    """Wrap with the scope's current KEK; store the returned bytes (they are not secret)."""
    if len(data_key) != DATA_KEY_SIZE:
        raise ConfigurationError("A data key is 32 bytes.")
    return get_provider(provider).wrap(data_key, scope=check_scope(scope), context=context).to_bytes()


def unwrap_data_key(wrapped: bytes, *, context: str) -> bytes:
    """Recover a data key; raises ``KeyUnavailableError`` (KEK gone) or ``AuthenticationError``."""
    record = WrappedKey.from_bytes(wrapped)
    data_key = get_provider(record.provider).unwrap(record, context=context)
    if len(data_key) != DATA_KEY_SIZE:
        raise ConfigurationError("The unwrapped data key has the wrong size.")
    return data_key


def describe_wrapped(wrapped: bytes) -> KekRef:
    """Which provider, scope and KEK version a stored wrapped key depends on (no key access)."""
    return WrappedKey.from_bytes(wrapped).kek


def needs_rewrap(wrapped: bytes, *, provider: str | None = None) -> bool:
    """True when the key is not wrapped by the scope's current KEK of the configured provider."""
    record = WrappedKey.from_bytes(wrapped)
    chosen = get_provider(provider)
    if record.provider != chosen.name:
        return True
    return chosen.current(record.scope).kek_id != record.kek_id


def rewrap(wrapped: bytes, *, context: str, scope: str | None = None, provider: str | None = None) -> bytes:
    """Unwrap with whichever KEK version made ``wrapped`` and wrap with the current one.

    Content is untouched. ``scope`` moves the key to another scope (e.g. a case changing
    organisation); ``provider`` migrates between providers. The old record stays valid until the
    caller replaces and deletes it.
    """
    record = WrappedKey.from_bytes(wrapped)
    data_key = unwrap_data_key(wrapped, context=context)
    return wrap_data_key(data_key, scope=scope or record.scope, context=context, provider=provider)


def rotate_kek(scope: str, *, provider: str | None = None) -> KekRef:
    """Create a new KEK version for ``scope``; new wraps use it, old ones still unwrap."""
    return get_provider(provider).rotate(check_scope(scope))


def destroy_scope(scope: str, *, provider: str | None = None) -> int:
    """Crypto-shred a whole scope with the configured (or named) provider: local KEK files are
    destroyed at once; KMS keys are disabled at once and deleted after KMS's waiting period.
    Returns the number of KEK versions affected."""
    chosen = get_provider(provider)
    if isinstance(chosen, LocalKeyProvider | KmsKeyProvider):
        return chosen.destroy_scope(check_scope(scope))
    raise ConfigurationError(f"The {chosen.name} provider cannot destroy a scope.")


def destroy_local_scope(scope: str) -> int:
    """Destroy every local KEK version of ``scope`` (crypto-shredding a whole organisation or
    jurisdiction). Returns the number of versions destroyed."""
    return local_provider().destroy_scope(scope)
