"""A survivor linked later to an item of a released production: their consent is asked for that production.

The release registered the consent of every survivor its items concerned then. A survivor linked
afterwards must consent to storage and to use before the production's forum too: registered as
dependencies when given (a later withdrawal suspends the downloads), else the downloads stop at once.
A built production that is not yet released needs nothing here: its release re-checks every survivor.
Once the consents are recorded, a coalition lead of the owning organisation lifts the suspension
(``do_lift_suspension``), which checks them again at that moment. A production holding originals lets
them leave again only with a second coalition lead's approval, as its release did: the same approval
(``export_originals`` on the production), asked for again (``do_request_lift_approval``) and used once
by the lift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import Action, Outcome
from audit.services import ActingAs
from cases import notices
from cases.approvals import ApprovalRefused, usable_approval, use_approval
from cases.consent import ConsentRefused, register_dependency, require_all, survivor_target
from cases.models import ApprovalKind, ApprovalRequest, ConsentAction, ConsentRecord, Grant, Survivor
from cases.services import do_notify_people
from cases.sharing import leads_of
from evidence.access import item_target
from evidence.production_models import Production, ProductionState
from evidence.production_revocation import included_rows
from evidence.production_selectors import DEPENDENCY_KIND, consent_withdrawn
from evidence.production_services import (
    PURPOSE,
    ProductionRefused,
    _record,
    approval_subject,
    ask_originals_approval,
    concerned,
    recheck_consent,
)


def recheck_for_linked(
    *,
    item_id: int,
    survivors: Sequence[Survivor],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> dict[str, list[int]]:
    """Run in the link's transaction: the released productions holding the item, kept or suspended."""
    outcome: dict[str, list[int]] = {"kept": [], "suspended": []}
    if not survivors:
        return outcome
    ids = set(included_rows([item_id]).values_list("production_id", flat=True))
    locked = Production.objects.select_for_update(of=("self",)).select_related("case", "released_by")
    for production in locked.filter(pk__in=ids, state=ProductionState.RELEASED).order_by("pk"):
        records = _consents(production, survivors, user, acting_as, request)
        if isinstance(records, ConsentRefused):
            _suspend(production, item_id, survivors, user, acting_as, request)
            _tell(production, records, survivors)
            outcome["suspended"].append(production.pk)
        else:
            for record in records:
                register_dependency(consent_record=record, kind=DEPENDENCY_KIND, object_id=production.pk)
            outcome["kept"].append(production.pk)
    return outcome


