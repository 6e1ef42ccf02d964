from __future__ import annotations

import pytest
from django.db import transaction

from audit import chain
from audit.actions import Action
from audit.models import AppendOnlyError, AuditEvent
from audit.services import Target, record

pytestmark = pytest.mark.django_db


def test_events_form_a_chain() -> None:
    first = record(action=Action.LOGIN, username="a", targets=[Target("user", 1)])
    second = record(action=Action.LOGOUT, username="a")
    assert first.seq == 1 and first.prev_hash == chain.GENESIS_HASH
    assert second.prev_hash == first.hash
    for event in AuditEvent.objects.all():
        assert event.computed_hash() == event.hash


def test_orm_refuses_changes() -> None:
    event = record(action=Action.LOGIN, username="a")
    event.purpose = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(purpose="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_event_rolls_back_with_its_action() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action=Action.CASE_CREATED, username="a")
        raise RuntimeError("the action failed")
    assert not AuditEvent.objects.exists()


def test_floats_are_refused_from_the_chain() -> None:
    with pytest.raises(chain.CanonicalisationError):
        record(action=Action.LOGIN, details={"ratio": 0.5})
