"""Two-person rule: originals abroad wait for a second coalition lead, who is never the requester."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from cases.approvals import ApprovalRefused, do_decide_approval, do_request_approval
from cases.models import ApprovalKind, ApprovalRequest, ApprovalState, GrantLevel
from cases.sharing import GrantInvalid
from tests.sharing.conftest import ShareWorld, approve_originals_abroad, second_lead


def _request(sw: ShareWorld) -> ApprovalRequest:
    return do_request_approval(
        kind=ApprovalKind.GRANT_ORIGINALS_ABROAD,
        case=sw.case,
        subject=f"team:{sw.world.team_tcc.pk}",
        purpose="originals for the forensic examiner",
        user=sw.world.lead,
    )


def test_originals_abroad_are_refused_without_a_second_approval(sw: ShareWorld) -> None:
    sw.consent_to_foreign_team()
    with pytest.raises(GrantInvalid):
        sw.grant(level=GrantLevel.ORIGINALS)
    assert AuditEvent.objects.filter(action=Action.GRANT_REFUSED).count() == 1


def test_second_lead_approval_is_used_once(sw: ShareWorld) -> None:
    sw.consent_to_foreign_team()
    approval = approve_originals_abroad(sw)
    grant = sw.grant(level=GrantLevel.ORIGINALS)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.USED and grant.level == GrantLevel.ORIGINALS
    with pytest.raises(GrantInvalid):
        sw.grant(level=GrantLevel.ORIGINALS)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {Action.APPROVAL_REQUESTED, Action.APPROVAL_GIVEN, Action.APPROVAL_USED} <= actions


def test_requester_cannot_approve_their_own(sw: ShareWorld) -> None:
    approval = _request(sw)
    with pytest.raises(ApprovalRefused):
        do_decide_approval(approval=approval, user=sw.world.lead, approve=True)


@pytest.mark.parametrize("who", ["member", "other_member", "auditor", "admin"])
def test_only_a_coalition_lead_of_the_organisation_decides(sw: ShareWorld, who: str) -> None:
    approval = _request(sw)
    with pytest.raises(ApprovalRefused):
        do_decide_approval(approval=approval, user=getattr(sw.world, who), approve=True)


def test_approval_window_closes(sw: ShareWorld) -> None:
    approval = _request(sw)
    ApprovalRequest.objects.filter(pk=approval.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(ApprovalRefused):
        do_decide_approval(approval=approval, user=second_lead(sw.world), approve=True)


def test_declined_request_gives_nothing(sw: ShareWorld) -> None:
    sw.consent_to_foreign_team()
    do_decide_approval(approval=_request(sw), user=second_lead(sw.world), approve=False)
    with pytest.raises(GrantInvalid):
        sw.grant(level=GrantLevel.ORIGINALS)
