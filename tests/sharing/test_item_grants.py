"""Grants on chosen items from the web: the lead picks items, a team or one member; consent and the
two-person rule apply as for whole-case grants; the grants page and the access review list the items."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from cases.models import Grant, GrantLevel
from evidence.models import DerivativeKind, EvidenceItem
from evidence.sharing_models import GrantedItem
from teams.models import Role
from tests.factories import CaseFactory, MembershipFactory, TeamFactory, UserFactory
from tests.sharing.conftest import ShareWorld, approve_originals_abroad

OUTSIDERS = ["member", "investigator", "mhpss", "auditor", "other_member", "outsider", "admin"]


@pytest.fixture
def items(sw: ShareWorld, upload: Any) -> dict[str, EvidenceItem]:
    """Two statements concerning the survivor, a redacted copy of the first, and a map concerning nobody."""

    def one(data: bytes, name: str) -> EvidenceItem:
        return EvidenceItem.objects.get(pk=upload(sw.world.member, sw.case, data, name=name).json()["id"])

    first, second, copy, plain = (
        one(b"first", "a.txt"),
        one(b"second", "b.txt"),
        one(b"c", "c.txt"),
        one(b"m", "m.txt"),
    )
    EvidenceItem.objects.filter(pk=copy.pk).update(derivative_of=first, derivative_kind=DerivativeKind.REDACTED)
    sw.concerns(first)
    sw.concerns(second)
    EvidenceItem.objects.filter(pk=plain.pk).update(no_survivor_material=True)
    return {
        name: EvidenceItem.objects.get(pk=i.pk)
        for name, i in zip(("first", "second", "copy", "plain"), (first, second, copy, plain), strict=True)
    }


def _url(sw: ShareWorld) -> str:
    return reverse("item_sharing:grant_items", args=[sw.case.pk])


def _data(sw: ShareWorld, chosen: list[EvidenceItem], **overrides: Any) -> dict[str, Any]:
    data = {
        "items": [i.pk for i in chosen],
        "grantee_team": sw.world.team_tcc.pk,
        "grantee_user": "",
        "level": "redacted",
        "rights": ["view", "download"],
        "purpose": "one statement for the joint complaint",
        "expires_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


def _page(client: Client, item: EvidenceItem) -> int:
    return int(client.get(reverse("evidence:item", args=[item.pk])).status_code)


def test_lead_grants_chosen_items_and_the_grantee_sees_only_those(
    sw: ShareWorld, items: dict[str, EvidenceItem], login: Any
) -> None:
    sw.consent_to_foreign_team()
    lead = login(sw.world.lead)
    page = lead.get(_url(sw), {"items": items["first"].pk})
    assert page.status_code == 200
    checked = set(re.findall(r'name="items" value="(\d+)"[^>]*checked', page.content.decode()))
    assert checked == {str(items["first"].pk)}
    response = lead.post(_url(sw), _data(sw, [items["first"]]))
    assert response.status_code == 302, response.content.decode()
    grant = Grant.objects.get()
    assert grant.item_scoped and grant.level == GrantLevel.REDACTED
    assert list(GrantedItem.objects.filter(grant=grant).values_list("item_id", flat=True)) == [items["first"].pk]
    created = AuditEvent.objects.get(action=Action.GRANT_CREATED)
    assert created.details["items"] == [items["first"].pk]
    foreign = login(sw.world.other_member, Client(headers={"X-Forwarded-Proto": "https"}))
    assert _page(foreign, items["first"]) == 200
    assert _page(foreign, items["copy"]) == 200
    assert _page(foreign, items["second"]) == 404
    assert _page(foreign, items["plain"]) == 404


def test_grants_page_and_access_review_show_the_items_covered(
    sw: ShareWorld, items: dict[str, EvidenceItem], login: Any
) -> None:
    sw.consent_to_foreign_team()
    lead = login(sw.world.lead, sudo=True)
    lead.post(_url(sw), _data(sw, [items["first"], items["second"]]))
    sw.grant(level=GrantLevel.METADATA, rights=("view",))
    name_first, name_second = items["first"].display_name, items["second"].display_name
    grants_page = lead.get(reverse("sharing:grants", args=[sw.case.pk])).content.decode()
    assert f"{name_first}, {name_second}" in grants_page
    assert "the whole case" in grants_page
    review = lead.get(reverse("sharing:review")).content.decode()
    assert f"{name_first}, {name_second}" in review and "the whole case" in review
    export = lead.get(reverse("sharing:review"), {"format": "csv"})
    lines = b"".join(export.streaming_content if export.streaming else [export.content]).decode().splitlines()
    assert lines[0].startswith("case,items,team")
    assert any(f"{name_first} {name_second}" in line for line in lines[1:])


def test_a_grant_to_one_member_of_the_team(sw: ShareWorld, items: dict[str, EvidenceItem], login: Any) -> None:
    sw.consent_to_foreign_team()
    colleague = UserFactory(username="foreign-colleague")
    MembershipFactory(user=colleague, team=sw.world.team_tcc, role=Role.LAWYER)
    data = _data(sw, [items["first"]], grantee_user=sw.world.other_member.pk)
    assert login(sw.world.lead).post(_url(sw), data).status_code == 302
    assert Grant.objects.get().grantee_user == sw.world.other_member
    assert _page(login(sw.world.other_member, Client(headers={"X-Forwarded-Proto": "https"})), items["first"]) == 200
    assert _page(login(colleague, Client(headers={"X-Forwarded-Proto": "https"})), items["first"]) == 404


def test_a_person_outside_the_team_chosen_is_refused(
    sw: ShareWorld, items: dict[str, EvidenceItem], login: Any
) -> None:
    sw.consent_to_foreign_team()
    other_team = TeamFactory(organisation=sw.world.org_tcc, jurisdiction=sw.world.team_tcc.jurisdiction, slug="x")
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, team=other_team, role=Role.LAWYER)
    response = login(sw.world.lead).post(_url(sw), _data(sw, [items["first"]], grantee_user=stranger.pk))
    assert response.status_code == 400
    assert "not a member of that team" in response.content.decode()
    assert not Grant.objects.exists()


def test_consent_of_the_survivors_the_items_concern_is_required(
    sw: ShareWorld, items: dict[str, EvidenceItem], login: Any
) -> None:
    lead = login(sw.world.lead)
    refused = lead.post(_url(sw), _data(sw, [items["first"]]))
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "S-CAF-0101" in body and "one statement for the joint complaint" in body
    assert not Grant.objects.exists()
    assert AuditEvent.objects.filter(action=Action.GRANT_REFUSED).count() == 1
    # An item that concerns no survivor needs nobody's consent.
    assert lead.post(_url(sw), _data(sw, [items["plain"]])).status_code == 302
    assert list(Grant.objects.get().granted_items.values_list("item_id", flat=True)) == [items["plain"].pk]


def test_originals_abroad_need_a_second_lead(sw: ShareWorld, items: dict[str, EvidenceItem], login: Any) -> None:
    sw.consent_to_foreign_team()
    lead = login(sw.world.lead)
    data = _data(sw, [items["first"]], level="originals")
    refused = lead.post(_url(sw), data)
    assert refused.status_code == 400
    assert "second coalition lead" in refused.content.decode()
    assert not Grant.objects.exists()
    approve_originals_abroad(sw)
    assert lead.post(_url(sw), data).status_code == 302
    assert Grant.objects.get().level == GrantLevel.ORIGINALS


def test_items_of_another_case_cannot_be_chosen(
    sw: ShareWorld, items: dict[str, EvidenceItem], upload: Any, login: Any
) -> None:
    sw.consent_to_foreign_team()
    elsewhere = CaseFactory.create(
        organisation=sw.world.org_car, host_jurisdiction=sw.world.team_car.jurisdiction, teams=[sw.world.team_car]
    )
    foreign_item = EvidenceItem.objects.get(pk=upload(sw.world.member, elsewhere, b"other case").json()["id"])
    response = login(sw.world.lead).post(_url(sw), _data(sw, [foreign_item]))
    assert response.status_code == 400
    assert not Grant.objects.exists()


def test_choosing_no_item_is_refused(sw: ShareWorld, items: dict[str, EvidenceItem], login: Any) -> None:
    response = login(sw.world.lead).post(_url(sw), _data(sw, []))
    assert response.status_code == 400
    assert not Grant.objects.exists()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_the_lead_grants_items(sw: ShareWorld, items: dict[str, EvidenceItem], login: Any, who: str) -> None:
    sw.consent_to_foreign_team()
    client = login(getattr(sw.world, who))
    assert client.get(_url(sw)).status_code == 404
    assert client.post(_url(sw), _data(sw, [items["first"]])).status_code == 404
    assert not Grant.objects.exists()
    assert not GrantedItem.objects.exists()


def test_anonymous_is_sent_to_sign_in(sw: ShareWorld, items: dict[str, EvidenceItem]) -> None:
    anonymous = Client(headers={"X-Forwarded-Proto": "https"})
    assert anonymous.post(_url(sw), _data(sw, [items["first"]])).status_code == 302
    assert not Grant.objects.exists()


def test_item_page_offers_sharing_to_the_lead_only(sw: ShareWorld, items: dict[str, EvidenceItem], login: Any) -> None:
    link = f"{_url(sw)}?items={items['first'].pk}"
    assert link in login(sw.world.lead).get(reverse("evidence:item", args=[items["first"].pk])).content.decode()
    member_page = login(sw.world.member, Client(headers={"X-Forwarded-Proto": "https"}))
    assert link not in member_page.get(reverse("evidence:item", args=[items["first"].pk])).content.decode()


def test_item_page_says_why_residency_withholds_the_original(
    sw: ShareWorld, items: dict[str, EvidenceItem], login: Any
) -> None:
    sw.world.org_car.originals_stay_in_jurisdiction = True
    sw.world.org_car.save()
    sw.consent_to_foreign_team()
    approve_originals_abroad(sw)
    lead = login(sw.world.lead)
    assert lead.post(_url(sw), _data(sw, [items["first"]], level="originals")).status_code == 302
    assert "redacted copies only" in lead.get(reverse("sharing:grants", args=[sw.case.pk])).content.decode()
    foreign = login(sw.world.other_member, Client(headers={"X-Forwarded-Proto": "https"}))
    original = foreign.get(reverse("evidence:item", args=[items["first"].pk])).content.decode()
    assert "data residency" in original and "Host Counsel" in original
    copy = foreign.get(reverse("evidence:item", args=[items["copy"].pk])).content.decode()
    assert "data residency" not in copy
