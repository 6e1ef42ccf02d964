"""What goes into a production, item by item: the original, the newest redacted copy, or nothing.

The order of the checks is the order of the reasons a withholding log gives: withheld by hand
(privilege), no content, a survivor's consent missing for the forum, then the level the policy
allows the builder and the recipient (originals only where the grant level and data residency
permit them; otherwise the newest released redacted copy; otherwise withheld).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cases.consent import evaluate
from cases.models import ConsentAction, Survivor
from evidence.access import item_ref
from evidence.consent import concerned_survivors, undetermined
from evidence.models import EvidenceItem, Kind, State
from evidence.production_models import ProducedForm, Production, ProductionItem
from evidence.production_selectors import newest_redacted_copy
from teams.policy import (
    Actor,
    CaseRef,
    ProducedItemRef,
    production_allows_original,
    production_allows_redacted,
    production_justifying_grant,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    form: str
    produced: EvidenceItem | None
    reason_code: str = ""
    reason: str = ""


def _withheld(code: str, reason: str) -> Outcome:
    return Outcome(ProducedForm.WITHHELD, None, code, reason[:300])


def recipient_country(production: Production) -> str:
    if production.recipient_team_id is not None and production.recipient_team is not None:
        return str(production.recipient_team.jurisdiction.country)
    return str(production.recipient_country).upper()


def residency_limited(production: Production) -> bool:
    """The owner keeps originals in the case's country and the recipient is elsewhere, or not said where."""
    if not production.case.organisation.originals_stay_in_jurisdiction:
        return False
    return recipient_country(production) != str(production.case.host_jurisdiction.country)


def consent_gap(item: EvidenceItem, forum: str) -> str:
    """Why the survivors' consent does not cover using ``item`` before ``forum``; empty when it does."""
    survivors: list[Survivor] = concerned_survivors(item)
    if not survivors:
        if undetermined(item):
            return _("Nobody has said which survivors this item concerns; consent cannot be checked.")
        return ""
    for survivor in survivors:
        for action, target in ((ConsentAction.STORE_EVIDENCE, ""), (ConsentAction.PROCEEDINGS, forum)):
            effective = evaluate(survivor, action, target)
            if not effective.allowed:
                return _("Consent missing: %(survivor)s has no effective consent to “%(action)s” (%(state)s).") % {
                    "survivor": survivor.code,
                    "action": f"{ConsentAction(action).label} {target}".strip(),
                    "state": effective.state.value,
                }
    return ""


def decide_row(row: ProductionItem, *, actor: Actor, production: Production, case_ref: CaseRef) -> Outcome:
    item = row.item
    if row.privileged:
        return _withheld("privilege", row.privilege_reason or _("Withheld by hand."))
    if item.kind != Kind.DIGITAL or item.state != State.STORED:
        return _withheld("unavailable", _("The vault holds no content for this item (physical or crypto-shredded)."))
    gap = consent_gap(item, production.forum)
    if gap:
        return _withheld("consent", gap)
    limited = residency_limited(production)
    ref = ProducedItemRef(item_ref(item, case_ref), production.recipient_team_id, limited)
    if production_allows_original(actor, ref):
        return Outcome(ProducedForm.ORIGINAL, item)
    copy = newest_redacted_copy(item)
    if copy is not None:
        copy_ref = ProducedItemRef(item_ref(copy, case_ref), production.recipient_team_id, limited)
        if production_allows_redacted(actor, copy_ref):
            return Outcome(ProducedForm.REDACTED, copy, "redacted", _why_not_original(limited, production))
    if copy is None:
        return _withheld("no_redacted_copy", _("Originals are not allowed here and no redacted copy was released."))
    return _withheld("grant_level", _("The recipient team's grant does not reach this item's content."))


def _why_not_original(limited: bool, production: Production) -> str:
    if limited:
        return _("Originals stay in the case's country (data residency).")
    if production.recipient_team_id is not None:
        return _("The recipient team's grant does not reach originals.")
    return _("Originals are not allowed to the person building the production.")


def justifying_grants(production: Production, rows: Iterable[ProductionItem]) -> tuple[list[int], list[int]]:
    """The recipient team's grants allowing each included row's form, and the rows no live grant allows."""
    if production.recipient_team_id is None:
        return [], []
    case_ref = production.case.as_ref()
    limited = residency_limited(production)
    found: set[int] = set()
    unjustified: list[int] = []
    for row in rows:
        if row.form == ProducedForm.WITHHELD or row.produced is None:
            continue
        ref = ProducedItemRef(item_ref(row.produced, case_ref), production.recipient_team_id, limited)
        grant = production_justifying_grant(ref, original=row.form == ProducedForm.ORIGINAL)
        if grant is None:
            unjustified.append(row.pk)
        else:
            found.add(grant)
    return sorted(found), unjustified
