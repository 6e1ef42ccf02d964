"""The compiled chain walk writes the reference bytes, finds what the Python walk finds, and hands
back to the reference whatever it cannot vouch for."""

from __future__ import annotations

import logging
from dataclasses import astuple
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from audit import chain, walker
from audit.actions import Action, Outcome
from audit.checkpoints import do_make_checkpoint
from audit.checks import check_compiled_walker
from audit.integrity import VerificationFailed, do_verify_chain
from audit.models import Alert, AuditEvent, Checkpoint
from audit.services import ActingAs, Target, record
from audit.verify import LAST, Kind, Span, verify, walk
from tests.append_only import triggers_disabled
from tests.audit.strategies import json_values, text

pytestmark = pytest.mark.django_db

_event = st.fixed_dictionaries(
    {
        "username": text,
        "purpose": text,
        "ip": st.sampled_from(["10.0.0.1", "2001:db8::1"]),
        "ua": text,
        "consent": st.one_of(st.none(), text),
        "role": text,
        "ids": st.tuples(*(st.one_of(st.none(), st.integers(min_value=0, max_value=2**62)) for _ in range(3))),
        "targets": st.lists(st.tuples(text, text), max_size=3),
        "details": st.dictionaries(text, json_values, max_size=4),
    }
)


def _record(event: dict[str, Any]) -> None:
    team, organisation, case = event["ids"]
    record(
        action=Action.CASE_VIEWED,
        outcome=Outcome.DENIED,
        username=event["username"],
        acting_as=ActingAs(team_id=team, organisation_id=organisation, role=event["role"]),
        request=RequestFactory().get("/", REMOTE_ADDR=event["ip"], HTTP_USER_AGENT=event["ua"]),
        purpose=event["purpose"],
        consent_record_id=event["consent"],
        case_id=case,
        targets=[Target(kind or "k", key) for kind, key in event["targets"]],
        details=event["details"],
    )


def _compiled(after: int = 0, upto: int = LAST, expected_seq: int = 1, prev: str = chain.GENESIS_HASH) -> walker.Walked:
    walked = walker.walk_range(
        connection,
        AuditEvent._meta.db_table,
        after=after,
        upto=upto,
        expected_seq=expected_seq,
        prev=prev,
        checkpoints=[],
        collect=True,
    )
    assert walked is not None
    return walked


@pytest.fixture
def compiled(settings: Settings) -> None:
    settings.CUSTODY_AUDIT_WALKER = "compiled"


@pytest.mark.usefixtures("compiled")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(_event, min_size=1, max_size=4))
def test_compiled_bytes_are_the_reference_bytes_for_any_event(events: list[dict[str, Any]]) -> None:
    for event in events:
        _record(event)
    walked = _compiled()
    by_seq = {event.seq: event for event in AuditEvent.objects.all()}
    assert walked.collected is not None and len(walked.collected) == len(by_seq)
    for seq, data in walked.collected:
        # Every event the vault writes is one the compiled encoder vouches for, byte for byte.
        assert data == chain.canonical_bytes(by_seq[seq].canonical_fields()), seq
    assert walked.suspects == [] and walked.finding is None
    assert (walked.events, walked.head_seq) == (len(by_seq), max(by_seq))
    assert walked.targets == sum(len(event.targets) for event in by_seq.values())


def _plain(count: int) -> None:
    for index in range(count):
        record(
            action=Action.LOGIN,
            username=f"user{index}",
            case_id=index,
            targets=[Target("case", index)],
            details={"n": index, "big": 10**30, "neg": -7} if index % 2 else {},
        )


def _sql(*statements: str) -> None:
    with triggers_disabled() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _both_walks(settings: Settings, after: int = 0, upto: int = LAST) -> tuple[Span, Span]:
    cps = {cp.seq: cp for cp in Checkpoint.objects.order_by("seq")}
    spans = []
    for choice in ("compiled", "python"):
        settings.CUSTODY_AUDIT_WALKER = choice
        spans.append(walk(cps, after=after, upto=upto))
    return spans[0], spans[1]


def _same(compiled: Span, python: Span) -> None:
    assert (compiled.report.walk, python.report.walk) == ("compiled", "python")
    python.report.walk = "compiled"
    assert astuple(compiled) == astuple(python)


