"""Withdrawal takes effect at once: dependent shares are suspended and a started export stops."""

from __future__ import annotations

from typing import Any

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from cases.consent import (
    ConsentRefused,
    dependency_is_active,
    ensure_dependency_active,
    register_dependency,
    require,
)
from cases.consent_services import do_record_consent, do_withdraw_consent
from cases.models import ConsentAction, ConsentRecord, Decision, DependencyState, ImmutableError, Notification
from cases.selectors import uses_under_consent
from cases.signals import consent_withdrawn
from tests.cases.conftest import CaseWorld, consent_kwargs


def _grant(cw: CaseWorld, action: str, target: str = "") -> ConsentRecord:
    return do_record_consent(
        survivor=cw.adult,
        action=action,
        target=target,
        decision=Decision.GRANTED,
        user=cw.world.member,
        **consent_kwargs(),
    )


def test_withdrawal_suspends_a_share_and_stops_a_started_export(cw: CaseWorld) -> None:
    _grant(cw, ConsentAction.SHARE_TEAM, "42")
    _grant(cw, ConsentAction.PROCEEDINGS, "Cour pénale spéciale")
    share_consent = require(survivor=cw.adult, action=ConsentAction.SHARE_TEAM, target=42, user=cw.world.member)
    export_consent = require(
        survivor=cw.adult, action=ConsentAction.PROCEEDINGS, target="Cour pénale spéciale", user=cw.world.member
    )
    register_dependency(consent_record=share_consent, kind="sharing.grant", object_id=901)
    register_dependency(consent_record=export_consent, kind="productions.export", object_id=77)
    # The export has started and checks between steps.
    ensure_dependency_active(kind="productions.export", object_id=77, survivor=cw.adult)

    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    consent_withdrawn.connect(receiver)
    try:
        do_withdraw_consent(
            survivor=cw.adult,
            action=ConsentAction.SHARE_TEAM,
            target=42,
            user=cw.world.member,
            method="verbal",
            language="Sango",
        )
        do_withdraw_consent(
            survivor=cw.adult,
            action=ConsentAction.PROCEEDINGS,
            target="Cour pénale spéciale",
            user=cw.world.member,
            method="verbal",
            language="Sango",
        )
    finally:
        consent_withdrawn.disconnect(receiver)

    assert not dependency_is_active(kind="sharing.grant", object_id=901)
    with pytest.raises(ConsentRefused) as stopped:
        ensure_dependency_active(kind="productions.export", object_id=77, survivor=cw.adult)
    assert "Cour pénale spéciale" in str(stopped.value.message)
    assert [r["record"].decision for r in received] == [Decision.WITHDRAWN, Decision.WITHDRAWN]
    assert [d.state for r in received for d in r["suspended"]] == [DependencyState.SUSPENDED] * 2
    suspended = AuditEvent.objects.filter(action=Action.CONSENT_DEPENDENCY_SUSPENDED)
    assert sorted(e.targets[1] for e in suspended) == ["productions.export:77", "sharing.grant:901"]
    # New uses are refused at once; earlier uses stay on the survivor's file, marked.
    with pytest.raises(ConsentRefused):
        require(survivor=cw.adult, action=ConsentAction.SHARE_TEAM, target=42, user=cw.world.member)
    uses = uses_under_consent(cw.adult)
    assert {(u.action, u.target, u.before_withdrawal) for u in uses} == {
        ("share_team", "team:42", True),
        ("proceedings", "Cour pénale spéciale", True),
    }
    assert Notification.objects.filter(user=cw.world.member, case=cw.case).count() == 2


def test_a_refusal_superseding_a_grant_also_suspends(cw: CaseWorld) -> None:
    rec = _grant(cw, ConsentAction.SHARE_UN, "OIOS")
    register_dependency(consent_record=rec, kind="sharing.grant", object_id=5)
    do_record_consent(
        survivor=cw.adult,
        action=ConsentAction.SHARE_UN,
        target="OIOS",
        decision=Decision.REFUSED,
        user=cw.world.member,
        **consent_kwargs(),
    )
    assert not dependency_is_active(kind="sharing.grant", object_id=5)


def test_nothing_can_depend_on_a_withdrawn_consent(cw: CaseWorld) -> None:
    rec = _grant(cw, ConsentAction.SHARE_MEDIA, "Radio")
    do_withdraw_consent(
        survivor=cw.adult,
        action=ConsentAction.SHARE_MEDIA,
        target="Radio",
        user=cw.world.member,
        method="written",
        language="French",
    )
    with pytest.raises(ConsentRefused):
        register_dependency(consent_record=rec, kind="sharing.grant", object_id=6)


def test_a_failing_receiver_rolls_the_withdrawal_back(cw: CaseWorld) -> None:
    rec = _grant(cw, ConsentAction.CONTACT)
    register_dependency(consent_record=rec, kind="sharing.grant", object_id=8)

    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("receiver failed")

    consent_withdrawn.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            do_withdraw_consent(
                survivor=cw.adult, action=ConsentAction.CONTACT, user=cw.world.member, method="verbal", language="Sango"
            )
    finally:
        consent_withdrawn.disconnect(broken)
    assert dependency_is_active(kind="sharing.grant", object_id=8)
    assert ConsentRecord.objects.filter(survivor=cw.adult, decision=Decision.WITHDRAWN).count() == 0


def test_consent_records_are_immutable(cw: CaseWorld) -> None:
    rec = _grant(cw, ConsentAction.STATISTICS)
    with pytest.raises(ImmutableError):
        rec.save()
    with pytest.raises(ImmutableError):
        rec.delete()
    with pytest.raises(ImmutableError):
        ConsentRecord.objects.filter(pk=rec.pk).update(decision=Decision.REFUSED)
    with pytest.raises(ImmutableError):
        ConsentRecord.objects.filter(pk=rec.pk).delete()


def test_a_new_record_supersedes_the_last(cw: CaseWorld) -> None:
    first = _grant(cw, ConsentAction.STATISTICS)
    second = do_record_consent(
        survivor=cw.adult,
        action=ConsentAction.STATISTICS,
        decision=Decision.CONDITIONAL,
        conditions="Only aggregated by region.",
        user=cw.world.member,
        **consent_kwargs(),
    )
    assert second.supersedes == first
    assert require(survivor=cw.adult, action=ConsentAction.STATISTICS, user=cw.world.member) == second


def test_a_team_target_must_be_a_team_number(cw: CaseWorld) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        _grant(cw, ConsentAction.SHARE_TEAM, "the Dhaka team")
    assert "target" in error.value.message_dict
