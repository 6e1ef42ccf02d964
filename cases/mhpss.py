"""MHPSS notes (sealed, for MHPSS experts of the case) and the re-interview register."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, UserLike, record
from cases import sealing
from cases.consent import require, survivor_target
from cases.models import ConsentAction, Interview, MhpssNote, Survivor
from teams.models import Role, Team

# Interviews this recent trigger a warning before another one is scheduled.
RECENT_INTERVIEW_DAYS = 90


def note_context(survivor_id: int) -> str:
    return f"survivor:{survivor_id}:mhpss"


def note_target(note_id: int) -> Target:
    return Target("cases.mhpss_note", note_id)


def do_write_note(
    *,
    survivor: Survivor,
    body: str,
    user: UserLike,
    safety_flag: str = "",
    no_contact_before: datetime.date | None = None,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> MhpssNote:
    """A new note, sealed under a data key of its own. Notes are never edited; add another."""
    scope = sealing.scope_for(survivor.case.host_jurisdiction.code)
    value = sealing.seal_json({"body": body}, scope=scope, context=note_context(survivor.pk))
    with transaction.atomic():
        note = MhpssNote(
            survivor=survivor,
            author_id=user.pk,
            wrapped_key=value.wrapped_key,
            escrow_key=value.escrow,
            sealed_body=value.ciphertext,
            safety_flag=safety_flag.strip(),
            no_contact_before=no_contact_before,
        )
        note.full_clean()
        note.save()
        record(
            action=Action.MHPSS_NOTE_WRITTEN,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk), note_target(note.pk)],
            details={"has_safety_flag": bool(note.safety_flag or note.no_contact_before)},
        )
    return note


@sensitive_variables()
def do_read_note(*, note: MhpssNote, user: UserLike, acting_as: ActingAs, request: HttpRequest | None = None) -> str:
    """The note's text, for a caller the policy already let through (``get_note_for``).

    Anyone but an MHPSS expert reads it only under the survivor's consent to share MHPSS notes
    with lawyers, and that consent record goes into the event.
    """
    survivor = note.survivor
    consent_id = None
    if acting_as.role != Role.MHPSS:
        consent_id = require(
            survivor=survivor,
            action=ConsentAction.SHARE_MHPSS_NOTE,
            user=user,
            request=request,
            acting_as=acting_as,
        ).pk
    with transaction.atomic():
        record(
            action=Action.MHPSS_NOTE_READ,
            user=user,
            acting_as=acting_as,
            request=request,
            consent_record_id=consent_id,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk), note_target(note.pk)],
        )
        value = sealing.Sealed(bytes(note.wrapped_key), bytes(note.sealed_body))
        data = sealing.open_json(value, context=note_context(survivor.pk))
    return str(data["body"])


@dataclass(frozen=True, slots=True)
class SafetyFlag:
    note_id: int
    text: str
    no_contact_before: datetime.date | None
    written_on: datetime.date


def safety_flags(survivor: Survivor) -> list[SafetyFlag]:
    """The non-clinical flags every case member may see; the newest first."""
    notes = survivor.mhpss_notes.exclude(safety_flag="", no_contact_before=None)
    return [SafetyFlag(n.pk, n.safety_flag, n.no_contact_before, n.created_at.date()) for n in notes]


def active_contact_block(survivor: Survivor, today: datetime.date) -> datetime.date | None:
    """The latest 'no contact before' date still in the future, if any."""
    dates = [f.no_contact_before for f in safety_flags(survivor) if f.no_contact_before and f.no_contact_before > today]
    return max(dates, default=None)


def recent_interviews(survivor: Survivor, today: datetime.date) -> list[Interview]:
    since = today - datetime.timedelta(days=RECENT_INTERVIEW_DAYS)
    return list(survivor.interviews.filter(held_on__gte=since).select_related("conducted_by", "team"))


def do_record_interview(
    *,
    survivor: Survivor,
    held_on: datetime.date,
    conducted_by: UserLike,
    team: Team,
    purpose: str,
    mhpss_present: bool,
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> Interview:
    """Record an interview: only with the survivor's consent to be contacted, never inside a 'no contact' window.

    Raises ``ValidationError`` (``held_on``) when an MHPSS safety flag written on or before that day
    forbids contact until a later date, and ``ConsentRefused`` without a CONTACT consent; both
    refusals are recorded.
    """
    blocked_until = max(
        (
            f.no_contact_before
            for f in safety_flags(survivor)
            if f.no_contact_before and f.written_on <= held_on < f.no_contact_before
        ),
        default=None,
    )
    if blocked_until is not None:
        with transaction.atomic():
            record(
                action=Action.ACCESS_DENIED,
                outcome=Outcome.DENIED,
                user=user,
                acting_as=acting_as,
                request=request,
                purpose=purpose,
                case_id=survivor.case_id,
                targets=[survivor_target(survivor.pk)],
                details={"permission": "interview.record", "reason": "no contact before", "until": str(blocked_until)},
            )
        message = _("An MHPSS safety flag rules out contact with this survivor before %(date)s.")
        raise ValidationError({"held_on": message % {"date": blocked_until.isoformat()}})
    consent = require(
        survivor=survivor,
        action=ConsentAction.CONTACT,
        user=user,
        request=request,
        acting_as=acting_as,
        purpose=purpose,
    )
    with transaction.atomic():
        row = Interview(
            survivor=survivor,
            held_on=held_on,
            conducted_by_id=conducted_by.pk,
            team=team,
            purpose=purpose,
            mhpss_present=mhpss_present,
            recorded_by_id=user.pk,
        )
        row.full_clean()
        row.save()
        record(
            action=Action.INTERVIEW_RECORDED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=survivor.case_id,
            consent_record_id=consent.pk,
            targets=[survivor_target(survivor.pk), Target("cases.interview", row.pk)],
            details={"held_on": held_on.isoformat(), "mhpss_present": mhpss_present},
        )
    return row
