"""Reads for the sharing pages: grants of a case, and the access review with each grant's last use."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case as DjangoCase
from django.db.models import OuterRef, QuerySet, Subquery, When

from audit.models import AuditEvent
from cases.models import ApprovalRequest, ApprovalState, Grant
from teams.models import Membership

# Items are linked from the evidence side (``evidence.GrantedItem``); the reverse relation needs no import of it.
_ITEMS = "granted_items__item__case"


def covered_items(grant: Grant) -> list[str]:
    """Names of the items an item-scoped grant covers (empty for a whole-case grant), prefetched by the callers."""
    if not grant.item_scoped:
        return []
    return sorted(link.item.display_name for link in grant.granted_items.all())


def grants_of_case(case_id: int) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(case_id=case_id)
        .select_related("grantee_team__organisation", "grantee_user", "granted_by")
        .prefetch_related(_ITEMS)
    )


def grantee_team_names(grant_ids: list[int]) -> list[str]:
    """The teams the given grants were made to, by name, each once."""
    names = Grant.objects.filter(pk__in=grant_ids).values_list("grantee_team__name", flat=True)
    return sorted(set(names))


def pending_approvals(case_id: int) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(case_id=case_id, state=ApprovalState.PENDING).select_related("requested_by")


@dataclass(frozen=True)
class ReviewRow:
    grant: Grant
    last_used: datetime.datetime | None
    items: list[str]


def _last_use() -> DjangoCase:
    """The time of the last audited action on the grant's case by someone the grant covers, since it was made.

    A subquery per grant row, evaluated by the database in the grants' own query: the review costs
    the same number of queries for one grant as for hundreds. The people covered are the named
    grantee, or the grantee team's current members.
    """
    events = AuditEvent.objects.filter(case_id=OuterRef("case_id"), occurred_at__gte=OuterRef("created_at"))
    members = Membership.objects.filter(team_id=OuterRef(OuterRef("grantee_team_id"))).values("user_id")

    def latest(rows: QuerySet[AuditEvent]) -> Subquery:
        return Subquery(rows.order_by("-seq").values("occurred_at")[:1])

    return DjangoCase(
        When(grantee_user__isnull=False, then=latest(events.filter(actor_id=OuterRef("grantee_user_id")))),
        default=latest(events.filter(actor_id__in=members)),
    )


def access_review(organisation_ids: set[int]) -> list[ReviewRow]:
    grants = (
        Grant.objects.filter(case__organisation_id__in=organisation_ids)
        .select_related("case", "grantee_team__organisation", "grantee_user", "granted_by")
        .prefetch_related(_ITEMS)
        .annotate(last_used=_last_use())
        .order_by("case__reference", "-created_at")
    )
    return [ReviewRow(grant, grant.last_used, covered_items(grant)) for grant in grants]
