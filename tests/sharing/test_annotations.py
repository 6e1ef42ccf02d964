"""Shared comments: the annotate right, who sees what, and refusal of a survivor's identifier."""

from __future__ import annotations

import re
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
        case=sw.case,
        user=sw.world.member,
        identity=IdentityData(legal_name="Amina Zetoungou", contacts=["+236 72 11 22 33"]),
        age_band="25-39",
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
    assert "legal name" not in _errors(body)
    assert "may contain information that identifies a survivor" in _errors(body)
    assert not Annotation.objects.exists()
    assert AuditEvent.objects.filter(action=Action.ANNOTATION_REFUSED).count() == 1


def _errors(page: str) -> str:
    return "".join(re.findall(r'<ul class="errorlist.*?</ul>', page, flags=re.S))


def _refusal_text(client: Any, item: EvidenceItem, body: str) -> str:
    response = client.post(_url(item), {"body": body})
    errors = _errors(response.content.decode())
    assert response.status_code == 400 and "identifies a survivor" in errors
    return errors


def test_refusal_is_the_same_whatever_kind_of_identifier_was_found(
    sw: ShareWorld, item: EvidenceItem, login: Any
) -> None:
    sw.grant(level=GrantLevel.METADATA, rights=("view", "annotate"))
    client = login(sw.world.other_member)
    assert _refusal_text(client, item, "Amina Zetoungou") == _refusal_text(client, item, "+236 72 11 22 33")


def test_screening_is_recorded_as_the_commenters_action(sw: ShareWorld, item: EvidenceItem, login: Any) -> None:
    sw.grant(level=GrantLevel.METADATA, rights=("view", "annotate"))
    login(sw.world.other_member).post(_url(item), {"body": "Ask the examiner."})
    screenings = AuditEvent.objects.filter(action=Action.IDENTIFIERS_FOR_REDACTION)
    assert screenings.exists()
    assert set(screenings.values_list("actor_id", flat=True)) == {sw.world.other_member.pk}
    assert all("system screening" in e.details["operation"] for e in screenings)


def test_refusals_are_limited_per_person_and_item(sw: ShareWorld, item: EvidenceItem, login: Any) -> None:
    sw.grant(level=GrantLevel.METADATA, rights=("view", "annotate"))
    client = login(sw.world.other_member)
    for guess in ("Amina Zetoungou", "amina zetoungou?", "+236 72 11 22 33"):
        assert client.post(_url(item), {"body": guess}).status_code == 400
    locked = client.post(_url(item), {"body": "Ask the examiner."})
    assert locked.status_code == 400 and "Too many comments" in locked.content.decode()
    assert not Annotation.objects.exists()
    assert AuditEvent.objects.filter(action=Action.ANNOTATION_REFUSED, details__reason="rate_limited").count() == 1
    assert login(sw.world.member).post(_url(item), {"body": "Ask the examiner."}).status_code == 302


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
