"""Wrapped data keys with the local provider: files, permissions, rotation, shredding, sealed values."""

from __future__ import annotations

import io
import multiprocessing
import os
import stat
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from vault import crypto
from vault.crypto import (
    AuthenticationError,
    ConfigurationError,
    FieldKey,
    FormatError,
    KeyUnavailableError,
    LocalKeyProvider,
    WrappedKey,
)
from vault.crypto.checks import check_key_directory, check_production_provider

SCOPE = "org:host-counsel"


@pytest.fixture
def key_dir(tmp_path: Path, settings: SettingsWrapper) -> Path:
    directory = tmp_path / "keys"
    settings.CUSTODY_KEY_PROVIDER = "local"
    settings.CUSTODY_KEY_DIR = directory
    return directory


def test_wrap_round_trip_and_binding(key_dir: Path) -> None:
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(data_key, scope=SCOPE, context="evidence:a")
    assert data_key not in wrapped
    assert crypto.unwrap_data_key(wrapped, context="evidence:a") == data_key
    with pytest.raises(AuthenticationError):
        crypto.unwrap_data_key(wrapped, context="evidence:b")
    ref = crypto.describe_wrapped(wrapped)
    assert (ref.provider, ref.scope, ref.version) == ("local", SCOPE, 1)


def test_wrapped_record_fields_are_authenticated(key_dir: Path) -> None:
    wrapped = crypto.wrap_data_key(crypto.new_data_key(), scope=SCOPE, context="evidence:a")
    for offset in range(len(wrapped)):
        damaged = bytearray(wrapped)
        damaged[offset] ^= 0x01
        with pytest.raises((AuthenticationError, KeyUnavailableError, FormatError, ConfigurationError)):
            crypto.unwrap_data_key(bytes(damaged), context="evidence:a")


def test_scope_moved_in_record_is_refused(key_dir: Path) -> None:
    wrapped = crypto.wrap_data_key(crypto.new_data_key(), scope=SCOPE, context="evidence:a")
    crypto.wrap_data_key(crypto.new_data_key(), scope="org:other-org", context="evidence:z")
    record = WrappedKey.from_bytes(wrapped)
    other = crypto.get_provider().current("org:other-org")
    moved = WrappedKey(
        provider="local", scope="org:other-org", kek_id=other.kek_id, kek_version=1, payload=record.payload
    )
    with pytest.raises(AuthenticationError):
        crypto.unwrap_data_key(moved.to_bytes(), context="evidence:a")


@pytest.mark.parametrize("scope", ["org", "org:", "../etc", "org:../x", "org:a/b", "ORG:x", "org:" + "a" * 65, ""])
def test_bad_scopes_are_refused(key_dir: Path, scope: str) -> None:
    with pytest.raises(ConfigurationError):
        crypto.wrap_data_key(crypto.new_data_key(), scope=scope, context="evidence:a")


def test_key_files_are_private(key_dir: Path) -> None:
    crypto.wrap_data_key(crypto.new_data_key(), scope="jur:CF", context="evidence:a")
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    scope_dir = key_dir / "jur_CF"
    assert stat.S_IMODE(scope_dir.stat().st_mode) == 0o700
    files = list(scope_dir.iterdir())
    assert [path.name for path in files] == ["v000001.kek"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_open_key_directory_is_refused(key_dir: Path) -> None:
    key_dir.mkdir(mode=0o755)
    key_dir.chmod(0o755)
    with pytest.raises(ConfigurationError):
        crypto.wrap_data_key(crypto.new_data_key(), scope=SCOPE, context="evidence:a")


def _first_use(directory: str) -> str:
    return LocalKeyProvider(Path(directory)).current("jur:CF").kek_id


def test_concurrent_first_use_creates_one_key(tmp_path: Path) -> None:
    directory = str(tmp_path / "keys")
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=8, mp_context=context) as pool:
        ids = set(pool.map(_first_use, [directory] * 32))
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids |= set(pool.map(_first_use, [directory] * 32))
    assert len(ids) == 1
    assert [path.name for path in (tmp_path / "keys" / "jur_CF").iterdir()] == ["v000001.kek"]


