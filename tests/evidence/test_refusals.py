"""A download of an original refused for want of a fresh confirmation of identity leaves a trace."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from evidence.models import EvidenceItem

pytestmark = pytest.mark.django_db
PURPOSE = {"purpose": "prepare the hearing bundle"}


@pytest.fixture
def item(world: Any, case: Any, upload: Any) -> EvidenceItem:
    return EvidenceItem.objects.get(pk=upload(world.member, case, os.urandom(4096)).json()["id"])


def _denials(item: EvidenceItem) -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.filter(action="access.denied", details__permission="evidence.download")
        if f"evidence.item:{item.pk}" in e.targets
    ]


def test_web_download_without_sudo_is_recorded(world: Any, login: Any, item: EvidenceItem) -> None:
    response = login(world.member).post(reverse("evidence:download", args=[item.pk]), PURPOSE)
    assert response.status_code == 302
    [denial] = _denials(item)
    assert denial.details["reason"] == "sudo mode required" and denial.actor_id == world.member.pk


def test_api_download_without_sudo_is_recorded(world: Any, login: Any, item: EvidenceItem) -> None:
    url = f"/api/v1/evidence/items/{item.pk}/download/"
    response = login(world.member).post(url, PURPOSE, content_type="application/json")
    assert response.status_code == 403
    [denial] = _denials(item)
    assert denial.actor_id == world.member.pk
