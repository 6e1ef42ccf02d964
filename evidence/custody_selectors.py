"""Reads for custody: the history of an item, who may receive it, and the audit events touching it."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from audit.models import AuditEvent
from audit.selectors import EventFilter, events
from evidence.custody_access import custody_ref
from evidence.custody_models import CustodyTransfer
from evidence.models import EvidenceItem
from teams.models import Membership
from teams.policy import Perm, actor_for, decide


def custody_history(item: EvidenceItem) -> QuerySet[CustodyTransfer]:
    """Every transfer of the item, proposed or answered, oldest first."""
    return (
        CustodyTransfer.objects.filter(item=item)
        .select_related("from_user", "to_user", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def eligible_receivers(item: EvidenceItem) -> QuerySet[User]:
    """People the policy lets hold the item, other than its current custodian."""
    team_ids = item.case.teams.values_list("pk", flat=True)
    candidates = User.objects.filter(
        pk__in=Membership.objects.filter(team_id__in=team_ids).values("user_id"), is_active=True
    ).exclude(pk=item.custodian_id or 0)
    ref = custody_ref(item)
    allowed = [user.pk for user in candidates if decide(actor_for(user), Perm.CUSTODY_HOLD, ref)]
    return User.objects.filter(pk__in=allowed).order_by("display_name", "username")


def item_events(item_id: int, *, up_to_seq: int | None = None) -> QuerySet[AuditEvent]:
    """Audit events that name the item, in chain order."""
    found = events(EventFilter(target_kind="evidence.item", target_key=str(item_id)))
    return found.filter(seq__lte=up_to_seq) if up_to_seq is not None else found
