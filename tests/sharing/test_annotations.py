"""Shared comments: the annotate right, who sees what, and refusal of a survivor's identifier."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from cases.models import GrantLevel
from cases.survivors import IdentityData, do_create_survivor
from evidence.models import EvidenceItem
from evidence.sharing_models import Annotation
from tests.sharing.conftest import ShareWorld


@pytest.fixture
def item(sw: ShareWorld, upload: Any) -> EvidenceItem:
    named = do_create_survivor(
        case=sw.case, user=sw.world.member, identity=IdentityData(legal_name="Amina Zetoungou"), age_band="25-39"
    )
    obj = EvidenceItem.objects.get(pk=upload(sw.world.member, sw.case, b"statement").json()["id"])
    obj.survivors.add(named, sw.survivor)
    for survivor in (named, sw.survivor):
        sw.survivor = survivor
        sw.consent_to_foreign_team()
    return obj


def _url(item: EvidenceItem) -> str:
    return reverse("annotations:list", args=[item.pk])


def test_granted_team_comments_and_the_case_team_reads_it(sw: ShareWorld, item: EvidenceItem, login: Any) -> None:
    sw.grant(level=GrantLevel.METADATA, rights=("view", "annotate"))
    foreign = login(sw.world.other_member)
    assert foreign.post(_url(item), {"body": "Ask the medical examiner about page 3."}).status_code == 302
    assert "page 3" in login(sw.world.member).get(_url(item)).content.decode()


def test_comment_naming_a_survivor_is_refused_without_echoing_the_name(
    sw: ShareWorld, item: EvidenceItem, login: Any
) -> None:
    sw.grant(level=GrantLevel.METADATA, rights=("view", "annotate"))
    response = login(sw.world.other_member).post(_url(item), {"body": "Call AMINA zetoungou tomorrow"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "legal name" in body
    assert not Annotation.objects.exists()
    assert AuditEvent.objects.filter(action=Action.ANNOTATION_REFUSED).count() == 1


@pytest.mark.parametrize("who", ["outsider", "admin", "auditor", "mhpss"])
def test_no_annotate_without_the_right(sw: ShareWorld, item: EvidenceItem, login: Any, who: str) -> None:
    sw.grant(level=GrantLevel.METADATA, rights=("view", "annotate"))
    response = login(getattr(sw.world, who)).post(_url(item), {"body": "a comment"})
    assert response.status_code == 404
    assert not Annotation.objects.exists()


def test_view_only_grant_cannot_comment(sw: ShareWorld, item: EvidenceItem, login: Any) -> None:
    sw.grant(level=GrantLevel.REDACTED, rights=("view",))
    foreign = login(sw.world.other_member)
    assert foreign.get(_url(item)).status_code == 200
    assert foreign.post(_url(item), {"body": "a comment"}).status_code == 404
    assert not Annotation.objects.exists()
