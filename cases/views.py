"""Case pages. Every object comes through its access helper; every write through a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.sudo import sudo_redirect
from cases import mhpss, selectors, services
from cases.access import (
    case_target,
    get_case_for,
    get_note_for,
    get_survivor_for,
    listed_cases,
    record_case_read,
    record_survivor_read,
    survivor_ref,
)
from cases.approvals import do_request_approval
from cases.consent import ConsentRefused, survivor_target
from cases.consent_services import do_record_consent, do_withdraw_consent
from cases.forms import (
    AvenueForm,
    CaseForm,
    ConsentForm,
    CustodianForm,
    DeadlineForm,
    IdentityEditForm,
    InterviewForm,
    NoteForm,
    PerpetratorForm,
    ReceiptForm,
    RevealForm,
    StatusForm,
    SurvivorForm,
    SurvivorUpdateForm,
    WithdrawForm,
)
from cases.models import ApprovalKind, Case, Notification, Survivor
from cases.receipt import ReceiptContact, do_print_receipt
from cases.sharing_selectors import grantee_team_names
from cases.survivors import (
    IdentityData,
    RevealRefused,
    authorise_reveal,
    do_add_custodian,
    do_register_survivor,
    do_reveal_identity,
    do_seal_identity,
    do_update_survivor,
    reveal_subject,
)
from teams.access import acting_as, not_found, record_denial, request_actor
from teams.models import Team
from teams.policy import Decision, Perm, TeamRef, decide

GET_POST = require_http_methods(["GET", "POST"])


def _apply_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errs in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, error.messages)


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    cases = listed_cases(request)
    return render(request, "cases/case_list.html", {"cases": [(c, selectors.current_status(c)) for c in cases]})


def _creatable_teams(request: HttpRequest) -> Any:
    actor = request_actor(request)
    teams = Team.objects.filter(pk__in=[m.team_id for m in actor.memberships]).select_related("organisation")
    return Team.objects.filter(
        pk__in=[t.pk for t in teams if decide(actor, Perm.CASE_CREATE, TeamRef(t.pk, t.organisation_id))]
    )


@login_required
@GET_POST
def case_create(request: HttpRequest) -> HttpResponse:
    teams = _creatable_teams(request)
    if not teams.exists():
        raise not_found(request, perm=Perm.CASE_CREATE, targets=[])
    form = CaseForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        team = data.pop("team")
        decision = decide(request_actor(request), Perm.CASE_CREATE, TeamRef(team.pk, team.organisation_id))
        try:
            case = services.do_create_case(
                reference=data.pop("reference"),
                team=team,
                user=request.user,
                acting_as=acting_as(decision),
                request=request,
                **data,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/case_form.html", {"form": form})


@login_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id)
    actor = request_actor(request)
    can_edit = bool(decide(actor, Perm.CASE_EDIT, case.as_ref()))
    record_case_read(request, case, decision)
    context = {
        "case": case,
        "status": selectors.current_status(case),
        "can_edit": can_edit,
        "can_share": bool(decide(actor, Perm.GRANT_MANAGE, case.as_ref())),
        "survivors": case.survivors.all() if decide(actor, Perm.SURVIVOR_LIST, case.as_ref()) else None,
        "forms": {
            "status": StatusForm(),
            "perpetrator": PerpetratorForm(),
            "avenue": AvenueForm(),
            "deadline": DeadlineForm(),
        }
        if can_edit
        else {},
    }
    return render(request, "cases/case_detail.html", context)


_CASE_PARTS: dict[str, tuple[type[Any], Any]] = {
    "status": (StatusForm, services.do_add_status),
    "perpetrator": (PerpetratorForm, services.do_add_perpetrator),
    "avenue": (AvenueForm, services.do_add_avenue),
    "deadline": (DeadlineForm, services.do_add_deadline),
}


@login_required
@require_POST
def case_add(request: HttpRequest, case_id: int, part: str) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.CASE_EDIT)
    if part not in _CASE_PARTS:
        raise Http404
    form_class, service = _CASE_PARTS[part]
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(case=case, user=request.user, acting_as=acting_as(decision), request=request, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "cases/case_part_form.html", {"case": case, "form": form, "part": part}, status=400)


@login_required
@GET_POST
@sensitive_post_parameters()
def survivor_create(request: HttpRequest, case_id: int) -> HttpResponse:
    case, _decision = get_case_for(request, case_id, Perm.CASE_VIEW)
    decision = decide(request_actor(request), Perm.SURVIVOR_CREATE, case.as_ref())
    if not decision:
        raise not_found(request, perm=Perm.SURVIVOR_CREATE, targets=[case_target(case.pk)], case_id=case.pk)
    form = SurvivorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identity = IdentityData.from_dict(form.identity())
        guardian = data["guardian_relationship"].strip()
        registration = do_register_survivor(
            case=case,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            identity=identity if identity.legal_name or any(form.identity().values()) else None,
            guardians=[("G1", guardian)] if guardian else [],
            age_band=data["age_band"],
            child_at_incident=data["child_at_incident"],
            child_now=data["child_now"],
            preferred_language=data["preferred_language"],
            safety_notes=data["safety_notes"],
        )
        if registration.grants_suspended:
            _tell_grants_suspended(request, case, registration.grants_suspended)
        return redirect("cases:survivor", survivor_id=registration.survivor.pk)
    return render(request, "cases/survivor_form.html", {"case": case, "form": form})


def _tell_grants_suspended(request: HttpRequest, case: Case, grant_ids: list[int]) -> None:
    # The grantee teams are named only to those who may see the case's grants (its sharing page).
    count = len(grant_ids)
    text = ngettext(
        "Registering this survivor suspended %(count)d grant of access to the whole case, because it needs "
        "their consent. A coalition lead can grant it again once the consent is recorded.",
        "Registering this survivor suspended %(count)d grants of access to the whole case, because they need "
        "their consent. A coalition lead can grant them again once the consent is recorded.",
        count,
    ) % {"count": count}
    if decide(request_actor(request), Perm.GRANT_MANAGE, case.as_ref()):
        teams = ", ".join(grantee_team_names(grant_ids))
        text = " ".join((text, _("Teams that lost access: %(teams)s.") % {"teams": teams}))
    messages.warning(request, text)


@login_required
@require_GET
def survivor_detail(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor, decision = get_survivor_for(request, survivor_id)
    actor = request_actor(request)
    ref = survivor_ref(survivor)
    today = timezone.localdate()
    record_survivor_read(request, survivor, decision)
    context = {
        "survivor": survivor,
        "case": survivor.case,
        "matrix": selectors.consent_matrix(survivor, today),
        "uses": selectors.uses_under_consent(survivor),
        "dependencies": selectors.dependencies_of(survivor),
        "flags": mhpss.safety_flags(survivor),
        "contact_block": mhpss.active_contact_block(survivor, today),
        "interviews": survivor.interviews.select_related("conducted_by", "team"),
        "can_edit": bool(decide(actor, Perm.CONSENT_RECORD, ref)),
        "can_reveal": bool(decide(actor, Perm.IDENTITY_REVEAL, ref)),
        "can_manage_custodians": bool(decide(actor, Perm.IDENTITY_MANAGE, ref)),
        "can_write_notes": bool(decide(actor, Perm.MHPSS_NOTE_WRITE, ref)),
        "withdraw_form": WithdrawForm(survivor=survivor),
    }
    return render(request, "cases/survivor_detail.html", context)


def _save_for_survivor(
    request: HttpRequest, form: Any, survivor: Survivor, decision: Decision, service: Callable[..., Any], done: str
) -> HttpResponse | None:
    """Run ``service`` on the survivor with the form's data as the caller: the way back to the survivor's
    page with ``done``, or None with the service's objections put on the form."""
    try:
        service(
            survivor=survivor, user=request.user, acting_as=acting_as(decision), request=request, **form.cleaned_data
        )
    except ValidationError as error:
        _apply_errors(form, error)
        return None
    messages.success(request, done)
    return redirect("cases:survivor", survivor_id=survivor.pk)


