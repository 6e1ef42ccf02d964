"""Sealed identities and MHPSS notes survive the loss of the server's key-encryption keys through escrow.

Real gpg with temporary GnuPG homes (the server holds the recovery public keys only; the recovery
home holds the private keys), local key files in a throwaway directory, in both profiles.
"""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from audit.models import AuditEvent
from cases import sealing
from cases.mhpss import do_write_note
from cases.models import MhpssNote, SealedIdentity
from cases.survivors import do_create_survivor, do_shred_identity, open_identity
from tests.cases.conftest import CaseWorld
from tests.cases.test_identity_and_notes import IDENTITY
from tests.vault.test_crypto_escrow import Recovery, escrow_on, recovery  # noqa: F401 - fixtures
from vault import crypto

pytestmark = pytest.mark.django_db


def _lose_server_kek(cw: CaseWorld) -> None:
    crypto.destroy_local_scope(sealing.scope_for(cw.case.host_jurisdiction.code))


def test_identity_is_escrowed_and_recovered_after_the_server_kek_is_lost(
    cw: CaseWorld,
    escrow_on: Recovery,  # noqa: F811
    tmp_path: Path,
) -> None:
    survivor = do_create_survivor(case=cw.case, user=cw.world.member, identity=IDENTITY, age_band="25-39")
    sealed = SealedIdentity.objects.get(survivor=survivor)
    assert bytes(sealed.escrow_key) and b"Fictional" not in bytes(sealed.escrow_key)

    _lose_server_kek(cw)
    with pytest.raises(sealing.SealedValueUnavailable):
        open_identity(sealed)

    out = tmp_path / "identity.json"
    call_command(
        "recover_sealed",
        identity=survivor.pk,
        gnupg_home=str(escrow_on.recovery_home),
        out=str(out),
        reason="Server keys lost; restoring the file for the case team",
    )
    assert json.loads(out.read_text())["legal_name"] == IDENTITY.legal_name
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    event = AuditEvent.objects.get(action="survivor.identity_revealed")
    assert event.details["channel"] == "escrow_recovery" and event.purpose.startswith("Server keys lost")

    # The server's own home holds the public keys only: it cannot open the escrow copy.
    with pytest.raises(CommandError):
        call_command(
            "recover_sealed",
            identity=survivor.pk,
            gnupg_home=str(escrow_on.server_home),
            out=str(tmp_path / "again.json"),
            reason="Trying with the server's keyring",
        )
    assert not (tmp_path / "again.json").exists()


def test_mhpss_note_is_escrowed_and_recovered(
    cw: CaseWorld,
    escrow_on: Recovery,  # noqa: F811
    tmp_path: Path,
) -> None:
    note = do_write_note(survivor=cw.adult, body="Clinical observations (fictional).", user=cw.world.mhpss)
    assert bytes(MhpssNote.objects.get(pk=note.pk).escrow_key)
    _lose_server_kek(cw)
    out = tmp_path / "note.txt"
    call_command(
        "recover_sealed", note=note.pk, gnupg_home=str(escrow_on.recovery_home), out=str(out), reason="Keys lost"
    )
    assert out.read_text() == "Clinical observations (fictional)."
    assert AuditEvent.objects.filter(action="mhpss.note_read", details__channel="escrow_recovery").count() == 1


def test_shredding_destroys_the_escrow_copy_too(
    cw: CaseWorld,
    escrow_on: Recovery,  # noqa: F811
    tmp_path: Path,
) -> None:
    survivor = do_create_survivor(case=cw.case, user=cw.world.member, identity=IDENTITY, age_band="25-39")
    assert bytes(SealedIdentity.objects.get(survivor=survivor).escrow_key)
    do_shred_identity(survivor=survivor, user=cw.world.member, reason="Survivor asked for erasure")
    sealed = SealedIdentity.objects.get(survivor=survivor)
    assert bytes(sealed.wrapped_key) == b"" and bytes(sealed.escrow_key) == b"" and sealed.is_shredded
    with pytest.raises(CommandError):
        call_command(
            "recover_sealed",
            identity=survivor.pk,
            gnupg_home=str(escrow_on.recovery_home),
            out=str(tmp_path / "shredded.json"),
            reason="After erasure",
        )
    assert not (tmp_path / "shredded.json").exists()
    assert not AuditEvent.objects.filter(action="survivor.identity_revealed").exists()


def test_without_escrow_recovery_keys_no_copy_is_stored(
    cw: CaseWorld, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.CUSTODY_ESCROW_FINGERPRINTS = []
    survivor = do_create_survivor(case=cw.case, user=cw.world.member, identity=IDENTITY, age_band="25-39")
    assert bytes(SealedIdentity.objects.get(survivor=survivor).escrow_key) == b""
    with pytest.raises(CommandError, match="no escrow copy"):
        call_command(
            "recover_sealed",
            identity=survivor.pk,
            gnupg_home=str(tmp_path),
            out=str(tmp_path / "none.json"),
            reason="No escrow configured",
        )


def test_values_sealed_before_escrow_was_configured_are_escrowed_later(
    cw: CaseWorld,
    escrow_on: Recovery,  # noqa: F811
    settings: SettingsWrapper,
    tmp_path: Path,
) -> None:
    settings.CUSTODY_ESCROW_FINGERPRINTS = []
    survivor = do_create_survivor(case=cw.case, user=cw.world.member, identity=IDENTITY, age_band="25-39")
    note = do_write_note(survivor=cw.adult, body="Earlier note (fictional).", user=cw.world.mhpss)
    with pytest.raises(CommandError, match="Escrow is off"):
        call_command("escrow_sealed")
    settings.CUSTODY_ESCROW_FINGERPRINTS = escrow_on.fingerprints
    first, second = io.StringIO(), io.StringIO()
    call_command("escrow_sealed", stdout=first)
    call_command("escrow_sealed", stdout=second)
    assert "Escrowed 2 " in first.getvalue() and "Escrowed 0 " in second.getvalue()
    assert bytes(SealedIdentity.objects.get(survivor=survivor).escrow_key)
    assert bytes(MhpssNote.objects.get(pk=note.pk).escrow_key)
    _lose_server_kek(cw)
    out = tmp_path / "later.json"
    call_command(
        "recover_sealed", identity=survivor.pk, gnupg_home=str(escrow_on.recovery_home), out=str(out), reason="Lost"
    )
    assert json.loads(out.read_text())["legal_name"] == IDENTITY.legal_name
