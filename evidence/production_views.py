"""Pages of court productions: list and create, select items, decide, build with progress, release, download."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_countries import countries

from accounts.sudo import sudo_redirect
from audit.actions import Action
from audit.services import record
from evidence.access import case_target, get_case_for
from evidence.production_access import get_production_for, missing_production, production_ref, production_target
from evidence.production_build import do_fail_stale_build, stale_before
from evidence.production_decisions import recipient_country
from evidence.production_forms import ApprovalForm, ProductionForm, SearchForm, WithholdForm
from evidence.production_linking import do_lift_suspension, do_request_lift_approval
from evidence.production_models import ProducedForm, Production, ProductionState
from evidence.production_package import package_chunks, package_filename
from evidence.production_selectors import (
    ItemFilter,
    consent_withdrawn,
    matching,
    productions_of,
    rows_of,
    saved_search,
    saved_searches,
    selectable_items,
)
from evidence.production_services import (
    EDITABLE,
    ProductionRefused,
    do_create_production,
    do_decide,
    do_decide_originals_approval,
    do_record_download,
    do_record_download_stopped,
    do_release,
    do_request_originals_approval,
    do_revoke,
    do_save_search,
    do_select_items,
    do_start_build,
    do_withhold_by_hand,
    pending_approval,
)
from evidence.streaming import _guarded
from teams.access import acting_as, request_actor
from teams.policy import Decision, Perm, actor_for, decide


def _back(production: Production) -> HttpResponse:
    return redirect(reverse("productions:detail", args=[production.pk]))


def _refused(request: HttpRequest, production: Production, message: Any) -> HttpResponse:
    messages.error(request, str(message))
    return _back(production)


def _viewed(request: HttpRequest, decision: Decision, case_id: int, *targets: Any) -> None:
    with transaction.atomic():
        record(
            action=Action.PRODUCTION_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=case_id,
            targets=[case_target(case_id), *targets],
        )


@login_required
@require_GET
def case_productions(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.PRODUCTION_VIEW)
    _viewed(request, decision, case.pk)
    may_manage = bool(decide(request_actor(request), Perm.PRODUCTION_MANAGE, case.as_ref()))
    context = {
        "case": case,
        "productions": productions_of(case),
        "searches": saved_searches(case),
        "may_manage": may_manage,
        "form": ProductionForm(case=case, prefix="p"),
        "search_form": SearchForm(prefix="s"),
    }
    return render(request, "evidence/productions.html", context)


@login_required
@require_POST
def create(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.PRODUCTION_MANAGE)
    form = ProductionForm(request.POST, case=case, prefix="p")
    if not form.is_valid():
        messages.error(request, _("The production was not created: check the fields below."))
        context: dict[str, Any] = {"case": case, "productions": productions_of(case), "may_manage": True}
        context |= {"searches": saved_searches(case), "form": form, "search_form": SearchForm(prefix="s")}
        return render(request, "evidence/productions.html", context, status=400)
    production = do_create_production(
        case=case, user=request.user, acting_as=acting_as(decision), request=request, **form.cleaned_data
    )
    messages.success(request, _("Production created: now select its items."))
    return _back(production)


@login_required
@require_POST
def save_search(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.PRODUCTION_MANAGE)
    form = SearchForm(request.POST, prefix="s")
    if form.is_valid():
        do_save_search(
            case=case,
            name=form.cleaned_data["name"],
            wanted=form.item_filter(),
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
        )
        messages.success(request, _("Search saved."))
    else:
        messages.error(request, _("The search was not saved: give it a name and valid values."))
    return redirect(reverse("productions:list", args=[case.pk]))


def _detail_decision(request: HttpRequest, production_id: int) -> tuple[Production, Decision]:
    """The case's lawyers, leads and auditors follow a production; a recipient holding the package may open it."""
    found = Production.objects.select_related("case", "recipient_team", "created_by").filter(pk=production_id).first()
    # A missing production is judged like a hidden one: the same policy calls on a placeholder, then 404.
    production = found or missing_production(production_id)
    decision = decide(request_actor(request), Perm.PRODUCTION_VIEW, production.case.as_ref())
    if found is not None and decision:
        return found, decision
    return get_production_for(request, production_id, Perm.PRODUCTION_DOWNLOAD)


