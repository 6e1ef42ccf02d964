"""Custody transfers: two audited steps, one holder at a time, one pending transfer per item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from evidence.custody_models import CustodyTransfer, TransferState
from evidence.custody_services import CustodyError, do_propose_transfer
from evidence.models import EvidenceItem, Kind
from tests.evidence.custody_helpers import FAST_HASHERS, events, make_case, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # The personas' passwords are never used here; the production hasher would only slow every test down.
    settings.PASSWORD_HASHERS = FAST_HASHERS


Login = Callable[..., Client]


@pytest.fixture
def item(world: Any) -> EvidenceItem:
    return make_item(make_case(world), world.member)


def _propose(client: Client, item: EvidenceItem, to: Any, **extra: str) -> Any:
    data = {"to_user": to.pk, "reason": "Handing over for the hearing", "to_location": "Court registry, locker 4"}
    data |= {"new_seal_number": "SEAL-0002", **extra}
    return client.post(reverse("custody:propose", args=[item.pk]), data)


def test_registering_a_physical_item_makes_the_registrar_custodian(world: Any, login: Login) -> None:
    case = make_case(world)
    client = login(world.investigator)
    data = {
        "description": "Sealed bag with clothing",
        "physical_location": "Bangui office, safe B",
        "seal_number": "SEAL-0100",
        "collected_by": "Investigator on mission",
        "collected_at": "2026-03-02T10:30",
        "collection_place": "Bambari",
    }
    response = client.post(reverse("custody:register_physical", args=[case.pk]), data)
    assert response.status_code == 302, response.content[:3000]
    item = EvidenceItem.objects.get(case=case)
    assert (item.kind, item.custodian, item.seal_number, item.number) == (
        Kind.PHYSICAL,
        world.investigator,
        "SEAL-0100",
        1,
    )
    event = events(Action.PHYSICAL_ITEM_REGISTERED)[-1]
    assert event.targets[0] == f"evidence.item:{item.pk}"
    assert event.details["seal_number"] == "SEAL-0100"


def test_registration_form_errors_keep_the_input(world: Any, login: Login) -> None:
    case = make_case(world)
    response = login(world.member).post(
        reverse("custody:register_physical", args=[case.pk]), {"description": "Box", "seal_number": "S-9"}
    )
    assert response.status_code == 400
    assert b"S-9" in response.content
    assert not EvidenceItem.objects.filter(case=case).exists()


def test_propose_then_accept_moves_the_item(world: Any, login: Login, item: EvidenceItem) -> None:
    response = _propose(login(world.member), item, world.investigator)
    assert response.status_code == 302
    transfer = CustodyTransfer.objects.get(item=item)
    item.refresh_from_db()
    assert transfer.state == TransferState.PENDING
    assert item.custodian == world.member, "the item stays with its custodian until the receiver accepts"

    receiver = login(world.investigator, Client(headers={"X-Forwarded-Proto": "https"}))
    response = receiver.post(reverse("custody:accept", args=[item.pk, transfer.pk]), {"note": "Received intact"})
    assert response.status_code == 302
    item.refresh_from_db()
    transfer.refresh_from_db()
    assert item.custodian == world.investigator
    assert (item.physical_location, item.seal_number) == ("Court registry, locker 4", "SEAL-0002")
    assert transfer.state == TransferState.ACCEPTED and transfer.decided_at is not None
    assert (transfer.old_seal_number, transfer.new_seal_number) == ("SEAL-0001", "SEAL-0002")
    assert transfer.is_reseal
    proposed = events(Action.CUSTODY_TRANSFER_PROPOSED)[-1]
    accepted = events(Action.CUSTODY_TRANSFER_ACCEPTED)[-1]
    assert proposed.actor_id == world.member.pk and proposed.purpose == "Handing over for the hearing"
    assert accepted.actor_id == world.investigator.pk and accepted.seq > proposed.seq
    assert f"evidence.custody_transfer:{transfer.pk}" in accepted.targets
    assert accepted.details["new_seal_number"] == "SEAL-0002"


def test_decline_leaves_the_item_with_its_custodian(world: Any, login: Login, item: EvidenceItem) -> None:
    _propose(login(world.member), item, world.investigator)
    transfer = CustodyTransfer.objects.get(item=item)
    receiver = login(world.investigator, Client(headers={"X-Forwarded-Proto": "https"}))
    receiver.post(reverse("custody:decline", args=[item.pk, transfer.pk]), {"note": "Not my case load"})
    item.refresh_from_db()
    transfer.refresh_from_db()
    assert item.custodian == world.member and item.seal_number == "SEAL-0001"
    assert transfer.state == TransferState.DECLINED and transfer.decision_note == "Not my case load"
    assert events(Action.CUSTODY_TRANSFER_DECLINED)[-1].actor_id == world.investigator.pk


def test_proposer_can_withdraw(world: Any, login: Login, item: EvidenceItem) -> None:
    client = login(world.member)
    _propose(client, item, world.investigator)
    transfer = CustodyTransfer.objects.get(item=item)
    client.post(reverse("custody:cancel", args=[item.pk, transfer.pk]))
    transfer.refresh_from_db()
    assert transfer.state == TransferState.CANCELLED
    assert events(Action.CUSTODY_TRANSFER_CANCELLED)[-1].actor_id == world.member.pk


@pytest.mark.parametrize("who", ["lead", "other_member", "outsider", "member"])
def test_only_the_receiver_can_accept(world: Any, login: Login, item: EvidenceItem, who: str) -> None:
    _propose(login(world.member), item, world.investigator)
    transfer = CustodyTransfer.objects.get(item=item)
    intruder = login(getattr(world, who), Client(headers={"X-Forwarded-Proto": "https"}))
    before = AuditEvent.objects.count()
    for step in ("accept", "decline"):
        response = intruder.post(reverse(f"custody:{step}", args=[item.pk, transfer.pk]))
        assert response.status_code == 404
    transfer.refresh_from_db()
    item.refresh_from_db()
    assert transfer.state == TransferState.PENDING and item.custodian == world.member
    denials = AuditEvent.objects.filter(seq__gt=before, action=Action.ACCESS_DENIED, outcome=Outcome.DENIED)
    assert denials.count() == 2
    assert all(e.actor_id == getattr(world, who).pk and e.details["permission"] == "custody.respond" for e in denials)


def test_a_second_pending_transfer_is_refused(world: Any, login: Login, item: EvidenceItem) -> None:
    client = login(world.member)
    _propose(client, item, world.investigator)
    response = _propose(client, item, world.lead)
    assert response.status_code == 400
    assert "already awaiting an answer" in response.content.decode()
    refusal = events(Action.CUSTODY_TRANSFER_PROPOSED)[-1]
    assert (refusal.outcome, refusal.details) == (Outcome.DENIED, {"refused": "pending_exists"})
    with pytest.raises(CustodyError):
        do_propose_transfer(
            item_id=item.pk,
            user=world.member,
            acting_as=None,
            request=None,
            to_user=world.lead,
            reason="Second offer",
            to_location="Elsewhere",
            new_seal_number="SEAL-0003",
        )
    assert CustodyTransfer.objects.filter(item=item).count() == 1


def test_the_database_refuses_two_pending_transfers(world: Any, item: EvidenceItem) -> None:
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    common = {"item": item, "from_user": world.member, "proposed_by": world.member, "proposed_at": timezone.now()}
    CustodyTransfer.objects.create(to_user=world.investigator, reason="a", **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        CustodyTransfer.objects.create(to_user=world.lead, reason="b", **common)


@pytest.mark.parametrize("receiver", ["mhpss", "auditor", "other_member", "outsider"])
def test_receiver_must_be_allowed_to_hold(world: Any, login: Login, item: EvidenceItem, receiver: str) -> None:
    response = _propose(login(world.member), item, getattr(world, receiver))
    assert response.status_code == 400
    assert b"Hand over to" in response.content
    assert not CustodyTransfer.objects.filter(item=item).exists()
    with pytest.raises(CustodyError):
        do_propose_transfer(
            item_id=item.pk,
            user=world.member,
            acting_as=None,
            request=None,
            to_user=getattr(world, receiver),
            reason="Test",
            to_location="Elsewhere",
            new_seal_number="SEAL-0003",
        )


def test_physical_transfer_needs_location_and_seal(world: Any, login: Login, item: EvidenceItem) -> None:
    response = _propose(login(world.member), item, world.investigator, to_location="", new_seal_number="")
    assert response.status_code == 400
    assert b"Handing over for the hearing" in response.content, "the reason typed is kept"
    assert not CustodyTransfer.objects.filter(item=item).exists()


@pytest.mark.parametrize("who", ["investigator", "lead", "other_member", "outsider", "auditor"])
def test_only_the_custodian_can_propose(world: Any, login: Login, item: EvidenceItem, who: str) -> None:
    before = AuditEvent.objects.count()
    response = _propose(login(getattr(world, who)), item, world.investigator)
    assert response.status_code == 404
    assert not CustodyTransfer.objects.filter(item=item).exists()
    denial = AuditEvent.objects.filter(seq__gt=before, action=Action.ACCESS_DENIED).get()
    assert denial.targets == [f"evidence.item:{item.pk}"]


@pytest.mark.parametrize("who", ["investigator", "other_member", "outsider"])
def test_only_the_proposer_can_withdraw(world: Any, login: Login, item: EvidenceItem, who: str) -> None:
    _propose(login(world.member), item, world.investigator)
    transfer = CustodyTransfer.objects.get(item=item)
    other = login(getattr(world, who), Client(headers={"X-Forwarded-Proto": "https"}))
    assert other.post(reverse("custody:cancel", args=[item.pk, transfer.pk])).status_code == 404
    transfer.refresh_from_db()
    assert transfer.state == TransferState.PENDING


@pytest.mark.parametrize("who", ["other_member", "outsider", "mhpss", "auditor"])
def test_registration_is_for_case_editors(world: Any, login: Login, who: str) -> None:
    case = make_case(world)
    data = {"description": "Box", "physical_location": "Safe", "seal_number": "S-1", "collected_by": "X"}
    data |= {"collected_at": "2026-03-02T10:30", "collection_place": "Bangui"}
    response = login(getattr(world, who)).post(reverse("custody:register_physical", args=[case.pk]), data)
    assert response.status_code == 404
    assert not EvidenceItem.objects.filter(case=case).exists()


def test_anonymous_is_sent_to_sign_in_for_every_view(world: Any, client: Client, item: EvidenceItem) -> None:
    transfer = CustodyTransfer.objects.create(
        item=item,
        from_user=world.member,
        to_user=world.investigator,
        proposed_by=world.member,
        reason="r",
        proposed_at=item.created_at,
    )
    posts = [
        reverse("custody:propose", args=[item.pk]),
        reverse("custody:accept", args=[item.pk, transfer.pk]),
        reverse("custody:decline", args=[item.pk, transfer.pk]),
        reverse("custody:cancel", args=[item.pk, transfer.pk]),
        reverse("custody:register_physical", args=[item.case_id]),
    ]
    gets = [reverse(f"custody:{name}", args=[item.pk]) for name in ("page", "report_pdf", "report_json")]
    for url in posts:
        assert client.post(url, {"to_user": world.investigator.pk, "reason": "x"}).status_code == 302
    for url in gets:
        assert client.get(url).status_code == 302
    transfer.refresh_from_db()
    item.refresh_from_db()
    assert transfer.state == TransferState.PENDING and item.custodian == world.member
    assert not AuditEvent.objects.filter(action=Action.CUSTODY_REPORT_GENERATED).exists()


def test_history_is_visible_to_the_case_team(world: Any, login: Login, item: EvidenceItem) -> None:
    _propose(login(world.member), item, world.investigator)
    transfer = CustodyTransfer.objects.get(item=item)
    receiver = login(world.investigator, Client(headers={"X-Forwarded-Proto": "https"}))
    receiver.post(reverse("custody:accept", args=[item.pk, transfer.pk]))
    for who in ("mhpss", "auditor", "lead", "member"):
        page = login(getattr(world, who), Client(headers={"X-Forwarded-Proto": "https"})).get(
            reverse("custody:page", args=[item.pk])
        )
        assert page.status_code == 200
        text = page.content.decode()
        assert str(world.investigator) in text and "Handing over for the hearing" in text
        assert "SEAL-0002" in text and "Accepted" in text
    assert events(Action.CUSTODY_VIEWED)[-1].targets == [f"evidence.item:{item.pk}"]


@pytest.mark.parametrize("who", ["other_member", "outsider", "admin"])
def test_custody_page_is_hidden_from_outsiders(world: Any, login: Login, item: EvidenceItem, who: str) -> None:
    missing = login(getattr(world, who)).get(reverse("custody:page", args=[item.pk + 1000]))
    hidden = login(getattr(world, who)).get(reverse("custody:page", args=[item.pk]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
