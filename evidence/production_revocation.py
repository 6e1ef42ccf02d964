"""Productions that hold a crypto-shredded item: revoked and their package destroyed with the item.

A package is sealed under a data key of its own, so destroying an item's keys does not reach the
copy of its content inside a package. Shredding therefore revokes every production whose package
holds the item (its original, a duplicate or a redacted copy of it), destroys the package's keys and
deletes its stored object, in the shred's transaction: "keys destroyed = content gone" holds for
everything that was ever produced too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from audit.actions import Action
from audit.services import ActingAs, record
from evidence import storage
from evidence.access import case_target, item_target
from evidence.production_access import production_target
from evidence.production_models import ProducedForm, Production, ProductionItem, ProductionKey, ProductionState

SHREDDED = "item shredded"
# A draft or failed production holds no package; its next build withholds the shredded item.
HOLDING_A_PACKAGE = (ProductionState.BUILDING, ProductionState.BUILT, ProductionState.RELEASED)


def included_rows(item_ids: Sequence[int]) -> QuerySet[ProductionItem]:
    """Rows that put these items in a package: the item, a duplicate of it, or a redacted copy of it.

    A withheld row put nothing of the item in the package, so it is not one of them.
    """
    held = Q(item_id__in=item_ids) | Q(produced_id__in=item_ids)
    held |= Q(produced__derivative_of_id__in=item_ids) | Q(item__duplicate_of_id__in=item_ids)
    return ProductionItem.objects.exclude(form=ProducedForm.WITHHELD).filter(held)


def productions_holding(item_ids: Sequence[int]) -> list[Production]:
    """Productions with a package (or a build under way) that includes any of these items."""
    rows = Q(rows__in=included_rows(item_ids))
    # A production revoked by hand keeps its (unreadable to all) package: it is destroyed here too.
    holding = Q(state__in=HOLDING_A_PACKAGE) | (Q(state=ProductionState.REVOKED) & ~Q(object_key=""))
    ids = set(Production.objects.filter(rows).filter(holding).values_list("pk", flat=True))
    locked = Production.objects.select_for_update(of=("self",)).select_related("case")
    return list(locked.filter(holding, pk__in=ids).order_by("pk"))


def destroy_package(production: Production) -> None:
    """Forget the package's keys now and delete its object once the transaction commits."""
    ProductionKey.objects.filter(production=production).delete()
    alias, key = production.storage_location, production.object_key
    if key:
        transaction.on_commit(lambda: _delete_quietly(alias, key))
    production.object_key = ""


def _delete_quietly(alias: str, key: str) -> None:
    # Without its keys the object is ciphertext nobody can open; a storage outage leaves only that.
    with contextlib.suppress(storage.StorageUnavailable):
        storage.delete(alias, key)


def revoke_for_shredded(
    *, item_ids: Sequence[int], user: Any, acting_as: ActingAs | None = None, request: Any = None
) -> list[Production]:
    """Run inside the shred's transaction: revoke each production holding the items, audited."""
    revoked = productions_holding(item_ids)
    for production in revoked:
        before = production.state
        destroy_package(production)
        production.state = ProductionState.REVOKED
        production.save(update_fields=["state", "object_key"])
        record(
            action=Action.PRODUCTION_REVOKED,
            user=user,
            acting_as=acting_as,
            request=request,
            purpose="court production",
            case_id=production.case_id,
            targets=[
                case_target(production.case_id),
                production_target(production.pk),
                *[item_target(i) for i in item_ids],
            ],
            details={
                "production": production.reference,
                "reason": SHREDDED,
                "previous_state": before,
                "package_destroyed": True,
            },
        )
    return revoked
