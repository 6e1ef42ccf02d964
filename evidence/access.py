"""The one access helper per evidence object: the object if the caller may, else 404 (denial audited)."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from audit.services import Target
from cases.access import missing_case
from cases.models import Case
from evidence.models import DerivativeKind, EvidenceItem
from teams.access import request_actor, require_found
from teams.policy import CaseRef, Decision, ItemRef, Perm, decide


def item_target(item_id: int | str) -> Target:
    return Target("evidence.item", item_id)


def case_target(case_id: int | str) -> Target:
    return Target("case", case_id)


def item_ref(item: EvidenceItem, case_ref: CaseRef | None = None) -> ItemRef:
    return ItemRef(
        item_id=item.pk,
        case=case_ref or item.case.as_ref(),
        sensitivity=item.sensitivity,
        legal_hold=item.legal_hold,
        is_original=item.is_original,
        state=item.state,
        derivative_of_id=item.derivative_of_id,
        is_redacted=item.derivative_kind == DerivativeKind.REDACTED,
    )


def missing_item(item_id: int) -> EvidenceItem:
    """A placeholder for an item that does not exist, judged with the same queries as a real one."""
    return EvidenceItem(pk=item_id, case=missing_case())


def get_item_for(request: HttpRequest, item_id: int, perm: Perm = Perm.EVIDENCE_VIEW) -> tuple[EvidenceItem, Decision]:
    found = (
        EvidenceItem.objects.select_related(
            "case", "case__organisation", "case__host_jurisdiction", "custodian", "duplicate_of", "derivative_of"
        )
        .filter(pk=item_id)
        .first()
    )
    item = found or missing_item(item_id)
    decision = require_found(
        request, perm, item_ref(item), found=found is not None, targets=[item_target(item_id)], case_id=item.case_id
    )
    return item, decision


def get_case_for(request: HttpRequest, case_id: int, perm: Perm) -> tuple[Case, Decision]:
    """The case an evidence action happens in (listing: CASE_VIEW; intake: EVIDENCE_UPLOAD)."""
    found = Case.objects.select_related("organisation", "host_jurisdiction").filter(pk=case_id).first()
    case = found or missing_case(case_id)
    decision = require_found(
        request, perm, case.as_ref(), found=found is not None, targets=[case_target(case_id)], case_id=case.pk
    )
    return case, decision


def visible_items(request: HttpRequest, case: Case, items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
    """The items of ``case`` the caller may see: all for its teams, the granted ones through a grant."""
    actor = request_actor(request)
    case_ref = case.as_ref()
    return [item for item in items if decide(actor, Perm.EVIDENCE_VIEW, item_ref(item, case_ref))]
