"""Walking the chain in several processes finds the same first break as one walk."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.management import call_command

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import Target, record
from audit.verify import Kind, verify
from tests.append_only import triggers_disabled

pytestmark = [
    pytest.mark.production_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("each_walker"),
]


def _chain(count: int) -> None:
    for index in range(count):
        record(action=Action.LOGIN, username=f"user{index}", targets=[Target("user", index)])


def _sql(*statements: str) -> None:
    with triggers_disabled() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _delete(seq: int) -> None:
    pk = AuditEvent.objects.get(seq=seq).pk
    _sql(f"DELETE FROM audit_audittarget WHERE event_id = {pk}", f"DELETE FROM audit_auditevent WHERE id = {pk}")


TAMPERING: dict[str, tuple[Callable[[], None], Kind, int]] = {
    "sound": (lambda: None, Kind.EDITED, 0),
    "edited in the second range": (
        lambda: _sql("UPDATE audit_auditevent SET purpose = 'x' WHERE seq = 30"),
        Kind.EDITED,
        30,
    ),
    "deleted at a range boundary": (lambda: _delete(21), Kind.DELETED, 21),
    "deleted at the start": (lambda: _delete(1), Kind.DELETED, 1),
    "swapped across a boundary": (
        lambda: _sql(
            "UPDATE audit_auditevent SET seq = 999 WHERE seq = 21",
            "UPDATE audit_auditevent SET seq = 21 WHERE seq = 22",
            "UPDATE audit_auditevent SET seq = 22 WHERE seq = 999",
        ),
        Kind.REORDERED,
        21,
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_parallel_walk_matches_the_single_walk(case: str) -> None:
    _chain(40)
    tamper, kind, seq = TAMPERING[case]
    tamper()
    single, parallel = verify(workers=1), verify(workers=2)
    assert single.events == parallel.events and single.head_seq == parallel.head_seq
    if seq == 0:
        assert single.sound and parallel.sound and parallel.events == 40
        return
    assert single.finding == parallel.finding
    assert parallel.finding is not None and (parallel.finding.kind, parallel.finding.seq) == (kind, seq)


def test_command_takes_workers() -> None:
    _chain(10)
    call_command("verify_audit", "--workers", "2")
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.action == Action.AUDIT_VERIFIED and last.details["events"] == 10
