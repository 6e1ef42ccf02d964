"""Reads of organisations, teams and memberships, filtered by the policy."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from audit.services import Target
from teams.access import request_actor, require_found
from teams.models import Membership, Team
from teams.policy import Decision, Perm, TeamRef


def memberships_of(request: HttpRequest) -> QuerySet[Membership]:
    actor = request_actor(request)
    if actor.user_id is None:
        return Membership.objects.none()
    return Membership.objects.filter(user_id=actor.user_id).select_related(
        "team", "team__organisation", "team__jurisdiction"
    )


def get_team_for(request: HttpRequest, team_id: int, perm: Perm = Perm.TEAM_VIEW) -> tuple[Team, Decision]:
    """The team if the caller may ``perm`` it; otherwise 404, exactly as for a team that does not exist."""
    found = Team.objects.select_related("organisation", "jurisdiction").filter(pk=team_id).first()
    # A missing team is judged through a placeholder (matching nobody), as a hidden one is.
    team = found or Team(pk=team_id, organisation_id=0)
    ref = TeamRef(team.pk, team.organisation_id)
    decision = require_found(request, perm, ref, found=found is not None, targets=[Target("team", team_id)])
    return team, decision


def team_members(team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user").order_by("role", "user__username")
