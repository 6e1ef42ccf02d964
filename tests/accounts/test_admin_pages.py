from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.actions import Action, Outcome
from audit.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db
DENIED = ["member", "lead", "other_member", "outsider", "auditor"]
NEW_USER = {"username": "newcomer", "display_name": "New Comer", "email": "", "password": "a long enough passphrase 9"}


def test_admin_lists_and_creates_accounts(world: World, login: Callable[..., Client]) -> None:
    unconfirmed = login(world.admin).post(reverse("accounts:admin-user-create"), NEW_USER)
    assert unconfirmed["Location"].startswith(reverse("accounts:sudo"))
    assert not User.objects.filter(username=NEW_USER["username"]).exists()
    client = login(world.admin, sudo=True)
    listing = client.get(reverse("accounts:admin-users"))
    assert listing.status_code == 200 and "foreign" in listing.content.decode()
    response = client.post(reverse("accounts:admin-user-create"), NEW_USER)
    assert response["Location"] == reverse("accounts:admin-users")
    created = User.objects.get(username="newcomer")
    assert created.check_password(NEW_USER["password"])
    event = AuditEvent.objects.get(action=Action.ACCOUNT_CREATED)
    assert event.actor_id == world.admin.pk and event.targets == [f"user:{created.pk}"]


def test_create_refuses_taken_name_and_weak_password(world: World, login: Callable[..., Client]) -> None:
    client = login(world.admin, sudo=True)
    response = client.post(reverse("accounts:admin-user-create"), {**NEW_USER, "username": "Member"})
    assert response.context["form"].errors["username"] == ["This username is already taken."]
    response = client.post(reverse("accounts:admin-user-create"), {**NEW_USER, "password": "password"})
    assert "password" in response.context["form"].errors
    assert not AuditEvent.objects.filter(action=Action.ACCOUNT_CREATED).exists()


def test_enable_again(world: World, login: Callable[..., Client]) -> None:
    world.member.is_active = False
    world.member.save()
    client = login(world.admin, sudo=True)
    client.post(reverse("accounts:admin-user-active", args=[world.member.pk]), {"active": "1"})
    world.member.refresh_from_db()
    assert world.member.is_active
    assert AuditEvent.objects.filter(action=Action.ACCOUNT_ENABLED).count() == 1


def test_admin_cannot_disable_themselves(world: World, login: Callable[..., Client]) -> None:
    client = login(world.admin, sudo=True)
    client.post(reverse("accounts:admin-user-active", args=[world.admin.pk]), {"active": "0"})
    world.admin.refresh_from_db()
    assert world.admin.is_active


def test_reset_second_factor(world: World, login: Callable[..., Client]) -> None:
    member = login(world.member)
    assert TOTPDevice.objects.filter(user=world.member).exists()
    client = login(world.admin, Client(headers={"X-Forwarded-Proto": "https"}), sudo=True)
    client.post(reverse("accounts:admin-user-reset-otp", args=[world.member.pk]))
    assert not TOTPDevice.objects.filter(user=world.member).exists()
    assert member.get(reverse("teams:dashboard")).status_code == 302
    assert AuditEvent.objects.filter(action=Action.OTP_RESET).count() == 1


def test_destructive_admin_actions_need_sudo(world: World, login: Callable[..., Client]) -> None:
    client = login(world.admin)
    for name in ("accounts:admin-user-active", "accounts:admin-user-reset-otp"):
        response = client.post(reverse(name, args=[world.member.pk]), {"active": "0"})
        assert response["Location"].startswith(reverse("accounts:sudo"))
    world.member.refresh_from_db()
    assert world.member.is_active


@pytest.mark.parametrize("persona", DENIED)
def test_others_get_404_and_the_denial_is_audited(world: World, login: Callable[..., Client], persona: str) -> None:
    client = login(getattr(world, persona), sudo=True)
    target = world.auditor if persona != "auditor" else world.member
    responses = [
        client.get(reverse("accounts:admin-users")),
        client.get(reverse("accounts:admin-user-create")),
        client.post(reverse("accounts:admin-user-create"), NEW_USER),
        client.post(reverse("accounts:admin-user-active", args=[target.pk]), {"active": "0"}),
        client.post(reverse("accounts:admin-user-reset-otp", args=[target.pk])),
    ]
    missing = client.post(reverse("accounts:admin-user-active", args=[999_999]), {"active": "0"})
    assert {r.status_code for r in responses} == {404}
    assert responses[3].content == missing.content
    target.refresh_from_db()
    assert target.is_active and not User.objects.filter(username="newcomer").exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, outcome=Outcome.DENIED).count() == 6


@pytest.mark.parametrize("name", ["accounts:admin-user-active", "accounts:admin-user-reset-otp"])
def test_anonymous_admin_posts_go_to_login(client: Client, world: World, name: str) -> None:
    response = client.post(reverse(name, args=[world.member.pk]), {"active": "0"})
    assert response["Location"].startswith(reverse("accounts:login"))
    world.member.refresh_from_db()
    assert world.member.is_active
