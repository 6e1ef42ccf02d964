"""The KMS key provider against moto's KMS over real HTTP.

In the production profile the session's moto server (``moto_endpoint``) is used, as configured by
tests/conftest.py; in the embedded profile this module starts its own.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from django.conf import settings as django_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from vault import crypto
from vault.crypto import AuthenticationError, KeyUnavailableError, KmsKeyProvider
from vault.crypto.kms import alias_for


@pytest.fixture(scope="module")
def kms_endpoint(moto_endpoint: str | None) -> Iterator[str]:
    if moto_endpoint is not None:
        yield moto_endpoint
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def kms(kms_endpoint: str, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    settings.CUSTODY_KEY_PROVIDER = "kms"
    settings.AWS_KMS_ENDPOINT_URL = kms_endpoint
    return kms_endpoint


@pytest.fixture
def scope() -> str:
    return f"org:kms-{secrets.token_hex(4)}"


def test_production_profile_uses_kms_at_the_session_endpoint(moto_endpoint: str | None) -> None:
    if moto_endpoint is None:
        assert django_settings.CUSTODY_KEY_PROVIDER == "local"
    else:
        assert django_settings.CUSTODY_KEY_PROVIDER == "kms"
        assert moto_endpoint == django_settings.AWS_KMS_ENDPOINT_URL


def test_wrap_creates_the_scope_key_behind_its_alias(kms: str, scope: str) -> None:
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(data_key, scope=scope, context="evidence:a")
    ref = crypto.describe_wrapped(wrapped)
    assert (ref.provider, ref.scope, ref.version) == ("kms", scope, 1)
    client = boto3.client("kms", endpoint_url=kms, region_name=django_settings.AWS_KMS_REGION_NAME)
    metadata = client.describe_key(KeyId=alias_for(scope))["KeyMetadata"]
    assert metadata["Arn"] == ref.kek_id
    assert alias_for(scope) == "alias/custody/org/" + scope.split(":")[1]
    assert crypto.unwrap_data_key(wrapped, context="evidence:a") == data_key
    # Second use finds the same key.
    assert crypto.describe_wrapped(crypto.wrap_data_key(data_key, scope=scope, context="x:1")).kek_id == ref.kek_id


def test_context_is_bound(kms: str, scope: str) -> None:
    wrapped = crypto.wrap_data_key(crypto.new_data_key(), scope=scope, context="evidence:a")
    with pytest.raises(AuthenticationError):
        crypto.unwrap_data_key(wrapped, context="evidence:b")


def test_tampered_blob_is_refused(kms: str, scope: str) -> None:
    wrapped = bytearray(crypto.wrap_data_key(crypto.new_data_key(), scope=scope, context="evidence:a"))
    wrapped[-5] ^= 0x01
    with pytest.raises((AuthenticationError, KeyUnavailableError)):
        crypto.unwrap_data_key(bytes(wrapped), context="evidence:a")


def test_concurrent_first_use_agrees_on_one_key(kms: str, scope: str) -> None:
    provider = KmsKeyProvider(endpoint_url=kms, region_name=django_settings.AWS_KMS_REGION_NAME)
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = set(pool.map(lambda _: provider.current(scope).kek_id, range(8)))
    assert len(ids) == 1


def test_rotation_and_rewrap(kms: str, scope: str) -> None:
    data_key = crypto.new_data_key()
    old = crypto.wrap_data_key(data_key, scope=scope, context="evidence:a")
    ref = crypto.rotate_kek(scope)
    assert ref.version == 2
    assert ref.kek_id != crypto.describe_wrapped(old).kek_id
    assert crypto.needs_rewrap(old)
    assert crypto.unwrap_data_key(old, context="evidence:a") == data_key
    new = crypto.rewrap(old, context="evidence:a")
    assert crypto.describe_wrapped(new) == ref
    assert not crypto.needs_rewrap(new)
    assert crypto.unwrap_data_key(new, context="evidence:a") == data_key


def test_unreachable_kms_is_a_clear_error(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    settings.CUSTODY_KEY_PROVIDER = "kms"
    settings.AWS_KMS_ENDPOINT_URL = "http://127.0.0.1:9"
    with pytest.raises(KeyUnavailableError):
        crypto.wrap_data_key(crypto.new_data_key(), scope="org:nowhere", context="evidence:a")


def test_migrating_local_keys_to_kms(kms: str, scope: str, settings: SettingsWrapper, tmp_path: object) -> None:
    settings.CUSTODY_KEY_DIR = tmp_path
    data_key = crypto.new_data_key()
    local = crypto.wrap_data_key(data_key, scope=scope, context="evidence:a", provider="local")
    assert crypto.needs_rewrap(local)
    moved = crypto.rewrap(local, context="evidence:a")
    assert crypto.describe_wrapped(moved).provider == "kms"
    assert crypto.unwrap_data_key(moved, context="evidence:a") == data_key


def test_sealed_values_and_streams_under_kms(kms: str, scope: str) -> None:
    blob = crypto.seal(b"identity", scope=scope, context="survivor:1")
    assert crypto.unseal(blob, context="survivor:1") == b"identity"
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(data_key, scope=scope, context="evidence:a")
    encryptor = crypto.StreamEncryptor(data_key, binding="evidence:a")
    stored = encryptor.update(b"x" * 3_000_000) + encryptor.finalize()
    opened = crypto.unwrap_data_key(wrapped, context="evidence:a")
    assert b"".join(crypto.iter_decrypt(opened, io.BytesIO(stored), binding="evidence:a")) == b"x" * 3_000_000


def test_destroying_a_scope_disables_and_schedules_deletion(kms: str, scope: str) -> None:
    wrapped = crypto.wrap_data_key(crypto.new_data_key(), scope=scope, context="evidence:a")
    crypto.rotate_kek(scope)
    survivor = f"org:kms-{secrets.token_hex(4)}"
    crypto.wrap_data_key(crypto.new_data_key(), scope=survivor, context="evidence:b")
    assert crypto.destroy_scope(scope) == 2
    client = boto3.client("kms", endpoint_url=kms, region_name=django_settings.AWS_KMS_REGION_NAME)
    first = crypto.describe_wrapped(wrapped).kek_id.rsplit("/", 1)[-1]
    assert client.describe_key(KeyId=first)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    aliases = {alias["AliasName"] for alias in client.list_aliases()["Aliases"]}
    assert alias_for(scope) not in aliases
    assert alias_for(survivor) in aliases
    # A later use of the scope gets a new key, never the destroyed ones.
    again = crypto.wrap_data_key(crypto.new_data_key(), scope=scope, context="evidence:c")
    assert crypto.describe_wrapped(again).kek_id != crypto.describe_wrapped(wrapped).kek_id
