"""Every page or endpoint that lists cases records which cases it showed, and changes nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tests.cases.conftest import CaseWorld
from tests.factories import CaseFactory

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


@pytest.mark.parametrize("url", [reverse("cases:list"), "/api/v1/cases/"])
def test_listing_more_cases_costs_no_more_queries(cw: CaseWorld, login: Login, url: str) -> None:
    """The event names the cases from the rows already read: no query per case, and still one event."""
    client = login(cw.world.member)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(4):
        CaseFactory(
            organisation=cw.case.organisation, host_jurisdiction=cw.case.host_jurisdiction, teams=[cw.world.team_car]
        )
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    assert len(five.captured_queries) == len(one.captured_queries)
    last = AuditEvent.objects.filter(action=Action.CASES_LISTED).order_by("-seq").first()
    assert last is not None and last.details == {"count": 5} and len(last.targets) == 5
