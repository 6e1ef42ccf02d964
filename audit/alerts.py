"""Integrity alerts: raised by the audit verification and the evidence integrity sweep."""

from __future__ import annotations

from typing import Final

from django.db import transaction
from django.utils import timezone

from audit.models import Alert

AUDIT_CHAIN: Final = "audit.chain"


def raise_alert(*, kind: str, message: str) -> Alert:
    """Open an alert of ``kind``, or return the one already open (its first message stands)."""
    with transaction.atomic():
        existing = Alert.objects.select_for_update().filter(kind=kind, resolved_at__isnull=True).first()
        if existing is not None:
            return existing
        return Alert.objects.create(kind=kind, message=message, raised_at=timezone.now())


def resolve_alerts(*, kind: str) -> int:
    return Alert.objects.filter(kind=kind, resolved_at__isnull=True).update(resolved_at=timezone.now())
