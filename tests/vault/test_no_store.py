"""Pages for signed-in people are never cached: shared machines keep no survivor or case data in the browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_signed_in_pages_are_no_store(world: Any, login: Callable[..., Client]) -> None:
    case = CaseFactory.create(organisation=world.org_car, teams=[world.team_car])
    client = login(world.member)
    for url in (reverse("cases:detail", args=[case.pk]), reverse("evidence:list", args=[case.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert response["Pragma"] == "no-cache"
    # A validation error re-renders what was typed (names included): not cached either.
    invalid = client.post(reverse("cases:survivor_create", args=[case.pk]), {"legal_name": "Fictional Name"})
    assert "no-store" in invalid["Cache-Control"]
