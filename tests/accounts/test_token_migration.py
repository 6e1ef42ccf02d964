from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import ApiToken
from tests.conftest import World

pytestmark = pytest.mark.django_db

migration = importlib.import_module("accounts.migrations.0003_api_token_digest")


def test_existing_clear_text_tokens_become_digests_and_keep_working(world: World) -> None:
    old = Token.objects.create(user=world.member)
    other = Token.objects.create(user=world.lead)

    migration.hash_existing_tokens(apps, None)

    assert not Token.objects.exists()
    stored = ApiToken.objects.get(user=world.member)
    assert stored.digest == ApiToken.digest_of(old.key) and stored.created == old.created
    assert ApiToken.objects.get(user=world.lead).digest == ApiToken.digest_of(other.key)
    api = Client(headers={"X-Forwarded-Proto": "https", "Authorization": f"Token {old.key}"})
    assert api.get("/api/v1/me/").json()["username"] == "member"
