"""The verifier's fast bytes (SQLite row encoder, PostgreSQL COPY stream) equal the reference bytes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import chain
from audit import verify as verify_module
from audit.actions import Action, Outcome
from audit.models import AuditEvent
from audit.services import ActingAs, Target, record
from audit.verify import Kind, prepared, verify
from tests.append_only import triggers_disabled
from tests.audit.strategies import json_values, text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("each_walker")]

_event = st.fixed_dictionaries(
    {
        "username": text,
        "purpose": text,
        "consent": st.one_of(st.none(), text),
        "role": text,
        "targets": st.lists(st.tuples(text, text), max_size=3),
        "details": st.dictionaries(text, json_values, max_size=4),
    }
)


def _record(event: dict[str, Any]) -> None:
    record(
        action=Action.CASE_VIEWED,
        outcome=Outcome.DENIED,
        username=event["username"],
        acting_as=ActingAs(team_id=None, organisation_id=4, role=event["role"]),
        purpose=event["purpose"],
        consent_record_id=event["consent"],
        targets=[Target(kind or "k", key) for kind, key in event["targets"]],
        details=event["details"],
    )


def _assert_fast_bytes_are_reference_bytes() -> None:
    by_seq = {event.seq: event for event in AuditEvent.objects.all()}
    seen = 0
    for seq, prev_hash, stored, count, data in prepared():
        event = by_seq[seq]
        assert data == chain.canonical_bytes(event.canonical_fields()), seq
        assert (prev_hash, stored, count) == (event.prev_hash, event.hash, len(event.targets))
        seen += 1
    assert seen == len(by_seq)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(_event, min_size=1, max_size=4))
def test_fast_bytes_equal_reference_bytes_for_any_fields(events: list[dict[str, Any]]) -> None:
    for event in events:
        _record(event)
    _assert_fast_bytes_are_reference_bytes()
    assert verify().sound


def _plain(count: int) -> None:
    for index in range(count):
        _record({"username": f"u{index}", "purpose": "", "consent": None, "role": "", "targets": [], "details": {}})


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify_module, "CHUNK", 3)


@pytest.mark.usefixtures("small_chunks")
def test_findings_across_chunk_boundaries() -> None:
    _plain(12)
    assert verify().sound and verify().events == 12
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditevent SET purpose = 'x' WHERE seq = 8")
    finding = verify().finding
    assert finding is not None and (finding.kind, finding.seq) == (Kind.EDITED, 8)
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 5")
    finding = verify().finding
    assert finding is not None and (finding.kind, finding.seq) == (Kind.DELETED, 5)


@pytest.mark.usefixtures("small_chunks")
def test_stream_stops_cleanly_inside_a_transaction() -> None:
    _plain(30)
    stream = prepared()
    assert next(stream)[0] == 1
    stream.close()
    # The connection is usable again at once and the enclosing transaction is intact.
    assert AuditEvent.objects.count() == 30
    assert verify().sound


@pytest.mark.parametrize("column", ["actor_id", "actor_team_id", "actor_organisation_id", "case_id"])
def test_a_missing_id_replaced_by_the_text_null_is_an_edit(column: str) -> None:
    # SQLite keeps text in an integer column; the text 'null' must not pass for a missing id.
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refuses text in an integer column")
    _plain(3)
    assert verify().sound
    with triggers_disabled() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {column} = 'null' WHERE seq = 2")
    finding = verify().finding
    assert finding is not None and (finding.kind, finding.seq) == (Kind.EDITED, 2)