@login_required
@GET_POST
def consent_record(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor, decision = get_survivor_for(request, survivor_id, Perm.CONSENT_RECORD)
    initial = {"language": survivor.get_preferred_language_display(), "given_on": timezone.localdate()}
    if survivor.child_now:
        initial["given_by"] = "guardian"
    form = ConsentForm(request.POST or None, survivor=survivor, initial=initial)
    posted = request.method == "POST" and form.is_valid()
    done = _("Consent recorded.")
    if posted and (saved := _save_for_survivor(request, form, survivor, decision, do_record_consent, done)):
        return saved
    return render(request, "cases/consent_form.html", {"survivor": survivor, "form": form})


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor, decision = get_survivor_for(request, survivor_id, Perm.CONSENT_RECORD)
    form = WithdrawForm(request.POST, survivor=survivor)
    done = _("Withdrawal recorded; it applies at once.")
    if form.is_valid() and (saved := _save_for_survivor(request, form, survivor, decision, do_withdraw_consent, done)):
        return saved
    return render(request, "cases/withdraw_form.html", {"survivor": survivor, "form": form}, status=400)


@login_required
@GET_POST
@sensitive_post_parameters()
def receipt(request: HttpRequest, survivor_id: int) -> HttpResponseBase:
    survivor, decision = get_survivor_for(request, survivor_id, Perm.CONSENT_RECORD)
    form = ReceiptForm(request.POST or None, initial={"language": survivor.preferred_language})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Printing the legal name decrypts it: a fresh confirmation of identity first.
        if data["print_legal_name"] and (confirm := sudo_redirect(request)):
            return confirm
        membership = decision.acting_as
        team = Team.objects.select_related("organisation").get(pk=membership.team_id) if membership else None
        contact = ReceiptContact(
            organisation=team.organisation.name if team else "",
            team=team.name if team else "",
            person=getattr(request.user, "display_name", "") or request.user.get_username(),
            details=data["contact_details"],
        )
        try:
            pdf = do_print_receipt(
                survivor=survivor,
                user=request.user,
                contact=contact,
                language=data["language"],
                include_name_for_purpose=data["purpose"] if data["print_legal_name"] else "",
                acting_as=acting_as(decision),
                request=request,
            )
        except RevealRefused as refused:
            _record_reveal_refused(request, survivor, str(refused.message))
            form.add_error(None, refused.message)
        else:
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="consent-receipt-{survivor.code}.pdf"'
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "cases/receipt_form.html", {"survivor": survivor, "form": form})


