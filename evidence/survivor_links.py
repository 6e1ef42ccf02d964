"""Which survivors an evidence item concerns: the link that decides whose consent opens its content."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from audit.actions import Action
from audit.services import ActingAs, record
from cases.consent import survivor_target
from cases.models import Survivor
from evidence.access import item_target
from evidence.models import EvidenceItem


class LinkInvalid(ValueError):
    """The links asked for are not consistent; the message is safe to show."""


def do_set_survivors(
    *,
    item: EvidenceItem,
    survivors: Iterable[Survivor],
    no_survivor_material: bool,
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> EvidenceItem:
    """Replace the item's survivor links (or mark it as concerning no survivor), audited with before and after."""
    chosen = list(survivors)
    if any(s.case_id != item.case_id for s in chosen):
        raise LinkInvalid("A survivor of another case cannot be linked to this item.")
    if chosen and no_survivor_material:
        raise LinkInvalid("An item linked to survivors cannot also be marked as concerning no survivor.")
    with transaction.atomic():
        locked = EvidenceItem.objects.select_for_update().get(pk=item.pk)
        before = sorted(locked.survivors.values_list("pk", flat=True))
        locked.survivors.set(chosen)
        locked.no_survivor_material = no_survivor_material
        locked.save(update_fields=["no_survivor_material"])
        after = sorted(s.pk for s in chosen)
        record(
            action=Action.EVIDENCE_SURVIVORS_LINKED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=locked.case_id,
            targets=[item_target(locked.pk), *(survivor_target(pk) for pk in sorted({*before, *after}))],
            details={"before": before, "after": after, "no_survivor_material": no_survivor_material},
        )
    return locked
