"""Survivors' consent for using an item's content (viewing or downloading it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, NoReturn

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, record
from cases.consent import ConsentRefused, State, evaluate, require_all, survivor_target
from cases.models import ConsentAction, Survivor
from evidence.access import item_target
from evidence.models import EvidenceItem

__all__ = [
    "ConsentRefused",
    "Consents",
    "UseRule",
    "concerned_survivors",
    "require_use",
    "undetermined",
    "use_allowed",
    "use_rule",
]


@dataclass(frozen=True, slots=True)
class Consents:
    record_ids: list[int]
    targets: list[Target]

    @property
    def first(self) -> int | None:
        return self.record_ids[0] if self.record_ids else None


def require_use(
    *, item: EvidenceItem, user: Any, request: HttpRequest | None, acting_as: ActingAs | None, purpose: str
) -> Consents:
    """Every survivor the item concerns must consent to the team holding and using it (STORE_EVIDENCE).

    The rule is ``use_rule``'s. Call before the action's own transaction: a refusal is recorded by the
    consent service and must survive; raises ``ConsentRefused`` with a message safe to show.
    """
    rule = use_rule(item)
    if rule.undetermined:
        _refuse_undetermined(item=item, user=user, request=request, acting_as=acting_as, purpose=purpose)
    if not rule.survivors:
        return Consents([], [])
    records = require_all(
        survivors=rule.survivors,
        action=USE_ACTION,
        target="",
        user=user,
        request=request,
        acting_as=acting_as,
        purpose=purpose,
    )
    return Consents([int(r.pk) for r in records], [survivor_target(s.pk) for s in rule.survivors])


def use_allowed(item: EvidenceItem) -> bool:
    """Whether ``require_use`` would allow the item's use now, asked without recording anything.

    For work that must not start without consent but whose outcome is recorded afterwards together
    with the recorded check (``require_use``, which decides again and may still refuse). Both read
    ``use_rule``, and ``cases.consent.require`` decides each survivor with the same ``evaluate``.
    """
    rule = use_rule(item)
    if rule.undetermined:
        return False
    return all(evaluate(s, USE_ACTION).allowed for s in rule.survivors)


USE_ACTION: Final = ConsentAction.STORE_EVIDENCE


@dataclass(frozen=True, slots=True)
class UseRule:
    """What using an item's content needs: each survivor's consent to ``USE_ACTION``, or nothing, or a refusal."""

    survivors: list[Survivor]
    # Refused whatever anyone consented to: nobody has said whom the item concerns.
    undetermined: bool


def use_rule(item: EvidenceItem) -> UseRule:
    """The rule (fail closed) for using an item's content, shared by ``require_use`` and ``use_allowed``.

    An item linked to survivors needs every one of them to consent. An item of a case with survivors
    that is linked to none opens only once an editor marked it as concerning no survivor; until then it
    is refused as undetermined. A copy (redacted or converted) concerns the survivors of its original as
    well as its own. Only an item of a case without any survivor, or one marked "concerns no survivor",
    needs no consent.
    """
    survivors = concerned_survivors(item)
    return UseRule(survivors=survivors, undetermined=not survivors and undetermined(item))


UNDETERMINED = _(
    "Refused: this item's case has survivors and the item is linked to none of them. An editor of the case "
    "must link the survivors it concerns, or mark it as concerning no survivor, before its content is used."
)


def concerned_survivors(item: EvidenceItem) -> list[Survivor]:
    """The survivors whose consent the item's content needs: its own links and, for a copy, its original's."""
    survivors = {s.pk: s for s in item.survivors.all()}
    if item.derivative_of_id is not None:
        survivors.update({s.pk: s for s in Survivor.objects.filter(evidence_items=item.derivative_of_id)})
    return list(survivors.values())


def undetermined(item: EvidenceItem) -> bool:
    """True while nobody has said whom an item of a case with survivors concerns (no link, no explicit mark)."""
    marked = item.no_survivor_material
    if item.derivative_of is not None:
        marked = marked or item.derivative_of.no_survivor_material
    return not marked and Survivor.objects.filter(case_id=item.case_id).exists()


def _refuse_undetermined(
    *, item: EvidenceItem, user: Any, request: HttpRequest | None, acting_as: ActingAs | None, purpose: str
) -> NoReturn:
    # Recorded in its own transaction: the refused action never starts, the refusal must stay.
    with transaction.atomic():
        record(
            action=Action.CONSENT_REFUSED,
            outcome=Outcome.DENIED,
            user=user,
            request=request,
            acting_as=acting_as,
            purpose=purpose,
            case_id=item.case_id,
            targets=[item_target(item.pk)],
            details={"action": str(USE_ACTION), "target": "", "state": "undetermined"},
        )
    raise ConsentRefused(UNDETERMINED, state=State.NONE, survivor_id=0, action=USE_ACTION, target="")