def _record_reveal_refused(request: HttpRequest, survivor: Any, reason: str) -> None:
    record_denial(
        request,
        perm=Perm.IDENTITY_REVEAL,
        targets=[survivor_target(survivor.pk)],
        case_id=survivor.case_id,
        reason=reason,
    )


@login_required
@GET_POST
@sensitive_post_parameters()
def identity_reveal(request: HttpRequest, survivor_id: int) -> HttpResponseBase:
    survivor, decision = get_survivor_for(request, survivor_id, Perm.IDENTITY_REVEAL)
    form = RevealForm(request.POST or None)
    identity = None
    if request.method == "POST" and (confirm := sudo_redirect(request)):
        return confirm
    if request.method == "POST" and "request_approval" in request.POST and form.is_valid():
        do_request_approval(
            kind=ApprovalKind.REVEAL_IDENTITY,
            case=survivor.case,
            subject=reveal_subject(survivor.pk),
            purpose=form.cleaned_data["purpose"],
            user=request.user,
            request=request,
            acting_as=acting_as(decision),
        )
        messages.success(request, _("Approval requested: another coalition lead decides on the case's sharing page."))
        return redirect("cases:identity", survivor_id=survivor.pk)
    if request.method == "POST" and form.is_valid():
        try:
            authorisation = authorise_reveal(survivor=survivor, user=request.user, purpose=form.cleaned_data["purpose"])
            identity = do_reveal_identity(
                survivor=survivor,
                authorisation=authorisation,
                user=request.user,
                acting_as=acting_as(decision),
                request=request,
            )
        except RevealRefused as refused:
            _record_reveal_refused(request, survivor, str(refused.message))
            form.add_error(None, refused.message)
    edit_form = IdentityEditForm(initial=IdentityEditForm.initial_from(identity)) if identity else None
    context = {"survivor": survivor, "form": form, "identity": identity, "edit_form": edit_form}
    response = render(request, "cases/identity.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@GET_POST
@sensitive_post_parameters()
def notes(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor, decision = get_survivor_for(request, survivor_id)
    actor = request_actor(request)
    may_write = decide(actor, Perm.MHPSS_NOTE_WRITE, survivor_ref(survivor))
    if request.method == "GET":
        record_survivor_read(request, survivor, decision, "notes")
    form = NoteForm(request.POST or None)
    if request.method == "POST":
        if not may_write:
            raise not_found(request, perm=Perm.MHPSS_NOTE_WRITE, targets=[survivor_target(survivor.pk)])
        if form.is_valid():
            mhpss.do_write_note(
                survivor=survivor,
                user=request.user,
                acting_as=acting_as(may_write),
                request=request,
                **form.cleaned_data,
            )
            messages.success(request, _("Note saved."))
            return redirect("cases:notes", survivor_id=survivor.pk)
    context = {
        "survivor": survivor,
        "flags": mhpss.safety_flags(survivor),
        "notes": survivor.mhpss_notes.select_related("author"),
        "may_write": bool(may_write),
        "form": form if may_write else None,
    }
    return render(request, "cases/notes.html", context)


@login_required
@require_GET
def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    note, decision = get_note_for(request, note_id)
    assert decision.acting_as is not None
    try:
        body = mhpss.do_read_note(note=note, user=request.user, acting_as=acting_as(decision), request=request)  # type: ignore[arg-type]
    except ConsentRefused as refused:
        return render(request, "cases/refused.html", {"message": refused.message}, status=403)
    response = render(request, "cases/note_detail.html", {"note": note, "body": body})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@GET_POST
def interviews(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor, decision = get_survivor_for(request, survivor_id)
    today = timezone.localdate()
    may_record = decide(request_actor(request), Perm.INTERVIEW_RECORD, survivor_ref(survivor))
    if request.method == "GET":
        record_survivor_read(request, survivor, decision, "interviews")
    form = InterviewForm(request.POST or None, initial={"held_on": today})
    if request.method == "POST":
        if not may_record or may_record.acting_as is None:
            raise not_found(request, perm=Perm.INTERVIEW_RECORD, targets=[survivor_target(survivor.pk)])
        if form.is_valid():
            team = Team.objects.get(pk=may_record.acting_as.team_id)
            try:
                mhpss.do_record_interview(
                    survivor=survivor,
                    conducted_by=request.user,
                    team=team,
                    user=request.user,
                    acting_as=acting_as(may_record),
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                _apply_errors(form, error)
            except ConsentRefused as refused:
                form.add_error(None, str(refused.message))
            else:
                messages.success(request, _("Interview recorded."))
                return redirect("cases:interviews", survivor_id=survivor.pk)
    context = {
        "survivor": survivor,
        "interviews": survivor.interviews.select_related("conducted_by", "team"),
        "recent": mhpss.recent_interviews(survivor, today),
        "recent_days": mhpss.RECENT_INTERVIEW_DAYS,
        "flags": mhpss.safety_flags(survivor),
        "contact_block": mhpss.active_contact_block(survivor, today),
        "form": form if may_record else None,
    }
    return render(request, "cases/interviews.html", context)


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user_id=int(request.user.pk or 0)).select_related("case")[:200]
    return render(request, "cases/notifications.html", {"notifications": rows})


@login_required
@GET_POST
def custodians(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor, decision = get_survivor_for(request, survivor_id, Perm.IDENTITY_MANAGE)
    if request.method == "GET":
        record_survivor_read(request, survivor, decision, "custodians")
    candidates = selectors.custodian_candidates(survivor)
    form = CustodianForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            do_add_custodian(
                survivor=survivor,
                custodian=form.cleaned_data["custodian"],
                user=request.user,
                acting_as=acting_as(decision),
                request=request,
            )
        except RevealRefused as refused:
            form.add_error("custodian", refused.message)
        else:
            messages.success(request, _("Custodian added."))
            return redirect("cases:custodians", survivor_id=survivor.pk)
    context = {"survivor": survivor, "custodians": survivor.custodians.order_by("username"), "form": form}
    return render(request, "cases/custodians.html", context)


@login_required
@GET_POST
def survivor_edit(request: HttpRequest, survivor_id: int) -> HttpResponse:
    survivor, decision = get_survivor_for(request, survivor_id, Perm.SURVIVOR_EDIT)
    if request.method == "GET":
        record_survivor_read(request, survivor, decision, "edit")
    initial = {name: getattr(survivor, name) for name in SurvivorUpdateForm.base_fields}
    form = SurvivorUpdateForm(request.POST or None, initial=initial)
    posted = request.method == "POST" and form.is_valid()
    if posted and (saved := _save_for_survivor(request, form, survivor, decision, do_update_survivor, _("Saved."))):
        return saved
    return render(request, "cases/survivor_edit.html", {"survivor": survivor, "form": form})


@login_required
@require_POST
@sensitive_post_parameters()
def identity_edit(request: HttpRequest, survivor_id: int) -> HttpResponseBase:
    """Replace the sealed identity (custodians only, in sudo mode). The old value goes with its data key."""
    survivor, decision = get_survivor_for(request, survivor_id, Perm.IDENTITY_REVEAL)
    if confirm := sudo_redirect(request):
        return confirm
    form = IdentityEditForm(request.POST)
    if form.is_valid():
        do_seal_identity(
            survivor=survivor,
            identity=IdentityData.from_dict(form.identity()),
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Sealed identity replaced."))
        return redirect("cases:survivor", survivor_id=survivor.pk)
    context = {"survivor": survivor, "form": RevealForm(), "identity": None, "edit_form": form}
    response = render(request, "cases/identity.html", context, status=400)
    response["Cache-Control"] = "no-store"
    return response
