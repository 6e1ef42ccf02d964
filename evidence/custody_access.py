"""The custody side's access helper: the item, judged with its custodian and pending transfer, or 404."""

from __future__ import annotations

from django.http import HttpRequest

from audit.services import Target
from evidence.access import get_case_for, item_ref, item_target, missing_item
from evidence.custody_models import CustodyTransfer, TransferState
from evidence.models import EvidenceItem
from teams.access import require_found
from teams.policy import CustodyRef, Decision, Perm


def transfer_target(transfer_id: int) -> Target:
    return Target("evidence.custody_transfer", transfer_id)


def pending_transfer(item: EvidenceItem) -> CustodyTransfer | None:
    return (
        CustodyTransfer.objects.filter(item=item, state=TransferState.PENDING)
        .select_related("from_user", "to_user", "proposed_by")
        .first()
    )


def custody_ref(item: EvidenceItem, pending: CustodyTransfer | None = None) -> CustodyRef:
    return CustodyRef(
        item=item_ref(item),
        custodian_id=item.custodian_id,
        proposer_id=pending.proposed_by_id if pending else None,
        receiver_id=pending.to_user_id if pending else None,
    )


def get_item_for(request: HttpRequest, item_id: int, perm: Perm) -> tuple[EvidenceItem, Decision]:
    """The item if the caller may ``perm`` it, judged with its pending transfer; otherwise 404."""
    found = EvidenceItem.objects.select_related("case", "custodian").filter(pk=item_id).first()
    item = found or missing_item(item_id)
    ref = custody_ref(item, pending_transfer(item))
    decision = require_found(
        request, perm, ref, found=found is not None, targets=[item_target(item_id)], case_id=item.case_id
    )
    return item, decision


__all__ = ["custody_ref", "get_case_for", "get_item_for", "item_target", "pending_transfer", "transfer_target"]
