"""Notices and integrity alerts are stored as codes and read in the reader's language."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.alert_messages import AUDIT_CHAIN_BROKEN, EVIDENCE_INTEGRITY
from audit.alerts import raise_alert
from audit.models import Alert
from cases.models import LimitationDeadline, Notification
from cases.notices import CONSENT_ENDED, notice_text
from cases.services import do_send_deadline_reminders
from tests.cases.conftest import CaseWorld

pytestmark = pytest.mark.django_db
Login = Callable[..., Client]
FR = {"Accept-Language": "fr"}


def remind(cw: CaseWorld) -> Notification:
    LimitationDeadline.objects.create(case=cw.case, description="Civil claim", due_on=datetime.date(2026, 5, 20))
    assert do_send_deadline_reminders(today=datetime.date(2026, 5, 1)) == 1
    return Notification.objects.filter(user=cw.world.member).get()


def test_a_task_stores_a_code_and_each_reader_reads_their_language(cw: CaseWorld, login: Login) -> None:
    notice = remind(cw)
    assert notice.code == "deadline.reminder" and notice.params["days"] == 19
    assert notice.message == f"{cw.case.reference}: limitation deadline in 19 days (May 20, 2026): Civil claim"
    client = login(cw.world.member)
    english = client.get(reverse("cases:notifications")).content.decode()
    assert "limitation deadline in 19 days (May 20, 2026)" in english
    french = client.get(reverse("cases:notifications"), headers=FR).content.decode()
    assert "limitation deadline" not in french
    assert "19" in french and "20 mai 2026" in french and "Civil claim" in french


def test_notices_written_before_codes_stay_readable(cw: CaseWorld, login: Login) -> None:
    Notification.objects.create(user=cw.world.member, case=cw.case, message="An old notice, stored as text.")
    page = login(cw.world.member).get(reverse("cases:notifications"), headers=FR).content.decode()
    assert "An old notice, stored as text." in page


def test_codes_in_parameters_are_shown_by_their_label() -> None:
    params = {"survivor": "S-CAF-0001", "action": "contact", "decision": "withdrawn", "count": 2}
    with translation.override("en"):
        text = notice_text(CONSENT_ENDED, params, fallback="?")
    assert "“Contact the survivor” ended (Withdrawn); 2 use(s)" in text and "S-CAF-0001" in text
    assert notice_text(CONSENT_ENDED, {"survivor": "S"}, fallback="kept") == "kept"
    assert notice_text("no.such.code", params, fallback="kept") == "kept"


def test_the_mail_that_a_notice_waits_speaks_each_persons_language(
    cw: CaseWorld, settings: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CUSTODY_NOTIFY_BY_EMAIL = True
    User.objects.filter(pk=cw.world.member.pk).update(email="member@example.org", preferred_language="fr")
    User.objects.filter(pk=cw.world.lead.pk).update(email="lead@example.org", preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        remind(cw)
    by_address = {tuple(mail.to): mail for mail in mailoutbox}
    assert by_address[("lead@example.org",)].subject == "A new notice in Custody"
    french = by_address[("member@example.org",)]
    assert french.subject != "A new notice in Custody" and "Custody" in french.subject


def test_integrity_alerts_are_read_in_the_readers_language(cw: CaseWorld, login: Login) -> None:
    raise_alert(
        kind="evidence.integrity:1",
        message="Evidence item C/E1 failed an integrity check (content hash mismatch).",
        code=EVIDENCE_INTEGRITY,
        params={"item": "C/E1", "reason": "content hash mismatch"},
    )
    raise_alert(
        kind="audit.chain", message="Event #3 was edited", code=AUDIT_CHAIN_BROKEN, params={"seq": 3, "kind": "edited"}
    )
    Alert.objects.create(kind="old", message="An old alert, stored as text.", raised_at=Alert.objects.first().raised_at)  # type: ignore[union-attr]
    client = login(cw.world.auditor)
    english = client.get(reverse("teams:dashboard")).content.decode()
    assert "C/E1 failed an integrity check (the content does not match its recorded hash)" in english
    assert "event #3 (an event was edited)" in english
    french = client.get(reverse("teams:dashboard"), headers=FR).content.decode()
    assert "C/E1" in french and "integrity check" not in french and "content hash mismatch" not in french
    assert "nº 3 (un événement a été modifié)" in french and "edited" not in french
    assert "An old alert, stored as text." in french
