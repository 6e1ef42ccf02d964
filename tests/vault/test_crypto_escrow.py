"""Escrow to coalition recovery keys with real gpg: recover content after losing the server's KEK."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gnupg
import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from vault import crypto
from vault.crypto import AuthenticationError, KeyUnavailableError, WrongBindingError
from vault.crypto.checks import check_escrow_keys

PASSPHRASE = "correct horse battery staple for recovery"


@dataclass
class Recovery:
    server_home: Path  # holds only the recovery public keys, as a server would
    recovery_home: Path  # holds the private keys, offline with the coalition
    fingerprints: list[str]


def _generate(gpg: gnupg.GPG, email: str, passphrase: str | None) -> str:
    params = gpg.gen_key_input(
        key_type="EDDSA",
        key_curve="ed25519",
        subkey_type="ECDH",
        subkey_curve="cv25519",
        name_real="Coalition recovery",
        name_email=email,
        expire_date=0,
        passphrase=passphrase,
        no_protection=passphrase is None,
    )
    key = gpg.gen_key(params)
    assert key.fingerprint, key.stderr
    return str(key.fingerprint)


@pytest.fixture(scope="session")
def recovery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recovery]:
    root = Path(tmp_path_factory.mktemp("gpg"))
    server_home, recovery_home = root / "server", root / "recovery"
    for home in (server_home, recovery_home):
        home.mkdir(mode=0o700)
    offline = gnupg.GPG(gnupghome=str(recovery_home))
    fingerprints = [
        _generate(offline, "recovery-1@coalition.test", None),
        _generate(offline, "recovery-2@coalition.test", PASSPHRASE),
    ]
    public = offline.export_keys(fingerprints)
    imported = gnupg.GPG(gnupghome=str(server_home)).import_keys(public)
    assert imported.count == 2
    try:
        yield Recovery(server_home=server_home, recovery_home=recovery_home, fingerprints=fingerprints)
    finally:
        for home in (server_home, recovery_home):
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)


@pytest.fixture
def escrow_on(recovery: Recovery, settings: SettingsWrapper, tmp_path: Path) -> Recovery:
    settings.CUSTODY_KEY_PROVIDER = "local"
    settings.CUSTODY_KEY_DIR = tmp_path / "keys"
    settings.CUSTODY_GNUPG_HOME = recovery.server_home
    settings.CUSTODY_ESCROW_FINGERPRINTS = recovery.fingerprints
    return recovery


def test_escrow_off_by_default(settings: SettingsWrapper) -> None:
    settings.CUSTODY_ESCROW_FINGERPRINTS = []
    assert not crypto.escrow_enabled()
    assert crypto.escrow_data_key(crypto.new_data_key(), scope="org:x", context="evidence:a") is None


def test_escrow_record_hides_the_key(escrow_on: Recovery) -> None:
    data_key = crypto.new_data_key()
    escrowed = crypto.escrow_data_key(data_key, scope="org:x", context="evidence:a")
    assert escrowed is not None
    assert data_key not in escrowed
    # The server cannot open its own escrow records: it has no recovery private key.
    with pytest.raises(AuthenticationError):
        crypto.recover_data_key(escrowed, context="evidence:a", gnupg_home=escrow_on.server_home)


def test_full_recovery_after_losing_the_server_kek(escrow_on: Recovery, tmp_path: Path) -> None:
    content = os.urandom(3 * crypto.DEFAULT_SEGMENT_SIZE + 12_345)
    binding = context = "evidence:0b9e-item"
    data_key = crypto.new_data_key()
    wrapped = crypto.wrap_data_key(data_key, scope="org:host-counsel", context=context)
    escrowed = crypto.escrow_data_key(data_key, scope="org:host-counsel", context=context)
    assert escrowed is not None
    encryptor = crypto.StreamEncryptor(data_key, binding=binding)
    stored = tmp_path / "object"
    with stored.open("wb") as out:
        for start in range(0, len(content), 100_000):
            out.write(encryptor.update(content[start : start + 100_000]))
        out.write(encryptor.finalize())
    assert encryptor.digests is not None
    del data_key

    crypto.destroy_local_scope("org:host-counsel")
    with pytest.raises(KeyUnavailableError):
        crypto.unwrap_data_key(wrapped, context=context)

    recovered = tmp_path / "recovered"
    with stored.open("rb") as source, recovered.open("wb") as destination:
        digests = crypto.recover_content(
            escrowed, source, destination, context=context, binding=binding, gnupg_home=escrow_on.recovery_home
        )
    assert digests.plaintext_sha256 == encryptor.digests.plaintext_sha256 == hashlib.sha256(content).hexdigest()
    assert recovered.read_bytes() == content


def test_recovery_with_a_passphrase_protected_key(escrow_on: Recovery) -> None:
    data_key = crypto.new_data_key()
    escrowed = crypto.escrow_data_key(
        data_key, scope="org:x", context="evidence:a", fingerprints=[escrow_on.fingerprints[1]]
    )
    assert escrowed is not None
    recovered = crypto.recover_data_key(
        escrowed, context="evidence:a", gnupg_home=escrow_on.recovery_home, passphrase=PASSPHRASE
    )
    assert recovered == data_key


def test_escrow_record_is_bound_to_its_object(escrow_on: Recovery) -> None:
    escrowed = crypto.escrow_data_key(crypto.new_data_key(), scope="org:x", context="evidence:a")
    assert escrowed is not None
    with pytest.raises(WrongBindingError):
        crypto.recover_data_key(escrowed, context="evidence:b", gnupg_home=escrow_on.recovery_home)


def test_unknown_recipient_is_a_configuration_error(escrow_on: Recovery) -> None:
    with pytest.raises(crypto.ConfigurationError):
        crypto.escrow_data_key(crypto.new_data_key(), scope="org:x", context="evidence:a", fingerprints=["0" * 40])


def test_recovered_stream_with_tampering_is_refused(escrow_on: Recovery) -> None:
    data_key = crypto.new_data_key()
    escrowed = crypto.escrow_data_key(data_key, scope="org:x", context="evidence:a")
    assert escrowed is not None
    encryptor = crypto.StreamEncryptor(data_key, binding="evidence:a", segment_size=1024)
    stored = bytearray(encryptor.update(os.urandom(5000)) + encryptor.finalize())
    stored[-1] ^= 1
    with pytest.raises(crypto.TamperedSegmentError):
        crypto.recover_content(
            escrowed,
            io.BytesIO(bytes(stored)),
            io.BytesIO(),
            context="evidence:a",
            binding="evidence:a",
            gnupg_home=escrow_on.recovery_home,
        )


def test_recover_object_command(escrow_on: Recovery, tmp_path: Path) -> None:
    content = os.urandom(2 * crypto.DEFAULT_SEGMENT_SIZE + 77)
    data_key = crypto.new_data_key()
    escrowed = crypto.escrow_data_key(data_key, scope="org:x", context="evidence:cmd")
    assert escrowed is not None
    encryptor = crypto.StreamEncryptor(data_key, binding="evidence:cmd")
    (tmp_path / "object").write_bytes(encryptor.update(content) + encryptor.finalize())
    (tmp_path / "escrow.gpg").write_bytes(escrowed)
    arguments = [
        "recover_object",
        "--escrow", str(tmp_path / "escrow.gpg"),
        "--object", str(tmp_path / "object"),
        "--binding", "evidence:cmd",
        "--gnupg-home", str(escrow_on.recovery_home),
    ]  # fmt: skip
    output = io.StringIO()
    call_command(
        *arguments, "--out", str(tmp_path / "plain"), "--sha256", hashlib.sha256(content).hexdigest(), stdout=output
    )
    assert (tmp_path / "plain").read_bytes() == content
    assert hashlib.sha256(content).hexdigest() in output.getvalue()
    assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o600

    with pytest.raises(CommandError, match="exists"):
        call_command(*arguments, "--out", str(tmp_path / "plain"))
    with pytest.raises(CommandError, match="SHA-256"):
        call_command(*arguments, "--out", str(tmp_path / "other"), "--sha256", "00" * 32)
    assert not (tmp_path / "other").exists()
    with pytest.raises(CommandError, match="WrongBindingError"):
        call_command(*arguments[:5], "--binding", "evidence:else", *arguments[7:], "--out", str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


def test_escrow_check_reports_missing_recovery_keys(escrow_on: Recovery, settings: SettingsWrapper) -> None:
    assert check_escrow_keys() == []
    settings.CUSTODY_ESCROW_FINGERPRINTS = [*escrow_on.fingerprints, "AB" * 20]
    assert [message.id for message in check_escrow_keys()] == ["custody.crypto.E003"]
    settings.CUSTODY_GNUPG_HOME = escrow_on.server_home / "missing"
    assert [message.id for message in check_escrow_keys()] == ["custody.crypto.E002"]


def test_field_key_escrow_survives_kek_loss(escrow_on: Recovery) -> None:
    own = crypto.FieldKey.create(scope="jur:CF", context="survivor:7")
    token = own.encrypt(b"Name", field="name")
    escrowed = own.escrow()
    assert escrowed is not None
    crypto.destroy_local_scope("jur:CF")
    with pytest.raises(KeyUnavailableError):
        crypto.FieldKey.open(own.wrapped, context="survivor:7")
    recovered = crypto.FieldKey.from_escrow(escrowed, context="survivor:7", gnupg_home=escrow_on.recovery_home)
    assert recovered.decrypt(token, field="name") == b"Name"
    with pytest.raises(WrongBindingError):
        crypto.FieldKey.from_escrow(escrowed, context="survivor:8", gnupg_home=escrow_on.recovery_home)


def test_field_key_escrow_off(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.CUSTODY_KEY_DIR = tmp_path / "keys"
    settings.CUSTODY_KEY_PROVIDER = "local"
    settings.CUSTODY_ESCROW_FINGERPRINTS = []
    assert crypto.FieldKey.create(scope="jur:CF", context="survivor:7").escrow() is None
