"""What goes into a production, item by item: the original, the newest redacted copy, or nothing.

The order of the checks is the order of the reasons a withholding log gives: withheld by hand
(privilege), no content, a survivor's consent missing for the forum, then the level the policy
allows the builder and the recipient (originals only where the grant level and data residency
permit them; otherwise the newest released redacted copy; otherwise withheld).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop

from cases.consent import evaluate
from cases.models import ConsentAction, Survivor
from evidence.access import item_ref
from evidence.consent import concerned_survivors, undetermined
from evidence.models import EvidenceItem, Kind, State
from evidence.production_models import ProducedForm, Production, ProductionItem
from evidence.production_selectors import newest_redacted_copy
from evidence.production_texts import Stored, deferred, english
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
    # The reason as stored for each reader's language (production_texts); ``reason`` is its English text.
    text: Stored = field(default_factory=dict)
    reason: str = ""


def _outcome(form: str, produced: EvidenceItem | None, code: str, text: Stored) -> Outcome:
    return Outcome(form, produced, code, text, english(text)[:300])


def _withheld(code: str, text: Stored) -> Outcome:
    return _outcome(ProducedForm.WITHHELD, None, code, text)


def recipient_country(production: Production) -> str:
    if production.recipient_team_id is not None and production.recipient_team is not None:
        return str(production.recipient_team.jurisdiction.country)
    return str(production.recipient_country).upper()


def residency_limited(production: Production) -> bool:
    """The owner keeps originals in the case's country and the recipient is elsewhere, or not said where."""
    if not production.case.organisation.originals_stay_in_jurisdiction:
        return False
    return recipient_country(production) != str(production.case.host_jurisdiction.country)


def consent_gap(item: EvidenceItem, forum: str) -> Stored:
    """Why the survivors' consent does not cover using ``item`` before ``forum``; empty when it does."""
    survivors: list[Survivor] = concerned_survivors(item)
    if not survivors:
        if undetermined(item):
            return deferred(
                gettext_noop("Nobody has said which survivors this item concerns; consent cannot be checked.")
            )
        return {}
    for survivor in survivors:
        for action, target in ((ConsentAction.STORE_EVIDENCE, ""), (ConsentAction.PROCEEDINGS, forum)):
            effective = evaluate(survivor, action, target)
            if not effective.allowed:
                return consent_missing(survivor, action, target, effective.state)
    return {}


def consent_missing(survivor: Survivor, action: str, target: str, state: str) -> Stored:
    """The in-vault reason naming the survivor's pseudonym, the consent and its state (a code, shown by label)."""
    if target:
        msgid = gettext_noop(
            "Consent missing: %(survivor)s has no effective consent to “%(action)s %(target)s” (%(state)s)."
        )
        return deferred(msgid, survivor=survivor.code, action=str(action), target=target, state=str(state))
    msgid = gettext_noop("Consent missing: %(survivor)s has no effective consent to “%(action)s” (%(state)s).")
    return deferred(msgid, survivor=survivor.code, action=str(action), state=str(state))


def decide_row(row: ProductionItem, *, actor: Actor, production: Production, case_ref: CaseRef) -> Outcome:
    item = row.item
    if row.privileged:
        by_hand = deferred(gettext_noop("Withheld by hand."))
        return Outcome(ProducedForm.WITHHELD, None, "privilege", by_hand, row.privilege_reason or english(by_hand))
    if item.kind != Kind.DIGITAL or item.state != State.STORED:
        no_content = gettext_noop("The vault holds no content for this item (physical or crypto-shredded).")
        return _withheld("unavailable", deferred(no_content))
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
            return _outcome(ProducedForm.REDACTED, copy, "redacted", deferred(_why_not_original(limited, production)))
    if copy is None:
        no_copy = gettext_noop("Originals are not allowed here and no redacted copy was released.")
        return _withheld("no_redacted_copy", deferred(no_copy))
    return _withheld(
        "grant_level", deferred(gettext_noop("The recipient team's grant does not reach this item's content."))
    )


def _why_not_original(limited: bool, production: Production) -> str:
    if limited:
        return gettext_noop("Originals stay in the case's country (data residency).")
    if production.recipient_team_id is not None:
        return gettext_noop("The recipient team's grant does not reach originals.")
    return gettext_noop("Originals are not allowed to the person building the production.")


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
