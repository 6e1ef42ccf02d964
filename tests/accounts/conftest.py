from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import TEST_PASSWORD


@pytest.fixture
def password_step(client: Client) -> Callable[..., object]:
    """Post the password form as a browser would."""

    def _step(username: str, password: str = TEST_PASSWORD, *, ip: str = "127.0.0.1", target: Client | None = None):
        return (target or client).post(
            reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
        )

    return _step


def fresh_client() -> Client:
    return Client(headers={"X-Forwarded-Proto": "https"})


def session_key(client: Client) -> str:
    from django.conf import settings

    return client.cookies[settings.SESSION_COOKIE_NAME].value


def user(username: str) -> User:
    return User.objects.get(username=username)
