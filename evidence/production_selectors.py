"""Reads for court productions: the items a production may select, saved searches, defaults."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from cases.models import Case, ConsentDependency, DependencyState
from evidence.models import DerivativeKind, EvidenceItem, Sensitivity, State
from evidence.production_models import Production, ProductionItem, ProductionState, SavedSearch

DEPENDENCY_KIND = "evidence.production"


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """What a saved search keeps: plain values only, so it can be stored as JSON and shown back."""

    sensitivity: str = ""
    media_type: str = ""  # a prefix, e.g. "application/pdf" or "image/"
    collected_from: datetime.date | None = None
    collected_to: datetime.date | None = None
    survivor_code: str = ""
    number_from: int | None = None
    number_to: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "sensitivity": self.sensitivity,
            "media_type": self.media_type,
            "collected_from": self.collected_from.isoformat() if self.collected_from else None,
            "collected_to": self.collected_to.isoformat() if self.collected_to else None,
            "survivor_code": self.survivor_code,
            "number_from": self.number_from,
            "number_to": self.number_to,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ItemFilter:
        def day(value: Any) -> datetime.date | None:
            return datetime.date.fromisoformat(value) if value else None

        def number(value: Any) -> int | None:
            return int(value) if value not in (None, "") else None

        sensitivity = str(data.get("sensitivity") or "")
        return cls(
            sensitivity=sensitivity if sensitivity in Sensitivity.values else "",
            media_type=str(data.get("media_type") or "")[:127],
            collected_from=day(data.get("collected_from")),
            collected_to=day(data.get("collected_to")),
            survivor_code=str(data.get("survivor_code") or "")[:32],
            number_from=number(data.get("number_from")),
            number_to=number(data.get("number_to")),
        )


def selectable_items(case: Case) -> QuerySet[EvidenceItem]:
    """The originals of a case; a production chooses between an original and its redacted copy itself."""
    return EvidenceItem.objects.filter(case=case, derivative_of__isnull=True).exclude(state=State.RECEIVING)


def matching(case: Case, wanted: ItemFilter) -> QuerySet[EvidenceItem]:
    items = selectable_items(case)
    if wanted.sensitivity:
        items = items.filter(sensitivity=wanted.sensitivity)
    if wanted.media_type:
        items = items.filter(media_type__startswith=wanted.media_type)
    if wanted.collected_from:
        items = items.filter(collected_at__date__gte=wanted.collected_from)
    if wanted.collected_to:
        items = items.filter(collected_at__date__lte=wanted.collected_to)
    if wanted.survivor_code:
        items = items.filter(survivors__code=wanted.survivor_code)
    if wanted.number_from is not None:
        items = items.filter(number__gte=wanted.number_from)
    if wanted.number_to is not None:
        items = items.filter(number__lte=wanted.number_to)
    return items.distinct().order_by("number")


def saved_search(case: Case, name: str) -> SavedSearch | None:
    return SavedSearch.objects.filter(case=case, name=name).first()


def saved_searches(case: Case) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(case=case)


def productions_of(case: Case) -> QuerySet[Production]:
    return Production.objects.filter(case=case).select_related("created_by", "recipient_team")


def rows_of(production: Production) -> QuerySet[ProductionItem]:
    return production.rows.select_related("item", "item__case", "produced").order_by("item__number", "pk")


def newest_redacted_copy(item: EvidenceItem) -> EvidenceItem | None:
    """The newest stored redacted copy of an original (released by the redaction workflow)."""
    return (
        EvidenceItem.objects.filter(derivative_of=item, derivative_kind=DerivativeKind.REDACTED, state=State.STORED)
        .select_related("case")
        .order_by("-created_at", "-pk")
        .first()
    )


def default_bates_prefix(case: Case) -> str:
    """``<case reference>-``, e.g. ``CAF-MINUSCA-0042-``: the counter is per case, so the label must be too."""
    return f"{case.reference}-"


def prefix_used_elsewhere(case: Case, prefix: str) -> bool:
    """Another case of the same organisation already stamps this prefix: its numbers would repeat labels of ours.

    Only the case's own organisation is looked at: other organisations' productions stay invisible (asking
    must not reveal that another organisation's case has productions). Callers hold the organisation's lock.
    """
    same_organisation = Production.objects.filter(case__organisation_id=case.organisation_id, bates_prefix=prefix)
    return same_organisation.exclude(case=case).exists()


def consent_active(production: Production) -> bool:
    """False once a survivor withdrew a consent the released production relies on, or one linked later lacks it."""
    return production.consent_suspended_at is None and not consent_withdrawn(production)


def consent_withdrawn(production: Production) -> bool:
    """A survivor withdrew (or refused) a consent registered for the production: its downloads stay stopped."""
    return ConsentDependency.objects.filter(
        kind=DEPENDENCY_KIND, object_id=str(production.pk), state=DependencyState.SUSPENDED
    ).exists()


def in_progress(production: Production) -> bool:
    return production.state == ProductionState.BUILDING
