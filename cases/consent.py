"""Consent enforcement: the one place that says whether survivor-linked material may be used.

Every action on survivor-linked material (view, download, share, export, redact and
release, contact) calls ``require`` first. It returns the effective consent record,
whose id the caller puts in its own audit event (``consent_record_id=``), or writes a
denial event and raises ``ConsentRefused`` naming the missing consent.

States of one (survivor, action, target):

* none: no record.                               → refused
* refused / withdrawn: the latest record says so. → refused
* expired: the latest grant is past its expiry.   → refused
* granted                                         → allowed
* conditional: allowed, and the conditions are part of the answer. Callers show them
  to the person acting and the audit event of the check carries them; the vault does
  not interpret their text.
* incomplete (a child): a grant for a child is effective only when a guardian gave it
  AND the child's own assent is recorded on it.      → refused

Targets are matched exactly, so consent stays specific; see ``target_for``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, UserLike, record
from cases.models import (
    ChildAssent,
    ConsentAction,
    ConsentDependency,
    ConsentRecord,
    Decision,
    DependencyState,
    GivenBy,
    Survivor,
)


class State(StrEnum):
    NONE = "none"
    GRANTED = "granted"
    CONDITIONAL = "conditional"
    REFUSED = "refused"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    INCOMPLETE = "incomplete"


ALLOWING = frozenset({State.GRANTED, State.CONDITIONAL})

_REASONS: dict[State, Promise] = {
    State.NONE: _("no consent has been recorded"),
    State.REFUSED: _("consent was refused"),
    State.EXPIRED: _("consent has expired"),
    State.WITHDRAWN: _("consent was withdrawn"),
    State.INCOMPLETE: _("for a child, both a guardian's consent and the child's own assent are required"),
}


class ConsentRefused(Exception):
    """The action is not covered by an effective consent. ``message`` is safe to show."""

    def __init__(self, message: str | Promise, *, state: State, survivor_id: int, action: str, target: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.state = state
        self.survivor_id = survivor_id
        self.action = action
        self.target = target


@dataclass(frozen=True, slots=True)
class Effective:
    state: State
    record: ConsentRecord | None

    @property
    def allowed(self) -> bool:
        return self.state in ALLOWING

    @property
    def conditions(self) -> str:
        return self.record.conditions if self.record is not None and self.state == State.CONDITIONAL else ""


def survivor_target(survivor_id: int) -> Target:
    """The audit target naming a survivor; every event about their material carries it."""
    return Target("cases.survivor", survivor_id)


def target_for(action: ConsentAction | str, value: str | int = "") -> str:
    """The canonical target string of an action.

    share_team: the team id; share_jurisdiction: the ISO country code; proceedings:
    the forum's name; share_un / share_media: the body or outlet; the other actions
    have no target ("").
    """
    text = str(value).strip()
    if action == ConsentAction.SHARE_TEAM and text:
        return f"team:{int(text.removeprefix('team:'))}"
    if action == ConsentAction.SHARE_JURISDICTION:
        return text.upper()
    return text


def latest(survivor: Survivor, action: str, target: str) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(survivor=survivor, action=action, target=target)
        .order_by("-recorded_at", "-pk")
        .first()
    )


def state_of(survivor: Survivor, rec: ConsentRecord | None, today: datetime.date | None = None) -> State:
    """The state one record puts (survivor, action, target) in."""
    if rec is None:
        return State.NONE
    if rec.decision == Decision.REFUSED:
        return State.REFUSED
    if rec.decision == Decision.WITHDRAWN:
        return State.WITHDRAWN
    today = today or timezone.localdate()
    if rec.expires_on is not None and rec.expires_on < today:
        return State.EXPIRED
    if survivor.child_now and not (rec.given_by == GivenBy.GUARDIAN and rec.child_assent == ChildAssent.GIVEN):
        return State.INCOMPLETE
    return State.CONDITIONAL if rec.decision == Decision.CONDITIONAL else State.GRANTED


def evaluate(survivor: Survivor, action: ConsentAction | str, target: str | int = "") -> Effective:
    """The effective consent, without recording anything (for display and for building policy facts)."""
    key = target_for(action, target)
    rec = latest(survivor, str(action), key)
    return Effective(state_of(survivor, rec), rec)


def refusal_message(survivor: Survivor, action: ConsentAction | str, target: str, state: State) -> str:
    label = ConsentAction(action).label
    what = f"{label} ({target})" if target else str(label)
    return str(
        _("Refused: %(survivor)s has not consented to “%(action)s”: %(reason)s.")
        % {"survivor": survivor.code, "action": what, "reason": _REASONS[state]}
    )


def require(
    *,
    survivor: Survivor,
    action: ConsentAction | str,
    target: str | int = "",
    user: UserLike | None,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
    purpose: str = "",
) -> ConsentRecord:
    """The effective consent record for the action, or a recorded denial and ``ConsentRefused``.

    The allowed check is recorded (``consent.checked`` with the record id) in the caller's
    transaction; the caller records its own action with ``consent_record_id=record.pk`` too.
    """
    key = target_for(action, target)
    effective = evaluate(survivor, action, key)
    common = {
        "user": user,
        "request": request,
        "acting_as": acting_as,
        "purpose": purpose,
        "case_id": survivor.case_id,
        "targets": [survivor_target(survivor.pk)],
    }
    details = {"action": str(action), "target": key, "state": effective.state.value}
    if not effective.allowed:
        record(action=Action.CONSENT_REFUSED, outcome=Outcome.DENIED, details=details, **common)  # type: ignore[arg-type]
        message = refusal_message(survivor, action, key, effective.state)
        raise ConsentRefused(message, state=effective.state, survivor_id=survivor.pk, action=str(action), target=key)
    assert effective.record is not None
    details["conditions"] = effective.conditions
    record(action=Action.CONSENT_CHECKED, consent_record_id=effective.record.pk, details=details, **common)  # type: ignore[arg-type]
    return effective.record


def require_all(
    *,
    survivors: Iterable[Survivor],
    action: ConsentAction | str,
    target: str | int = "",
    user: UserLike | None,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
    purpose: str = "",
) -> list[ConsentRecord]:
    """``require`` for material linked to several survivors: every one of them must consent."""
    return [
        require(
            survivor=s, action=action, target=target, user=user, request=request, acting_as=acting_as, purpose=purpose
        )
        for s in survivors
    ]


# --- Dependencies ------------------------------------------------------------


def register_dependency(*, consent_record: ConsentRecord, kind: str, object_id: str | int) -> ConsentDependency:
    """Note that ``kind:object_id`` (a grant, an export, ...) relies on this consent record.

    Call it in the transaction that creates the object, with the record ``require`` returned.
    """
    survivor = consent_record.survivor
    if not evaluate(survivor, consent_record.action, consent_record.target).allowed:
        raise ConsentRefused(
            refusal_message(survivor, consent_record.action, consent_record.target, State.WITHDRAWN),
            state=State.WITHDRAWN,
            survivor_id=survivor.pk,
            action=consent_record.action,
            target=consent_record.target,
        )
    dependency, _created = ConsentDependency.objects.get_or_create(
        kind=kind,
        object_id=str(object_id),
        consent_record=consent_record,
        defaults={"survivor": survivor, "action": consent_record.action, "target": consent_record.target},
    )
    return dependency


def dependency_is_active(*, kind: str, object_id: str | int) -> bool:
    """False once any consent the object relies on was withdrawn (or it was never registered)."""
    rows = ConsentDependency.objects.filter(kind=kind, object_id=str(object_id))
    return rows.exists() and not rows.filter(state=DependencyState.SUSPENDED).exists()


def suspend_dependencies(*, new_record: ConsentRecord, user: UserLike | None) -> list[ConsentDependency]:
    """Suspend every active dependency on the consent ``new_record`` ends. Runs in the caller's transaction."""
    rows = list(
        ConsentDependency.objects.select_for_update().filter(
            survivor_id=new_record.survivor_id,
            action=new_record.action,
            target=new_record.target,
            state=DependencyState.ACTIVE,
        )
    )
    now = timezone.now()
    for row in rows:
        row.state = DependencyState.SUSPENDED
        row.suspended_by = new_record
        row.suspended_at = now
        row.save(update_fields=["state", "suspended_by", "suspended_at"])
        record(
            action=Action.CONSENT_DEPENDENCY_SUSPENDED,
            user=user,
            consent_record_id=new_record.pk,
            case_id=new_record.survivor.case_id,
            targets=[survivor_target(new_record.survivor_id), Target(row.kind, row.object_id)],
            details={"kind": row.kind, "object": row.object_id, "action": row.action, "target": row.target},
        )
    return rows


def ensure_dependency_active(*, kind: str, object_id: str | int, survivor: Survivor) -> None:
    """For long-running work (an export): stop if the consent it relied on was withdrawn meanwhile."""
    if dependency_is_active(kind=kind, object_id=object_id):
        return
    row = ConsentDependency.objects.filter(kind=kind, object_id=str(object_id)).first()
    action = row.action if row else ConsentAction.STORE_EVIDENCE
    target = row.target if row else ""
    raise ConsentRefused(
        refusal_message(survivor, action, target, State.WITHDRAWN),
        state=State.WITHDRAWN,
        survivor_id=survivor.pk,
        action=action,
        target=target,
    )
