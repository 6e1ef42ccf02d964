"""Every page or endpoint that lists cases records which cases it showed, and changes nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tests.cases.conftest import CaseWorld

pytestmark = pytest.mark.django_db
Login = Callable[..., Client]


def row_counts() -> dict[str, int]:
    """Rows of every table but the audit log and the session store (a GET may only add audit events)."""
    skipped = {"audit", "sessions", "axes"}
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label not in skipped and not model._meta.proxy
    }


@pytest.mark.parametrize("url", [reverse("teams:dashboard"), reverse("cases:list"), "/api/v1/cases/"])
def test_listing_cases_is_recorded_with_the_cases_shown(cw: CaseWorld, login: Login, url: str) -> None:
    client = login(cw.world.member)
    before = row_counts()
    response = client.get(url)
    assert response.status_code == 200 and cw.case.reference in response.content.decode()
    event = AuditEvent.objects.filter(action=Action.CASES_LISTED).get()
    assert event.actor_username == "member"
    assert event.targets == [f"case:{cw.case.pk}"] and event.details == {"count": 1}
    assert row_counts() == before


def test_a_person_without_cases_is_recorded_seeing_none(cw: CaseWorld, login: Login) -> None:
    assert login(cw.world.outsider).get(reverse("teams:dashboard")).status_code == 200
    event = AuditEvent.objects.filter(action=Action.CASES_LISTED).get()
    assert event.actor_username == "outsider" and event.targets == [] and event.details == {"count": 0}
