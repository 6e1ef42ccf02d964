"""A CAR case with one adult survivor, and helpers to record consents and make grants."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from cases.approvals import do_decide_approval, do_request_approval
from cases.consent_services import do_record_consent, do_withdraw_consent
from cases.models import ApprovalKind, ApprovalRequest, Case, ConsentAction, Decision, Grant, GrantLevel, Survivor
from cases.sharing import do_grant
from teams.models import Role
from tests.conftest import World
from tests.factories import CaseFactory, MembershipFactory, UserFactory


@dataclass
class ShareWorld:
    world: World
    case: Case
    survivor: Survivor

    def consent(self, action: str, target: str | int, decision: str = Decision.GRANTED) -> None:
        do_record_consent(
            survivor=self.survivor,
            action=action,
            target=target,
            decision=decision,
            method="written",
            language="Sango",
            given_on=datetime.date(2026, 1, 10),
            user=self.world.member,
        )

    def withdraw(self, action: str, target: str | int = "") -> None:
        do_withdraw_consent(
            survivor=self.survivor,
            action=action,
            target=target,
            method="written",
            language="Sango",
            user=self.world.member,
        )

    def concerns(self, item: Any) -> None:
        """Link an item to the survivor, who consented to its storage and use by the case team."""
        item.survivors.add(self.survivor)
        self.consent(ConsentAction.STORE_EVIDENCE, "")

    def consent_to_foreign_team(self) -> None:
        self.consent(ConsentAction.SHARE_TEAM, self.world.team_tcc.pk)
        self.consent(ConsentAction.SHARE_JURISDICTION, "BD")

    def grant(
        self, level: str = GrantLevel.REDACTED, rights: tuple[str, ...] = ("view", "download"), **kw: Any
    ) -> Grant:
        kw.setdefault("grantee_team", self.world.team_tcc)
        return do_grant(
            case=self.case,
            level=level,
            rights=list(rights),
            purpose="joint complaint before the national court",
            user=self.world.lead,
            **kw,
        )


def second_lead(world: World) -> Any:
    user = UserFactory(username="second-lead")
    MembershipFactory(user=user, team=world.team_car, role=Role.COALITION_LEAD)
    return user


def approve_originals_abroad(sw: ShareWorld) -> ApprovalRequest:
    approval = do_request_approval(
        kind=ApprovalKind.GRANT_ORIGINALS_ABROAD,
        case=sw.case,
        subject=f"team:{sw.world.team_tcc.pk}",
        purpose="originals for the forensic examiner",
        user=sw.world.lead,
    )
    return do_decide_approval(approval=approval, user=second_lead(sw.world), approve=True)


@pytest.fixture
def sw(world: World) -> ShareWorld:
    case = CaseFactory.create(
        organisation=world.org_car, host_jurisdiction=world.team_car.jurisdiction, teams=[world.team_car]
    )
    survivor = Survivor.objects.create(case=case, code="S-CAF-0101", age_band="25-39", created_by=world.member)
    return ShareWorld(world, case, survivor)


# Evidence storage for the tests that upload and download real items.
from tests.evidence.conftest import _evidence_key_dir, upload  # noqa: E402, F401
