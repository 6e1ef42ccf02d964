from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_member_sees_team_page(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).get(reverse("teams:team", args=[world.team_car.pk]))
    assert response.status_code == 200
    assert "Bangui team" in response.content.decode()


@pytest.mark.parametrize("persona", ["other_member", "outsider"])
def test_others_get_the_same_404_as_for_a_missing_team(
    world: World, login: Callable[..., Client], persona: str
) -> None:
    client = login(getattr(world, persona))
    hidden = client.get(reverse("teams:team", args=[world.team_car.pk]))
    missing = client.get(reverse("teams:team", args=[999_999]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    denials = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, outcome=Outcome.DENIED)
    assert denials.count() == 2


def test_anonymous_is_sent_to_login(client: Client, world: World) -> None:
    response = client.get(reverse("teams:dashboard"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