@login_required
@require_GET
def detail(request: HttpRequest, production_id: int) -> HttpResponse:
    production, decision = _detail_decision(request, production_id)
    _viewed(request, decision, production.case_id, production_target(production.pk))
    actor = request_actor(request)
    case_ref = production.case.as_ref()
    ref = production_ref(production)
    withdrawn = consent_withdrawn(production)
    may = {
        "manage": bool(decide(actor, Perm.PRODUCTION_MANAGE, case_ref)),
        "approve": bool(decide(actor, Perm.APPROVAL_DECIDE, case_ref)),
        "download": bool(decide(actor, Perm.PRODUCTION_DOWNLOAD, ref)),
        # A withdrawal's suspension is never lifted (the service refuses): no button for it.
        "lift": bool(decide(actor, Perm.PRODUCTION_LIFT_SUSPENSION, ref)) and not withdrawn,
    }
    follows = bool(decide(actor, Perm.PRODUCTION_VIEW, case_ref))
    rows = list(rows_of(production)) if follows else []
    chosen = {r.item_id for r in rows}
    editable = production.state in EDITABLE and may["manage"]
    context = {
        "production": production,
        "follows": follows,
        "rows": rows,
        "may": may,
        "editable": editable,
        "candidates": [i for i in selectable_items(production.case) if i.pk not in chosen] if editable else [],
        "searches": saved_searches(production.case) if editable else [],
        "approval": pending_approval(production) if production.contains_originals else None,
        "approval_form": ApprovalForm(),
        "consent_active": ref.consent_active,
        "withdrawn": withdrawn,
        "withheld": sum(1 for r in rows if r.form == ProducedForm.WITHHELD),
        "destination": _destination(production),
        "stale": production.state == ProductionState.BUILDING
        and production.run_clock is not None
        and production.run_clock < stale_before(),
    }
    return render(request, "evidence/production.html", context)


def _destination(production: Production) -> dict[str, Any]:
    """The recipient's country and whether originals would leave the case's country (for the approver)."""
    code = recipient_country(production)
    return {
        "name": str(countries.name(code)) if code else "",
        "crosses_border": code != str(production.case.host_jurisdiction.country),
    }


@login_required
@require_GET
def progress(request: HttpRequest, production_id: int) -> JsonResponse:
    """State and progress for the build page's polling; the page view itself is the audited read."""
    production, _decision = get_production_for(request, production_id, Perm.PRODUCTION_VIEW)
    return JsonResponse(
        {
            "state": production.state,
            "state_display": production.get_state_display(),
            "done": production.progress_done,
            "total": production.progress_total,
            "failure": production.failure_shown,
        },
        headers={"Cache-Control": "no-store"},
    )


@login_required
@require_POST
def select(request: HttpRequest, production_id: int) -> HttpResponse:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_MANAGE)
    source = "hand"
    if name := request.POST.get("search", "").strip():
        search = saved_search(production.case, name)
        if search is None:
            return _refused(request, production, _("No saved search of that name in this case."))
        items = list(matching(production.case, ItemFilter.from_json(search.filters)))
        source = f"search:{search.pk}"
    else:
        ids = [int(i) for i in request.POST.getlist("items") if i.isdigit()]
        items = list(selectable_items(production.case).filter(pk__in=ids))
    try:
        changed = do_select_items(
            production=production,
            items=items,
            user=request.user,
            remove=request.POST.get("remove") == "1",
            source=source,
            acting_as=acting_as(decision),
            request=request,
        )
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    messages.success(request, _("%(n)s item(s) changed.") % {"n": changed})
    return _back(production)


@login_required
@require_POST
def withhold(request: HttpRequest, production_id: int, item_id: int) -> HttpResponse:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_MANAGE)
    form = WithholdForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        do_withhold_by_hand(
            production=production,
            item_id=item_id,
            reason=reason,
            withhold=request.POST.get("withhold", "1") == "1",
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
        )
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    return _back(production)


@login_required
@require_POST
def decide_items(request: HttpRequest, production_id: int) -> HttpResponse:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_MANAGE)
    try:
        do_decide(production=production, user=request.user, acting_as=acting_as(decision), request=request)
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    messages.success(request, _("Each item's form was decided; review the withheld items and their reasons."))
    return _back(production)


