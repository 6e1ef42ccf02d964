from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from accounts.models import ApiToken
from audit.actions import Action
from audit.models import AuditEvent
from tests.conftest import World
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db
NEW = "a much longer new passphrase 7"


def test_settings_page_shows_the_account(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).get(reverse("accounts:settings"))
    assert response.status_code == 200
    assert "0 recovery codes left." in response.content.decode()


def test_change_password(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member, sudo=True)
    response = client.post(reverse("accounts:password"), {"new_password1": NEW, "new_password2": NEW})
    assert response["Location"] == reverse("accounts:settings")
    world.member.refresh_from_db()
    assert world.member.check_password(NEW)
    assert AuditEvent.objects.filter(action=Action.PASSWORD_CHANGED, actor_id=world.member.pk).count() == 1


def test_weak_password_is_refused_with_reasons(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member, sudo=True)
    response = client.post(reverse("accounts:password"), {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    world.member.refresh_from_db()
    assert world.member.check_password(TEST_PASSWORD)


def test_regenerate_recovery_codes(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member, sudo=True)
    first = client.post(reverse("accounts:recovery-codes")).context["codes"]
    second = client.post(reverse("accounts:recovery-codes")).context["codes"]
    stored = set(StaticToken.objects.filter(device__user=world.member).values_list("token", flat=True))
    assert stored == set(second) and not stored & set(first)


def test_create_use_and_revoke_a_token(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member, sudo=True)
    page = client.post(reverse("accounts:token-create"))
    key = page.context["key"]
    assert key in page.content.decode()
    api = Client(headers={"X-Forwarded-Proto": "https", "Authorization": f"Token {key}"})
    assert api.get("/api/v1/me/").json()["username"] == "member"
    client.post(reverse("accounts:token-revoke"))
    assert not ApiToken.objects.filter(user=world.member).exists()
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
    assert refused.json()["error"]["code"] == "authentication_failed"
    assert AuditEvent.objects.filter(action__in=[Action.API_TOKEN_CREATED, Action.API_TOKEN_REVOKED]).count() == 2


def test_token_creation_needs_sudo(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    assert client.post(reverse("accounts:token-create"))["Location"].startswith(reverse("accounts:sudo"))
    assert not ApiToken.objects.exists()


def test_moving_to_a_new_authenticator_needs_sudo(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    assert client.get(reverse("accounts:enrol"))["Location"].startswith(reverse("accounts:sudo"))
    client = login(world.member, sudo=True)
    assert client.get(reverse("accounts:enrol")).status_code == 200


@pytest.mark.parametrize("name", ["accounts:settings", "accounts:password", "accounts:sudo"])
def test_anonymous_is_sent_to_login(client: Client, world: World, name: str) -> None:
    assert client.get(reverse(name))["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["accounts:recovery-codes", "accounts:token-create", "accounts:token-revoke"])
def test_anonymous_posts_are_sent_to_login(client: Client, world: World, name: str) -> None:
    assert client.post(reverse(name))["Location"].startswith(reverse("accounts:login"))
    assert not AuditEvent.objects.exists()
