from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from teams.models import Membership, Role
from tests.conftest import World

pytestmark = pytest.mark.django_db


def add_url(world: World) -> str:
    return reverse("teams:member-add", args=[world.team_car.pk])


def membership(world: World, user: object) -> Membership:
    return Membership.objects.get(team=world.team_car, user=user)


def test_lead_sees_management_forms_and_member_does_not(world: World, login: Callable[..., Client]) -> None:
    url = reverse("teams:team", args=[world.team_car.pk])
    assert "Add a member" in login(world.lead).get(url).content.decode()
    assert (
        "Add a member"
        not in login(world.member, Client(headers={"X-Forwarded-Proto": "https"})).get(url).content.decode()
    )


def test_lead_adds_changes_and_removes(world: World, login: Callable[..., Client]) -> None:
    # Changing who may reach a case needs a fresh confirmation of identity.
    unconfirmed = login(world.lead).post(add_url(world), {"username": "outsider", "role": Role.INVESTIGATOR})
    assert unconfirmed["Location"].startswith(reverse("accounts:sudo"))
    assert not world.outsider.memberships.exists()
    client = login(world.lead, sudo=True)
    response = client.post(add_url(world), {"username": "outsider", "role": Role.INVESTIGATOR})
    assert response["Location"] == reverse("teams:team", args=[world.team_car.pk])
    added = membership(world, world.outsider)
    assert added.role == Role.INVESTIGATOR
    client.post(reverse("teams:member-role", args=[world.team_car.pk, added.pk]), {"role": Role.LAWYER})
    added.refresh_from_db()
    assert added.role == Role.LAWYER
    client.post(reverse("teams:member-remove", args=[world.team_car.pk, added.pk]))
    assert not Membership.objects.filter(pk=added.pk).exists()
    events = list(AuditEvent.objects.order_by("seq").values_list("action", "actor_role"))
    assert events == [
        (Action.MEMBERSHIP_ADDED, Role.COALITION_LEAD),
        (Action.MEMBERSHIP_ROLE_CHANGED, Role.COALITION_LEAD),
        (Action.MEMBERSHIP_REMOVED, Role.COALITION_LEAD),
    ]


def test_bad_input_is_explained(world: World, login: Callable[..., Client]) -> None:
    client = login(world.lead, sudo=True)
    page = client.post(add_url(world), {"username": "nobody", "role": Role.LAWYER}, follow=True)
    assert "No active account has this username." in page.content.decode()
    page = client.post(add_url(world), {"username": "member", "role": Role.LAWYER}, follow=True)
    assert "This person is already a member of the team." in page.content.decode()
    page = client.post(add_url(world), {"username": "outsider", "role": Role.ADMIN}, follow=True)
    assert "Select a valid choice." in page.content.decode()
    assert not Membership.objects.filter(user=world.outsider).exists()


@pytest.mark.parametrize("persona", ["member", "investigator", "auditor", "other_member", "outsider"])
def test_others_cannot_manage_members(world: World, login: Callable[..., Client], persona: str) -> None:
    client = login(getattr(world, persona))
    target = membership(world, world.mhpss)
    responses = [
        client.post(add_url(world), {"username": "outsider", "role": Role.LAWYER}),
        client.post(reverse("teams:member-role", args=[world.team_car.pk, target.pk]), {"role": Role.LAWYER}),
        client.post(reverse("teams:member-remove", args=[world.team_car.pk, target.pk])),
    ]
    missing = client.post(reverse("teams:member-add", args=[999_999]), {"username": "outsider", "role": "lawyer"})
    assert {r.status_code for r in responses} == {404}
    assert responses[0].content == missing.content
    target.refresh_from_db()
    assert target.role == Role.MHPSS
    assert not Membership.objects.filter(user=world.outsider).exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, outcome=Outcome.DENIED).count() == 4


def test_membership_of_another_team_is_not_reachable_through_this_team(
    world: World, login: Callable[..., Client]
) -> None:
    foreign = membership_other = Membership.objects.get(user=world.other_member)
    response = login(world.lead).post(reverse("teams:member-remove", args=[world.team_car.pk, foreign.pk]))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership_other.pk).exists()


@pytest.mark.parametrize("name", ["teams:member-role", "teams:member-remove"])
def test_anonymous_is_sent_to_login(client: Client, world: World, name: str) -> None:
    target = membership(world, world.mhpss)
    response = client.post(reverse(name, args=[world.team_car.pk, target.pk]), {"role": Role.LAWYER})
    assert response["Location"].startswith(reverse("accounts:login"))
    target.refresh_from_db()
    assert target.role == Role.MHPSS