@login_required
@require_POST
def build(request: HttpRequest, production_id: int) -> HttpResponse:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_MANAGE)
    try:
        if production.state == ProductionState.BUILDING:
            # A build past the task's hard time limit: nothing runs it any more; mark it failed first.
            do_fail_stale_build(
                production=production, user=request.user, acting_as=acting_as(decision), request=request
            )
            messages.success(request, _("The build that never finished is marked failed; you can build again."))
            return _back(production)
        do_start_build(production=production, user=request.user, acting_as=acting_as(decision), request=request)
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    messages.success(request, _("The package is being built; this page shows its progress."))
    return _back(production)


@login_required
@require_POST
def request_approval(request: HttpRequest, production_id: int) -> HttpResponse:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_MANAGE)
    form = ApprovalForm(request.POST)
    purpose = form.cleaned_data["purpose"] if form.is_valid() else ""
    try:
        do_request_originals_approval(
            production=production, user=request.user, purpose=purpose, acting_as=acting_as(decision), request=request
        )
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    messages.success(request, _("Request sent: another coalition lead must approve it."))
    return _back(production)


@login_required
@require_POST
def decide_approval(request: HttpRequest, production_id: int) -> HttpResponse:
    production, decision = get_production_for(request, production_id, Perm.APPROVAL_DECIDE)
    try:
        do_decide_originals_approval(
            production=production,
            user=request.user,
            approve=request.POST.get("decision") == "approve",
            acting_as=acting_as(decision),
            request=request,
        )
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    return _back(production)


@login_required
@require_POST
def release(request: HttpRequest, production_id: int) -> HttpResponseBase:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_RELEASE)
    if confirm := sudo_redirect(request):
        return confirm
    try:
        do_release(production=production, user=request.user, acting_as=acting_as(decision), request=request)
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    messages.success(request, _("Production released: the package can be downloaded by those it is meant for."))
    return _back(production)


@login_required
@require_POST
def revoke(request: HttpRequest, production_id: int) -> HttpResponseBase:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_MANAGE)
    if confirm := sudo_redirect(request):
        return confirm
    try:
        do_revoke(production=production, user=request.user, acting_as=acting_as(decision), request=request)
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    messages.success(request, _("Production revoked: its package can no longer be downloaded."))
    return _back(production)


@login_required
@require_POST
def request_lift_approval(request: HttpRequest, production_id: int) -> HttpResponse:
    # Asked by the lead who will resume: an approval is used by the person who asked for it only.
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_LIFT_SUSPENSION)
    form = ApprovalForm(request.POST)
    purpose = form.cleaned_data["purpose"] if form.is_valid() else ""
    try:
        do_request_lift_approval(
            production=production, user=request.user, purpose=purpose, acting_as=acting_as(decision), request=request
        )
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    messages.success(request, _("Request sent: another coalition lead must approve it."))
    return _back(production)


@login_required
@require_POST
def lift_suspension(request: HttpRequest, production_id: int) -> HttpResponseBase:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_LIFT_SUSPENSION)
    if confirm := sudo_redirect(request):
        return confirm
    try:
        do_lift_suspension(production=production, user=request.user, acting_as=acting_as(decision), request=request)
    except ProductionRefused as refused:
        return _refused(request, production, refused.message)
    messages.success(request, _("Downloads resumed: every survivor's consent is on record."))
    return _back(production)


@login_required
@require_GET
def download(request: HttpRequest, production_id: int) -> HttpResponseBase:
    production, decision = get_production_for(request, production_id, Perm.PRODUCTION_DOWNLOAD)
    if confirm := sudo_redirect(request):
        return confirm
    do_record_download(
        production=production, user=request.user, channel="web", acting_as=acting_as(decision), request=request
    )
    user = request.user

    def still_allowed() -> bool:
        # A revoked or expired grant, a revocation or a consent withdrawal ends a running transfer.
        fresh = Production.objects.select_related("case").get(pk=production.pk)
        if decide(actor_for(user), Perm.PRODUCTION_DOWNLOAD, production_ref(fresh)):
            return True
        do_record_download_stopped(production=fresh, user=user, reason="access ended")
        return False

    def on_failure(reason: str) -> None:
        do_record_download_stopped(production=production, user=user, reason=f"integrity: {reason}")

    response = StreamingHttpResponse(_guarded(package_chunks(production), on_failure, still_allowed))
    response["Content-Type"] = "application/pgp-encrypted" if production.recipient_key else "application/zip"
    response["Content-Length"] = str(production.package_size or 0)
    response["Content-Disposition"] = f'attachment; filename="{package_filename(production)}"'
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    response["X-Content-Type-Options"] = "nosniff"
    return response
