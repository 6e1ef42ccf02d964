"""Writes on cases: creation, the status timeline, perpetrators, legal avenues, deadlines, reminders."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import ActingAs, Target, UserLike, record
from cases import notices
from cases.models import (
    AllegedPerpetrator,
    Case,
    CaseStatus,
    LegalAvenue,
    LimitationDeadline,
    Notification,
    StatusEntry,
)
from teams.models import Team

CASE_FIELDS = ("mission", "allegation_type", "child_involved", "incident_date", "reported_on")


def _case_target(case: Case) -> Target:
    return Target("case", case.pk)


def do_create_case(
    *,
    reference: str,
    team: Team,
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    extra_teams: Iterable[Team] = (),
    **fields: Any,
) -> Case:
    """A new case owned by ``team``'s organisation, hosted where ``team`` works unless told otherwise."""
    unknown = set(fields) - {*CASE_FIELDS, "host_jurisdiction"}
    if unknown:
        raise TypeError(f"unknown case fields: {sorted(unknown)}")
    fields.setdefault("host_jurisdiction", team.jurisdiction)
    with transaction.atomic():
        case = Case(reference=reference, organisation=team.organisation, created_by_id=user.pk, **fields)
        case.full_clean()
        case.save()
        case.teams.set([team, *extra_teams])
        StatusEntry.objects.create(
            case=case, status=CaseStatus.REPORTED, on=case.reported_on or case.created_at.date(), recorded_by_id=user.pk
        )
        record(
            action=Action.CASE_CREATED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=case.pk,
            targets=[_case_target(case)],
            details={"reference": case.reference, "teams": sorted(case.teams.values_list("pk", flat=True))},
        )
    return case


def _updated(case: Case, user: UserLike, acting_as: ActingAs | None, request: HttpRequest | None, what: str) -> None:
    record(
        action=Action.CASE_UPDATED,
        user=user,
        acting_as=acting_as,
        request=request,
        case_id=case.pk,
        targets=[_case_target(case)],
        details={"changed": what},
    )


def do_update_case(
    *, case: Case, user: UserLike, acting_as: ActingAs | None = None, request: HttpRequest | None = None, **fields: Any
) -> Case:
    unknown = set(fields) - set(CASE_FIELDS)
    if unknown:
        raise TypeError(f"unknown case fields: {sorted(unknown)}")
    with transaction.atomic():
        for name, value in fields.items():
            setattr(case, name, value)
        case.full_clean()
        case.save()
        _updated(case, user, acting_as, request, ",".join(sorted(fields)))
    return case