def test_concurrent_rotation_gives_distinct_versions(tmp_path: Path) -> None:
    provider = LocalKeyProvider(tmp_path / "keys")
    provider.current(SCOPE)
    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = list(pool.map(lambda _: provider.rotate(SCOPE).version, range(12)))
    assert sorted(versions) == list(range(2, 14))


def test_rotation_and_rewrap(key_dir: Path) -> None:
    data_key = crypto.new_data_key()
    old = crypto.wrap_data_key(data_key, scope=SCOPE, context="evidence:a")
    assert not crypto.needs_rewrap(old)
    ref = crypto.rotate_kek(SCOPE)
    assert ref.version == 2
    assert crypto.needs_rewrap(old)
    assert crypto.unwrap_data_key(old, context="evidence:a") == data_key  # old versions still open
    new = crypto.rewrap(old, context="evidence:a")
    assert crypto.describe_wrapped(new).version == 2
    assert not crypto.needs_rewrap(new)
    assert crypto.unwrap_data_key(new, context="evidence:a") == data_key
    with pytest.raises(AuthenticationError):
        crypto.rewrap(old, context="evidence:b")


def test_rewrap_to_another_scope(key_dir: Path) -> None:
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(data_key, scope=SCOPE, context="evidence:a")
    moved = crypto.rewrap(wrapped, context="evidence:a", scope="jur:CF")
    assert crypto.describe_wrapped(moved).scope == "jur:CF"
    assert crypto.unwrap_data_key(moved, context="evidence:a") == data_key


def test_rotation_does_not_touch_content(key_dir: Path) -> None:
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(data_key, scope=SCOPE, context="evidence:a")
    encryptor = crypto.StreamEncryptor(data_key, binding="evidence:a")
    ciphertext = encryptor.update(b"statement" * 1000) + encryptor.finalize()
    crypto.rotate_kek(SCOPE)
    wrapped = crypto.rewrap(wrapped, context="evidence:a")
    opened = crypto.unwrap_data_key(wrapped, context="evidence:a")
    assert b"".join(crypto.iter_decrypt(opened, io.BytesIO(ciphertext), binding="evidence:a")) == b"statement" * 1000


def test_destroying_a_scope_shreds_its_keys(key_dir: Path) -> None:
    wrapped = crypto.wrap_data_key(crypto.new_data_key(), scope=SCOPE, context="evidence:a")
    crypto.rotate_kek(SCOPE)
    other = crypto.wrap_data_key(crypto.new_data_key(), scope="jur:CF", context="evidence:b")
    assert crypto.destroy_local_scope(SCOPE) == 2
    assert not (key_dir / "org_host-counsel").exists()
    assert [path.name for path in key_dir.iterdir()] == ["jur_CF"]
    with pytest.raises(KeyUnavailableError):
        crypto.unwrap_data_key(wrapped, context="evidence:a")
    # A new key for the same scope does not resurrect the destroyed one.
    crypto.wrap_data_key(crypto.new_data_key(), scope=SCOPE, context="evidence:c")
    with pytest.raises(KeyUnavailableError):
        crypto.unwrap_data_key(wrapped, context="evidence:a")
    assert crypto.unwrap_data_key(other, context="evidence:b")
    assert crypto.destroy_local_scope("org:never-used") == 0
    assert crypto.destroy_scope("jur:CF") == 1  # the configured provider: local here
    with pytest.raises(KeyUnavailableError):
        crypto.unwrap_data_key(other, context="evidence:b")


def test_damaged_key_file_is_reported(key_dir: Path) -> None:
    wrapped = crypto.wrap_data_key(crypto.new_data_key(), scope=SCOPE, context="evidence:a")
    (key_dir / "org_host-counsel" / "v000001.kek").write_bytes(b"short")
    with pytest.raises(KeyUnavailableError):
        crypto.unwrap_data_key(wrapped, context="evidence:a")


def test_unknown_provider(key_dir: Path, settings: SettingsWrapper) -> None:
    settings.CUSTODY_KEY_PROVIDER = "vault9"
    with pytest.raises(ConfigurationError):
        crypto.wrap_data_key(crypto.new_data_key(), scope=SCOPE, context="evidence:a")


