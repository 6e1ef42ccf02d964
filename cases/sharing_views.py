"""Sharing pages: a case's grants (make, revoke), second approvals, and the access review."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.sudo import sudo_redirect
from audit.actions import Action
from audit.selectors import spreadsheet_safe
from audit.services import Target, record
from cases import sharing_selectors as selectors
from cases.access import get_case_for, missing_case, record_grants_listed
from cases.approvals import ApprovalRefused, do_decide_approval, do_request_approval
from cases.consent import ConsentRefused
from cases.models import ApprovalKind, ApprovalRequest, Grant
from cases.sharing import GrantInvalid, approval_subject, do_grant, do_revoke_grant, grant_target, is_cross_border
from cases.sharing_forms import ApprovalRequestForm, GrantForm, RevokeForm
from teams.access import acting_as, not_found, request_actor, require_found
from teams.policy import Decision, OrganisationRef, Perm, decide


@login_required
@require_http_methods(["GET", "POST"])
def grants(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.GRANT_MANAGE)
    form = GrantForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            do_grant(
                case=case,
                grantee_team=form.cleaned_data["grantee_team"],
                grantee_user=form.cleaned_data["grantee_user"],
                level=form.cleaned_data["level"],
                rights=form.cleaned_data["rights"],
                purpose=form.cleaned_data["purpose"],
                expires_at=form.expires_at(),
                user=request.user,
                request=request,
                acting_as=acting_as(decision),
            )
        except (GrantInvalid, ConsentRefused) as refused:
            form.add_error(None, str(refused.message))
        else:
            messages.success(request, _("Access granted."))
            return redirect("sharing:grants", case_id=case.pk)
    record_grants_listed(request, case, decision)
    context = {
        "case": case,
        "form": form,
        "approval_form": ApprovalRequestForm(case=case, prefix="approval"),
        "grants": [(g, selectors.covered_items(g)) for g in selectors.grants_of_case(case.pk)],
        "approvals": selectors.pending_approvals(case.pk),
        "residency": case.organisation.originals_stay_in_jurisdiction,
    }
    return render(request, "cases/sharing/grants.html", context, status=400 if form.errors else 200)


def _grant_for(request: HttpRequest, grant_id: int, perm: Perm) -> tuple[Grant, Decision]:
    found = Grant.objects.select_related("case").filter(pk=grant_id).first()
    grant = found or Grant(pk=grant_id, case=missing_case())
    decision = require_found(
        request,
        perm,
        grant.case.as_ref(),
        found=found is not None,
        targets=[grant_target(grant_id)],
        case_id=grant.case_id,
    )
    return grant, decision


@login_required
@require_POST
def revoke(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant, decision = _grant_for(request, grant_id, Perm.GRANT_MANAGE)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        do_revoke_grant(
            grant=grant,
            user=request.user,
            reason=reason,
            request=request,
            acting_as=acting_as(decision),
        )
    except GrantInvalid as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Grant revoked: it gives no access from now on."))
    return redirect("sharing:grants", case_id=grant.case_id)


@login_required
@require_POST
def request_approval(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.GRANT_MANAGE)
    form = ApprovalRequestForm(request.POST, case=case, prefix="approval")
    if not form.is_valid():
        messages.error(request, _("Choose a team and state why originals are needed (at least 10 characters)."))
        return redirect("sharing:grants", case_id=case.pk)
    team = form.cleaned_data["grantee_team"]
    if not is_cross_border(case, team):
        messages.error(request, _("That team works in this country: no second approval is needed."))
        return redirect("sharing:grants", case_id=case.pk)
    do_request_approval(
        kind=ApprovalKind.GRANT_ORIGINALS_ABROAD,
        case=case,
        subject=approval_subject(team),
        purpose=form.cleaned_data["purpose"],
        user=request.user,
        request=request,
        acting_as=acting_as(decision),
    )
    messages.success(request, _("Request sent: another coalition lead must approve it."))
    return redirect("sharing:grants", case_id=case.pk)


@login_required
@require_POST
def decide_approval(request: HttpRequest, approval_id: int) -> HttpResponse:
    found = ApprovalRequest.objects.select_related("case").filter(pk=approval_id).first()
    approval = found or ApprovalRequest(pk=approval_id, case=missing_case())
    target = Target("sharing.approval", approval_id)
    decision = require_found(
        request,
        Perm.APPROVAL_DECIDE,
        approval.case.as_ref(),
        found=found is not None,
        targets=[target],
        case_id=approval.case_id,
    )
    try:
        do_decide_approval(
            approval=approval,
            user=request.user,
            approve=request.POST.get("decision") == "approve",
            request=request,
            acting_as=acting_as(decision),
        )
    except ApprovalRefused as refused:
        messages.error(request, refused.message)
    return redirect("sharing:grants", case_id=approval.case_id)


def _review_organisations(request: HttpRequest) -> set[int]:
    actor = request_actor(request)
    candidates = {m.organisation_id for m in actor.memberships}
    allowed = {o for o in candidates if decide(actor, Perm.GRANT_REVIEW, OrganisationRef(o))}
    if not allowed:
        raise not_found(request, perm=Perm.GRANT_REVIEW, targets=[Target("sharing.review", "-")])
    return allowed


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponseBase:
    organisations = _review_organisations(request)
    export = request.GET.get("format") == "csv"
    if export and (confirm := sudo_redirect(request)):
        return confirm
    with transaction.atomic():
        record(
            action=Action.ACCESS_REVIEW_EXPORTED if export else Action.ACCESS_REVIEW_VIEWED,
            user=request.user,
            request=request,
            targets=[Target("organisation", o) for o in sorted(organisations)],
        )
    rows = selectors.access_review(organisations)
    if export:
        return _csv(rows)
    return render(request, "cases/sharing/review.html", {"rows": rows})


def _csv(rows: list[selectors.ReviewRow]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-review.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(
        [
            "case",
            "items",
            "team",
            "person",
            "level",
            "rights",
            "purpose",
            "state",
            "expires_at",
            "granted_by",
            "last_used",
        ]
    )
    for row in rows:
        g = row.grant
        cells = [
            g.case.reference,
            " ".join(row.items),
            str(g.grantee_team),
            g.grantee_user.get_username() if g.grantee_user else "",
            g.level,
            " ".join(g.rights),
            g.purpose,
            g.state,
            g.expires_at.isoformat(),
            g.granted_by.get_username(),
            row.last_used.isoformat() if row.last_used else "",
        ]
        writer.writerow([spreadsheet_safe(str(cell)) for cell in cells])
    return response
