"""The custody rules of the access policy, on plain facts."""

from __future__ import annotations

from typing import Any

import pytest

from evidence.custody_models import TransferState
from evidence.custody_services import do_accept_transfer, do_propose_transfer
from evidence.models import EvidenceItem, Kind
from teams.policy import CaseRef, CustodyRef, ItemRef, Perm, actor_for, decide
from tests.evidence.custody_helpers import FAST_HASHERS, make_case

pytestmark = pytest.mark.django_db
PERSONAS = ("lead", "member", "investigator", "mhpss", "auditor", "other_member", "outsider", "admin")


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _ref(world: Any, **kwargs: Any) -> CustodyRef:
    case = CaseRef(case_id=1, organisation_id=world.org_car.pk, team_ids=frozenset({world.team_car.pk}))
    return CustodyRef(item=ItemRef(item_id=1, case=case), **kwargs)


def _allowed(world: Any, who: str, perm: Perm, ref: CustodyRef) -> bool:
    return bool(decide(actor_for(getattr(world, who)), perm, ref))


def test_who_may_hold(world: Any) -> None:
    ref = _ref(world)
    allowed = {who for who in PERSONAS if _allowed(world, who, Perm.CUSTODY_HOLD, ref)}
    assert allowed == {"lead", "member", "investigator"}


def test_only_the_custodian_proposes_unless_nobody_holds(world: Any) -> None:
    held = _ref(world, custodian_id=world.member.pk)
    assert _allowed(world, "member", Perm.CUSTODY_PROPOSE, held)
    assert not _allowed(world, "lead", Perm.CUSTODY_PROPOSE, held)
    unheld = _ref(world, custodian_id=None)
    assert _allowed(world, "lead", Perm.CUSTODY_PROPOSE, unheld)
    assert not _allowed(world, "member", Perm.CUSTODY_PROPOSE, unheld)


def test_a_custodian_who_left_the_case_cannot_propose(world: Any) -> None:
    ref = _ref(world, custodian_id=world.other_member.pk)
    assert not _allowed(world, "other_member", Perm.CUSTODY_PROPOSE, ref)


def test_answers_belong_to_receiver_and_proposer(world: Any) -> None:
    ref = _ref(world, custodian_id=world.member.pk, proposer_id=world.member.pk, receiver_id=world.investigator.pk)
    assert _allowed(world, "investigator", Perm.CUSTODY_RESPOND, ref)
    assert not _allowed(world, "member", Perm.CUSTODY_RESPOND, ref)
    assert _allowed(world, "member", Perm.CUSTODY_CANCEL, ref)
    assert not _allowed(world, "investigator", Perm.CUSTODY_CANCEL, ref)
    assert not _allowed(world, "investigator", Perm.CUSTODY_RESPOND, _ref(world, custodian_id=world.member.pk))


def test_report_for_case_editors_auditors_and_leads(world: Any) -> None:
    ref = _ref(world)
    allowed = {who for who in PERSONAS if _allowed(world, who, Perm.CUSTODY_REPORT, ref)}
    assert allowed == {"lead", "member", "investigator", "auditor"}


def test_lead_assigns_an_item_nobody_holds(world: Any) -> None:
    case = make_case(world)
    item = EvidenceItem.objects.create(case=case, number=1, kind=Kind.DIGITAL, sha256="c" * 64)
    transfer = do_propose_transfer(
        item_id=item.pk, user=world.lead, acting_as=None, request=None, to_user=world.member, reason="Assignment"
    )
    assert transfer.from_user is None
    do_accept_transfer(item_id=item.pk, transfer_id=transfer.pk, user=world.member, acting_as=None, request=None)
    item.refresh_from_db()
    transfer.refresh_from_db()
    assert item.custodian == world.member and transfer.state == TransferState.ACCEPTED
