"""Court production steps people take: create, select items, withhold by hand, decide, build, release.

Each step checks the production's state under a row lock and records its audit event in the same
transaction. Consent is checked through ``cases.consent`` (recorded) before the transaction of the
step it guards, so a refusal stays recorded when the step does not happen.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, record
from cases.approvals import ApprovalRefused, do_decide_approval, do_request_approval, usable_approval, use_approval
from cases.consent import ConsentRefused, register_dependency, require_all, survivor_target
from cases.models import ApprovalKind, ApprovalRequest, Case, ConsentAction, ConsentRecord, Survivor
from evidence.access import case_target, item_target
from evidence.consent import concerned_survivors
from evidence.models import EvidenceItem, State
from evidence.production_access import production_target
from evidence.production_decisions import decide_row
from evidence.production_models import ProducedForm, Production, ProductionItem, ProductionState, SavedSearch
from evidence.production_selectors import (
    DEPENDENCY_KIND,
    ItemFilter,
    default_bates_prefix,
    prefix_used_elsewhere,
    selectable_items,
)
from evidence.production_tasks import build_production
from teams.models import Organisation, Team
from teams.policy import actor_for

PURPOSE = "court production"
EDITABLE = frozenset({ProductionState.DRAFT, ProductionState.FAILED})
MAX_ITEMS = 5000


class ProductionRefused(Exception):
    """The step cannot happen now; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def approval_subject(production: Production) -> str:
    return f"production:{production.pk}"


def _record(
    action: Action,
    production: Production,
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
    *,
    targets: Iterable[Target] = (),
    outcome: Outcome = Outcome.ALLOWED,
    consent_record_id: int | None = None,
    **details: Any,
) -> None:
    record(
        action=action,
        outcome=outcome,
        user=user,
        acting_as=acting_as,
        request=request,
        purpose=PURPOSE,
        consent_record_id=consent_record_id,
        case_id=production.case_id,
        targets=[case_target(production.case_id), production_target(production.pk), *targets],
        details={"production": production.reference, **details},
    )


def _locked(production: Production, states: Iterable[str]) -> Production:
    locked = Production.objects.select_for_update().select_related("case").get(pk=production.pk)
    if locked.state not in set(states):
        raise ProductionRefused(
            _("This production is no longer at that step (now: %(state)s).") % {"state": locked.get_state_display()}
        )
    return locked


