from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.sudo import sudo_redirect
from audit.actions import Action
from audit.services import Target, record
from teams import services
from teams.access import acting_as, not_found, request_actor
from teams.forms import AddMemberForm, RoleForm
from teams.models import Membership, Team
from teams.policy import Decision, Perm, TeamRef, decide
from teams.selectors import get_team_for, memberships_of, team_members


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "teams/dashboard.html", {"memberships": memberships_of(request)})


@login_required
@require_GET
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    team, decision = get_team_for(request, team_id)
    can_manage = bool(decide(request_actor(request), Perm.TEAM_MANAGE_MEMBERS, TeamRef(team.pk, team.organisation_id)))
    with transaction.atomic():
        members = list(team_members(team))
        record(
            action=Action.TEAM_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            targets=[Target("team", team.pk)],
            details={"members": len(members)},
        )
    context = {
        "team": team,
        "members": members,
        "can_manage": can_manage,
        "add_form": AddMemberForm() if can_manage else None,
        "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "teams/team_detail.html", context)


def _by_membership(request: HttpRequest, decision: Decision) -> Membership | None:
    fact = decision.acting_as
    if fact is None:
        return None
    memberships = Membership.objects.select_related("team").filter(team_id=fact.team_id)
    return memberships.filter(user_id=int(request.user.pk or 0)).first()


def _member_of(request: HttpRequest, team: Team, membership_id: int) -> Membership:
    membership = Membership.objects.filter(pk=membership_id, team=team).select_related("user", "team").first()
    if membership is None:
        raise not_found(request, perm=Perm.TEAM_MANAGE_MEMBERS, targets=[Target("membership", membership_id)])
    return membership


def _form_errors(request: HttpRequest, form: AddMemberForm | RoleForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


@login_required
@require_POST
def member_add(request: HttpRequest, team_id: int) -> HttpResponseBase:
    team, decision = get_team_for(request, team_id, Perm.TEAM_MANAGE_MEMBERS)
    if confirm := sudo_redirect(request):
        return confirm
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("teams:team", team.pk)
    user = form.cleaned_data["username"]
    try:
        services.do_add_membership(
            user=user,
            team=team,
            role=form.cleaned_data["role"],
            by=request.user,  # type: ignore[arg-type]
            by_membership=_by_membership(request, decision),
            request=request,
        )
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s added to the team.") % {"name": user})
    return redirect("teams:team", team.pk)


@login_required
@require_POST
def member_role(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponseBase:
    team, decision = get_team_for(request, team_id, Perm.TEAM_MANAGE_MEMBERS)
    membership = _member_of(request, team, membership_id)
    if confirm := sudo_redirect(request):
        return confirm
    form = RoleForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("teams:team", team.pk)
    try:
        services.do_change_role(
            membership=membership,
            role=form.cleaned_data["role"],
            by=request.user,  # type: ignore[arg-type]
            by_membership=_by_membership(request, decision),
            request=request,
        )
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Role of %(name)s changed.") % {"name": membership.user})
    return redirect("teams:team", team.pk)


@login_required
@require_POST
def member_remove(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponseBase:
    team, decision = get_team_for(request, team_id, Perm.TEAM_MANAGE_MEMBERS)
    membership = _member_of(request, team, membership_id)
    if confirm := sudo_redirect(request):
        return confirm
    services.do_remove_membership(
        membership=membership,
        by=request.user,  # type: ignore[arg-type]
        by_membership=_by_membership(request, decision),
        request=request,
    )
    messages.success(request, _("%(name)s removed from the team.") % {"name": membership.user})
    return redirect("teams:team", team.pk)
