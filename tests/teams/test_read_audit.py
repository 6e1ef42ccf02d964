"""Pages that show other people's accounts or memberships record the read; refusals record a denial."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db
Login = Callable[..., Client]


def test_the_account_list_is_recorded(world: World, login: Login) -> None:
    response = login(world.admin).get(reverse("accounts:admin-users"))
    assert response.status_code == 200 and "foreign" in response.content.decode()
    event = AuditEvent.objects.get(action=Action.ACCOUNTS_LISTED)
    assert event.actor_username == "operator" and event.targets == ["accounts:all"]
    assert event.details == {"count": 8} and event.actor_role == "admin"


@pytest.mark.parametrize("persona", ["member", "lead", "outsider"])
def test_the_account_list_refused_is_a_recorded_404(world: World, login: Login, persona: str) -> None:
    assert login(getattr(world, persona)).get(reverse("accounts:admin-users")).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.ACCOUNTS_LISTED).exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, outcome=Outcome.DENIED).exists()


def test_the_team_page_is_recorded(world: World, login: Login) -> None:
    response = login(world.member).get(reverse("teams:team", args=[world.team_car.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.TEAM_VIEWED)
    assert event.targets == [f"team:{world.team_car.pk}"] and event.details == {"members": 5}
    assert event.actor_team_id == world.team_car.pk


def test_a_team_page_refused_is_a_recorded_404(world: World, login: Login) -> None:
    assert login(world.outsider).get(reverse("teams:team", args=[world.team_car.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.TEAM_VIEWED).exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, targets=[f"team:{world.team_car.pk}"]).exists()
