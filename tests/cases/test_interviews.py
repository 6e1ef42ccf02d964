"""Recording an interview needs the survivor's consent to be contacted and respects 'no contact before' flags."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from cases.consent import ConsentRefused
from cases.consent_services import do_record_consent
from cases.mhpss import do_record_interview, do_write_note
from cases.models import Interview
from tests.cases.conftest import CaseWorld, consent_kwargs

pytestmark = pytest.mark.django_db


def _record(cw: CaseWorld, held_on: datetime.date) -> Interview:
    return do_record_interview(
        survivor=cw.adult,
        held_on=held_on,
        conducted_by=cw.world.member,
        team=cw.world.team_car,
        purpose="Statement for the claim",
        mhpss_present=True,
        user=cw.world.member,
    )


def _consent(cw: CaseWorld) -> int:
    rec = do_record_consent(
        survivor=cw.adult, action="contact", decision="granted", user=cw.world.member, **consent_kwargs()
    )
    return int(rec.pk)


def test_interview_needs_contact_consent(cw: CaseWorld) -> None:
    with pytest.raises(ConsentRefused):
        _record(cw, timezone.localdate())
    assert not Interview.objects.exists()
    assert AuditEvent.objects.filter(action=Action.CONSENT_REFUSED).exists()
    consent_id = _consent(cw)
    _record(cw, timezone.localdate())
    event = AuditEvent.objects.get(action=Action.INTERVIEW_RECORDED)
    assert event.consent_record_id == str(consent_id)


def test_interview_refused_inside_a_no_contact_window(cw: CaseWorld) -> None:
    _consent(cw)
    today = timezone.localdate()
    until = today + datetime.timedelta(days=30)
    do_write_note(survivor=cw.adult, body="x", safety_flag="Rest period", no_contact_before=until, user=cw.world.mhpss)
    with pytest.raises(ValidationError) as refused:
        _record(cw, today + datetime.timedelta(days=3))
    assert until.isoformat() in str(refused.value.message_dict["held_on"])
    assert not Interview.objects.exists()
    denial = AuditEvent.objects.get(action=Action.ACCESS_DENIED)
    assert denial.details["reason"] == "no contact before"
    # Before the flag was written, or from its date on, the interview may be recorded.
    _record(cw, today - datetime.timedelta(days=10))
    _record(cw, until)
    assert Interview.objects.count() == 2
