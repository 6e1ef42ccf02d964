"""Limitation deadline reminders: once a day, to everyone on the case's teams, on a real worker in production."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction

from audit.actions import Action
from audit.models import AuditEvent
from cases.models import LimitationDeadline, Notification
from cases.services import do_send_deadline_reminders
from cases.tasks import send_deadline_reminders
from tests.cases.conftest import CaseWorld


def test_reminders_inside_the_window_once_a_day(cw: CaseWorld) -> None:
    today = datetime.date(2026, 5, 1)
    LimitationDeadline.objects.create(case=cw.case, description="Civil claim", due_on=datetime.date(2026, 5, 20))
    LimitationDeadline.objects.create(case=cw.case, description="Later", due_on=datetime.date(2026, 9, 1))
    LimitationDeadline.objects.create(case=cw.case, description="Past", due_on=datetime.date(2026, 4, 1))
    assert do_send_deadline_reminders(today=today) == 1
    assert do_send_deadline_reminders(today=today) == 0
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert notified == {"lead", "member", "investigator", "mhpss", "auditor"}
    assert "19 days" in Notification.objects.first().message  # type: ignore[union-attr]
    assert do_send_deadline_reminders(today=today + datetime.timedelta(days=1)) == 1
    assert AuditEvent.objects.filter(action=Action.DEADLINE_REMINDED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_daily_task_runs_on_a_worker(celery_live: Any, cw: CaseWorld) -> None:
    from django.utils import timezone

    LimitationDeadline.objects.create(
        case=cw.case, description="Appeal window", due_on=timezone.localdate() + datetime.timedelta(days=3)
    )
    results: list[Any] = []
    with transaction.atomic():
        transaction.on_commit(lambda: results.append(send_deadline_reminders.delay()))
    assert results[0].get(timeout=30) == 1
    assert Notification.objects.filter(case=cw.case).count() == 5


def test_reminder_emails_carry_no_case_content(
    cw: CaseWorld, settings: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CUSTODY_NOTIFY_BY_EMAIL = True
    settings.CSRF_TRUSTED_ORIGINS = ["https://vault.example.org"]
    from accounts.models import User

    User.objects.filter(pk=cw.world.member.pk).update(email="member@example.org")
    LimitationDeadline.objects.create(
        case=cw.case, description="Claim for S-CAF-0001 before the Bangui court", due_on=datetime.date(2026, 5, 20)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert do_send_deadline_reminders(today=datetime.date(2026, 5, 1)) == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    text = mail.subject + mail.body
    for secret in ("S-CAF-0001", "Bangui", "Claim", cw.case.reference, "2026-05-20", "limitation"):
        assert secret not in text
    assert "https://vault.example.org/cases/notifications/" in mail.body
    # The in-app notice, behind sign-in, keeps the details.
    assert "Bangui" in Notification.objects.get(user=cw.world.member).message