TAMPERING: dict[str, tuple[list[str], Kind | None, int]] = {
    "sound": ([], None, 0),
    "purpose edited": (["UPDATE audit_auditevent SET purpose = 'x' WHERE seq = 6"], Kind.EDITED, 6),
    "details as a list of pairs": (
        [
            """UPDATE audit_auditevent SET details = '[["big", 1000000000000000000000000000000], ["n", 5], """
            """["neg", -7]]' WHERE seq = 6"""
        ],
        Kind.EDITED,
        6,
    ),
    "targets as a string": (["""UPDATE audit_auditevent SET targets = '"case:5"' WHERE seq = 6"""], Kind.EDITED, 6),
    "a float for an integer": (
        [
            """UPDATE audit_auditevent SET details = '{"big": 1000000000000000000000000000000, "n": 5.0, """
            """"neg": -7}' WHERE seq = 6"""
        ],
        Kind.EDITED,
        6,
    ),
    "time moved by a microsecond": (
        ["UPDATE audit_auditevent SET occurred_at = occurred_at + interval '1 microsecond' WHERE seq = 4"],
        Kind.EDITED,
        4,
    ),
    # One character of the stored hash changed (the column is unique: no copy of another's).
    "hash changed": (
        [
            "UPDATE audit_auditevent SET hash = substr(hash, 1, 63) || "
            "CASE substr(hash, 64, 1) WHEN 'a' THEN 'b' ELSE 'a' END WHERE seq = 9"
        ],
        Kind.EDITED,
        9,
    ),
    "deleted": (
        [
            "DELETE FROM audit_audittarget WHERE event_id IN (SELECT id FROM audit_auditevent WHERE seq = 5)",
            "DELETE FROM audit_auditevent WHERE seq = 5",
        ],
        Kind.DELETED,
        5,
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_both_walks_agree_on_every_range(case: str, settings: Settings) -> None:
    _plain(12)
    statements, kind, seq = TAMPERING[case]
    if case == "time moved by a microsecond" and connection.vendor == "sqlite":
        statements = [
            "UPDATE audit_auditevent SET occurred_at = substr(occurred_at, 1, 25) || "
            "CASE substr(occurred_at, 26, 1) WHEN '9' THEN '8' ELSE '9' END WHERE seq = 4"
        ]
    _sql(*statements)
    for after, upto in ((0, LAST), (0, 7), (3, 9), (7, LAST)):
        compiled, python = _both_walks(settings, after, upto)
        _same(compiled, python)
    settings.CUSTODY_AUDIT_WALKER = "compiled"
    finding = verify().finding
    if kind is None:
        assert finding is None
    else:
        assert finding is not None and (finding.kind, finding.seq) == (kind, seq)


def test_a_checkpoint_over_a_rewritten_chain_is_found_by_both(settings: Settings) -> None:
    _plain(6)
    do_make_checkpoint()
    _plain(3)
    compiled, python = _both_walks(settings)
    _same(compiled, python)
    assert compiled.report.checkpoints == 1 and compiled.report.finding is None
    # Rewrite event 6's hash and everything after it consistently: only the checkpoint can tell.
    events = list(AuditEvent.objects.filter(seq__gte=6).order_by("seq"))
    statements, prev = [], events[0].prev_hash
    for event in events:
        fields = event.canonical_fields()
        fields["purpose"] = "rewritten"
        digest = chain.chain_hash(prev, fields)
        statements.append(
            f"UPDATE audit_auditevent SET purpose = 'rewritten', prev_hash = '{prev}', hash = '{digest}' "
            f"WHERE seq = {event.seq}"
        )
        prev = digest
    _sql(*statements)
    compiled, python = _both_walks(settings)
    _same(compiled, python)
    assert compiled.report.finding is not None
    assert (compiled.report.finding.kind, compiled.report.finding.seq) == (Kind.CHECKPOINT, 6)


@pytest.mark.parametrize("value", ["'1x'", "1.5"])
def test_an_id_stored_as_text_or_real_is_an_edit(value: str, settings: Settings) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refuses text in an integer column")
    _plain(3)
    # (SQLite's integer affinity would turn '1' or 1.0 back into 1.)
    _sql(f"UPDATE audit_auditevent SET case_id = {value} WHERE seq = 2")
    walked = _compiled()
    assert [seq for seq, _hash in walked.suspects] == [2]
    settings.CUSTODY_AUDIT_WALKER = "compiled"
    finding = verify().finding
    assert finding is not None and (finding.kind, finding.seq) == (Kind.EDITED, 2)


@pytest.mark.usefixtures("compiled")
def test_a_hash_of_any_length_is_only_a_suspect() -> None:
    _plain(4)
    # PostgreSQL keeps the column to 64 characters; a shorter one is as wrong.
    longer = "hash || hash || hash || hash || hash" if connection.vendor == "sqlite" else "substr(hash, 1, 40)"
    _sql(f"UPDATE audit_auditevent SET hash = {longer} WHERE seq = 3")
    walked = _compiled()
    # Event 4 links to the true hash, so the walk also stops there; the suspect comes first.
    assert [seq for seq, _hash in walked.suspects] == [3]
    assert walked.finding is not None and walked.finding[:2] == ("inserted", 4)
    finding = verify().finding
    assert finding is not None and (finding.kind, finding.seq) == (Kind.EDITED, 3)


def test_a_row_the_compiled_walk_cannot_read_falls_back_or_is_refused_and_alerted(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps text in the hash column")
    _plain(4)
    _sql("UPDATE audit_auditevent SET hash = X'00' WHERE seq = 3")
    settings.CUSTODY_AUDIT_WALKER = "compiled"
    with pytest.raises(walker.WalkerUnavailable, match="hash column"):
        verify()
    # The nightly check and the command: a walk that cannot complete is alerted, never silent.
    with pytest.raises(VerificationFailed):
        do_verify_chain()
    alert = Alert.objects.get(resolved_at__isnull=True)
    assert alert.code == "audit.unverified" and "WalkerUnavailable" in alert.message
    assert AuditEvent.objects.filter(action=Action.AUDIT_BROKEN, outcome=Outcome.FAILED).exists()
    settings.CUSTODY_AUDIT_WALKER = "auto"
    with caplog.at_level(logging.WARNING, logger="custody.audit"):
        finding = verify().finding
    assert finding is not None and (finding.kind, finding.seq) == (Kind.EDITED, 3)
    assert "gave way to the Python walk" in caplog.text


@pytest.mark.usefixtures("compiled")
def test_an_early_stop_leaves_the_connection_and_transaction_usable() -> None:
    _plain(40)
    _sql(
        "DELETE FROM audit_audittarget WHERE event_id IN (SELECT id FROM audit_auditevent WHERE seq = 2)",
        "DELETE FROM audit_auditevent WHERE seq = 2",
    )
    blocking_before = connection.connection.pgconn.nonblocking if connection.vendor == "postgresql" else None
    walked = _compiled()
    assert walked.finding == ("deleted", 2, 2)
    # The stream was read to its end: the same connection answers at once, in the same transaction.
    assert AuditEvent.objects.count() == 39
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.nonblocking == blocking_before
    call_command("check")


def test_the_system_check_names_a_missing_walker(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_compiled_walker() == []
    monkeypatch.setattr(walker, "_state", {"module": None, "reason": "custody_chainwalk is not installed"})
    assert [message.id for message in check_compiled_walker()] == ["custody.W002"]
    settings.CUSTODY_AUDIT_WALKER = "compiled"
    assert [message.id for message in check_compiled_walker()] == ["custody.E005"]
    settings.CUSTODY_AUDIT_WALKER = "python"
    assert check_compiled_walker() == []
    settings.CUSTODY_AUDIT_WALKER = "compiled"
    with pytest.raises(walker.WalkerUnavailable, match="not installed"):
        verify()


def test_verify_audit_names_the_walk_it_used(settings: Settings) -> None:
    _plain(3)
    for choice in ("compiled", "python"):
        settings.CUSTODY_AUDIT_WALKER = choice
        out = StringIO()
        call_command("verify_audit", stdout=out)
        assert out.getvalue().startswith("OK: ") and f"({choice} walk)" in out.getvalue()


def test_an_altered_table_definition_is_reported_before_any_walk(settings: Settings) -> None:
    _plain(3)
    statements = ["ALTER TABLE audit_auditevent ADD COLUMN shown text"]
    if connection.vendor == "postgresql":
        # numeric casts back to the original bigint; Django would read a Decimal
        statements.append("ALTER TABLE audit_auditevent ALTER COLUMN case_id TYPE numeric")
    _sql(*statements)
    for choice in ("compiled", "python"):
        settings.CUSTODY_AUDIT_WALKER = choice
        finding = verify().finding
        assert finding is not None and finding.kind is Kind.ALTERED
        assert "shown" in finding.message
        if connection.vendor == "postgresql":
            assert "case_id (type 1700)" in finding.message
    out = StringIO()
    with pytest.raises(SystemExit) as exit_code:
        call_command("verify_audit", stderr=out)
    assert exit_code.value.code == 1 and out.getvalue().startswith("BROKEN (altered): ")
    assert Alert.objects.get(resolved_at__isnull=True).code == "audit.table_altered"


@pytest.mark.usefixtures("compiled")
def test_a_session_not_reading_utf8_is_refused() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL converts text to a session encoding")
    _plain(2)
    with connection.cursor() as cursor:
        cursor.execute("SET client_encoding TO 'LATIN1'")
    try:
        with pytest.raises(walker.WalkerUnavailable, match="client encoding"):
            verify()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET client_encoding TO 'UTF8'")
    assert verify().sound
