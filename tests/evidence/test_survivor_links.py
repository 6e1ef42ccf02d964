"""Which survivors an item concerns: intake choice, link/unlink on the item page, and the fail-closed rule."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.consent_services import do_record_consent
from cases.models import ConsentAction, Decision
from cases.survivors import do_create_survivor
from evidence.models import EvidenceItem
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
PURPOSE = {"purpose": "prepare the hearing bundle"}


def _grant(survivor: Any, user: Any) -> Any:
    return do_record_consent(
        survivor=survivor,
        action=ConsentAction.STORE_EVIDENCE,
        decision=Decision.GRANTED,
        method="written",
        language="Sango",
        given_on=datetime.date(2026, 1, 10),
        user=user,
    )


def _item(world: Any, case: Any, upload: Any, **fields: Any) -> EvidenceItem:
    response = upload(world.member, case, os.urandom(4096), **fields)
    assert response.status_code == 200, response.content
    return EvidenceItem.objects.get(pk=response.json()["id"])


def _download(client: Any, item: EvidenceItem) -> Any:
    return client.post(reverse("evidence:download", args=[item.pk]), PURPOSE)


def test_item_of_a_case_with_survivors_and_no_link_is_refused_until_marked(
    world: Any, case: Any, upload: Any, login: Any
) -> None:
    do_create_survivor(case=case, user=world.member)
    item = _item(world, case, upload)
    client = login(world.member, sudo=True)
    refused = _download(client, item)
    assert refused.status_code == 403
    event = AuditEvent.objects.get(action="consent.refused")
    assert event.details["state"] == "undetermined" and event.targets == [f"evidence.item:{item.pk}"]
    assert not AuditEvent.objects.filter(action="evidence.downloaded").exists()

    marked = client.post(reverse("evidence:survivors", args=[item.pk]), {"no_survivor_material": "on"})
    assert marked.status_code == 302
    linked = AuditEvent.objects.get(action="evidence.survivors_linked")
    assert linked.details == {"before": [], "after": [], "no_survivor_material": True}
    assert _download(client, item).status_code == 200


def test_item_of_a_case_without_survivors_needs_no_link(world: Any, case: Any, upload: Any, login: Any) -> None:
    item = _item(world, case, upload)
    assert _download(login(world.member, sudo=True), item).status_code == 200


def test_intake_links_chosen_survivors_and_their_consent_decides(
    world: Any, case: Any, upload: Any, login: Any
) -> None:
    survivor = do_create_survivor(case=case, user=world.member)
    item = _item(world, case, upload, survivors=str(survivor.pk))
    assert list(item.survivors.all()) == [survivor]
    uploaded = AuditEvent.objects.get(action="evidence.uploaded")
    assert f"cases.survivor:{survivor.pk}" in uploaded.targets
    client = login(world.member, sudo=True)
    assert _download(client, item).status_code == 403
    _grant(survivor, world.member)
    assert _download(client, item).status_code == 200


def test_intake_refuses_survivors_and_no_survivor_together(world: Any, case: Any, upload: Any) -> None:
    survivor = do_create_survivor(case=case, user=world.member)
    response = upload(world.member, case, b"x" * 100, survivors=str(survivor.pk), no_survivor_material="on")
    assert response.status_code == 400
    assert not EvidenceItem.objects.exists()


def test_unlinking_the_last_survivor_closes_the_item_again(world: Any, case: Any, upload: Any, login: Any) -> None:
    survivor = do_create_survivor(case=case, user=world.member)
    _grant(survivor, world.member)
    item = _item(world, case, upload, survivors=str(survivor.pk))
    client = login(world.member, sudo=True)
    assert _download(client, item).status_code == 200
    assert client.post(reverse("evidence:survivors", args=[item.pk]), {}).status_code == 302
    assert not item.survivors.exists()
    assert _download(client, item).status_code == 403


def test_a_survivor_of_another_case_cannot_be_linked(world: Any, case: Any, upload: Any, login: Any) -> None:
    other_case = CaseFactory.create(reference="CAF-MINUSCA-0099", organisation=world.org_car, teams=[world.team_car])
    stranger = do_create_survivor(case=other_case, user=world.member)
    item = _item(world, case, upload)
    client = login(world.member)
    client.post(reverse("evidence:survivors", args=[item.pk]), {"survivors": [str(stranger.pk)]})
    assert not item.survivors.exists()
    assert not AuditEvent.objects.filter(action="evidence.survivors_linked").exists()


@pytest.mark.parametrize("who", ["other_member", "outsider", "auditor", "mhpss"])
def test_linking_refused_to_non_editors(world: Any, case: Any, upload: Any, login: Any, who: str) -> None:
    survivor = do_create_survivor(case=case, user=world.member)
    item = _item(world, case, upload)
    response = login(getattr(world, who)).post(
        reverse("evidence:survivors", args=[item.pk]), {"survivors": [str(survivor.pk)]}
    )
    assert response.status_code == 404
    assert not item.survivors.exists()
    denials = AuditEvent.objects.filter(action="access.denied")
    assert any(f"evidence.item:{item.pk}" in event.targets for event in denials)


def test_item_page_shows_the_link_form_to_editors_only(world: Any, case: Any, upload: Any, login: Any) -> None:
    do_create_survivor(case=case, user=world.member)
    item = _item(world, case, upload)
    url = reverse("evidence:item", args=[item.pk])
    assert reverse("evidence:survivors", args=[item.pk]).encode() in login(world.member).get(url).content
    assert reverse("evidence:survivors", args=[item.pk]).encode() not in login(world.auditor).get(url).content
