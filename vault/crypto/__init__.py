"""Custody's cryptography: segmented content encryption, envelope keys, sealed values, escrow.

Public API (documented in docs/encryption.md). Import from ``vault.crypto``, not from submodules.
"""

from vault.crypto.envelope import (
    describe_wrapped,
    destroy_local_scope,
    destroy_scope,
    get_provider,
    needs_rewrap,
    rewrap,
    rotate_kek,
    unwrap_data_key,
    wrap_data_key,
)
from vault.crypto.errors import (
    AuthenticationError,
    ConfigurationError,
    CryptoError,
    FormatError,
    IntegrityError,
    KeyUnavailableError,
    TamperedHeaderError,
    TamperedSegmentError,
    TrailingDataError,
    TruncatedError,
    WrongBindingError,
    WrongKeyError,
)
from vault.crypto.escrow import escrow_data_key, escrow_enabled, recover_content, recover_data_key
from vault.crypto.keys import KekRef, KeyProvider, WrappedKey
from vault.crypto.kms import KmsKeyProvider
from vault.crypto.local import LocalKeyProvider
from vault.crypto.sealed import FieldKey, reseal_key, seal, unseal
from vault.crypto.stream import (
    DEFAULT_SEGMENT_SIZE,
    HEADER_SIZE,
    TAG_SIZE,
    Digests,
    SegmentReader,
    StreamDecryptor,
    StreamEncryptor,
    Suspended,
    ciphertext_size,
    iter_decrypt,
    new_data_key,
    verify_stream,
)

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "HEADER_SIZE",
    "TAG_SIZE",
    "AuthenticationError",
    "ConfigurationError",
    "CryptoError",
    "Digests",
    "FieldKey",
    "FormatError",
    "IntegrityError",
    "KekRef",
    "KeyProvider",
    "KeyUnavailableError",
    "KmsKeyProvider",
    "LocalKeyProvider",
    "SegmentReader",
    "StreamDecryptor",
    "StreamEncryptor",
    "Suspended",
    "TamperedHeaderError",
    "TamperedSegmentError",
    "TrailingDataError",
    "TruncatedError",
    "WrappedKey",
    "WrongBindingError",
    "WrongKeyError",
    "ciphertext_size",
    "describe_wrapped",
    "destroy_local_scope",
    "destroy_scope",
    "escrow_data_key",
    "escrow_enabled",
    "get_provider",
    "iter_decrypt",
    "needs_rewrap",
    "new_data_key",
    "recover_content",
    "recover_data_key",
    "reseal_key",
    "rewrap",
    "rotate_kek",
    "seal",
    "unseal",
    "unwrap_data_key",
    "verify_stream",
    "wrap_data_key",
]
