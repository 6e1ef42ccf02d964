"""Which survivors an evidence item concerns: the link that decides whose consent opens its content."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from audit.actions import Action
from audit.services import ActingAs, record
from cases.consent import survivor_target
from cases.models import Grant, GrantState, Survivor
from cases.sharing import do_recheck_grants
from evidence.access import item_target
from evidence.models import EvidenceItem
from evidence.production_linking import recheck_for_linked
from evidence.sharing_models import GrantedItem


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
    """Replace the item's survivor links (or mark it as concerning no survivor), audited with before and after.

    The survivors newly linked are judged by ``recheck_new_links`` in the link's transaction.
    """
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
        added = [s for s in chosen if s.pk not in before]
        rechecked = recheck_new_links(item=locked, added=added, user=user, acting_as=acting_as, request=request)
        record(
            action=Action.EVIDENCE_SURVIVORS_LINKED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=locked.case_id,
            targets=[item_target(locked.pk), *(survivor_target(pk) for pk in sorted({*before, *after}))],
            details={
                "before": before,
                "after": after,
                "no_survivor_material": no_survivor_material,
                **rechecked,
            },
        )
    return locked


def recheck_new_links(
    *,
    item: EvidenceItem,
    added: Sequence[Survivor],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> dict[str, list[int]]:
    """Judge what already reaches ``item`` against survivors just linked to it; run in the link's transaction.

    Every path that links survivors to an item (the survivors page, and intake: web, resumable and
    ``vault_ingest``) comes through here, because a whole-case grant already reaches an item the moment
    it is stored. A survivor newly linked must consent to every live grant reaching the item that needs
    consent (``cases.sharing.do_recheck_grants``): registered as a dependency, or the grant is suspended;
    and to every released production holding it (``evidence.production_linking``): the same, or its
    downloads stop. Returns the grants and productions judged, by outcome, for the link's audit event.
    """
    if not added:
        return {}
    grants = do_recheck_grants(
        grants=grants_covering(item), survivors=added, user=user, request=request, acting_as=acting_as
    )
    productions = recheck_for_linked(item_id=item.pk, survivors=added, user=user, acting_as=acting_as, request=request)
    return {
        **{f"grants_{outcome}": ids for outcome, ids in grants.items() if ids},
        **{f"productions_{outcome}": ids for outcome, ids in productions.items() if ids},
    }


def grants_covering(item: EvidenceItem) -> list[Grant]:
    """The live grants that reach ``item``: whole-case grants and those on it, its original or its copies.

    A grant on chosen items covers their derivatives; a copy concerns its original's survivors, so a
    grant on a copy is covered by a link made on the original too.
    """
    related = {item.pk, *EvidenceItem.objects.filter(derivative_of=item).values_list("pk", flat=True)}
    if item.derivative_of_id is not None:
        related.add(item.derivative_of_id)
    scoped = GrantedItem.objects.filter(item_id__in=related).values_list("grant_id", flat=True)
    live = Grant.objects.filter(case_id=item.case_id, state=GrantState.ACTIVE, expires_at__gt=timezone.now())
    return list(live.filter(Q(item_scoped=False) | Q(pk__in=scoped)).order_by("pk"))