def do_add_status(
    *,
    case: Case,
    status: str,
    on: datetime.date,
    note: str = "",
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> StatusEntry:
    with transaction.atomic():
        entry = StatusEntry(case=case, status=status, on=on, note=note, recorded_by_id=user.pk)
        entry.full_clean()
        entry.save()
        _updated(case, user, acting_as, request, f"status:{status}")
    return entry


def do_add_perpetrator(
    *,
    case: Case,
    contributing_country: str,
    category: str,
    unit: str = "",
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> AllegedPerpetrator:
    with transaction.atomic():
        row = AllegedPerpetrator(case=case, contributing_country=contributing_country, category=category, unit=unit)
        row.full_clean()
        row.save()
        _updated(case, user, acting_as, request, "perpetrator")
    return row


def do_add_avenue(
    *,
    case: Case,
    forum: str,
    jurisdiction: str = "",
    description: str = "",
    started_on: datetime.date | None = None,
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> LegalAvenue:
    with transaction.atomic():
        row = LegalAvenue(
            case=case, forum=forum, jurisdiction=jurisdiction, description=description, started_on=started_on
        )
        row.full_clean()
        row.save()
        _updated(case, user, acting_as, request, "legal_avenue")
    return row


def do_add_deadline(
    *,
    case: Case,
    description: str,
    due_on: datetime.date,
    remind_days_before: int = 30,
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> LimitationDeadline:
    with transaction.atomic():
        row = LimitationDeadline(
            case=case, description=description, due_on=due_on, remind_days_before=remind_days_before
        )
        row.full_clean()
        row.save()
        _updated(case, user, acting_as, request, "deadline")
    return row


def case_team_users(case: Case) -> list[Any]:
    """Everyone who works on the case, once each."""
    user_model = get_user_model()
    return list(user_model.objects.filter(memberships__team__cases=case, is_active=True).distinct().order_by("pk"))


def notifications_url() -> str:
    """Where the notices are read, as an absolute address when the vault's own origin is configured."""
    path = reverse("cases:notifications")
    origins = [o for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o]
    if origins:
        return origins[0].rstrip("/") + path
    hosts = [h for h in settings.ALLOWED_HOSTS if not h.startswith((".", "*"))]
    return f"https://{hosts[0]}{path}" if hosts else path


def do_notify_case_team(*, case: Case, code: str, params: Mapping[str, Any], email: bool = False) -> int:
    """An in-app notice to each member of the case's teams, and a content-free e-mail when mail is set up.

    The notice is stored as a code with parameters (``cases.notices``) and read in each reader's language.
    Mail leaves the vault's control (personal addresses, ordinary relays): it names no case, survivor,
    date or description, only that a notice is waiting, and where to read it after signing in; each
    person gets it in their preferred language.
    """
    users = case_team_users(case)
    message = notices.english_text(code, params)[:400]
    Notification.objects.bulk_create(
        [Notification(user=u, case=case, message=message, code=code, params=dict(params)) for u in users]
    )
    if email and settings.CUSTODY_NOTIFY_BY_EMAIL:
        _mail_notice_waiting(users)
    return len(users)


def do_notify_people(*, case: Case, users: Iterable[Any], code: str, params: Mapping[str, Any]) -> int:
    """An in-app notice about ``case`` to each of ``users`` (once per person), read in each reader's language."""
    people = {u.pk: u for u in users if u is not None}
    message = notices.english_text(code, params)[:400]
    Notification.objects.bulk_create(
        [Notification(user=u, case=case, message=message, code=code, params=dict(params)) for u in people.values()]
    )
    return len(people)


def _mail_notice_waiting(users: list[Any]) -> None:
    by_language: dict[str, list[str]] = {}
    for user in users:
        if getattr(user, "email", ""):
            by_language.setdefault(getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE, []).append(
                user.email
            )
    for language, addresses in by_language.items():
        with translation.override(language):
            subject = str(_("A new notice in Custody"))
            body = str(_("You have a new notice in Custody. Sign in to read it: %(url)s"))
        transaction.on_commit(partial(send_mail, subject, body % {"url": notifications_url()}, None, addresses))


def do_send_deadline_reminders(*, today: datetime.date) -> int:
    """Remind each case team once a day about deadlines inside their reminder window. Idempotent per day."""
    sent = 0
    candidates = LimitationDeadline.objects.select_related("case").filter(due_on__gte=today)
    for deadline in candidates:
        if deadline.due_on - datetime.timedelta(days=deadline.remind_days_before) > today:
            continue
        with transaction.atomic():
            row = LimitationDeadline.objects.select_for_update().get(pk=deadline.pk)
            if row.last_reminded_on == today:
                continue
            days = (row.due_on - today).days
            params = {
                "case": deadline.case.reference,
                "days": days,
                "due": row.due_on.isoformat(),
                "what": row.description,
            }
            count = do_notify_case_team(case=deadline.case, code=notices.DEADLINE_REMINDER, params=params, email=True)
            row.last_reminded_on = today
            row.save(update_fields=["last_reminded_on"])
            record(
                action=Action.DEADLINE_REMINDED,
                username="system",
                case_id=deadline.case_id,
                targets=[_case_target(deadline.case), Target("cases.deadline", row.pk)],
                details={"due_on": row.due_on.isoformat(), "notified": count},
            )
            sent += 1
    return sent
