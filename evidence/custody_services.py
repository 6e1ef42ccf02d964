"""Writes for custody: registering physical items and the two steps of a transfer.

Every function changes state and writes its audit event in one transaction, and re-checks
what it relies on under a row lock on the item, so two people answering at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, record
from cases.models import Case
from evidence.custody_access import custody_ref, item_target, transfer_target
from evidence.custody_models import CustodyTransfer, TransferState
from evidence.models import EvidenceItem, Kind, State
from teams.policy import Perm, actor_for, decide


class CustodyError(Exception):
    """A custody rule refused the change; the message is safe to show to the person acting."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(message)
        self.code = code


@contextmanager
def _refusals_recorded(
    action: Action, *, item_id: int, user: User, acting_as: ActingAs | None, request: HttpRequest | None
) -> Iterator[None]:
    """A refused custody change leaves no trace but its audit event, written after the rollback."""
    try:
        yield
    except CustodyError as exc:
        case_id = EvidenceItem.objects.filter(pk=item_id).values_list("case_id", flat=True).first()
        with transaction.atomic():
            record(
                action=action,
                outcome=Outcome.DENIED,
                user=user,
                acting_as=acting_as,
                request=request,
                case_id=case_id,
                targets=[item_target(item_id)],
                details={"refused": exc.code},
            )
        raise


@dataclass(frozen=True, slots=True)
class PhysicalItemInput:
    description: str
    physical_location: str
    seal_number: str
    collected_by: str
    collected_at: datetime | None
    collection_place: str


def _user_label(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "username": user.get_username()} if user is not None else {"id": None, "username": ""}


def _locked_item(item_id: int) -> EvidenceItem:
    return EvidenceItem.objects.select_for_update(of=("self",)).select_related("case").get(pk=item_id)


def may_hold(user: User, item: EvidenceItem) -> bool:
    return bool(decide(actor_for(user), Perm.CUSTODY_HOLD, custody_ref(item)))


def do_register_physical_item(
    *, case: Case, user: User, acting_as: ActingAs | None, request: HttpRequest | None, data: PhysicalItemInput
) -> EvidenceItem:
    """A physical object enters custody: numbered in its case, held by the person who registers it."""
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()
        last = EvidenceItem.objects.filter(case=case).aggregate(last=Max("number"))["last"] or 0
        item = EvidenceItem.objects.create(
            case=case,
            number=last + 1,
            kind=Kind.PHYSICAL,
            state=State.STORED,
            description=data.description,
            physical_location=data.physical_location,
            seal_number=data.seal_number,
            collected_by=data.collected_by,
            collected_at=data.collected_at,
            collection_place=data.collection_place,
            custodian=user,
            created_by=user,
        )
        record(
            action=Action.PHYSICAL_ITEM_REGISTERED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=case.pk,
            targets=[item_target(item.pk), Target("case", case.pk)],
            details={
                "item": item.display_name,
                "custodian": _user_label(user),
                "storage_location": data.physical_location,
                "seal_number": data.seal_number,
            },
        )
    return item


def _transfer_details(transfer: CustodyTransfer, item: EvidenceItem) -> dict[str, Any]:
    details: dict[str, Any] = {
        "item": item.display_name,
        "transfer": transfer.pk,
        "from": _user_label(transfer.from_user),
        "to": _user_label(transfer.to_user),
    }
    if item.kind == Kind.PHYSICAL:
        details |= {
            "from_location": transfer.from_location,
            "to_location": transfer.to_location,
            "old_seal_number": transfer.old_seal_number,
            "new_seal_number": transfer.new_seal_number,
        }
    return details


def do_propose_transfer(
    *,
    item_id: int,
    user: User,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
    to_user: User,
    reason: str,
    to_location: str = "",
    new_seal_number: str = "",
) -> CustodyTransfer:
    refusals = _refusals_recorded(
        Action.CUSTODY_TRANSFER_PROPOSED, item_id=item_id, user=user, acting_as=acting_as, request=request
    )
    with refusals, transaction.atomic():
        if not reason.strip():
            raise CustodyError("reason_missing", _("Give the reason for the transfer."))
        item = _locked_item(item_id)
        if item.custodian_id is not None and item.custodian_id != user.pk:
            raise CustodyError("not_custodian", _("Only the current custodian can hand the item over."))
        if CustodyTransfer.objects.filter(item=item, state=TransferState.PENDING).exists():
            raise CustodyError("pending_exists", _("A transfer of this item is already awaiting an answer."))
        if to_user.pk == item.custodian_id:
            raise CustodyError("already_holds", _("The receiver already holds this item."))
        if not may_hold(to_user, item):
            raise CustodyError("receiver_not_allowed", _("The receiver cannot hold items of this case."))
        if item.kind == Kind.PHYSICAL and not (to_location.strip() and new_seal_number.strip()):
            raise CustodyError(
                "physical_details_missing", _("Give the new storage location and the seal number for a physical item.")
            )
        transfer = CustodyTransfer(
            item=item,
            from_user=item.custodian,
            to_user=to_user,
            proposed_by=user,
            reason=reason.strip(),
            proposed_at=timezone.now(),
        )
        if item.kind == Kind.PHYSICAL:
            transfer.from_location = item.physical_location
            transfer.to_location = to_location.strip()
            transfer.old_seal_number = item.seal_number
            transfer.new_seal_number = new_seal_number.strip()
        try:
            with transaction.atomic():
                transfer.save()
        except IntegrityError as exc:
            raise CustodyError("pending_exists", _("A transfer of this item is already awaiting an answer.")) from exc
        record(
            action=Action.CUSTODY_TRANSFER_PROPOSED,
            user=user,
            acting_as=acting_as,
            request=request,
            purpose=transfer.reason,
            case_id=item.case_id,
            targets=[item_target(item.pk), transfer_target(transfer.pk)],
            details=_transfer_details(transfer, item),
        )
    return transfer


