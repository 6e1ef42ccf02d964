"""Recording consent decisions. Records are never changed: each new one supersedes the last."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import ActingAs, UserLike, record
from cases.consent import State, latest, state_of, survivor_target, suspend_dependencies, target_for
from cases.models import ChildAssent, ConsentAction, ConsentRecord, Decision, GivenBy, Guardian, Survivor
from cases.notices import CONSENT_ENDED
from cases.services import do_notify_case_team
from cases.signals import consent_withdrawn

TARGET_REQUIRED = frozenset({ConsentAction.SHARE_TEAM, ConsentAction.SHARE_JURISDICTION, ConsentAction.PROCEEDINGS})


def _validate(survivor: Survivor, data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    action = data["action"]
    if action in TARGET_REQUIRED and not data["target"]:
        errors["target"] = _("This action needs a target: the team, jurisdiction or forum it is about.")
    if data["decision"] == Decision.CONDITIONAL and not data.get("conditions", "").strip():
        errors["conditions"] = _("Write down the conditions of a conditional consent.")
    if data.get("given_by") == GivenBy.GUARDIAN:
        guardian = data.get("guardian")
        if guardian is None or guardian.survivor_id != survivor.pk:
            errors["guardian"] = _("Choose which of the survivor's guardians gave the consent.")
        granting = data["decision"] in (Decision.GRANTED, Decision.CONDITIONAL)
        if survivor.child_now and granting and data["child_assent"] == ChildAssent.NOT_APPLICABLE:
            errors["child_assent"] = _("Record whether the child assents.")
    if errors:
        raise ValidationError(errors)


def do_record_consent(
    *,
    survivor: Survivor,
    action: str,
    target: str | int = "",
    decision: str,
    method: str,
    language: str,
    given_on: datetime.date,
    user: UserLike,
    conditions: str = "",
    given_by: str = GivenBy.SURVIVOR,
    guardian: Guardian | None = None,
    child_assent: str = ChildAssent.NOT_APPLICABLE,
    interpreter: str = "",
    expires_on: datetime.date | None = None,
    scanned_form_item_id: int | None = None,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> ConsentRecord:
    """Append a decision. A refusal or withdrawal that ends a grant suspends what relied on it, at once."""
    try:
        key = target_for(action, target)
    except ValueError:
        raise ValidationError({"target": _("For a team, give the team's number.")}) from None
    data = {
        "action": action,
        "target": key,
        "decision": decision,
        "conditions": conditions if decision == Decision.CONDITIONAL else "",
        "given_by": given_by,
        "guardian": guardian if given_by == GivenBy.GUARDIAN else None,
        "child_assent": child_assent,
        "method": method,
        "language": language,
        "interpreter": interpreter,
        "given_on": given_on,
        "expires_on": expires_on,
        "scanned_form_item_id": scanned_form_item_id,
    }
    _validate(survivor, data)
    with transaction.atomic():
        Survivor.objects.select_for_update().filter(pk=survivor.pk).first()
        previous = latest(survivor, action, key)
        rec = ConsentRecord(survivor=survivor, supersedes=previous, recorded_by_id=user.pk, **data)
        rec.full_clean()
        rec.save()
        withdrawal = decision in (Decision.WITHDRAWN, Decision.REFUSED) and previous is not None
        record(
            action=Action.CONSENT_WITHDRAWN if decision == Decision.WITHDRAWN else Action.CONSENT_RECORDED,
            user=user,
            acting_as=acting_as,
            request=request,
            consent_record_id=rec.pk,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk)],
            details={"action": action, "target": key, "decision": decision, "supersedes": previous and previous.pk},
        )
        if withdrawal:
            _after_withdrawal(survivor=survivor, rec=rec, previous=previous, user=user)
    return rec


def _after_withdrawal(
    *, survivor: Survivor, rec: ConsentRecord, previous: ConsentRecord | None, user: UserLike
) -> None:
    suspended = suspend_dependencies(new_record=rec, user=user)
    if previous is not None and state_of(survivor, previous) in (State.GRANTED, State.CONDITIONAL):
        params = {"survivor": survivor.code, "action": rec.action, "decision": rec.decision, "count": len(suspended)}
        do_notify_case_team(case=survivor.case, code=CONSENT_ENDED, params=params)
    consent_withdrawn.send(sender=ConsentRecord, record=rec, previous=previous, suspended=suspended, user=user)


def do_withdraw_consent(
    *,
    survivor: Survivor,
    action: str,
    target: str | int = "",
    method: str,
    language: str,
    user: UserLike,
    given_by: str = GivenBy.SURVIVOR,
    guardian: Guardian | None = None,
    child_assent: str = ChildAssent.NOT_APPLICABLE,
    interpreter: str = "",
    given_on: datetime.date | None = None,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> ConsentRecord:
    """Withdrawal is a record like any other; it takes effect in the transaction that writes it.

    A child's withdrawal (or a guardian's) is always effective on its own: ending consent
    never needs both.
    """
    return do_record_consent(
        survivor=survivor,
        action=action,
        target=target,
        decision=Decision.WITHDRAWN,
        method=method,
        language=language,
        given_on=given_on or datetime.date.today(),  # noqa: DTZ011 - a calendar date for people
        user=user,
        given_by=given_by,
        guardian=guardian,
        child_assent=child_assent,
        interpreter=interpreter,
        acting_as=acting_as,
        request=request,
    )
