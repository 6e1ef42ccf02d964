"""Audit pages: who sees which trail, filters, CSV export, and the audit of the reads themselves."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action, Outcome
from audit.alerts import AUDIT_CHAIN, raise_alert
from audit.models import AuditEvent
from audit.services import ActingAs, Target, record
from cases.models import Case
from tests.conftest import World
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

Login = Callable[..., Client]


@pytest.fixture
def case(world: World) -> Case:
    case: Case = CaseFactory.create(organisation=world.org_car, teams=[world.team_car])
    record(action=Action.CASE_CREATED, user=world.member, case_id=case.pk, targets=[Target("case", case.pk)])
    record(
        action=Action.CASE_VIEWED,
        user=world.investigator,
        case_id=case.pk,
        purpose="=cmd|' /C calc'!A0",
        acting_as=ActingAs(world.team_car.pk, world.org_car.pk, "investigator"),
    )
    record(action=Action.LOGIN, user=world.other_member)
    return case


def _client() -> Client:
    """Another browser, arriving over TLS like the default test client."""
    return Client(headers={"X-Forwarded-Proto": "https"})


def _cell(action: Action) -> str:
    return f"<td>{action.label}</td>"


def _last() -> AuditEvent:
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    return event


@pytest.mark.parametrize("persona", ["lead", "member", "auditor"])
def test_case_team_leads_and_auditors_see_the_case_trail(world: World, case: Case, login: Login, persona: str) -> None:
    response = login(getattr(world, persona)).get(reverse("case_audit:events", args=[case.pk]))
    assert response.status_code == 200
    assert _cell(Action.CASE_CREATED) in response.content.decode()
    viewed = _last()
    assert viewed.action == Action.AUDIT_VIEWED and viewed.case_id == case.pk


@pytest.mark.parametrize("persona", ["other_member", "outsider", "mhpss", "admin"])
def test_others_get_the_same_404_and_the_denial_is_recorded(
    world: World, case: Case, login: Login, persona: str
) -> None:
    client = login(getattr(world, persona))
    denied = client.get(reverse("case_audit:events", args=[case.pk]))
    missing = client.get(reverse("case_audit:events", args=[case.pk + 999]))
    assert denied.status_code == missing.status_code == 404
    assert denied.content == missing.content
    assert client.get(reverse("case_audit:export", args=[case.pk])).status_code == 404
    assert _last().action == Action.ACCESS_DENIED and _last().outcome == Outcome.DENIED


def test_filters_narrow_the_trail(world: World, case: Case, login: Login) -> None:
    client = login(world.lead)
    url = reverse("case_audit:events", args=[case.pk])
    response = client.get(url, {"person": "investigator"})
    body = response.content.decode()
    assert _cell(Action.CASE_VIEWED) in body and _cell(Action.CASE_CREATED) not in body
    response = client.get(url, {"action": Action.CASE_CREATED.value, "since": "2000-01-01", "until": "2999-01-01"})
    assert _cell(Action.CASE_CREATED) in response.content.decode()
    assert _last().details["filters"]["action"] == Action.CASE_CREATED.value


def test_bad_filters_are_answered_with_the_form(world: World, case: Case, login: Login) -> None:
    response = login(world.lead).get(
        reverse("case_audit:events", args=[case.pk]), {"since": "2026-05-02", "until": "2026-05-01"}
    )
    assert response.status_code == 400
    assert "start date is after the end date" in response.content.decode()


def test_csv_export_is_audited_and_reverifiable(world: World, case: Case, login: Login) -> None:
    # An export needs a fresh confirmation of identity (sudo mode); without it nothing is exported.
    unconfirmed = login(world.auditor, _client()).get(reverse("case_audit:export", args=[case.pk]))
    assert unconfirmed.status_code == 302 and unconfirmed["Location"].startswith(reverse("accounts:sudo"))
    assert _last().action != Action.AUDIT_EXPORTED
    response = login(world.auditor, sudo=True).get(reverse("case_audit:export", args=[case.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    exported = _last()
    assert exported.action == Action.AUDIT_EXPORTED and exported.case_id == case.pk
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]
    assert [row["action"] for row in rows] == [Action.CASE_CREATED.value, Action.CASE_VIEWED.value]
    # Spreadsheet programs must not run a cell as a formula.
    assert rows[1]["purpose"].startswith("'=")
    for row in rows:
        digest = hashlib.sha256(bytes.fromhex(row["prev_hash"]) + row["canonical"].encode()).hexdigest()
        assert digest == row["hash"]


def test_platform_log_for_auditors_and_operators_only(world: World, case: Case, login: Login) -> None:
    assert login(world.auditor).get(reverse("audit:events")).status_code == 200
    assert login(world.admin, _client()).get(reverse("audit:events")).status_code == 200
    for persona in (world.lead, world.member, world.other_member, world.outsider):
        assert login(persona, _client()).get(reverse("audit:events")).status_code == 404
        assert login(persona, _client()).get(reverse("audit:export")).status_code == 404


def test_person_trail(world: World, case: Case, login: Login) -> None:
    url = reverse("audit:person", args=[world.investigator.pk])
    response = login(world.lead).get(url)
    assert response.status_code == 200 and _cell(Action.CASE_VIEWED) in response.content.decode()
    assert login(world.auditor, _client()).get(url).status_code == 200
    # A foreign organisation's lead may not read the trail of someone outside it.
    assert login(world.other_member, _client()).get(url).status_code == 404
    assert login(world.member, _client()).get(url).status_code == 404
    assert (
        login(world.outsider, _client()).get(reverse("audit:person-export", args=[world.investigator.pk])).status_code
        == 404
    )
    unconfirmed = login(world.lead, _client()).get(reverse("audit:person-export", args=[world.investigator.pk]))
    assert unconfirmed.status_code == 302 and unconfirmed["Location"].startswith(reverse("accounts:sudo"))
    export = login(world.lead, _client(), sudo=True).get(reverse("audit:person-export", args=[world.investigator.pk]))
    assert export.status_code == 200 and _last().action == Action.AUDIT_EXPORTED


def test_an_organisations_lead_reads_only_the_persons_work_for_that_organisation(
    world: World, case: Case, login: Login
) -> None:
    """The investigator also works for a second coalition: its lead must not see the first one's cases."""
    from teams.models import Membership, Role
    from tests.factories import UserFactory

    Membership.objects.create(user=world.investigator, team=world.team_tcc, role=Role.INVESTIGATOR)
    tcc_lead = UserFactory.create(username="tcc-lead")
    Membership.objects.create(user=tcc_lead, team=world.team_tcc, role=Role.COALITION_LEAD)
    foreign_case: Case = CaseFactory.create(organisation=world.org_tcc, teams=[world.team_tcc])
    record(
        action=Action.EVIDENCE_DOWNLOADED,
        user=world.investigator,
        case_id=foreign_case.pk,
        purpose="tcc witness bundle",
        acting_as=ActingAs(world.team_tcc.pk, world.org_tcc.pk, "investigator"),
    )
    record(action=Action.SURVIVOR_VIEWED, user=world.investigator, case_id=case.pk, purpose="car case, no org")
    record(action=Action.LOGIN, user=world.investigator)
    url = reverse("audit:person", args=[world.investigator.pk])

    tcc_page = login(tcc_lead).get(url).content.decode()
    assert "tcc witness bundle" in tcc_page and _cell(Action.LOGIN) in tcc_page
    assert _cell(Action.CASE_VIEWED) not in tcc_page and "car case, no org" not in tcc_page
    tcc_export = login(tcc_lead, _client(), sudo=True).get(reverse("audit:person-export", args=[world.investigator.pk]))
    tcc_csv = b"".join(tcc_export)
    assert b"tcc witness bundle" in tcc_csv and b"calc" not in tcc_csv

    car_page = login(world.lead, _client()).get(url).content.decode()
    assert _cell(Action.CASE_VIEWED) in car_page and "tcc witness bundle" not in car_page

    platform = login(world.admin, _client()).get(url).content.decode()
    assert "tcc witness bundle" in platform and _cell(Action.CASE_VIEWED) in platform


def test_public_key_download(world: World, login: Login) -> None:
    response = login(world.member).get(reverse("audit:key"))
    assert response.status_code == 200
    assert response.content.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert _last().action == Action.AUDIT_EXPORTED


def test_alert_banner_for_auditors_and_operators(world: World, login: Login) -> None:
    raise_alert(kind=AUDIT_CHAIN, message="Event #3 was edited")
    dashboard = reverse("teams:dashboard")
    assert "Event #3 was edited" in login(world.auditor).get(dashboard).content.decode()
    assert "Event #3 was edited" in login(world.admin, _client()).get(dashboard).content.decode()
    assert "Event #3 was edited" not in login(world.member, _client()).get(dashboard).content.decode()
