"""Shared comments on items. A comment that types a survivor's known identifier is refused.

The check runs on the server as a system operation (``cases.identifiers.text_names_a_survivor``),
recorded as the commenter's action; identifiers never reach the browser, the refusal is the same
whatever was found, and refusals are limited per person and item to stop guessing.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from audit.services import ActingAs, UserLike, record
from cases.identifiers import text_names_a_survivor
from evidence.access import item_target
from evidence.models import EvidenceItem
from evidence.sharing_models import Annotation

MAX_REFUSALS_PER_HOUR = 3
REFUSAL_WINDOW_SECONDS = 3600
# One message whatever was found, so that a refusal does not confirm which guess was right.
SCREEN_MESSAGE = gettext_lazy(
    "This comment may contain information that identifies a survivor; remove names, contacts and numbers."
)


class AnnotationRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _survivor_ids(item: EvidenceItem) -> list[int]:
    ids = set(item.survivors.values_list("pk", flat=True))
    if item.derivative_of_id is not None:
        ids |= set(
            EvidenceItem.survivors.through.objects.filter(evidenceitem_id=item.derivative_of_id).values_list(
                "survivor_id", flat=True
            )
        )
    return sorted(ids)


def _recent_refusals(item: EvidenceItem, user: UserLike) -> int:
    since = timezone.now() - datetime.timedelta(seconds=REFUSAL_WINDOW_SECONDS)
    return AuditEvent.objects.filter(
        action=Action.ANNOTATION_REFUSED,
        actor_id=user.pk,
        occurred_at__gte=since,
        target_rows__kind="evidence.item",
        target_rows__key=str(item.pk),
    ).count()


def _refuse(item: EvidenceItem, user: UserLike, reason: str, **audit: Any) -> AnnotationRefused:
    with transaction.atomic():
        record(
            action=Action.ANNOTATION_REFUSED,
            outcome=Outcome.DENIED,
            user=user,
            case_id=item.case_id,
            targets=[item_target(item.pk)],
            details={"reason": reason},
            **audit,
        )
    if reason == "rate_limited":
        return AnnotationRefused(_("Too many comments on this item were refused. Try again in an hour."))
    return AnnotationRefused(str(SCREEN_MESSAGE))


def do_annotate(
    *,
    item: EvidenceItem,
    body: str,
    team_id: int,
    user: UserLike,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> Annotation:
    body = body.strip()
    if not body:
        raise AnnotationRefused(_("Write a comment first."))
    audit: dict[str, Any] = {"request": request, "acting_as": acting_as}
    # Every refusal is an answer about a sealed identity: a guesser gets only a few per hour.
    if _recent_refusals(item, user) >= MAX_REFUSALS_PER_HOUR:
        raise _refuse(item, user, "rate_limited", **audit)
    survivor_ids = _survivor_ids(item)
    if survivor_ids and text_names_a_survivor(
        survivor_ids=survivor_ids,
        text=body,
        user=user,
        purpose=f"screening a comment on item {item.pk} for survivor identifiers",
        **audit,
    ):
        raise _refuse(item, user, "identifier", **audit)
    with transaction.atomic():
        annotation = Annotation.objects.create(item=item, author_id=user.pk, team_id=team_id, body=body)
        record(
            action=Action.ANNOTATION_ADDED,
            user=user,
            request=request,
            acting_as=acting_as,
            case_id=item.case_id,
            targets=[item_target(item.pk)],
            details={"annotation": annotation.pk},
        )
    return annotation


def visible_annotations(item: EvidenceItem, team_ids: set[int]) -> QuerySet[Annotation]:
    """The case's teams see every comment; a team reaching the item through a grant sees the case
    teams' comments and its own."""
    case_teams = set(item.case.teams.values_list("pk", flat=True))
    rows = Annotation.objects.filter(item=item).select_related("author", "team")
    if team_ids & case_teams:
        return rows
    return rows.filter(team_id__in=case_teams | team_ids)
