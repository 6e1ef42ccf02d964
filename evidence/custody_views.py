"""Pages for custody: an item's custody record, the transfer steps, reports, physical items."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.sudo import sudo_redirect
from audit.actions import Action
from audit.services import record
from evidence.custody_access import custody_ref, get_case_for, get_item_for, item_target, pending_transfer
from evidence.custody_forms import AnswerTransferForm, PhysicalItemForm, ProposeTransferForm
from evidence.custody_report import do_generate_report
from evidence.custody_selectors import custody_history, eligible_receivers
from evidence.custody_services import (
    CustodyError,
    do_accept_transfer,
    do_cancel_transfer,
    do_decline_transfer,
    do_propose_transfer,
    do_register_physical_item,
)
from evidence.models import EvidenceItem, Kind
from teams.access import acting_as, request_actor
from teams.policy import Perm, decide


def _page(request: HttpRequest, item: EvidenceItem, propose_form: ProposeTransferForm | None = None) -> HttpResponse:
    pending = pending_transfer(item)
    ref = custody_ref(item, pending)
    actor = request_actor(request)
    may = {
        "propose": pending is None and bool(decide(actor, Perm.CUSTODY_PROPOSE, ref)),
        "respond": pending is not None and bool(decide(actor, Perm.CUSTODY_RESPOND, ref)),
        "cancel": pending is not None and bool(decide(actor, Perm.CUSTODY_CANCEL, ref)),
        "report": bool(decide(actor, Perm.CUSTODY_REPORT, ref)),
    }
    if may["propose"] and propose_form is None:
        propose_form = ProposeTransferForm(receivers=eligible_receivers(item), physical=item.kind == Kind.PHYSICAL)
    context: dict[str, Any] = {
        "item": item,
        "pending": pending,
        "history": custody_history(item),
        "may": may,
        # A refused proposal is shown back with its input, even if the page would not offer a new one.
        "propose_form": propose_form if may["propose"] or (propose_form and propose_form.errors) else None,
        "answer_form": AnswerTransferForm(),
    }
    return render(
        request, "evidence/custody.html", context, status=400 if propose_form and propose_form.errors else 200
    )


def _back(item_id: int) -> HttpResponse:
    return redirect(reverse("custody:page", args=[item_id]))


@login_required
@require_GET
def custody_page(request: HttpRequest, item_id: int) -> HttpResponse:
    item, decision = get_item_for(request, item_id, Perm.CUSTODY_VIEW)
    with transaction.atomic():
        record(
            action=Action.CUSTODY_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=item.case_id,
            targets=[item_target(item.pk)],
        )
    return _page(request, item)


@login_required
@require_POST
def propose(request: HttpRequest, item_id: int) -> HttpResponse:
    item, decision = get_item_for(request, item_id, Perm.CUSTODY_PROPOSE)
    form = ProposeTransferForm(request.POST, receivers=eligible_receivers(item), physical=item.kind == Kind.PHYSICAL)
    if form.is_valid():
        try:
            do_propose_transfer(
                item_id=item.pk,
                user=request.user,  # type: ignore[arg-type]
                acting_as=acting_as(decision),
                request=request,
                to_user=form.cleaned_data["to_user"],
                reason=form.cleaned_data["reason"],
                to_location=form.cleaned_data.get("to_location", ""),
                new_seal_number=form.cleaned_data.get("new_seal_number", ""),
            )
        except CustodyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Transfer proposed. The item stays with you until the receiver accepts."))
            return _back(item.pk)
    return _page(request, item, form)


def _answer(request: HttpRequest, item_id: int, transfer_id: int, perm: Perm, service: Any, done: str) -> HttpResponse:
    item, decision = get_item_for(request, item_id, perm)
    form = AnswerTransferForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        service(
            item_id=item.pk,
            transfer_id=transfer_id,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            note=note,
        )
    except CustodyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return _back(item.pk)


@login_required
@require_POST
def accept(request: HttpRequest, item_id: int, transfer_id: int) -> HttpResponse:
    return _answer(request, item_id, transfer_id, Perm.CUSTODY_RESPOND, do_accept_transfer, _("You now hold the item."))


@login_required
@require_POST
def decline(request: HttpRequest, item_id: int, transfer_id: int) -> HttpResponse:
    done = _("Transfer declined. The item stays with its custodian.")
    return _answer(request, item_id, transfer_id, Perm.CUSTODY_RESPOND, do_decline_transfer, done)


@login_required
@require_POST
def cancel(request: HttpRequest, item_id: int, transfer_id: int) -> HttpResponse:
    return _answer(request, item_id, transfer_id, Perm.CUSTODY_CANCEL, do_cancel_transfer, _("Transfer withdrawn."))


def _report(request: HttpRequest, item_id: int, fmt: str) -> HttpResponseBase:
    item, decision = get_item_for(request, item_id, Perm.CUSTODY_REPORT)
    # The report exports the item's whole custody chain: a fresh confirmation of identity first.
    if confirm := sudo_redirect(request):
        return confirm
    payload = do_generate_report(
        item_id=item.pk,
        user=request.user,
        acting_as=acting_as(decision),
        request=request,
        fmt=fmt,
    )
    content_type = "application/pdf" if fmt == "pdf" else "application/json"
    response = HttpResponse(payload.content, content_type=content_type)
    # The file name carries the item's number only, never anything from the evidence itself.
    response["Content-Disposition"] = f'attachment; filename="custody-report-{item.pk}-{payload.as_of_seq}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def report_pdf(request: HttpRequest, item_id: int) -> HttpResponseBase:
    return _report(request, item_id, "pdf")


@login_required
@require_GET
def report_json(request: HttpRequest, item_id: int) -> HttpResponseBase:
    return _report(request, item_id, "json")


@login_required
@require_http_methods(["GET", "POST"])
def register_physical(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.PHYSICAL_ITEM_REGISTER)
    form = PhysicalItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = do_register_physical_item(
            case=case,
            user=request.user,  # type: ignore[arg-type]
            acting_as=acting_as(decision),
            request=request,
            data=form.as_input(),
        )
        messages.success(request, _("Physical item registered. You are its custodian."))
        return _back(item.pk)
    status = 400 if form.errors else 200
    return render(request, "evidence/physical_item_form.html", {"case": case, "form": form}, status=status)
