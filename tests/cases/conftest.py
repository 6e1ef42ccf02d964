"""Fixtures for cases tests: a case of the CAR team with an adult and a child survivor."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from cases.approvals import do_decide_approval, do_request_approval
from cases.models import ApprovalKind, ApprovalRequest, Case, Guardian, Survivor
from cases.survivors import reveal_subject
from teams.models import Role
from tests.conftest import World
from tests.factories import CaseFactory, MembershipFactory, UserFactory


@dataclass
class CaseWorld:
    world: World
    case: Case
    adult: Survivor
    child: Survivor
    guardian: Guardian


@pytest.fixture
def cw(world: World) -> CaseWorld:
    case = CaseFactory(
        organisation=world.org_car, host_jurisdiction=world.team_car.jurisdiction, teams=[world.team_car]
    )
    adult = Survivor.objects.create(case=case, code="S-CAF-0001", age_band="25-39", created_by=world.member)
    child = Survivor.objects.create(
        case=case, code="S-CAF-0002", age_band="12-17", child_at_incident=True, child_now=True, created_by=world.member
    )
    for s in (adult, child):
        s.custodians.add(world.member)
    guardian = Guardian.objects.create(survivor=child, label="G1", relationship="mother")
    return CaseWorld(world, case, adult, child, guardian)


TODAY = datetime.date(2026, 6, 1)


def another_client() -> Client:
    """A second browser, arriving over TLS like the ``client`` fixture (production redirects plain HTTP)."""
    return Client(headers={"X-Forwarded-Proto": "https"})


def consent_kwargs(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"method": "written", "language": "Sango", "given_on": datetime.date(2026, 1, 10)}
    base.update(overrides)
    return base


def approve_reveal(survivor: Survivor, requester: Any) -> ApprovalRequest:
    """The requester asks to reveal the survivor's identity and a second coalition lead approves."""
    approval = do_request_approval(
        kind=ApprovalKind.REVEAL_IDENTITY,
        case=survivor.case,
        subject=reveal_subject(survivor.pk),
        purpose="Preparing the witness statement",
        user=requester,
    )
    approver = UserFactory.create()
    MembershipFactory(user=approver, team=survivor.case.teams.first(), role=Role.COALITION_LEAD)
    return do_decide_approval(approval=approval, user=approver, approve=True)
