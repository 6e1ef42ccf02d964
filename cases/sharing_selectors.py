"""Reads for the sharing pages: grants of a case, and the access review with each grant's last use."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

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
        .select_related("grantee_team", "grantee_user", "granted_by")
        .prefetch_related(_ITEMS)
    )


def pending_approvals(case_id: int) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(case_id=case_id, state=ApprovalState.PENDING).select_related("requested_by")


@dataclass(frozen=True)
class ReviewRow:
    grant: Grant
    last_used: datetime.datetime | None
    items: list[str]


def last_use(grant: Grant) -> datetime.datetime | None:
    """The last audited action on the case by someone the grant covers, since it was made."""
    if grant.grantee_user_id is not None:
        people = [grant.grantee_user_id]
    else:
        people = list(Membership.objects.filter(team_id=grant.grantee_team_id).values_list("user_id", flat=True))
    event = (
        AuditEvent.objects.filter(case_id=grant.case_id, actor_id__in=people, occurred_at__gte=grant.created_at)
        .order_by("-seq")
        .only("occurred_at")
        .first()
    )
    return event.occurred_at if event else None


def access_review(organisation_ids: set[int]) -> list[ReviewRow]:
    grants = (
        Grant.objects.filter(case__organisation_id__in=organisation_ids)
        .select_related("case", "grantee_team", "grantee_user", "granted_by")
        .prefetch_related(_ITEMS)
        .order_by("case__reference", "-created_at")
    )
    return [ReviewRow(grant, last_use(grant), covered_items(grant)) for grant in grants]
