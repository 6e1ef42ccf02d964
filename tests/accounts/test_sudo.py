from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.sudo import SUDO_UNTIL
from audit.actions import Action
from audit.models import AuditEvent
from tests.conftest import World
from tests.factories import TEST_PASSWORD
from tests.otp import ensure_totp_device, fresh_code

pytestmark = pytest.mark.django_db


def test_sensitive_page_asks_for_confirmation_then_returns(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    response = client.get(reverse("accounts:password"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:sudo')}?next=%2Faccounts%2Fsettings%2Fpassword%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    done = client.post(response["Location"], {"password": TEST_PASSWORD, "next": reverse("accounts:password")})
    assert done["Location"] == reverse("accounts:password")
    assert client.get(reverse("accounts:password")).status_code == 200
    event = AuditEvent.objects.get(action=Action.SUDO_GRANTED)
    assert event.details == {"method": "password"}


def test_confirmation_with_a_totp_code(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    device = ensure_totp_device(world.member)
    response = client.post(reverse("accounts:sudo"), {"code": fresh_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("accounts:password")).status_code == 200


def test_wrong_password_is_refused(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    response = client.post(reverse("accounts:sudo"), {"password": "wrong wrong wrong"})
    assert response.status_code == 200
    assert "That password or code was not accepted." in response.content.decode()
    assert client.get(reverse("accounts:password")).status_code == 302
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 1


def test_empty_confirmation_explains(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(reverse("accounts:sudo"), {})
    assert "Enter your password or a two-factor code." in response.content.decode()


def test_sudo_mode_ends_after_its_timeout(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member, sudo=True)
    assert client.get(reverse("accounts:password")).status_code == 200
    session = client.session
    session[SUDO_UNTIL] = time.time() - 1
    session.save()
    assert client.get(reverse("accounts:password")).status_code == 302


def test_post_without_sudo_changes_nothing_and_says_so(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    # A browser always sends Host; without it the test client's host would carry the port.
    response = client.post(
        reverse("accounts:recovery-codes"), HTTP_HOST="testserver", HTTP_REFERER="https://testserver/accounts/settings/"
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sudo"))
    assert "next=%2Faccounts%2Fsettings%2F" in response["Location"]
    assert not AuditEvent.objects.filter(action=Action.RECOVERY_CODES_GENERATED).exists()


def test_offsite_next_after_confirmation_is_ignored(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    response = client.post(reverse("accounts:sudo"), {"password": TEST_PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("accounts:settings")
