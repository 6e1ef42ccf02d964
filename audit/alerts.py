"""Integrity alerts: raised by the audit verification and the evidence integrity sweep."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from audit.models import Alert

AUDIT_CHAIN: Final = "audit.chain"


def raise_alert(*, kind: str, message: str, code: str = "", params: Mapping[str, Any] | None = None) -> Alert:
    """Open an alert of ``kind``, or return the one already open (its first message stands).

    ``message`` is English, for logs and old readers; ``code`` and ``params`` (see ``audit.alert_messages``)
    let each person read the alert in their own language.
    """
    with transaction.atomic():
        existing = Alert.objects.select_for_update().filter(kind=kind, resolved_at__isnull=True).first()
        if existing is not None:
            return existing
        return Alert.objects.create(
            kind=kind, message=message, code=code, params=dict(params or {}), raised_at=timezone.now()
        )


def resolve_alerts(*, kind: str) -> int:
    return Alert.objects.filter(kind=kind, resolved_at__isnull=True).update(resolved_at=timezone.now())