def _consents(
    production: Production,
    survivors: Sequence[Survivor],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> list[ConsentRecord] | ConsentRefused:
    """The recorded consents to storage and to this forum, or the refusal of one missing (recorded)."""
    common: dict[str, Any] = {"user": user, "request": request, "acting_as": acting_as, "purpose": PURPOSE}
    try:
        stored = require_all(survivors=list(survivors), action=ConsentAction.STORE_EVIDENCE, **common)
        forum = require_all(
            survivors=list(survivors), action=ConsentAction.PROCEEDINGS, target=production.forum, **common
        )
    except ConsentRefused as refused:
        return refused
    return [*stored, *forum]


def _suspend(
    production: Production,
    item_id: int,
    survivors: Sequence[Survivor],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> None:
    if production.consent_suspended_at is None:
        production.consent_suspended_at = timezone.now()
        production.save(update_fields=["consent_suspended_at"])
    _record(
        Action.PRODUCTION_SUSPENDED,
        production,
        user,
        acting_as,
        request,
        targets=[item_target(item_id), *(survivor_target(s.pk) for s in survivors)],
        reason="consent missing for a survivor linked later",
    )


def _tell(production: Production, refused: ConsentRefused, survivors: Sequence[Survivor]) -> None:
    """Notify the owner organisation's leads, the person who released it and the grantors of its recipient's grants.

    Stored as a code read in each reader's language. Only the owning side is told which survivor and
    which consent: the grantors are of the owning organisation too (grants are made by the case's owner).
    """
    case = production.case
    survivor = next((s for s in survivors if s.pk == refused.survivor_id), None)
    grantors = Grant.objects.filter(pk__in=production.recipient_grants).select_related("granted_by")
    people = [*leads_of(case), production.released_by, *(g.granted_by for g in grantors)]
    params = {
        "case": case.reference,
        "production": production.reference,
        "survivor": survivor.code if survivor else "",
        "action": refused.action,
    }
    do_notify_people(case=case, users=people, code=notices.PRODUCTION_SUSPENDED, params=params)


WITHDRAWN = gettext_lazy(
    "A survivor withdrew a consent this production relies on: its downloads stay stopped. Build a new production "
    "once the survivor consents again."
)


NOT_SUSPENDED = gettext_lazy("This production's downloads are not stopped for a survivor linked later.")


def do_request_lift_approval(
    *,
    production: Production,
    user: Any,
    purpose: str,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> ApprovalRequest:
    """Ask a second coalition lead to approve resuming the downloads of a production holding originals.

    The release's kind and subject: resuming lets the originals leave again, so the approval the
    release used is asked for once more, by the lead who will resume.
    """
    if not production.contains_originals:
        raise ProductionRefused(_("Only a production that contains originals needs a second approval to resume."))
    if production.state != ProductionState.RELEASED or production.consent_suspended_at is None:
        raise ProductionRefused(str(NOT_SUSPENDED))
    if consent_withdrawn(production):
        raise ProductionRefused(str(WITHDRAWN))
    return ask_originals_approval(
        production=production, user=user, purpose=purpose, acting_as=acting_as, request=request
    )


def do_lift_suspension(
    *, production: Production, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> Production:
    """Resume the downloads a survivor linked later stopped, once the consents it lacked are on record.

    Decided at this moment by the release's rule (``recheck_consent``, recorded): every survivor the
    included items concern now consents to storage and to the production's forum, or the lift is
    refused and the refusal kept (``production.suspension_lift_refused``). The consents are registered
    as dependencies and the suspension cleared in one transaction with its event
    (``production.suspension_lifted``: the downloads are released again). A withdrawal's suspension is never
    lifted: it is the survivor's own decision, and a new production asks them again. A production
    holding originals also needs a second coalition lead's approval of the person resuming, used in
    the lift's transaction, as its release did.
    """
    if consent_withdrawn(production):
        raise _refuse_lift(production, user, acting_as, request, str(WITHDRAWN))
    try:
        records = recheck_consent(production, user, request, acting_as)
    except ConsentRefused as refused:
        message = _("The downloads stay stopped: %(reason)s") % {"reason": refused.message}
        raise _refuse_lift(production, user, acting_as, request, message) from refused
    if production.contains_originals and not usable_approval(
        kind=ApprovalKind.EXPORT_ORIGINALS, case=production.case, subject=approval_subject(production), user=user
    ):
        message = _("This production contains originals: a second coalition lead must approve your request first.")
        raise _refuse_lift(production, user, acting_as, request, message)
    try:
        return _lift(production, records, user, acting_as, request)
    except ConsentRefused as refused:
        # Withdrawn since the check above: registering it as a dependency refuses.
        message = _("The downloads stay stopped: %(reason)s") % {"reason": refused.message}
        raise _refuse_lift(production, user, acting_as, request, message) from refused
    except ApprovalRefused as refused:
        # Used or withdrawn since the check above.
        raise _refuse_lift(production, user, acting_as, request, refused.message) from refused
    except ProductionRefused as refused:
        raise _refuse_lift(production, user, acting_as, request, refused.message) from refused


def _lift(
    production: Production,
    records: list[ConsentRecord],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> Production:
    with transaction.atomic():
        # The production's lock is the one a link takes (``recheck_for_linked``): no survivor is linked between
        # the comparison below and the commit.
        locked = Production.objects.select_for_update().select_related("case").get(pk=production.pk)
        if locked.state != ProductionState.RELEASED or locked.consent_suspended_at is None:
            raise ProductionRefused(str(NOT_SUSPENDED))
        if consent_withdrawn(locked):
            raise ProductionRefused(str(WITHDRAWN))
        checked = {r.survivor_id for r in records}
        if not {s.pk for s in concerned(locked)} <= checked:
            raise ProductionRefused(_("A survivor was linked to one of its items meanwhile: try again."))
        approval = None
        if locked.contains_originals:
            approval = use_approval(
                kind=ApprovalKind.EXPORT_ORIGINALS, case=locked.case, subject=approval_subject(locked), user=user
            )
        for consent in records:
            register_dependency(consent_record=consent, kind=DEPENDENCY_KIND, object_id=locked.pk)
        suspended_at = locked.consent_suspended_at
        locked.consent_suspended_at = None
        locked.save(update_fields=["consent_suspended_at"])
        _record(
            Action.PRODUCTION_SUSPENSION_LIFTED,
            locked,
            user,
            acting_as,
            request,
            consent_record_id=records[0].pk if records else None,
            targets=[survivor_target(pk) for pk in sorted(checked)],
            consents=[r.pk for r in records],
            suspension_lifted=suspended_at.isoformat(),
            approval=approval.pk if approval else None,
        )
    return locked


def _refuse_lift(
    production: Production, user: Any, acting_as: ActingAs | None, request: HttpRequest | None, message: str
) -> ProductionRefused:
    with transaction.atomic():
        _record(
            Action.PRODUCTION_SUSPENSION_LIFT_REFUSED,
            production,
            user,
            acting_as,
            request,
            outcome=Outcome.DENIED,
            reason=str(message),
            step="lift_suspension",
        )
    return ProductionRefused(str(message))