def _locked_pending(item: EvidenceItem, transfer_id: int) -> CustodyTransfer:
    transfer = (
        CustodyTransfer.objects.select_for_update(of=("self",))
        .select_related("from_user", "to_user")
        .filter(pk=transfer_id, item=item)
        .first()
    )
    if transfer is None or not transfer.is_pending:
        raise CustodyError("not_pending", _("This transfer is no longer awaiting an answer."))
    return transfer


def _close(transfer: CustodyTransfer, state: TransferState, note: str) -> None:
    transfer.state = state
    transfer.decided_at = timezone.now()
    transfer.decision_note = note.strip()
    transfer.save(update_fields=["state", "decided_at", "decision_note"])


def do_accept_transfer(
    *,
    item_id: int,
    transfer_id: int,
    user: User,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
    note: str = "",
) -> CustodyTransfer:
    refusals = _refusals_recorded(
        Action.CUSTODY_TRANSFER_ACCEPTED, item_id=item_id, user=user, acting_as=acting_as, request=request
    )
    with refusals, transaction.atomic():
        item = _locked_item(item_id)
        transfer = _locked_pending(item, transfer_id)
        if transfer.to_user_id != user.pk:
            raise CustodyError("not_receiver", _("Only the named receiver can answer this transfer."))
        if not may_hold(user, item):
            raise CustodyError("cannot_hold", _("You can no longer hold items of this case."))
        if transfer.from_user_id != item.custodian_id:
            raise CustodyError("custodian_changed", _("The item changed hands since this transfer was proposed."))
        _close(transfer, TransferState.ACCEPTED, note)
        item.custodian = user
        fields = ["custodian"]
        if item.kind == Kind.PHYSICAL:
            item.physical_location = transfer.to_location
            item.seal_number = transfer.new_seal_number
            fields += ["physical_location", "seal_number"]
        item.save(update_fields=fields)
        accepted = Action.CUSTODY_TRANSFER_ACCEPTED
        _record_answer(accepted, transfer, item, user=user, acting_as=acting_as, request=request)
    return transfer


def _end_pending(
    *,
    item_id: int,
    transfer_id: int,
    user: User,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
    state: TransferState,
    note: str = "",
) -> CustodyTransfer:
    action = Action.CUSTODY_TRANSFER_DECLINED if state == TransferState.DECLINED else Action.CUSTODY_TRANSFER_CANCELLED
    refusals = _refusals_recorded(action, item_id=item_id, user=user, acting_as=acting_as, request=request)
    with refusals, transaction.atomic():
        item = _locked_item(item_id)
        transfer = _locked_pending(item, transfer_id)
        answerer = transfer.to_user_id if state == TransferState.DECLINED else transfer.proposed_by_id
        if answerer != user.pk:
            raise CustodyError("not_answerer", _("You cannot answer this transfer."))
        _close(transfer, state, note)
        _record_answer(action, transfer, item, user=user, acting_as=acting_as, request=request)
    return transfer


def _record_answer(
    action: Action,
    transfer: CustodyTransfer,
    item: EvidenceItem,
    *,
    user: User,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> None:
    """The audit event of an answer to a pending transfer, written in the answer's transaction."""
    record(
        action=action,
        user=user,
        acting_as=acting_as,
        request=request,
        purpose=transfer.decision_note,
        case_id=item.case_id,
        targets=[item_target(item.pk), transfer_target(transfer.pk)],
        details=_transfer_details(transfer, item),
    )


class TransferAnswer(TypedDict):
    """Who answers which pending transfer, as whom, with what note."""

    item_id: int
    transfer_id: int
    user: User
    acting_as: ActingAs | None
    request: HttpRequest | None
    note: NotRequired[str]


def do_decline_transfer(**answer: Unpack[TransferAnswer]) -> CustodyTransfer:
    """The receiver refuses: the item stays with its custodian."""
    return _end_pending(state=TransferState.DECLINED, **answer)


def do_cancel_transfer(**answer: Unpack[TransferAnswer]) -> CustodyTransfer:
    """The proposer withdraws the offer before the receiver answers."""
    return _end_pending(state=TransferState.CANCELLED, **answer)
