"""Writes on evidence items: recording intake, legal hold, crypto-shredding, key rotation.

Every write records its audit event inside its own transaction.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import filetype
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, record
from cases.consent import survivor_target
from cases.models import Case
from evidence import sealing, storage
from evidence.intake import Plan, Sealed
from evidence.models import EvidenceItem, KeyRole, State, WrappedDataKey
from evidence.production_package import do_rewrap_package_keys
from evidence.production_revocation import revoke_for_shredded
from evidence.survivor_links import recheck_new_links


def item_target(item_id: int | str) -> Target:
    return Target("evidence.item", item_id)


def case_target(case_id: int) -> Target:
    return Target("case", case_id)


# --- Where, and under which key ---------------------------------------------------------------


def kek_scope_for(case: Case) -> str:
    """The key-encryption key of a case's items.

    ``jur:<CC>`` when the host country is listed in ``CUSTODY_JURISDICTION_KEYS`` (its evidence
    must stay under keys held for that country), otherwise ``org:<slug>`` of the owning
    organisation, so an organisation leaving the coalition takes one key with it.
    """
    code = case.host_jurisdiction.code.upper()
    if code in getattr(settings, "CUSTODY_JURISDICTION_KEYS", ()):
        return f"jur:{code}"
    return f"org:{case.organisation.slug}"


def plan_for(case: Case) -> Plan:
    return Plan(alias=storage.alias_for(case.host_jurisdiction.code), kek_scope=kek_scope_for(case))


# --- Media type, from content --------------------------------------------------------------


def detect_media_type(head: bytes) -> str:
    """The media type from the first bytes, never from the name: magic numbers, then text."""
    if not head:
        return "application/x-empty"
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if _looks_like_text(head):
        return "text/plain"
    return "application/octet-stream"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    sample = head
    # A multi-byte character may be cut at the end of the sample.
    for cut in range(4):
        with contextlib.suppress(UnicodeDecodeError):
            (sample[: len(sample) - cut] if cut else sample).decode("utf-8")
            return True
    return False


# --- Intake --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Collection:
    """How an item was collected, as entered at intake."""

    collected_by: str = ""
    collected_at: datetime | None = None
    place: str = ""
    source: str = ""
    method: str = ""
    sensitivity: str = ""
    # The survivors the item concerns (ids of the case's survivors), or an explicit "concerns no survivor".
    survivor_ids: tuple[int, ...] = ()
    no_survivor_material: bool = False


@dataclass(frozen=True, slots=True)
class Derivative:
    """A copy made from an item: redacted or converted."""

    of: EvidenceItem
    kind: str


def _next_number(case: Case) -> int:
    current = EvidenceItem.objects.select_for_update().filter(case=case).aggregate(top=Max("number"))["top"]
    return int(current or 0) + 1


def _duplicate_of(case: Case, sha256: str) -> EvidenceItem | None:
    return (
        EvidenceItem.objects.filter(case=case, sha256=sha256, state=State.STORED, duplicate_of__isnull=True)
        .order_by("number")
        .first()
    )


def do_register_item(
    *,
    case: Case,
    sealed: Sealed,
    original_name: str,
    collection: Collection,
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None = None,
    channel: str = "web",
    derivative: Derivative | None = None,
) -> EvidenceItem:
    """Record a completely stored object as an item (or link it to the identical item already in the case).

    ``derivative`` marks a redacted or converted copy of an item of the same case (the original is
    never modified). On any failure the stored object is removed, so no object exists without its row.
    """
    if derivative is not None and derivative.of.case_id != case.pk:
        raise ValueError("A copy belongs to the case of its original.")
    try:
        with transaction.atomic():
            item = _register(case, sealed, original_name, collection, user, acting_as, request, channel, derivative)
    except BaseException:
        storage.delete(sealed.alias, sealed.key)
        raise
    if item.duplicate_of_id is not None:
        # The content is already held under the first item's key: never store it twice.
        transaction.on_commit(lambda: storage.delete(sealed.alias, sealed.key))
    return item


def _register(
    case: Case,
    sealed: Sealed,
    original_name: str,
    collection: Collection,
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
    channel: str,
    derivative: Derivative | None,
) -> EvidenceItem:
    original = _duplicate_of(case, sealed.sha256)
    item = EvidenceItem(
        uid=sealed.uid,
        case=case,
        number=_next_number(case),
        state=State.STORED,
        media_type=detect_media_type(sealed.head),
        size=sealed.size,
        sha256=sealed.sha256,
        collected_by=collection.collected_by,
        collected_at=collection.collected_at,
        collection_place=collection.place,
        collection_source=collection.source,
        collection_method=collection.method,
        custodian=user,
        created_by=user,
        sealed_original_name=sealing.seal_name(sealed.data_key, sealed.uid, original_name),
    )
    if collection.sensitivity:
        item.sensitivity = collection.sensitivity
    if derivative is not None:
        item.derivative_of, item.derivative_kind = derivative.of, derivative.kind
    if original is None:
        item.storage_location = sealed.alias
        item.object_key = sealed.key
        item.object_size = sealed.object_size
        item.ciphertext_sha256 = sealed.ciphertext_sha256
    else:
        item.duplicate_of = original
    item.no_survivor_material = collection.no_survivor_material and not collection.survivor_ids
    item.save()
    _store_keys(item, sealed.data_key)
    survivors = list(case.survivors.filter(pk__in=collection.survivor_ids))
    item.survivors.set(survivors)
    rechecked = recheck_new_links(item=item, added=survivors, user=user, acting_as=acting_as, request=request)
    targets = [item_target(item.pk), case_target(case.pk), *(survivor_target(s.pk) for s in survivors)]
    details: dict[str, Any] = {
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "channel": channel,
        "survivor_ids": [s.pk for s in survivors],
        "no_survivor_material": item.no_survivor_material,
        **rechecked,
    }
    if derivative is not None:
        details.update(derivative_of=derivative.of.pk, derivative_kind=derivative.kind)
        targets.append(item_target(derivative.of.pk))
    record(
        action=Action.EVIDENCE_UPLOADED,
        user=user,
        acting_as=acting_as,
        request=request,
        case_id=case.pk,
        targets=targets,
        details={**details, "storage_location": sealed.alias},
    )
    if original is not None:
        record(
            action=Action.EVIDENCE_DUPLICATE,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=case.pk,
            targets=[*targets, item_target(original.pk)],
            details={"sha256": item.sha256, "duplicate_of": original.pk},
        )
    return item


def _store_keys(item: EvidenceItem, data_key: sealing.DataKey) -> None:
    WrappedDataKey.objects.bulk_create(
        [
            WrappedDataKey(
                item=item,
                role=KeyRole.ESCROW if wrapped.escrow else KeyRole.PRIMARY,
                provider=wrapped.provider,
                kek_scope=wrapped.kek_scope,
                kek_version=wrapped.kek_version,
                wrapped=wrapped.wrapped,
            )
            for wrapped in data_key.wrapped
        ]
    )


def do_record_upload_failure(
    *, case: Case, user: Any, acting_as: ActingAs | None, request: HttpRequest | None, reason: str, channel: str = "web"
) -> None:
    with transaction.atomic():
        record(
            action=Action.EVIDENCE_UPLOAD_FAILED,
            outcome=Outcome.FAILED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=case.pk,
            targets=[case_target(case.pk)],
            details={"reason": reason, "channel": channel},
        )


# --- Legal hold and crypto-shredding ---------------------------------------------------------


def do_set_legal_hold(
    *, item: EvidenceItem, hold: bool, reason: str, user: Any, acting_as: ActingAs | None, request: HttpRequest | None
) -> EvidenceItem:
    with transaction.atomic():
        locked = EvidenceItem.objects.select_for_update().get(pk=item.pk)
        changed = locked.legal_hold != hold
        locked.legal_hold = hold
        locked.save(update_fields=["legal_hold"])
        if changed:
            record(
                action=Action.EVIDENCE_LEGAL_HOLD_SET if hold else Action.EVIDENCE_LEGAL_HOLD_REMOVED,
                user=user,
                acting_as=acting_as,
                request=request,
                case_id=locked.case_id,
                targets=[item_target(locked.pk)],
                details={"reason": reason},
            )
    return locked


class ShredRefused(Exception):
    pass


def do_shred(
    *, item: EvidenceItem, reason: str, user: Any, acting_as: ActingAs | None, request: HttpRequest | None
) -> EvidenceItem:
    """Destroy an item's wrapped keys and stored object; keep its row and its audit trail.

    The duplicates of an item share its content, and its derivatives (redacted or converted copies, and
    theirs) are made from it, so all of them are shredded with it, each destruction audited: a copy left
    readable would keep what the shred was asked to destroy. A legal hold on any of them refuses the
    whole. Shredding a duplicate alone leaves the content with its original (its own derivatives go).
    Productions whose package holds any of them are revoked in the same transaction.
    """
    with transaction.atomic():
        locked = EvidenceItem.objects.select_for_update().get(pk=item.pk)
        family = _shred_family(locked)
        if locked.legal_hold or any(row.legal_hold for row in family):
            raise ShredRefused("legal hold")
        if locked.state == State.SHREDDED:
            raise ShredRefused("already shredded")
        objects = [(row.storage_location, row.object_key) for row in [locked, *family] if row.object_key]
        for target in [locked, *family]:
            _shred_row(target, reason=reason, user=user, acting_as=acting_as, request=request, with_item=locked)
        shredded = [locked.pk, *[row.pk for row in family]]
        revoke_for_shredded(item_ids=shredded, user=user, acting_as=acting_as, request=request)
        for alias, key in objects:
            transaction.on_commit(partial(storage.delete, alias, key))
    return locked


def _shred_family(root: EvidenceItem) -> list[EvidenceItem]:
    """The not yet shredded duplicates and derivatives of ``root``, and theirs, locked, root excluded.

    Walked level by level: a redacted copy can itself have duplicates or a converted copy.
    """
    found: dict[int, EvidenceItem] = {}
    frontier = [root.pk]
    while frontier:
        level = list(
            EvidenceItem.objects.select_for_update()
            .filter(Q(duplicate_of_id__in=frontier) | Q(derivative_of_id__in=frontier))
            .exclude(state=State.SHREDDED)
            .exclude(pk__in=[root.pk, *found])
            .order_by("pk")
        )
        found.update((row.pk, row) for row in level)
        frontier = [row.pk for row in level]
    return list(found.values())


def _shred_row(
    row: EvidenceItem,
    *,
    reason: str,
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
    with_item: EvidenceItem,
) -> None:
    deleted, _rows = WrappedDataKey.objects.filter(item=row).delete()
    row.state = State.SHREDDED
    row.shredded_at = timezone.now()
    row.sealed_original_name = b""
    row.save(update_fields=["state", "shredded_at", "sealed_original_name"])
    details: dict[str, Any] = {"reason": reason, "keys_destroyed": deleted, "sha256": row.sha256}
    if row.pk != with_item.pk:
        details["shredded_with"] = with_item.pk
        if row.derivative_of_id is not None:
            details["derivative_of"] = row.derivative_of_id
    elif row.duplicate_of_id is not None:
        details["content_kept_by"] = row.duplicate_of_id
    record(
        action=Action.EVIDENCE_SHREDDED,
        user=user,
        acting_as=acting_as,
        request=request,
        case_id=row.case_id,
        targets=[item_target(row.pk)],
        details=details,
    )


# --- Key rotation ----------------------------------------------------------------------------


def do_rotate_scope(*, kek_scope: str, user: Any = None, batch: int = 500) -> int:
    """Re-wrap every data key of a scope not wrapped by its current KEK version. Content is untouched.

    Runs in batches, each in its own transaction with its own audit event; safe to run again.
    """
    rewrapped = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            rows = list(
                WrappedDataKey.objects.select_for_update()
                .select_related("item")
                .filter(kek_scope=kek_scope, role=KeyRole.PRIMARY, pk__gt=last_pk)
                .order_by("pk")[:batch]
            )
            if not rows:
                break
            last_pk = rows[-1].pk
            changed = [row for row in rows if sealing.needs_rewrap(bytes(row.wrapped))]
            for row in changed:
                wrapping = sealing.rewrap(bytes(row.wrapped), row.item.uid)
                row.wrapped, row.kek_version = wrapping.wrapped, wrapping.kek_version
                row.provider = wrapping.provider
                row.rewrapped_at = timezone.now()
            WrappedDataKey.objects.bulk_update(changed, ["wrapped", "kek_version", "provider", "rewrapped_at"])
            rewrapped += len(changed)
            if changed:
                record(
                    action=Action.EVIDENCE_KEYS_ROTATED,
                    user=user,
                    targets=[Target("kek", kek_scope)],
                    details={"kek_scope": kek_scope, "rewrapped": len(changed)},
                )
    return rewrapped + do_rewrap_package_keys(kek_scope=kek_scope, user=user)
