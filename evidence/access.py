"""The one access helper per evidence object: the object if the caller may, else 404 (denial audited)."""

from __future__ import annotations

from django.http import HttpRequest

from audit.services import Target
from cases.models import Case
from evidence.models import EvidenceItem
from teams.access import not_found, require
from teams.policy import Decision, ItemRef, Perm


def item_target(item_id: int | str) -> Target:
    return Target("evidence.item", item_id)


def case_target(case_id: int | str) -> Target:
    return Target("case", case_id)


def item_ref(item: EvidenceItem) -> ItemRef:
    return ItemRef(
        item_id=item.pk,
        case=item.case.as_ref(),
        sensitivity=item.sensitivity,
        legal_hold=item.legal_hold,
        is_original=item.is_original,
        state=item.state,
    )


def get_item_for(request: HttpRequest, item_id: int, perm: Perm = Perm.EVIDENCE_VIEW) -> tuple[EvidenceItem, Decision]:
    item = (
        EvidenceItem.objects.select_related(
            "case", "case__organisation", "case__host_jurisdiction", "custodian", "duplicate_of", "derivative_of"
        )
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise not_found(request, perm=perm, targets=[item_target(item_id)])
    decision = require(request, perm, item_ref(item), targets=[item_target(item.pk)], case_id=item.case_id)
    return item, decision


def get_case_for(request: HttpRequest, case_id: int, perm: Perm) -> tuple[Case, Decision]:
    """The case an evidence action happens in (listing: CASE_VIEW; intake: EVIDENCE_UPLOAD)."""
    case = Case.objects.select_related("organisation", "host_jurisdiction").filter(pk=case_id).first()
    if case is None:
        raise not_found(request, perm=perm, targets=[case_target(case_id)])
    decision = require(request, perm, case.as_ref(), targets=[case_target(case.pk)], case_id=case.pk)
    return case, decision
