"""Shared comments on items. A comment that types a survivor's known identifier is refused.

The check runs on the server through ``cases.identifiers`` (audited); identifiers never
reach the browser and the refusal names only the kind of identifier found.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from audit.actions import Action, Outcome
from audit.services import ActingAs, UserLike, record
from cases.identifiers import identifiers_for_redaction
from cases.models import Grant, GrantState
from evidence.access import item_target
from evidence.models import EvidenceItem
from evidence.sharing_models import Annotation

MIN_IDENTIFIER_LENGTH = 3


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


def _screener(item: EvidenceItem, user: Any, team_id: int) -> Any:
    """Who the identifier check runs for: the author on the case team, else the lead who granted access."""
    if item.case.teams.filter(pk=team_id).exists():
        return user
    grant = Grant.objects.filter(case_id=item.case_id, grantee_team_id=team_id, state=GrantState.ACTIVE).first()
    return grant.granted_by if grant else user


def _named_identifier(item: EvidenceItem, body: str, screener: Any, request: HttpRequest | None) -> str | None:
    survivor_ids = _survivor_ids(item)
    if not survivor_ids:
        return None
    identifiers = identifiers_for_redaction(
        survivor_ids=survivor_ids,
        requested_by=screener,
        purpose=f"screening a comment on item {item.pk} for survivor identifiers",
        request=request,
    )
    text = body.casefold()
    for identifier in identifiers:
        value = identifier.value.strip().casefold()
        if len(value) >= MIN_IDENTIFIER_LENGTH and value in text:
            return identifier.category
    return None


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
    category = _named_identifier(item, body, _screener(item, user, team_id), request)
    if category is not None:
        record(
            action=Action.ANNOTATION_REFUSED,
            outcome=Outcome.DENIED,
            user=user,
            request=request,
            acting_as=acting_as,
            case_id=item.case_id,
            targets=[item_target(item.pk)],
            details={"category": category},
        )
        raise AnnotationRefused(
            _("This comment contains a survivor's identifier (%(category)s). Comments never name survivors.")
            % {"category": category.replace("_", " ")}
        )
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
