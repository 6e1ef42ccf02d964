"""Web pages for evidence: the case's items, intake, the item page, verified download."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.sudo import require_sudo, sudo_active, sudo_redirect, sudo_url
from audit.actions import Action
from audit.services import record
from cases.models import Case
from evidence import selectors, services
from evidence.access import case_target, get_case_for, get_item_for, item_ref, item_target, visible_items
from evidence.consent import ConsentRefused, require_use, undetermined
from evidence.forms import CollectionForm, LegalHoldForm, PurposeForm, ReasonForm, SurvivorLinkForm
from evidence.integrity import do_record_integrity_failure
from evidence.models import EvidenceItem
from evidence.streaming import content_response
from evidence.survivor_links import LinkInvalid, do_set_survivors
from evidence.upload import SealingUploadHandler
from teams.access import acting_as, record_denial, request_actor, require
from teams.policy import Decision, Perm, actor_for, decide, withheld_by_residency

# A purpose given for an original opens previews (range requests) of that item for a while.
PURPOSE_SECONDS = 30 * 60


def _purpose_key(item_id: int) -> str:
    return f"_custody_evidence_purpose:{item_id}"


@login_required
@require_GET
def item_list(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.CASE_VIEW)
    with transaction.atomic():
        record(
            action=Action.EVIDENCE_LISTED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=case.pk,
            targets=[case_target(case.pk)],
        )
    items = visible_items(request, case, selectors.items_of_case(case))
    can_upload = bool(require_quietly(request, Perm.EVIDENCE_UPLOAD, case))
    return render(request, "evidence/item_list.html", {"case": case, "items": items, "can_upload": can_upload})


def require_quietly(request: HttpRequest, perm: Perm, case: Case) -> Decision:
    """Ask the policy whether to show a control; showing nothing is not a refusal worth auditing."""
    return decide(request_actor(request), perm, case.as_ref())


@login_required
@require_GET
def upload_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case, _decision = get_case_for(request, case_id, Perm.EVIDENCE_UPLOAD)
    return render(request, "evidence/upload.html", {"case": case, "form": CollectionForm(case=case)})


@csrf_exempt
@login_required
@require_POST
def upload(request: HttpRequest, case_id: int) -> HttpResponseBase:
    """Multipart intake. The sealing handler is installed before anything reads the body."""
    case, decision = get_case_for(request, case_id, Perm.EVIDENCE_UPLOAD)
    handler = SealingUploadHandler(request, services.plan_for(case))
    request.upload_handlers = [handler]
    try:
        return _upload(request, case=case, decision=decision, handler=handler)
    finally:
        # Refused by the CSRF check, invalid, or failed: nothing sealed for this request may stay stored.
        if not handler.registered:
            handler.discard()


@csrf_protect
def _upload(request: HttpRequest, *, case: Case, decision: Decision, handler: SealingUploadHandler) -> HttpResponse:
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = CollectionForm(request.POST, case=case)
    if handler.error is not None:
        handler.discard()
        services.do_record_upload_failure(
            case=case, user=request.user, acting_as=acting_as(decision), request=request, reason="storage unavailable"
        )
        return _intake_error(request, case, form, str(handler.error.message), status=503, wants_json=wants_json)
    if not handler.completed:
        return _intake_error(request, case, form, _("Choose a file to upload."), status=400, wants_json=wants_json)
    if not form.is_valid():
        handler.discard()
        return _intake_error(request, case, form, _("Check the details below."), status=400, wants_json=wants_json)
    upload = handler.completed[0]
    handler.registered = True  # from here on the object belongs to the item (removed by the service on failure)
    item = services.do_register_item(
        case=case,
        sealed=upload.sealed,
        original_name=upload.name or "",
        collection=form.collection(),
        user=request.user,
        acting_as=acting_as(decision),
        request=request,
    )
    url = reverse("evidence:item", args=[item.pk])
    if wants_json:
        return JsonResponse({"id": item.pk, "url": url, "sha256": item.sha256, "duplicate_of": item.duplicate_of_id})
    messages.success(request, _("Stored as %(name)s.") % {"name": item.display_name})
    return redirect(url)


def _intake_error(
    request: HttpRequest, case: Case, form: CollectionForm, message: str, *, status: int, wants_json: bool
) -> HttpResponse:
    if wants_json:
        errors = form.errors.get_json_data() if form.is_bound and form.errors else {}
        return JsonResponse({"error": {"message": message, "fields": errors}}, status=status)
    return render(request, "evidence/upload.html", {"case": case, "form": form, "error": message}, status=status)


@login_required
@require_GET
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item, decision = get_item_for(request, item_id)
    with transaction.atomic():
        record(
            action=Action.EVIDENCE_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=item.case_id,
            targets=[item_target(item.pk)],
        )
    actor = request_actor(request)
    context: dict[str, Any] = {
        "item": item,
        "withheld_by_residency": withheld_by_residency(actor, item_ref(item)),
        "can_share": bool(decide(actor, Perm.GRANT_MANAGE, item.case.as_ref())),
        # The item's audit trail is for the case's own people; a grant shows the item, not who worked on it.
        "history": selectors.item_history(item)
        if decide(request_actor(request), Perm.CASE_AUDIT_VIEW, item.case.as_ref())
        else [],
        "purpose_form": PurposeForm(),
        "hold_form": LegalHoldForm(initial={"hold": not item.legal_hold}),
        "shred_form": ReasonForm(),
        "preview": _purpose_of(request, item) is not None and item.media_type.startswith(("audio/", "video/")),
        "survivors": item.survivors.order_by("code"),
        "undetermined": undetermined(item) and not item.survivors.exists(),
        "link_form": SurvivorLinkForm(
            case=item.case,
            initial={"survivors": item.survivors.all(), "no_survivor_material": item.no_survivor_material},
        )
        if decide(request_actor(request), Perm.EVIDENCE_SURVIVORS_LINK, item_ref(item))
        else None,
    }
    return render(request, "evidence/item_detail.html", context)


def _purpose_of(request: HttpRequest, item: EvidenceItem) -> str | None:
    granted = request.session.get(_purpose_key(item.pk))
    if isinstance(granted, dict) and float(granted.get("until", 0)) > time.time():
        return str(granted.get("purpose", ""))
    return None


@login_required
@require_POST
def download(request: HttpRequest, item_id: int) -> HttpResponseBase:
    """Download with a stated purpose; originals also need a fresh confirmation of identity (sudo)."""
    item, decision = get_item_for(request, item_id, Perm.EVIDENCE_DOWNLOAD)
    if item.is_original and not sudo_active(request):
        record_denial(
            request,
            perm=Perm.EVIDENCE_DOWNLOAD,
            targets=[item_target(item.pk)],
            case_id=item.case_id,
            reason="sudo mode required",
        )
        messages.info(request, _("Confirm your identity, then repeat the download."))
        return redirect(sudo_url(request))
    form = PurposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("State the purpose of this access (at least five characters)."))
        return redirect("evidence:item", item_id=item.pk)
    purpose = form.cleaned_data["purpose"]
    request.session[_purpose_key(item.pk)] = {"purpose": purpose, "until": time.time() + PURPOSE_SECONDS}
    return _serve(request, item, decision, purpose=purpose, attachment=True)


@login_required
@require_http_methods(["GET", "HEAD"])
def content(request: HttpRequest, item_id: int) -> HttpResponseBase:
    """Inline content for previews, with range requests; originals only after a purpose was given."""
    item, decision = get_item_for(request, item_id, Perm.EVIDENCE_DOWNLOAD)
    purpose = _purpose_of(request, item)
    if purpose is None:
        if item.is_original:
            return HttpResponse(_("State a purpose on the item page first."), status=403, content_type="text/plain")
        purpose = ""
    return _serve(request, item, decision, purpose=purpose, attachment=False)


def _serve(
    request: HttpRequest, item: EvidenceItem, decision: Decision, *, purpose: str, attachment: bool
) -> HttpResponseBase:
    range_header = request.headers.get("Range", "")
    try:
        consents = require_use(
            item=item, user=request.user, request=request, acting_as=acting_as(decision), purpose=purpose
        )
    except ConsentRefused as refused:
        return HttpResponse(str(refused.message), status=403, content_type="text/plain; charset=utf-8")
    with transaction.atomic():
        record(
            action=Action.EVIDENCE_DOWNLOADED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            purpose=purpose,
            consent_record_id=consents.first,
            case_id=item.case_id,
            targets=[item_target(item.pk), *consents.targets],
            details={
                "range": range_header[:64],
                "attachment": attachment,
                "sha256": item.sha256,
                "consent_record_ids": consents.record_ids,
            },
        )

    def on_failure(reason: str) -> None:
        do_record_integrity_failure(
            item=item,
            reason=reason,
            channel="download",
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            purpose=purpose,
        )

    def still_allowed() -> bool:
        # Revocation, suspension or expiry of a grant ends a transfer already running.
        return bool(decide(actor_for(request.user), Perm.EVIDENCE_DOWNLOAD, item_ref(item)))

    return content_response(
        item,
        range_header=range_header,
        attachment=attachment,
        filename=_safe_name(item),
        on_failure=on_failure,
        still_allowed=still_allowed,
    )


def _safe_name(item: EvidenceItem) -> str:
    return item.display_name.replace("/", "_")


@login_required
@require_POST
def legal_hold(request: HttpRequest, item_id: int) -> HttpResponseBase:
    item, decision = get_item_for(request, item_id, Perm.EVIDENCE_LEGAL_HOLD)
    form = LegalHoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason (at least five characters)."))
        return redirect("evidence:item", item_id=item.pk)
    # Lifting a hold is what makes shredding possible: a fresh confirmation of identity first.
    if not form.cleaned_data["hold"] and (confirm := sudo_redirect(request)):
        return confirm
    services.do_set_legal_hold(
        item=item,
        hold=form.cleaned_data["hold"],
        reason=form.cleaned_data["reason"],
        user=request.user,
        acting_as=acting_as(decision),
        request=request,
    )
    return redirect("evidence:item", item_id=item.pk)


@login_required
@require_POST
def survivors(request: HttpRequest, item_id: int) -> HttpResponse:
    """Link or unlink the survivors of the case an item concerns, or mark it as concerning none."""
    item, decision = get_item_for(request, item_id, Perm.EVIDENCE_SURVIVORS_LINK)
    form = SurvivorLinkForm(request.POST, case=item.case)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.values()))
        return redirect("evidence:item", item_id=item.pk)
    try:
        do_set_survivors(
            item=item,
            survivors=form.cleaned_data["survivors"],
            no_survivor_material=form.cleaned_data["no_survivor_material"],
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
        )
    except LinkInvalid:
        messages.error(request, _("Either choose the survivors concerned or mark it as concerning none."))
        return redirect("evidence:item", item_id=item.pk)
    messages.success(request, _("The survivors concerned by %(name)s were saved.") % {"name": item})
    return redirect("evidence:item", item_id=item.pk)


@login_required
@require_POST
@require_sudo
def shred(request: HttpRequest, item_id: int) -> HttpResponse:
    """Crypto-shred: refused (and the refusal audited) while the item is under legal hold."""
    item, _view = get_item_for(request, item_id)
    decision = decide(request_actor(request), Perm.EVIDENCE_SHRED, item_ref(item))
    if not decision:
        record_denial(
            request,
            perm=Perm.EVIDENCE_SHRED,
            targets=[item_target(item.pk)],
            case_id=item.case_id,
            reason=str(decision.reason),
        )
        messages.error(request, str(decision.reason))
        return redirect("evidence:item", item_id=item.pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason (at least five characters)."))
        return redirect("evidence:item", item_id=item.pk)
    try:
        services.do_shred(
            item=item,
            reason=form.cleaned_data["reason"],
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
        )
    except services.ShredRefused as refused:
        # A copy under legal hold, or a concurrent hold or shred since the policy was asked.
        record_denial(
            request, perm=Perm.EVIDENCE_SHRED, targets=[item_target(item.pk)], case_id=item.case_id, reason=str(refused)
        )
        messages.error(request, _("Not erased: the item or one of its copies is under legal hold, or already erased."))
        return redirect("evidence:item", item_id=item.pk)
    messages.success(request, _("The content of %(name)s was destroyed; its record remains.") % {"name": item})
    return redirect("evidence:item", item_id=item.pk)


@login_required
@require_GET
def integrity(request: HttpRequest) -> HttpResponse:
    decision = require(request, Perm.EVIDENCE_INTEGRITY_VIEW, None, targets=[])
    with transaction.atomic():
        record(
            action=Action.AUDIT_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            details={"page": "evidence.integrity"},
        )
    context = {"checks": selectors.latest_checks(), "failed": selectors.failed_items()}
    return render(request, "evidence/integrity.html", context)
