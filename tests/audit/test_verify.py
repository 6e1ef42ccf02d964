"""Each kind of tampering with the audit log is found and named, on both backends."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command

from audit import chain
from audit.actions import Action, Outcome
from audit.canonical_sql import canonical
from audit.checkpoints import do_make_checkpoint
from audit.models import Alert, AuditEvent, Checkpoint
from audit.services import ActingAs, Target, record
from audit.verify import Kind, rows, verify
from tests.append_only import triggers_disabled

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_walker")]


def _events(count: int) -> None:
    for index in range(count):
        record(
            action=Action.CASE_VIEWED if index % 2 else Action.LOGIN,
            outcome=Outcome.ALLOWED,
            username=f"user{index}",
            acting_as=ActingAs(team_id=3, organisation_id=2, role="lawyer"),
            purpose="révision — « test »" if index == 2 else "",
            case_id=index or None,
            targets=[Target("evidence.item", index), Target("case", 7)],
            details={"b": [1, {"z": None, "a": "ü"}], "a": True} if index % 3 == 0 else {},
        )


def _sql(*statements: str) -> None:
    with triggers_disabled() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _delete(first: int, last: int) -> None:
    ids = list(AuditEvent.objects.filter(seq__gte=first, seq__lte=last).values_list("pk", flat=True))
    id_list = ",".join(str(i) for i in ids)
    _sql(
        f"DELETE FROM audit_audittarget WHERE event_id IN ({id_list})",
        f"DELETE FROM audit_auditevent WHERE id IN ({id_list})",
    )


def test_a_sound_log_verifies() -> None:
    _events(6)
    do_make_checkpoint()
    _events(2)
    report = verify()
    assert report.sound, report.finding
    assert report.events == 9 and report.checkpoints == 1


def test_the_database_writes_the_reference_bytes() -> None:
    _events(6)
    record(
        action=Action.LOGIN,
        username='quote " and \\ and \n\t\x01 / \u2028',
        purpose="ŒUVRE é 🙂",
        targets=[Target("note", 'a"b'), Target("x", "é")],
        details={"emoji": "🙂", "n": -5, "nested": {"b": [], "a": {}}, "Z": "", "é": None},
    )
    by_seq = {event.seq: event for event in AuditEvent.objects.all()}
    for row in rows(chunk=3):
        assert canonical(row) == chain.canonical_bytes(by_seq[row[0]].canonical_fields())


def test_whole_second_times_are_encoded_like_the_reference() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = AuditEvent(seq=1, occurred_at=moment, action="auth.login", outcome="allowed", prev_hash=chain.GENESIS_HASH)
    event.hash = event.computed_hash()
    event.save()
    assert verify().sound


def test_edited_event() -> None:
    _events(6)
    _sql("UPDATE audit_auditevent SET purpose = 'nothing to see' WHERE seq = 3")
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.EDITED and finding.seq == 3


def test_deleted_event() -> None:
    _events(6)
    _delete(3, 3)
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.DELETED and finding.seq == 3
    assert "#3" in finding.message


def test_forged_row_appended() -> None:
    _events(4)
    forged = AuditEvent(
        seq=5, occurred_at=datetime.now(UTC), action="auth.login", outcome="allowed", prev_hash="ab" * 32
    )
    forged.hash = forged.computed_hash()
    forged.save()
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.INSERTED and finding.seq == 5


def test_forged_row_inserted_in_the_middle() -> None:
    _events(5)
    _sql(
        "UPDATE audit_auditevent SET seq = seq + 1000 WHERE seq >= 3",
        "UPDATE audit_auditevent SET seq = seq - 999 WHERE seq >= 1000",
    )
    previous = AuditEvent.objects.get(seq=2)
    forged = AuditEvent(
        seq=3, occurred_at=datetime.now(UTC), action="auth.login", outcome="allowed", prev_hash=previous.hash
    )
    forged.hash = forged.computed_hash()
    forged.save()
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.INSERTED and finding.seq == 4


def test_swapped_events() -> None:
    _events(6)
    _sql(
        "UPDATE audit_auditevent SET seq = 999 WHERE seq = 3",
        "UPDATE audit_auditevent SET seq = 3 WHERE seq = 4",
        "UPDATE audit_auditevent SET seq = 4 WHERE seq = 999",
    )
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.REORDERED and finding.seq == 3


def test_tail_truncated_after_the_last_checkpoint() -> None:
    _events(5)
    checkpoint = do_make_checkpoint()
    assert checkpoint is not None and checkpoint.seq == 5
    _delete(4, 6)  # the tail, including the checkpoint's own event
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.CHECKPOINT and finding.seq == 5
    assert "#3" in finding.message


def test_whole_chain_rewritten_under_a_checkpoint() -> None:
    _events(5)
    do_make_checkpoint()
    _sql("UPDATE audit_auditevent SET purpose = 'rewritten' WHERE seq = 2")
    # Recompute every hash from the edit on, as someone holding the database could.
    prev = AuditEvent.objects.get(seq=1).hash
    for event in AuditEvent.objects.filter(seq__gte=2).order_by("seq"):
        new_hash = chain.chain_hash(prev, event.canonical_fields())
        _sql(f"UPDATE audit_auditevent SET prev_hash = '{prev}', hash = '{new_hash}' WHERE id = {event.pk}")
        prev = new_hash
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.CHECKPOINT and finding.seq == 5


def test_checkpoint_copy_in_storage_replaced() -> None:
    _events(3)
    checkpoint = do_make_checkpoint()
    assert checkpoint is not None
    storage = storages["audit"]
    storage.delete(checkpoint.statement_key)
    storage.save(checkpoint.statement_key, ContentFile(b'{"format":"custody-checkpoint/1"}'))
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.CHECKPOINT and "storage" in finding.message


def test_checkpoint_signature_forged() -> None:
    _events(3)
    do_make_checkpoint()
    head = "cd" * 32
    _sql(f"UPDATE audit_checkpoint SET head_hash = '{head}'")
    finding = verify().finding
    assert finding is not None and finding.kind == Kind.CHECKPOINT
    assert Checkpoint.objects.count() == 1


def test_command_exit_codes_alert_and_log(caplog: pytest.LogCaptureFixture) -> None:
    _events(4)
    call_command("verify_audit")
    assert AuditEvent.objects.order_by("-seq").first().action == Action.AUDIT_VERIFIED  # type: ignore[union-attr]
    _sql("UPDATE audit_auditevent SET actor_username = 'someone else' WHERE seq = 2")
    with caplog.at_level(logging.ERROR, logger="custody.audit"), pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    assert any("edited" in message for message in caplog.messages)
    alert = Alert.objects.get(resolved_at__isnull=True)
    assert "#2" in alert.message
    assert AuditEvent.objects.order_by("-seq").first().action == Action.AUDIT_BROKEN  # type: ignore[union-attr]


def test_checkpoint_is_stored_signed_and_idempotent() -> None:
    _events(2)
    first = do_make_checkpoint()
    again = do_make_checkpoint()
    assert first is not None and again == first
    storage = storages["audit"]
    with storage.open(first.statement_key, "rb") as handle:
        assert handle.read() == first.statement.encode()
    assert '"tree_size":2' in first.statement and first.head_hash in first.statement
    assert '"format":"custody-checkpoint/1"' in first.statement


def test_alerts_are_resolved_with_a_recorded_reason() -> None:
    from audit.alerts import AUDIT_CHAIN, raise_alert

    raise_alert(kind=AUDIT_CHAIN, message="Event #3 was edited")
    assert raise_alert(kind=AUDIT_CHAIN, message="again").message == "Event #3 was edited"
    call_command("resolve_alerts", AUDIT_CHAIN, by="operator", reason="restored from backup, see ticket 12")
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None and last.action == Action.ALERT_RESOLVED and last.details["resolved"] == 1
