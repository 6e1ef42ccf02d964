"""Offline recovery of sealed survivor identities and MHPSS notes with a coalition recovery key.

For the day the server's key-encryption keys are lost (destroyed KMS keys, a lost key directory):
the value's escrow copy, stored beside its wrapped key, is opened with a recovery private key kept
offline (a GnuPG home), and the ciphertext is decrypted with it. Runs against the database (or a
restored backup); each recovery is audited like a reveal, with the channel ``escrow_recovery``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from audit.actions import Action
from audit.services import record
from cases import sealing
from cases.consent import survivor_target
from cases.mhpss import note_context, note_target
from cases.models import MhpssNote, SealedIdentity
from cases.survivors import identity_context
from vault import crypto


class RecoveryRefused(Exception):
    """Nothing to recover: shredded, never escrowed, or the recovery key does not open it."""


def do_recover_identity(
    *, survivor_id: int, gnupg_home: Path | str, reason: str, passphrase: str | None = None
) -> dict[str, Any]:
    """The survivor's identity (the sealed JSON value), opened with the escrow copy of its key."""
    sealed = SealedIdentity.objects.filter(survivor_id=survivor_id).select_related("survivor").first()
    if sealed is None or sealed.shredded_at is not None:
        raise RecoveryRefused("no sealed identity")
    try:
        value = sealing.recover_json(
            bytes(sealed.ciphertext),
            escrow=bytes(sealed.escrow_key),
            context=identity_context(survivor_id),
            gnupg_home=gnupg_home,
            passphrase=passphrase,
        )
    except sealing.SealedValueUnavailable as error:
        raise RecoveryRefused(str(error)) from None
    with transaction.atomic():
        record(
            action=Action.IDENTITY_REVEALED,
            user=None,
            purpose=reason,
            case_id=sealed.survivor.case_id,
            targets=[survivor_target(survivor_id)],
            details={"channel": "escrow_recovery"},
        )
    return value


def do_recover_note(*, note_id: int, gnupg_home: Path | str, reason: str, passphrase: str | None = None) -> str:
    """An MHPSS note's body, opened with the escrow copy of its key."""
    note = MhpssNote.objects.filter(pk=note_id).select_related("survivor").first()
    if note is None:
        raise RecoveryRefused("no such note")
    try:
        value = sealing.recover_json(
            bytes(note.sealed_body),
            escrow=bytes(note.escrow_key),
            context=note_context(note.survivor_id),
            gnupg_home=gnupg_home,
            passphrase=passphrase,
        )
    except sealing.SealedValueUnavailable as error:
        raise RecoveryRefused(str(error)) from None
    with transaction.atomic():
        record(
            action=Action.MHPSS_NOTE_READ,
            user=None,
            purpose=reason,
            case_id=note.survivor.case_id,
            targets=[survivor_target(note.survivor_id), note_target(note.pk)],
            details={"channel": "escrow_recovery"},
        )
    return str(value["body"])


def do_escrow_missing() -> int:
    """Add the escrow copy to sealed identities and notes written before escrow was configured.

    Idempotent: only rows with a wrapped key and no escrow copy are touched; shredded ones never.
    Returns how many rows were escrowed. Does nothing while escrow is off.
    """
    if not crypto.escrow_enabled():
        return 0
    count = 0
    identities = SealedIdentity.objects.filter(escrow_key=b"", shredded_at__isnull=True).exclude(wrapped_key=b"")
    for sealed in identities.iterator(chunk_size=100):
        key = crypto.FieldKey.open(bytes(sealed.wrapped_key), context=identity_context(sealed.survivor_id))
        count += SealedIdentity.objects.filter(pk=sealed.pk, escrow_key=b"").update(escrow_key=key.escrow() or b"")
    notes = MhpssNote.objects.filter(escrow_key=b"").exclude(wrapped_key=b"")
    for note in notes.iterator(chunk_size=100):
        key = crypto.FieldKey.open(bytes(note.wrapped_key), context=note_context(note.survivor_id))
        count += MhpssNote.objects.filter(pk=note.pk, escrow_key=b"").update(escrow_key=key.escrow() or b"")
    return count
