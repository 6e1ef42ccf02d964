"""Grants limited to chosen items: the survivors concerned are those linked to the items."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from audit.services import ActingAs, UserLike
from cases.models import Case, Grant, Survivor
from cases.sharing import GrantInvalid, do_grant
from evidence.models import EvidenceItem
from evidence.sharing_models import GrantedItem


def do_grant_items(
    *,
    case: Case,
    items: Sequence[EvidenceItem],
    grantee_team: Any,
    level: str,
    rights: Sequence[str],
    purpose: str,
    user: UserLike,
    grantee_user: Any = None,
    expires_at: datetime.datetime | None = None,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> Grant:
    """A grant on these items of ``case`` (and their derivatives), resting on their survivors' consent."""
    if not items or any(item.case_id != case.pk for item in items):
        raise GrantInvalid(_("Choose one or more items of this case."))
    originals = {item.derivative_of_id or item.pk for item in items}
    survivors = Survivor.objects.filter(evidence_items__pk__in=[*originals, *(i.pk for i in items)]).distinct()

    def link(grant: Grant) -> list[int]:
        GrantedItem.objects.bulk_create([GrantedItem(grant=grant, item=item) for item in items])
        return sorted(item.pk for item in items)

    return do_grant(
        case=case,
        grantee_team=grantee_team,
        grantee_user=grantee_user,
        level=level,
        rights=rights,
        purpose=purpose,
        user=user,
        expires_at=expires_at,
        survivors=list(survivors),
        link_items=link,
        request=request,
        acting_as=acting_as,
    )