def do_create_production(
    *,
    case: Case,
    recipient: str,
    forum: str,
    purpose: str,
    user: Any,
    recipient_team: Team | None = None,
    recipient_country: str = "",
    recipient_key: str = "",
    bates_prefix: str = "",
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> Production:
    recipient_country = recipient_country.strip().upper()
    if recipient_country and recipient_country not in countries:
        raise ProductionRefused(_("The recipient's country must be an ISO 3166 country code, e.g. FR."))
    prefix = bates_prefix.strip() or default_bates_prefix(case)
    with transaction.atomic():
        # The organisation's lock: two cases choosing the same prefix at once cannot both pass the check.
        Organisation.objects.select_for_update().filter(pk=case.organisation_id).first()
        if prefix_used_elsewhere(case, prefix):
            raise ProductionRefused(
                _("Another case's productions use this Bates prefix: choose one of this case's own.")
            )
        Case.objects.select_for_update().filter(pk=case.pk).first()
        number = (Production.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
        production = Production.objects.create(
            case=case,
            number=number,
            recipient=recipient.strip(),
            forum=forum.strip(),
            purpose=purpose.strip(),
            recipient_team=recipient_team,
            recipient_country=recipient_country,
            recipient_key=recipient_key.strip(),
            bates_prefix=prefix,
            created_by=user,
        )
        _record(
            Action.PRODUCTION_CREATED,
            production,
            user,
            acting_as,
            request,
            recipient=production.recipient,
            forum=production.forum,
            recipient_team=production.recipient_team_id,
            encrypted_to_recipient=bool(production.recipient_key),
        )
    return production


def do_select_items(
    *,
    production: Production,
    items: Sequence[EvidenceItem],
    user: Any,
    remove: bool = False,
    source: str = "hand",
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Add (or remove) items of the production's case; only originals of that case are taken."""
    allowed = set(selectable_items(production.case).filter(pk__in=[i.pk for i in items]).values_list("pk", flat=True))
    with transaction.atomic():
        production = _locked(production, EDITABLE)
        if remove:
            changed, _kinds = ProductionItem.objects.filter(production=production, item_id__in=allowed).delete()
        else:
            present = set(production.rows.values_list("item_id", flat=True))
            new = sorted(allowed - present)
            if len(present) + len(new) > MAX_ITEMS:
                raise ProductionRefused(_("A production holds at most %(n)s items.") % {"n": MAX_ITEMS})
            ProductionItem.objects.bulk_create([ProductionItem(production=production, item_id=i) for i in new])
            changed = len(new)
        _record(
            Action.PRODUCTION_ITEMS_SELECTED,
            production,
            user,
            acting_as,
            request,
            targets=[item_target(i) for i in sorted(allowed)],
            removed=remove,
            changed=changed,
            source=source,
        )
    return changed


def do_save_search(
    *,
    case: Case,
    name: str,
    wanted: ItemFilter,
    user: Any,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> SavedSearch:
    name = " ".join(name.split())[:80]
    if not name:
        raise ProductionRefused(_("Give the search a name."))
    with transaction.atomic():
        search, _created = SavedSearch.objects.update_or_create(
            case=case, name=name, defaults={"filters": wanted.as_json(), "created_by": user}
        )
        record(
            action=Action.PRODUCTION_SEARCH_SAVED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=case.pk,
            targets=[case_target(case.pk), Target("evidence.saved_search", search.pk)],
            details={"name": name, "filters": wanted.as_json()},
        )
    return search


def do_withhold_by_hand(
    *,
    production: Production,
    item_id: int,
    reason: str,
    user: Any,
    withhold: bool = True,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> ProductionItem:
    """Withhold an item for privilege (or take that back); the reason goes to the withholding log."""
    reason = " ".join(reason.split())[:300]
    if withhold and len(reason) < 5:
        raise ProductionRefused(_("State why the item is withheld (at least 5 characters)."))
    with transaction.atomic():
        production = _locked(production, EDITABLE)
        row = production.rows.filter(item_id=item_id).first()
        if row is None:
            raise ProductionRefused(_("This item is not part of the production."))
        row.privileged, row.privilege_reason = withhold, reason if withhold else ""
        row.save(update_fields=["privileged", "privilege_reason"])
        _record(
            Action.PRODUCTION_ITEM_PRIVILEGED,
            production,
            user,
            acting_as,
            request,
            targets=[item_target(item_id)],
            withheld=withhold,
            reason=row.privilege_reason,
        )
    return row


def _decide_all(
    production: Production, user: Any, acting_as: ActingAs | None, request: HttpRequest | None
) -> list[ProductionItem]:
    actor = actor_for(user)
    case_ref = production.case.as_ref()
    rows = list(production.rows.select_related("item", "item__case", "item__derivative_of").order_by("item__number"))
    now = timezone.now()
    for row in rows:
        outcome = decide_row(row, actor=actor, production=production, case_ref=case_ref)
        row.form, row.produced = outcome.form, outcome.produced
        row.reason_code, row.reason, row.reason_text = outcome.reason_code, outcome.reason, outcome.text
        row.decided_at = now
        row.save(update_fields=["form", "produced", "reason_code", "reason", "reason_text", "decided_at"])
        _record(
            Action.PRODUCTION_ITEM_DECIDED,
            production,
            user,
            acting_as,
            request,
            targets=[item_target(row.item_id)],
            form=row.form,
            produced=row.produced_id,
            reason_code=row.reason_code,
        )
    return rows


def do_decide(
    *, production: Production, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> list[ProductionItem]:
    """Decide every selected item's form now, for the person preparing the production to review."""
    with transaction.atomic():
        production = _locked(production, EDITABLE)
        return _decide_all(production, user, acting_as, request)


_BUILD_FIELDS = (
    "state",
    "built_by",
    "build_started_at",
    "progress_done",
    "progress_total",
    "failure",
    "build_token",
    "run_token",
    "build_running_at",
    "run_seen_at",
)


def do_start_build(
    *,
    production: Production,
    user: Any,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    queue: bool = True,
) -> Production:
    """Decide every item as the builder, then queue the build (``queue=False``: the caller runs it)."""
    with transaction.atomic():
        production = _locked(production, EDITABLE)
        rows = _decide_all(production, user, acting_as, request)
        if not rows:
            raise ProductionRefused(_("Select at least one item first."))
        included = [r for r in rows if r.form != ProducedForm.WITHHELD]
        production.state, production.built_by, production.build_started_at = (
            ProductionState.BUILDING,
            user,
            timezone.now(),
        )
        production.progress_done, production.progress_total, production.failure = 0, len(included), ""
        production.build_token, production.run_token, production.build_running_at = uuid.uuid4(), None, None
        production.run_seen_at = None
        production.save(update_fields=[*_BUILD_FIELDS])
        _record(
            Action.PRODUCTION_BUILD_STARTED,
            production,
            user,
            acting_as,
            request,
            included=len(included),
            withheld=len(rows) - len(included),
            originals=sum(1 for r in included if r.form == ProducedForm.ORIGINAL),
        )
        if queue:
            build_production.delay_on_commit(production.pk, str(production.build_token))
    return production


def do_request_originals_approval(
    *,
    production: Production,
    user: Any,
    purpose: str,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> ApprovalRequest:
    if not production.contains_originals or production.state != ProductionState.BUILT:
        raise ProductionRefused(_("Only a built production that contains originals needs a second approval."))
    return ask_originals_approval(
        production=production, user=user, purpose=purpose, acting_as=acting_as, request=request
    )


def ask_originals_approval(
    *,
    production: Production,
    user: Any,
    purpose: str,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> ApprovalRequest:
    """The second lead's approval for originals to leave in this production (its release, or its resumption)."""
    if len(purpose.strip()) < 10:
        raise ProductionRefused(_("State why originals must be produced (at least 10 characters)."))
    return do_request_approval(
        kind=ApprovalKind.EXPORT_ORIGINALS,
        case=production.case,
        subject=approval_subject(production),
        purpose=purpose.strip(),
        user=user,
        request=request,
        acting_as=acting_as,
    )


def pending_approval(production: Production) -> ApprovalRequest | None:
    return (
        ApprovalRequest.objects.filter(
            kind=ApprovalKind.EXPORT_ORIGINALS, case=production.case, subject=approval_subject(production)
        )
        .select_related("requested_by", "decided_by")
        .order_by("-pk")
        .first()
    )


def do_decide_originals_approval(
    *,
    production: Production,
    user: Any,
    approve: bool,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> ApprovalRequest:
    """A second coalition lead approves (or declines) the release of the originals; never the requester."""
    approval = pending_approval(production)
    if approval is None:
        raise ProductionRefused(_("Nobody has asked for a second approval of this production."))
    try:
        return do_decide_approval(approval=approval, user=user, approve=approve, request=request, acting_as=acting_as)
    except ApprovalRefused as refused:
        raise ProductionRefused(refused.message) from refused


def _included(production: Production) -> list[ProductionItem]:
    return list(
        production.rows.exclude(form=ProducedForm.WITHHELD)
        .select_related("item", "produced", "produced__derivative_of")
        .order_by("item__number")
    )


def _survivors(rows: Iterable[ProductionItem]) -> list[Survivor]:
    found: dict[int, Survivor] = {}
    for row in rows:
        for survivor in concerned_survivors(row.produced or row.item):
            found[survivor.pk] = survivor
    return [found[k] for k in sorted(found)]


def concerned(production: Production) -> list[Survivor]:
    """Every survivor an included item (or the copy produced from it) concerns now."""
    return _survivors(_included(production))


def recheck_consent(
    production: Production, user: Any, request: HttpRequest | None, acting_as: ActingAs | None
) -> list[ConsentRecord]:
    """Every survivor of every included item must still consent to storage and to this forum (recorded)."""
    survivors = concerned(production)
    common: dict[str, Any] = {"user": user, "request": request, "acting_as": acting_as, "purpose": PURPOSE}
    # Both consents are registered as dependencies: withdrawing either suspends the downloads.
    stored = require_all(survivors=survivors, action=ConsentAction.STORE_EVIDENCE, **common)
    return [
        *stored,
        *require_all(survivors=survivors, action=ConsentAction.PROCEEDINGS, target=production.forum, **common),
    ]


def _gone_from_vault(production: Production) -> bool:
    """An included item (or the copy produced from it) was crypto-shredded since the build."""
    return any(
        row.item.state != State.STORED or (row.produced is not None and row.produced.state != State.STORED)
        for row in _included(production)
    )


def _refuse_release(
    production: Production, user: Any, acting_as: ActingAs | None, request: HttpRequest | None, reason: str
) -> ProductionRefused:
    with transaction.atomic():
        _record(
            Action.PRODUCTION_RELEASE_REFUSED,
            production,
            user,
            acting_as,
            request,
            outcome=Outcome.DENIED,
            reason=reason,
        )
    return ProductionRefused(reason)


def do_release(
    *, production: Production, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> Production:
    """Release a built production: consent re-checked now, a second lead's approval used when it holds originals."""
    if _gone_from_vault(production):
        message = _("An item of this production was crypto-shredded: it can no longer be released.")
        raise _refuse_release(production, user, acting_as, request, message)
    try:
        records = recheck_consent(production, user, request, acting_as)
    except ConsentRefused as refused:
        raise _refuse_release(production, user, acting_as, request, str(refused.message)) from refused
    if production.contains_originals and not usable_approval(
        kind=ApprovalKind.EXPORT_ORIGINALS, case=production.case, subject=approval_subject(production), user=user
    ):
        message = _("This production contains originals: a second coalition lead must approve your request first.")
        raise _refuse_release(production, user, acting_as, request, message)
    try:
        return _release(production, records, user, acting_as, request)
    except (ApprovalRefused, ConsentRefused) as refused:
        # Lost a race since the checks above: an approval used or withdrawn, a consent withdrawn.
        raise _refuse_release(production, user, acting_as, request, str(refused.message)) from refused


def _release(
    production: Production,
    records: list[ConsentRecord],
    user: Any,
    acting_as: ActingAs | None,
    request: HttpRequest | None,
) -> Production:
    with transaction.atomic():
        production = _locked(production, {ProductionState.BUILT})
        approval = None
        if production.contains_originals:
            approval = use_approval(
                kind=ApprovalKind.EXPORT_ORIGINALS,
                case=production.case,
                subject=approval_subject(production),
                user=user,
            )
        for consent in records:
            register_dependency(consent_record=consent, kind=DEPENDENCY_KIND, object_id=production.pk)
        production.state, production.released_by, production.released_at = (
            ProductionState.RELEASED,
            user,
            timezone.now(),
        )
        production.save(update_fields=["state", "released_by", "released_at"])
        _record(
            Action.PRODUCTION_RELEASED,
            production,
            user,
            acting_as,
            request,
            consent_record_id=records[0].pk if records else None,
            targets=[survivor_target(r.survivor_id) for r in records],
            consents=[r.pk for r in records],
            approval=approval.pk if approval else None,
            package_sha256=production.package_sha256,
        )
    return production


def do_revoke(
    *, production: Production, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> Production:
    """Stop a released production's downloads for good (the package stays stored, encrypted)."""
    with transaction.atomic():
        production = _locked(production, {ProductionState.RELEASED})
        production.state = ProductionState.REVOKED
        production.save(update_fields=["state"])
        _record(Action.PRODUCTION_REVOKED, production, user, acting_as, request)
    return production


def do_record_download(
    *,
    production: Production,
    user: Any,
    channel: str,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> None:
    """The package is leaving the vault (web download or command line): recorded before the first byte."""
    with transaction.atomic():
        _record(
            Action.PRODUCTION_DOWNLOADED,
            production,
            user,
            acting_as,
            request,
            channel=channel,
            package_sha256=production.package_sha256,
            package_size=production.package_size,
        )


def do_record_download_stopped(
    *, production: Production, user: Any, reason: str, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        _record(
            Action.PRODUCTION_DOWNLOAD_STOPPED,
            production,
            user,
            None,
            request,
            outcome=Outcome.DENIED,
            reason=reason,
        )
