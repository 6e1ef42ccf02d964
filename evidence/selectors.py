"""Reads on evidence items. Callers have already passed the access helper for the case or item."""

from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AuditEvent
from audit.selectors import EventFilter, events
from cases.models import Case
from evidence import sealing
from evidence.models import EvidenceItem, IntegrityCheck, State
from evidence.retrieval import data_key_for


def items_of_case(case: Case) -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(case=case).select_related("case", "custodian", "duplicate_of").order_by("number")


def item_history(item: EvidenceItem) -> QuerySet[AuditEvent]:
    """Every audit event naming this item, oldest first."""
    return events(EventFilter(target_kind="evidence.item", target_key=str(item.pk)))


def original_name(item: EvidenceItem) -> str:
    """The decrypted original file name, for people allowed to download the original only; never logged."""
    if item.state == State.SHREDDED or not item.sealed_original_name:
        return ""
    return sealing.open_name(data_key_for(item), item.uid, bytes(item.sealed_original_name))


def latest_checks(limit: int = 200) -> QuerySet[IntegrityCheck]:
    return IntegrityCheck.objects.select_related("item", "item__case").order_by("-checked_at")[:limit]


def failed_items() -> QuerySet[EvidenceItem]:
    return EvidenceItem.objects.filter(integrity_ok=False).select_related("case").order_by("case", "number")


def stored_items() -> QuerySet[EvidenceItem]:
    """Every item that holds its own stored object (duplicates share their original's)."""
    return EvidenceItem.objects.filter(state=State.STORED, duplicate_of__isnull=True).select_related("case")
