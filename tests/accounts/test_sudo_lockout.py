"""Confirming identity for sudo mode counts wrong passwords like sign-in does (django-axes), and locks out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.sudo import SUDO_UNTIL
from audit.actions import Action
from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_repeated_wrong_sudo_passwords_lock_the_account_and_end_the_session(
    world: Any, login: Callable[..., Client]
) -> None:
    client = login(world.member)
    url = reverse("accounts:sudo")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"password": "wrong guess"})
        assert response.status_code == 200
    locked = client.post(url, {"password": "wrong guess"})
    assert locked.status_code == 429
    assert AuditEvent.objects.filter(action=Action.LOGIN_LOCKED, actor_username="member").exists()
    # The session is gone, and the right password no longer opens sudo mode during the cool-off.
    assert client.get(reverse("accounts:settings")).status_code == 302
    again = login(world.member, Client(headers={"X-Forwarded-Proto": "https"}))
    response = again.post(url, {"password": TEST_PASSWORD})
    assert SUDO_UNTIL not in again.session
    assert response.status_code == 429


def test_the_right_password_opens_sudo_mode(world: Any, login: Callable[..., Client]) -> None:
    client = login(world.member)
    response = client.post(reverse("accounts:sudo"), {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert SUDO_UNTIL in client.session
