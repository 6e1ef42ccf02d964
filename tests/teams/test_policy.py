from __future__ import annotations

import pytest

from teams.policy import ANONYMOUS, CaseRef, Perm, TeamRef, actor_for, decide
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_anonymous_is_refused_everything(world: World) -> None:
    ref = TeamRef(world.team_car.pk, world.org_car.pk)
    assert not decide(ANONYMOUS, Perm.TEAM_VIEW, ref)


def test_unknown_permission_is_refused(world: World) -> None:
    assert not decide(actor_for(world.lead), "no.such.perm", None)  # type: ignore[arg-type]


def test_team_members_see_their_team_others_do_not(world: World) -> None:
    ref = TeamRef(world.team_car.pk, world.org_car.pk)
    assert decide(actor_for(world.member), Perm.TEAM_VIEW, ref)
    assert not decide(actor_for(world.other_member), Perm.TEAM_VIEW, ref)
    assert not decide(actor_for(world.outsider), Perm.TEAM_VIEW, ref)


def test_inactive_user_holds_no_memberships(world: World) -> None:
    world.member.is_active = False
    world.member.save()
    assert actor_for(world.member) == ANONYMOUS


def test_platform_admin_sees_no_case(world: World) -> None:
    case = CaseRef(case_id=1, organisation_id=world.org_car.pk, team_ids=frozenset({world.team_car.pk}))
    assert not decide(actor_for(world.admin), Perm.CASE_VIEW, case)
    assert decide(actor_for(world.admin), Perm.ACCOUNTS_MANAGE)


def test_case_access_follows_case_teams(world: World) -> None:
    case = CaseRef(case_id=1, organisation_id=world.org_car.pk, team_ids=frozenset({world.team_car.pk}))
    decision = decide(actor_for(world.member), Perm.CASE_VIEW, case)
    assert decision and decision.acting_as is not None and decision.acting_as.team_id == world.team_car.pk
    assert not decide(actor_for(world.other_member), Perm.CASE_VIEW, case)
    assert not decide(actor_for(world.mhpss), Perm.CASE_EDIT, case)
    assert decide(actor_for(world.auditor), Perm.CASE_AUDIT_VIEW, case)
