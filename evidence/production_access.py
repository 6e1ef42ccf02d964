"""The one access helper for productions: the production if the caller may, else 404 (denial audited)."""

from __future__ import annotations

from django.http import HttpRequest

from audit.services import Target
from cases.access import missing_case
from evidence.access import case_target
from evidence.production_models import Production
from evidence.production_selectors import consent_active
from teams.access import require_found
from teams.policy import Decision, Perm, ProductionRef

# Permissions that take the case's facts; the others take the production's.
_CASE_LEVEL = frozenset({Perm.PRODUCTION_VIEW, Perm.PRODUCTION_MANAGE, Perm.APPROVAL_DECIDE})


def production_target(production_id: int | str) -> Target:
    return Target("evidence.production", production_id)


def production_ref(production: Production) -> ProductionRef:
    return ProductionRef(
        case=production.case.as_ref(),
        state=production.state,
        recipient_team_id=production.recipient_team_id,
        consent_active=consent_active(production),
        grant_ids=frozenset(int(g) for g in production.recipient_grants or ()),
        suspended_for_link=production.consent_suspended_at is not None,
    )


def missing_production(production_id: int) -> Production:
    """A placeholder for a production that does not exist: judged by the same code (same queries), matches nobody."""
    return Production(pk=production_id, case=missing_case(), number=0)


def get_production_for(request: HttpRequest, production_id: int, perm: Perm) -> tuple[Production, Decision]:
    found = (
        Production.objects.select_related(
            "case", "case__organisation", "case__host_jurisdiction", "recipient_team", "created_by", "built_by"
        )
        .filter(pk=production_id)
        .first()
    )
    production = found or missing_production(production_id)
    resource = production.case.as_ref() if perm in _CASE_LEVEL else production_ref(production)
    targets = [case_target(production.case_id), production_target(production_id)] if found else []
    decision = require_found(
        request,
        perm,
        resource,
        found=found is not None,
        targets=targets or [production_target(production_id)],
        case_id=production.case_id,
    )
    return production, decision
