"""Every action x consent state x adult/child: allowed or refused, and the audit event for each."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from cases.consent import ConsentRefused, State, require, target_for
from cases.consent_services import do_record_consent, do_withdraw_consent
from cases.models import ConsentAction, Decision, Survivor
from tests.cases.conftest import CaseWorld, consent_kwargs

STATES = ["none", "granted", "refused", "conditional", "expired", "withdrawn"]
ALLOWED = {"granted", "conditional"}
TARGETS = {
    ConsentAction.SHARE_TEAM: "7",
    ConsentAction.SHARE_JURISDICTION: "bd",
    ConsentAction.PROCEEDINGS: "Tribunal de grande instance de Bangui",
    ConsentAction.SHARE_UN: "OIOS",
    ConsentAction.SHARE_MEDIA: "Radio Ndeke Luka",
}


def _put_in_state(cw: CaseWorld, survivor: Survivor, action: str, target: str, state: str) -> None:
    if state == "none":
        return
    child = survivor.child_now
    who = (
        {"given_by": "guardian", "guardian": cw.guardian, "child_assent": "given"}
        if child
        else {"given_by": "survivor", "child_assent": "n/a"}
    )
    decision = {"granted": Decision.GRANTED, "refused": Decision.REFUSED, "conditional": Decision.CONDITIONAL}.get(
        state, Decision.GRANTED
    )
    expires = timezone.localdate() - datetime.timedelta(days=1) if state == "expired" else None
    do_record_consent(
        survivor=survivor,
        action=action,
        target=target,
        decision=decision,
        conditions="Only after the survivor has been told." if state == "conditional" else "",
        expires_on=expires,
        user=cw.world.member,
        **who,
        **consent_kwargs(),
    )
    if state == "withdrawn":
        do_withdraw_consent(
            survivor=survivor, action=action, target=target, user=cw.world.member, method="verbal", language="Sango"
        )


@pytest.mark.parametrize(
    ("action", "state", "child"), list(itertools.product(list(ConsentAction), STATES, [False, True]))
)
def test_require_over_every_action_state_and_age(cw: CaseWorld, action: ConsentAction, state: str, child: bool) -> None:
    survivor = cw.child if child else cw.adult
    target = TARGETS.get(action, "")
    _put_in_state(cw, survivor, action, target, state)
    before = AuditEvent.objects.count()

    if state in ALLOWED:
        rec = require(survivor=survivor, action=action, target=target, user=cw.world.member)
        event = AuditEvent.objects.get(seq=before + 1)
        assert event.action == Action.CONSENT_CHECKED
        assert event.outcome == Outcome.ALLOWED
        assert event.consent_record_id == str(rec.pk)
        assert event.targets == [f"cases.survivor:{survivor.pk}"]
        assert event.details["target"] == target_for(action, target)
        assert bool(event.details["conditions"]) is (state == "conditional")
    else:
        with pytest.raises(ConsentRefused) as refused:
            require(survivor=survivor, action=action, target=target, user=cw.world.member)
        assert refused.value.state == State(state)
        assert survivor.code in str(refused.value.message)
        assert str(action.label) in str(refused.value.message)
        event = AuditEvent.objects.get(seq=before + 1)
        assert event.action == Action.CONSENT_REFUSED
        assert event.outcome == Outcome.DENIED
        assert event.consent_record_id == ""
        assert event.details["state"] == state
    assert AuditEvent.objects.count() == before + 1


@pytest.mark.parametrize(("given_by", "assent"), [("survivor", "n/a"), ("survivor", "given"), ("guardian", "refused")])
def test_a_child_needs_guardian_consent_and_own_assent(cw: CaseWorld, given_by: str, assent: str) -> None:
    do_record_consent(
        survivor=cw.child,
        action=ConsentAction.STORE_EVIDENCE,
        decision=Decision.GRANTED,
        given_by=given_by,
        guardian=cw.guardian if given_by == "guardian" else None,
        child_assent=assent,
        user=cw.world.member,
        **consent_kwargs(),
    )
    with pytest.raises(ConsentRefused) as refused:
        require(survivor=cw.child, action=ConsentAction.STORE_EVIDENCE, user=cw.world.member)
    assert refused.value.state == State.INCOMPLETE
    assert "guardian" in str(refused.value.message)


def test_consent_is_specific_to_its_target(cw: CaseWorld) -> None:
    _put_in_state(cw, cw.adult, ConsentAction.SHARE_TEAM, "7", "granted")
    require(survivor=cw.adult, action=ConsentAction.SHARE_TEAM, target=7, user=cw.world.member)
    with pytest.raises(ConsentRefused):
        require(survivor=cw.adult, action=ConsentAction.SHARE_TEAM, target=8, user=cw.world.member)
