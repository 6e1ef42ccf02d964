"""Key-encryption keys in AWS KMS (the production profile's provider).

One customer master key per scope and version, found through the alias ``alias/custody/<kind>/<name>``
(KMS aliases cannot contain ':'), tagged ``custody:scope`` and ``custody:version``. Rotation creates a
new key and moves the alias; older keys stay enabled so existing wrapped keys unwrap until re-wrapped.
Every Encrypt/Decrypt carries an encryption context (scope, context), which KMS authenticates and
records in CloudTrail: contexts must be identifiers, never names.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from vault.crypto.errors import AuthenticationError, ConfigurationError, KeyUnavailableError
from vault.crypto.keys import KekRef, KeyProvider, WrappedKey, check_context, check_scope

_UNAVAILABLE: Final = frozenset(
    {
        "NotFoundException",
        "DisabledException",
        "KMSInvalidStateException",
        "KeyUnavailableException",
        "AccessDeniedException",
    }
)
_REJECTED: Final = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})
_SCOPE_TAG: Final = "custody:scope"
_VERSION_TAG: Final = "custody:version"
_DELETION_WINDOW_DAYS: Final = 7
# How long a scope's current key is remembered: saves a DescribeKey per wrap during bulk intake;
# a rotation made by another process is picked up within this delay (old versions still unwrap).
_CURRENT_TTL_SECONDS: Final = 60.0


def alias_for(scope: str) -> str:
    return "alias/custody/" + check_scope(scope).replace(":", "/")


class KmsKeyProvider(KeyProvider):
    name = "kms"

    def __init__(self, *, endpoint_url: str | None, region_name: str, client: Any = None) -> None:
        self._client = client or boto3.client(
            "kms",
            endpoint_url=endpoint_url,
            region_name=region_name,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=20),
        )
        self._versions: dict[str, int] = {}
        self._current: dict[str, tuple[float, KekRef]] = {}
        self._lock = threading.Lock()

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._client, operation)(**kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _REJECTED:
                raise AuthenticationError("KMS refused the wrapped key: wrong context or modified.") from None
            if code in _UNAVAILABLE:
                raise KeyUnavailableError(f"The KMS key is unavailable ({code}).") from None
            raise KeyUnavailableError(f"KMS call {operation} failed ({code or 'error'}).") from error
        except BotoCoreError as error:
            raise KeyUnavailableError(f"KMS is unreachable ({type(error).__name__}).") from error
        return response

    def _version_of(self, arn: str) -> int:
        with self._lock:
            known = self._versions.get(arn)
        if known is not None:
            return known
        tags = self._call("list_resource_tags", KeyId=arn).get("Tags", [])
        values = {tag["TagKey"]: tag["TagValue"] for tag in tags}
        version = int(values.get(_VERSION_TAG, "1"))
        with self._lock:
            self._versions[arn] = version
        return version

    def _create_key(self, scope: str, version: int) -> str:
        response = self._call(
            "create_key",
            Description=f"Custody key-encryption key for {scope}, version {version}",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[
                {"TagKey": _SCOPE_TAG, "TagValue": scope},
                {"TagKey": _VERSION_TAG, "TagValue": str(version)},
            ],
        )
        arn: str = response["KeyMetadata"]["Arn"]
        with self._lock:
            self._versions[arn] = version
        return arn

    def _describe(self, scope: str) -> KekRef | None:
        try:
            metadata = self._client.describe_key(KeyId=alias_for(scope))["KeyMetadata"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NotFoundException":
                return None
            raise KeyUnavailableError("KMS describe_key failed.") from error
        except BotoCoreError as error:
            raise KeyUnavailableError(f"KMS is unreachable ({type(error).__name__}).") from error
        arn = metadata["Arn"]
        return KekRef(provider=self.name, scope=scope, kek_id=arn, version=self._version_of(arn))

    def current(self, scope: str) -> KekRef:
        with self._lock:
            cached = self._current.get(scope)
        if cached is not None and time.monotonic() - cached[0] < _CURRENT_TTL_SECONDS:
            return cached[1]
        ref = self._find_or_create(scope)
        with self._lock:
            self._current[scope] = (time.monotonic(), ref)
        return ref

    def _find_or_create(self, scope: str) -> KekRef:
        ref = self._describe(scope)
        if ref is not None:
            return ref
        arn = self._create_key(scope, 1)
        try:
            self._client.create_alias(AliasName=alias_for(scope), TargetKeyId=arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "AlreadyExistsException":
                raise KeyUnavailableError("KMS create_alias failed.") from error
            # Another process created the scope's key first: use theirs, retire ours.
            key_id = arn.rsplit("/", 1)[-1]
            self._call("schedule_key_deletion", KeyId=key_id, PendingWindowInDays=_DELETION_WINDOW_DAYS)
        ref = self._describe(scope)
        if ref is None:
            raise ConfigurationError("The KMS alias for this scope vanished while it was being created.")
        return ref

    def rotate(self, scope: str) -> KekRef:
        previous = self._find_or_create(scope)
        arn = self._create_key(scope, previous.version + 1)
        self._call("update_alias", AliasName=alias_for(scope), TargetKeyId=arn)
        ref = KekRef(provider=self.name, scope=scope, kek_id=arn, version=previous.version + 1)
        with self._lock:
            self._current[scope] = (time.monotonic(), ref)
        return ref

    def _scope_keys(self, scope: str) -> list[str]:
        """Ids of every key tagged with the scope, all versions (one ListResourceTags per key)."""
        found: list[str] = []
        for page in self._client.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                tags = self._call("list_resource_tags", KeyId=key["KeyId"]).get("Tags", [])
                if {"TagKey": _SCOPE_TAG, "TagValue": scope} in tags:
                    found.append(key["KeyId"])
        return found

    def destroy_scope(self, scope: str, *, pending_days: int = _DELETION_WINDOW_DAYS) -> int:
        """Disable every KMS key of a scope at once and schedule its deletion (KMS waits 7 to 30 days,
        during which ``CancelKeyDeletion`` can still undo it). Returns the number of keys."""
        check_scope(scope)
        keys = self._scope_keys(scope)
        for key_id in keys:
            self._call("disable_key", KeyId=key_id)
            self._call("schedule_key_deletion", KeyId=key_id, PendingWindowInDays=pending_days)
        try:
            self._client.delete_alias(AliasName=alias_for(scope))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NotFoundException":
                raise KeyUnavailableError("KMS delete_alias failed.") from error
        with self._lock:
            self._current.pop(scope, None)
        return len(keys)

    @staticmethod
    def _context(scope: str, context: str) -> dict[str, str]:
        check_context(context)
        return {"custody:scope": scope, "custody:context": context, "custody:format": "wrap/v1"}

    def wrap(self, data_key: bytes, *, scope: str, context: str) -> WrappedKey:
        ref = self.current(scope)
        response = self._call(
            "encrypt", KeyId=ref.kek_id, Plaintext=data_key, EncryptionContext=self._context(scope, context)
        )
        return WrappedKey(
            provider=self.name,
            scope=scope,
            kek_id=ref.kek_id,
            kek_version=ref.version,
            payload=response["CiphertextBlob"],
        )

    def unwrap(self, wrapped: WrappedKey, *, context: str) -> bytes:
        response = self._call(
            "decrypt",
            CiphertextBlob=wrapped.payload,
            KeyId=wrapped.kek_id,
            EncryptionContext=self._context(wrapped.scope, context),
        )
        plaintext: bytes = response["Plaintext"]
        return plaintext
