"""A survivor linked later to an item of a released production: their consent is asked for that production.

The release registered the consent of every survivor its items concerned then. A survivor linked
afterwards must consent to storage and to use before the production's forum too: registered as
dependencies when given (a later withdrawal suspends the downloads), else the downloads stop at once.
A built production that is not yet released needs nothing here: its release re-checks every survivor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action
from audit.services import ActingAs
from cases.consent import ConsentRefused, register_dependency, require_all, survivor_target
from cases.models import ConsentAction, ConsentRecord, Survivor
from evidence.access import item_target
from evidence.production_models import Production, ProductionState
from evidence.production_revocation import included_rows
from evidence.production_selectors import DEPENDENCY_KIND
from evidence.production_services import PURPOSE, _record


def recheck_for_linked(
    *,
    item_id: int,
    survivors: Sequence[Survivor],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> dict[str, list[int]]:
    """Run in the link's transaction: the released productions holding the item, kept or suspended."""
    outcome: dict[str, list[int]] = {"kept": [], "suspended": []}
    if not survivors:
        return outcome
    ids = set(included_rows([item_id]).values_list("production_id", flat=True))
    locked = Production.objects.select_for_update().select_related("case")
    for production in locked.filter(pk__in=ids, state=ProductionState.RELEASED).order_by("pk"):
        records = _consents(production, survivors, user, acting_as, request)
        if records is None:
            _suspend(production, item_id, survivors, user, acting_as, request)
            outcome["suspended"].append(production.pk)
        else:
            for record in records:
                register_dependency(consent_record=record, kind=DEPENDENCY_KIND, object_id=production.pk)
            outcome["kept"].append(production.pk)
    return outcome


def _consents(
    production: Production,
    survivors: Sequence[Survivor],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> list[ConsentRecord] | None:
    """The recorded consents to storage and to this forum, or None when one is missing (the refusal is recorded)."""
    common: dict[str, Any] = {"user": user, "request": request, "acting_as": acting_as, "purpose": PURPOSE}
    try:
        stored = require_all(survivors=list(survivors), action=ConsentAction.STORE_EVIDENCE, **common)
        forum = require_all(
            survivors=list(survivors), action=ConsentAction.PROCEEDINGS, target=production.forum, **common
        )
    except ConsentRefused:
        return None
    return [*stored, *forum]


def _suspend(
    production: Production,
    item_id: int,
    survivors: Sequence[Survivor],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> None:
    if production.consent_suspended_at is None:
        production.consent_suspended_at = timezone.now()
        production.save(update_fields=["consent_suspended_at"])
    _record(
        Action.PRODUCTION_SUSPENDED,
        production,
        user,
        acting_as,
        request,
        targets=[item_target(item_id), *(survivor_target(s.pk) for s in survivors)],
        reason="consent missing for a survivor linked later",
    )
