"""Every read of a survivor's file is audited: notes, interviews, custodians, the edit form, the consent API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tests.cases.conftest import CaseWorld

pytestmark = pytest.mark.django_db
Login = Callable[..., Client]


@pytest.mark.parametrize(
    ("name", "who", "page"),
    [
        ("cases:notes", "mhpss", "notes"),
        ("cases:interviews", "member", "interviews"),
        ("cases:custodians", "lead", "custodians"),
        ("cases:survivor_edit", "member", "edit"),
    ],
)
def test_survivor_pages_record_the_read(cw: CaseWorld, login: Login, name: str, who: str, page: str) -> None:
    user = getattr(cw.world, who)
    response = login(user).get(reverse(name, args=[cw.adult.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.SURVIVOR_VIEWED, actor_id=user.pk)
    assert event.details == {"page": page}
    assert event.targets == [f"cases.survivor:{cw.adult.pk}"]


def test_consent_list_api_records_the_read(cw: CaseWorld, login: Login) -> None:
    response = login(cw.world.member).get(f"/api/v1/cases/survivors/{cw.adult.pk}/consents/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.SURVIVOR_VIEWED)
    assert event.details == {"page": "api.consents"}
