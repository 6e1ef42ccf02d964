"""The one way identifiers leave the sealed identity: to redact them from documents.

Values are returned to the caller only; they are never logged, and the audit event
records how many were released per category, not what they were.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action, Outcome
from audit.services import ActingAs, record
from cases.consent import survivor_target
from cases.models import SealedIdentity, Survivor
from cases.survivors import IdentityData, open_identity
from teams.policy import Perm, SurvivorRef, actor_for, decide


class IdentifiersRefused(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Identifier:
    category: str
    value: str

    def __repr__(self) -> str:
        return f"Identifier({self.category!r}, <sealed>)"


_LISTS = ("aliases", "contacts", "id_numbers", "relatives", "places")
_SINGLE = ("legal_name", "address", "date_of_birth")
_CATEGORY = {
    "legal_name": "legal_name",
    "aliases": "alias",
    "contacts": "contact",
    "address": "address",
    "id_numbers": "id_number",
    "relatives": "relative",
    "date_of_birth": "date_of_birth",
    "places": "place",
}


def _flatten(identity: IdentityData) -> list[Identifier]:
    found: list[Identifier] = []
    for name in _SINGLE:
        value = str(getattr(identity, name)).strip()
        if value:
            found.append(Identifier(_CATEGORY[name], value))
    for name in _LISTS:
        found.extend(Identifier(_CATEGORY[name], str(v).strip()) for v in getattr(identity, name) if str(v).strip())
    return found


@sensitive_variables()
def identifiers_for_redaction(
    *,
    survivor_ids: Iterable[int],
    requested_by: Any,
    purpose: str,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> list[Identifier]:
    """Every identifier of these survivors, for a redaction the requester may perform.

    The requester must be an editor of each survivor's case (``Perm.IDENTIFIERS_FOR_REDACTION``);
    survivors without a sealed identity (or with a shredded one) contribute nothing. A refusal is
    recorded (``access.denied``) before ``IdentifiersRefused`` is raised: call this outside the
    transaction of the action it serves, so the refusal is not rolled back with it.
    """
    actor = actor_for(requested_by)
    survivors = list(Survivor.objects.filter(pk__in=list(survivor_ids)).select_related("case"))
    for survivor in survivors:
        decision = decide(actor, Perm.IDENTIFIERS_FOR_REDACTION, SurvivorRef(survivor.pk, survivor.case.as_ref()))
        if not decision:
            with transaction.atomic():
                record(
                    action=Action.ACCESS_DENIED,
                    outcome=Outcome.DENIED,
                    user=requested_by,
                    acting_as=acting_as,
                    request=request,
                    purpose=purpose,
                    case_id=survivor.case_id,
                    targets=[survivor_target(survivor.pk)],
                    details={"permission": str(Perm.IDENTIFIERS_FOR_REDACTION), "reason": str(decision.reason)},
                )
            raise IdentifiersRefused(survivor.pk)
    result: list[Identifier] = []
    with transaction.atomic():
        for survivor in survivors:
            sealed = SealedIdentity.objects.filter(survivor=survivor).first()
            found: list[Identifier] = []
            if sealed is not None and not sealed.is_shredded:
                found = _flatten(open_identity(sealed))
            record(
                action=Action.IDENTIFIERS_FOR_REDACTION,
                user=requested_by,
                acting_as=acting_as,
                request=request,
                purpose=purpose,
                case_id=survivor.case_id,
                targets=[survivor_target(survivor.pk)],
                details={"categories": dict(Counter(i.category for i in found))},
            )
            result.extend(found)
    return result


MIN_SCREENED_LENGTH = 3


@sensitive_variables()
def text_names_a_survivor(
    *,
    survivor_ids: Iterable[int],
    text: str,
    user: Any,
    purpose: str,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> bool:
    """Whether the text contains one of these survivors' identifiers (casefolded substring).

    The identities are opened by the system, not released to ``user``: no value and no category
    leaves this function, so no permission to see identifiers is needed. The event is recorded as
    the action of the person whose text is screened, with the operation described in its details.
    """
    folded = text.casefold()
    found = False
    with transaction.atomic():
        for survivor in Survivor.objects.filter(pk__in=list(survivor_ids)):
            sealed = SealedIdentity.objects.filter(survivor=survivor).first()
            values = _flatten(open_identity(sealed)) if sealed is not None and not sealed.is_shredded else []
            found = found or any(
                len(v) >= MIN_SCREENED_LENGTH and v in folded for v in (i.value.strip().casefold() for i in values)
            )
            record(
                action=Action.IDENTIFIERS_FOR_REDACTION,
                user=user,
                acting_as=acting_as,
                request=request,
                purpose=purpose,
                case_id=survivor.case_id,
                targets=[survivor_target(survivor.pk)],
                details={"operation": "system screening of a text; no identifier released to the person"},
            )
    return found
