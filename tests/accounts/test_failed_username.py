"""A refused sign-in never writes what was typed as the username, unless it is an existing account's name."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _fail(username: str) -> AuditEvent:
    Client(headers={"X-Forwarded-Proto": "https"}).post(
        reverse("accounts:login"), {"username": username, "password": "wrong password"}
    )
    event = AuditEvent.objects.filter(action=Action.LOGIN_FAILED).order_by("-seq").first()
    assert event is not None
    return event


def test_a_typed_secret_is_not_recorded(world: World) -> None:
    event = _fail("my-secret-passphrase 42")
    assert event.actor_username == "(unknown)"
    assert "my-secret" not in str(event.details)
    again = _fail("My-Secret-Passphrase 42 ")
    assert len(event.details["typed_hmac"]) == 16
    assert again.details["typed_hmac"] == event.details["typed_hmac"]
    assert _fail("another text").details["typed_hmac"] != event.details["typed_hmac"]


def test_an_existing_account_is_named_canonically(world: World) -> None:
    event = _fail("MEMBER")
    assert event.actor_username == "member" and event.details == {}
