from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import ApiToken, UserSession
from accounts.signals import SESSION_SEEN, SESSION_STARTED
from audit.actions import Action
from audit.models import AuditEvent
from tests.accounts.conftest import fresh_client
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _age(client: Client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = time.time() - seconds
    session.save()


@pytest.mark.parametrize(
    ("key", "limit", "name"),
    [
        (SESSION_SEEN, settings.SESSION_IDLE_TIMEOUT, "idle"),
        (SESSION_STARTED, settings.SESSION_ABSOLUTE_TIMEOUT, "absolute"),
    ],
)
def test_expired_session_goes_to_login_with_a_message(
    world: World, login: Callable[..., Client], key: str, limit: object, name: str
) -> None:
    client = login(world.member)
    assert client.get(reverse("teams:dashboard")).status_code == 200
    _age(client, key, limit.total_seconds() + 5)  # type: ignore[attr-defined]
    response = client.get(reverse("teams:dashboard"), follow=True)
    assert response.redirect_chain[0] == (reverse("accounts:login"), 302)
    assert "Your session has expired. Please sign in again." in response.content.decode()
    event = AuditEvent.objects.get(action=Action.SESSION_EXPIRED)
    assert event.actor_id == world.member.pk and event.details == {"limit": name}
    assert client.get(reverse("teams:dashboard")).status_code == 302


def test_activity_keeps_an_idle_session_alive(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    _age(client, SESSION_SEEN, settings.SESSION_IDLE_TIMEOUT.total_seconds() - 60)
    assert client.get(reverse("teams:dashboard")).status_code == 200
    assert time.time() - client.session[SESSION_SEEN] < 5


def test_expired_api_session_answers_json(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    _age(client, SESSION_STARTED, settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() + 5)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_expired"


def test_disabling_an_account_ends_all_its_sessions_and_tokens(world: World, login: Callable[..., Client]) -> None:
    laptop = login(world.member)
    phone = login(world.member, fresh_client())
    token = services.do_create_token(request=None, user=world.member).token
    assert UserSession.objects.filter(user=world.member).count() == 2

    admin = login(world.admin, fresh_client(), sudo=True)
    response = admin.post(reverse("accounts:admin-user-active", args=[world.member.pk]), {"active": "0"})
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert not world.member.is_active
    assert UserSession.objects.filter(user=world.member).count() == 0
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    for client in (laptop, phone):
        assert client.get(reverse("teams:dashboard"))["Location"].startswith(reverse("accounts:login"))
    event = AuditEvent.objects.get(action=Action.ACCOUNT_DISABLED)
    assert event.details == {"sessions_ended": 2} and event.actor_id == world.admin.pk


def test_session_records_follow_key_changes(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member, sudo=True)
    before = set(UserSession.objects.values_list("session_key", flat=True))
    client.post(
        reverse("accounts:password"),
        {"new_password1": "a much longer new passphrase 7", "new_password2": "a much longer new passphrase 7"},
    )
    after = set(UserSession.objects.values_list("session_key", flat=True))
    assert len(after) == 1 and after != before
    assert client.get(reverse("teams:dashboard")).status_code == 200


def test_sessions_that_ended_without_sign_out_are_forgotten_at_next_sign_in(
    world: World, login: Callable[..., Client]
) -> None:
    from django.contrib.sessions.models import Session

    first = login(world.member)
    stale = first.session.session_key
    Session.objects.filter(session_key=stale).delete()
    login(world.member, fresh_client())
    assert not UserSession.objects.filter(session_key=stale).exists()
    assert UserSession.objects.filter(user=world.member).count() == 1
