"""Survivors' consent for using an item's content (viewing or downloading it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from audit.services import ActingAs, Target
from cases.consent import ConsentRefused, require_all, survivor_target
from cases.models import ConsentAction
from evidence.models import EvidenceItem

__all__ = ["ConsentRefused", "Consents", "require_use"]


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

    Call before the action's own transaction: a refusal is recorded by the consent service and must
    survive; raises ``ConsentRefused`` with a message safe to show.
    """
    survivors = list(item.survivors.all())
    if not survivors:
        return Consents([], [])
    records = require_all(
        survivors=survivors,
        action=ConsentAction.STORE_EVIDENCE,
        target="",
        user=user,
        request=request,
        acting_as=acting_as,
        purpose=purpose,
    )
    return Consents([int(r.pk) for r in records], [survivor_target(s.pk) for s in survivors])
