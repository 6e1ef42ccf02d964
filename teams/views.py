from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teams.selectors import get_team_for, memberships_of, team_members


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "teams/dashboard.html", {"memberships": memberships_of(request)})


@login_required
@require_GET
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    team, _decision = get_team_for(request, team_id)
    return render(request, "teams/team_detail.html", {"team": team, "members": team_members(team)})
