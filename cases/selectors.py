"""Reads for cases and survivors, already filtered by the policy where they list things."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from cases.consent import State, state_of
from cases.models import Case, ConsentAction, ConsentDependency, ConsentRecord, Decision, Survivor
from teams.access import request_actor
from teams.models import Role


def cases_for(request: HttpRequest) -> QuerySet[Case]:
    """The cases the caller may see: those of their teams, and their organisation's if they lead it."""
    actor = request_actor(request)
    team_ids = [m.team_id for m in actor.memberships if m.role != Role.ADMIN]
    lead_orgs = [m.organisation_id for m in actor.memberships if m.role == Role.COALITION_LEAD]
    qs = Case.objects.filter(teams__in=team_ids) | Case.objects.filter(organisation_id__in=lead_orgs)
    return qs.distinct().select_related("host_jurisdiction").prefetch_related("status_entries").order_by("reference")


def current_status(case: Case) -> str:
    entries = sorted(case.status_entries.all(), key=lambda e: (e.on, e.pk))
    return entries[-1].get_status_display() if entries else ""


@dataclass
class MatrixRow:
    action: str
    action_label: str
    target: str
    state: State
    current: ConsentRecord | None
    history: list[ConsentRecord] = field(default_factory=list)


def consent_matrix(survivor: Survivor, today: datetime.date | None = None) -> list[MatrixRow]:
    """One row per action and target: every action appears, with 'none' where nothing was recorded."""
    today = today or timezone.localdate()
    records = list(
        ConsentRecord.objects.filter(survivor=survivor)
        .select_related("recorded_by", "guardian")
        .order_by("recorded_at", "pk")
    )
    grouped: dict[tuple[str, str], list[ConsentRecord]] = {}
    for rec in records:
        grouped.setdefault((rec.action, rec.target), []).append(rec)
    rows = []
    for action in ConsentAction:
        keys = sorted(k for k in grouped if k[0] == action.value) or [(action.value, "")]
        for key in keys:
            history = grouped.get(key, [])
            current = history[-1] if history else None
            rows.append(
                MatrixRow(
                    action.value, str(action.label), key[1], state_of(survivor, current, today), current, history[::-1]
                )
            )
    return rows


def receipt_rows(survivor: Survivor) -> tuple[list[MatrixRow], list[MatrixRow]]:
    """What the survivor agreed to and what they refused or withdrew, as of today."""
    rows = [r for r in consent_matrix(survivor) if r.current is not None]
    agreed = [r for r in rows if r.state in (State.GRANTED, State.CONDITIONAL)]
    refused = [
        r for r in rows if r.current is not None and r.current.decision in (Decision.REFUSED, Decision.WITHDRAWN)
    ]
    return agreed, refused


@dataclass(frozen=True)
class Use:
    """One use of the survivor's material under consent, from the audit log."""

    occurred_at: datetime.datetime
    action: str
    target: str
    username: str
    consent_record_id: str
    before_withdrawal: bool


def uses_under_consent(survivor: Survivor) -> list[Use]:
    """Every allowed use of the survivor's material, marked when a later withdrawal ended that consent."""
    events = AuditEvent.objects.filter(
        target_rows__kind="cases.survivor",
        target_rows__key=str(survivor.pk),
        action=Action.CONSENT_CHECKED,
        outcome=Outcome.ALLOWED,
    ).order_by("seq")
    ended: dict[tuple[str, str], datetime.datetime] = {}
    for rec in ConsentRecord.objects.filter(survivor=survivor, decision__in=[Decision.WITHDRAWN, Decision.REFUSED]):
        ended[(rec.action, rec.target)] = max(ended.get((rec.action, rec.target), rec.recorded_at), rec.recorded_at)
    uses = []
    for event in events:
        key = (str(event.details.get("action", "")), str(event.details.get("target", "")))
        cut = ended.get(key)
        uses.append(
            Use(
                event.occurred_at,
                key[0],
                key[1],
                event.actor_username,
                event.consent_record_id,
                bool(cut and event.occurred_at < cut),
            )
        )
    return uses


def dependencies_of(survivor: Survivor) -> QuerySet[ConsentDependency]:
    return survivor.consent_dependencies.select_related("consent_record", "suspended_by").order_by("-created_at")


def custodian_candidates(survivor: Survivor) -> QuerySet[Any]:
    """People who could become identity custodians: lawyers, investigators and leads of the case's teams."""
    roles = [Role.LAWYER, Role.INVESTIGATOR, Role.COALITION_LEAD]
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__team__cases=survivor.case, memberships__role__in=roles)
        .exclude(pk__in=survivor.custodians.values("pk"))
        .distinct()
        .order_by("username")
    )
