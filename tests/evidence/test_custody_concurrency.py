"""Racing custody changes on PostgreSQL: one pending transfer per item, one answer per transfer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from evidence.custody_models import CustodyTransfer, TransferState
from evidence.custody_services import CustodyError, do_accept_transfer, do_cancel_transfer, do_propose_transfer
from tests.evidence.custody_helpers import FAST_HASHERS, make_case, make_item

pytestmark = [pytest.mark.production_only, pytest.mark.django_db(transaction=True)]
RACERS = 6


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _race(calls: list[Callable[[], Any]]) -> tuple[int, list[str]]:
    """Run the calls at the same moment; count successes and collect the refusal codes."""
    barrier = threading.Barrier(len(calls))
    wins: list[int] = []
    refusals: list[str] = []
    crashes: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            call()
            wins.append(1)
        except CustodyError as exc:
            refusals.append(exc.code)
        except BaseException as exc:
            crashes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert crashes == []
    return len(wins), refusals


def test_concurrent_proposals_leave_one_pending(world: Any) -> None:
    item = make_item(make_case(world), world.member)
    receivers = [world.investigator, world.lead] * (RACERS // 2)

    def propose(to: Any, n: int) -> Callable[[], Any]:
        return lambda: do_propose_transfer(
            item_id=item.pk,
            user=world.member,
            acting_as=None,
            request=None,
            to_user=to,
            reason=f"Offer {n}",
            to_location="Court registry",
            new_seal_number="SEAL-0002",
        )

    wins, refusals = _race([propose(to, n) for n, to in enumerate(receivers)])
    assert wins == 1 and refusals == ["pending_exists"] * (RACERS - 1)
    assert CustodyTransfer.objects.filter(item=item, state=TransferState.PENDING).count() == 1
    denied = AuditEvent.objects.filter(action=Action.CUSTODY_TRANSFER_PROPOSED, outcome=Outcome.DENIED)
    assert denied.count() == RACERS - 1


def test_accept_and_withdraw_race_has_one_winner(world: Any) -> None:
    item = make_item(make_case(world), world.member)
    transfer = do_propose_transfer(
        item_id=item.pk,
        user=world.member,
        acting_as=None,
        request=None,
        to_user=world.investigator,
        reason="Hand-over",
        to_location="Court registry",
        new_seal_number="SEAL-0002",
    )

    def accept() -> Any:
        return do_accept_transfer(
            user=world.investigator, item_id=item.pk, transfer_id=transfer.pk, acting_as=None, request=None
        )

    def withdraw() -> Any:
        return do_cancel_transfer(
            user=world.member, item_id=item.pk, transfer_id=transfer.pk, acting_as=None, request=None
        )

    calls: list[Callable[[], Any]] = [accept, withdraw] * (RACERS // 2)
    wins, refusals = _race(calls)
    assert wins == 1 and set(refusals) == {"not_pending"}
    transfer.refresh_from_db()
    item.refresh_from_db()
    if transfer.state == TransferState.ACCEPTED:
        assert item.custodian_id == world.investigator.pk and item.seal_number == "SEAL-0002"
    else:
        assert transfer.state == TransferState.CANCELLED
        assert item.custodian_id == world.member.pk and item.seal_number == "SEAL-0001"
