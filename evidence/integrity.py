"""Integrity: recording checks of stored objects, and raising the alarm when one fails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, record
from evidence import retrieval
from evidence.models import EvidenceItem, IntegrityCheck
from evidence.selectors import stored_items


def item_target(item_id: int) -> Target:
    return Target("evidence.item", item_id)


def do_record_integrity_failure(
    *,
    item: EvidenceItem,
    reason: str,
    channel: str,
    user: Any = None,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    purpose: str = "",
) -> None:
    """An object failed verification: mark it, keep a check row, audit (outcome failed) and alert."""
    with transaction.atomic():
        IntegrityCheck.objects.create(item=item, ok=False, reason=reason[:200])
        EvidenceItem.objects.filter(pk=item.pk).update(integrity_ok=False, last_verified_at=timezone.now())
        record(
            action=Action.EVIDENCE_INTEGRITY_FAILED,
            outcome=Outcome.FAILED,
            user=user,
            acting_as=acting_as,
            request=request,
            purpose=purpose,
            case_id=item.case_id,
            targets=[item_target(item.pk)],
            details={"reason": reason, "channel": channel, "sha256": item.sha256},
        )
        _alert(item, reason)


def _alert(item: EvidenceItem, reason: str) -> None:
    """Raise an alert for the people who watch integrity, through the audit app's alerts when present."""
    try:
        from audit import alerts
        from audit.alert_messages import EVIDENCE_INTEGRITY
    except ImportError:
        return
    alerts.raise_alert(
        kind=f"evidence.integrity:{item.pk}",
        message=f"Evidence item {item.display_name} failed an integrity check ({reason}).",
        code=EVIDENCE_INTEGRITY,
        params={"item": item.display_name, "reason": reason},
    )


def do_verify_item(*, item: EvidenceItem, channel: str = "sweep") -> bool:
    try:
        retrieval.verify(item)
    except retrieval.IntegrityFailure as failure:
        do_record_integrity_failure(item=item, reason=failure.reason, channel=channel)
        return False
    with transaction.atomic():
        IntegrityCheck.objects.create(item=item, ok=True)
        EvidenceItem.objects.filter(pk=item.pk).update(integrity_ok=True, last_verified_at=timezone.now())
    return True


@dataclass(frozen=True, slots=True)
class SweepResult:
    checked: int
    failed: list[int]


def do_sweep(*, user: Any = None) -> SweepResult:
    """Re-check every stored object against its recorded hashes."""
    failed: list[int] = []
    checked = 0
    for item in stored_items().iterator(chunk_size=200):
        checked += 1
        if not do_verify_item(item=item):
            failed.append(item.pk)
    with transaction.atomic():
        record(
            action=Action.EVIDENCE_VERIFIED,
            outcome=Outcome.FAILED if failed else Outcome.ALLOWED,
            user=user,
            targets=[item_target(pk) for pk in failed[:100]],
            details={"checked": checked, "failed": len(failed)},
        )
    return SweepResult(checked=checked, failed=failed)
