"""The recorded consent check for an item's use and the silent one decide alike, whatever the item's links."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest

from audit.models import AuditEvent
from cases.consent_services import do_record_consent
from cases.models import ConsentAction, Decision, Survivor
from cases.survivors import do_create_survivor
from evidence.consent import ConsentRefused, require_use, use_allowed
from evidence.models import DerivativeKind, EvidenceItem

pytestmark = pytest.mark.django_db


def _consent(survivor: Survivor, user: Any, decision: str) -> None:
    do_record_consent(
        survivor=survivor,
        action=ConsentAction.STORE_EVIDENCE,
        decision=decision,
        method="written",
        language="Sango",
        given_on=datetime.date(2026, 1, 10),
        user=user,
    )


def _both(item: EvidenceItem, user: Any) -> tuple[bool, bool]:
    """(silent answer, recorded answer); the silent one is asked first and must leave no event."""
    item = EvidenceItem.objects.select_related("derivative_of").get(pk=item.pk)
    events = AuditEvent.objects.count()
    silent = use_allowed(item)
    assert AuditEvent.objects.count() == events
    try:
        require_use(item=item, user=user, request=None, acting_as=None, purpose="prepare the hearing bundle")
    except ConsentRefused:
        return silent, False
    return silent, True


def test_the_silent_and_the_recorded_check_agree_in_every_state(world: Any, case: Any, upload: Any) -> None:
    user = world.member

    def item(**fields: Any) -> EvidenceItem:
        return EvidenceItem.objects.get(pk=upload(user, case, os.urandom(2048), **fields).json()["id"])

    original, copy = item(), item()
    EvidenceItem.objects.filter(pk=copy.pk).update(derivative_of=original, derivative_kind=DerivativeKind.REDACTED)
    assert _both(original, user) == (True, True)  # a case without survivors
    survivor = do_create_survivor(case=case, user=user)
    assert _both(original, user) == (False, False)  # undetermined
    assert _both(copy, user) == (False, False)
    EvidenceItem.objects.filter(pk=original.pk).update(no_survivor_material=True)
    assert _both(original, user) == (True, True)
    assert _both(copy, user) == (True, True)  # its original concerns no survivor
    EvidenceItem.objects.filter(pk=original.pk).update(no_survivor_material=False)
    original.survivors.add(survivor)
    assert _both(original, user) == (False, False)  # no consent recorded
    assert _both(copy, user) == (False, False)  # a copy concerns its original's survivors
    _consent(survivor, user, Decision.GRANTED)
    assert _both(original, user) == (True, True)
    assert _both(copy, user) == (True, True)
    Survivor.objects.filter(pk=survivor.pk).update(child_now=True)
    assert _both(copy, user) == (False, False)  # a child's consent without a guardian and assent
    Survivor.objects.filter(pk=survivor.pk).update(child_now=False)
    _consent(survivor, user, Decision.WITHDRAWN)
    assert _both(original, user) == (False, False)
    assert _both(copy, user) == (False, False)