def test_malformed_records(key_dir: Path) -> None:
    for raw in (b"", b"\x02", b"\x01\x05local", os.urandom(40)):
        with pytest.raises((FormatError, AuthenticationError, KeyUnavailableError, ConfigurationError)):
            crypto.unwrap_data_key(raw, context="evidence:a")


# --- sealed values ------------------------------------------------------------


def test_seal_round_trip_and_context(key_dir: Path) -> None:
    blob = crypto.seal("Aïcha N.".encode(), scope="jur:CF", context="survivor:7:name")
    assert "Aïcha".encode() not in blob
    assert crypto.unseal(blob, context="survivor:7:name") == "Aïcha N.".encode()
    with pytest.raises(AuthenticationError):
        crypto.unseal(blob, context="survivor:8:name")
    assert crypto.seal(b"x", scope="jur:CF", context="c:1") != crypto.seal(b"x", scope="jur:CF", context="c:1")
    assert crypto.unseal(crypto.seal(b"", scope="jur:CF", context="c:1"), context="c:1") == b""


def test_seal_tampering(key_dir: Path) -> None:
    blob = crypto.seal(b"identity", scope="jur:CF", context="survivor:7")
    for offset in range(len(blob)):
        damaged = bytearray(blob)
        damaged[offset] ^= 0x02
        with pytest.raises(crypto.CryptoError):
            crypto.unseal(bytes(damaged), context="survivor:7")
    with pytest.raises(FormatError):
        crypto.unseal(blob[:20], context="survivor:7")


def test_reseal_key_after_rotation(key_dir: Path) -> None:
    blob = crypto.seal(b"identity", scope="jur:CF", context="survivor:7")
    crypto.rotate_kek("jur:CF")
    resealed = crypto.reseal_key(blob, context="survivor:7")
    assert resealed[-36:] == blob[-36:]  # same nonce and ciphertext, new wrapped key
    assert resealed != blob
    assert crypto.unseal(resealed, context="survivor:7") == b"identity"


def test_field_key(key_dir: Path) -> None:
    own = FieldKey.create(scope="jur:CF", context="survivor:7")
    name = own.encrypt(b"Name", field="name")
    note = own.encrypt(b"Session notes", field="mhpss_note:1")
    reopened = FieldKey.open(own.wrapped, context="survivor:7")
    assert reopened.decrypt(name, field="name") == b"Name"
    assert reopened.decrypt(note, field="mhpss_note:1") == b"Session notes"
    with pytest.raises(AuthenticationError):
        reopened.decrypt(name, field="mhpss_note:1")
    with pytest.raises(AuthenticationError):
        FieldKey.open(own.wrapped, context="survivor:8")
    stranger = FieldKey.create(scope="jur:CF", context="survivor:7")
    with pytest.raises(AuthenticationError):
        stranger.decrypt(name, field="name")


def test_field_key_shredding(key_dir: Path) -> None:
    own = FieldKey.create(scope="jur:CF", context="survivor:7")
    token = own.encrypt(b"Name", field="name")
    crypto.destroy_local_scope("jur:CF")
    with pytest.raises(KeyUnavailableError):
        FieldKey.open(own.wrapped, context="survivor:7").decrypt(token, field="name")


def test_key_directory_check(key_dir: Path, settings: SettingsWrapper) -> None:
    assert check_key_directory() == []
    crypto.wrap_data_key(crypto.new_data_key(), scope=SCOPE, context="evidence:a")
    assert check_key_directory() == []
    key_dir.chmod(0o750)
    assert [message.id for message in check_key_directory()] == ["custody.crypto.E001"]
    settings.CUSTODY_KEY_PROVIDER = "kms"
    assert check_key_directory() == []


def test_production_with_local_keys_is_warned(settings: SettingsWrapper) -> None:
    settings.PRODUCTION = True
    settings.CUSTODY_KEY_PROVIDER = "local"
    assert [message.id for message in check_production_provider()] == ["custody.crypto.W001"]
    settings.CUSTODY_KEY_PROVIDER = "kms"
    assert check_production_provider() == []
