"""The access policy: the one place that decides who may do what.

Deny by default. Views, API endpoints, tasks and commands never test roles
themselves: they build an ``Actor`` (``actor_for``) and a resource reference
from the object (``CaseRef``, ``TeamRef``, ...), and ask ``decide``. A
permission with no rule is refused.

The policy works on plain facts (frozen dataclasses) rather than on models of
the apps above it, so that ``cases`` and ``evidence`` depend on ``teams`` and
never the other way round. Each app turns its objects into facts in one
place (its ``access.py``) and gets back a ``Decision``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from teams.models import Membership, Role


class Perm(StrEnum):
    # Platform
    ACCOUNTS_MANAGE = "accounts.manage"
    PLATFORM_AUDIT_VIEW = "audit.view_platform"
    # Teams
    TEAM_VIEW = "team.view"
    TEAM_MANAGE_MEMBERS = "team.manage_members"
    # Cases
    CASE_CREATE = "case.create"
    CASE_VIEW = "case.view"
    CASE_EDIT = "case.edit"
    CASE_AUDIT_VIEW = "case.audit_view"
    SURVIVOR_CREATE = "survivor.create"
    SURVIVOR_VIEW = "survivor.view"
    SURVIVOR_EDIT = "survivor.edit"
    CONSENT_RECORD = "consent.record"
    IDENTITY_REVEAL = "identity.reveal"
    IDENTITY_MANAGE = "identity.manage"
    MHPSS_NOTE_WRITE = "mhpss.write"
    MHPSS_NOTE_READ = "mhpss.read"
    INTERVIEW_RECORD = "interview.record"
    IDENTIFIERS_FOR_REDACTION = "identity.identifiers_for_redaction"
    SURVIVOR_LIST = "survivor.list"
    # -- end of cases permissions --
    # Evidence
    EVIDENCE_VIEW = "evidence.view"
    EVIDENCE_UPLOAD = "evidence.upload"
    EVIDENCE_DOWNLOAD = "evidence.download"
    EVIDENCE_LEGAL_HOLD = "evidence.legal_hold"
    EVIDENCE_SHRED = "evidence.shred"
    EVIDENCE_INTEGRITY_VIEW = "evidence.integrity_view"
    EVIDENCE_SURVIVORS_LINK = "evidence.survivors_link"
    # -- end of evidence permissions --
    # Custody
    CUSTODY_VIEW = "custody.view"
    CUSTODY_HOLD = "custody.hold"
    CUSTODY_PROPOSE = "custody.propose"
    CUSTODY_RESPOND = "custody.respond"
    CUSTODY_CANCEL = "custody.cancel"
    CUSTODY_REPORT = "custody.report"
    PHYSICAL_ITEM_REGISTER = "custody.register_physical"
    AUDIT_ALERTS_VIEW = "audit.alerts_view"
    USER_AUDIT_VIEW = "audit.view_user"
    # -- end of custody permissions --
    # Redaction
    # Sharing
    GRANT_MANAGE = "sharing.grant_manage"
    GRANT_REVIEW = "sharing.review"
    APPROVAL_DECIDE = "sharing.approval_decide"
    ITEM_ANNOTATE = "sharing.annotate"
    REDACTION_PROPOSE = "redaction.propose"
    REDACTION_REVIEW = "redaction.review"
    REDACTION_APPROVE = "redaction.approve"
    # The text behind the marks of an item concerning no survivor: no identity custodian to ask.
    REDACTION_REVEAL_UNLINKED = "redaction.reveal_unlinked"
    # -- end of redaction permissions --
    # Productions
    PRODUCTION_VIEW = "production.view"
    PRODUCTION_MANAGE = "production.manage"
    PRODUCTION_RELEASE = "production.release"
    PRODUCTION_DOWNLOAD = "production.download"
    PRODUCTION_LIFT_SUSPENSION = "production.lift_suspension"
    # -- end of productions permissions --


# Roles that work on case material. The platform administrator is deliberately
# absent: operators manage accounts and see no evidence.
CASE_ROLES: Final = frozenset({Role.COALITION_LEAD, Role.LAWYER, Role.INVESTIGATOR, Role.MHPSS, Role.AUDITOR})
CASE_EDITOR_ROLES: Final = frozenset({Role.COALITION_LEAD, Role.LAWYER, Role.INVESTIGATOR})


@dataclass(frozen=True, slots=True)
class MembershipFact:
    team_id: int
    organisation_id: int
    jurisdiction: str
    role: Role


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    username: str = ""
    is_active: bool = False
    memberships: tuple[MembershipFact, ...] = ()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None and self.is_active

    def in_team(self, team_id: int, roles: Iterable[Role] = CASE_ROLES) -> MembershipFact | None:
        wanted = frozenset(roles)
        return next((m for m in self.memberships if m.team_id == team_id and m.role in wanted), None)

    def in_any_team(self, team_ids: Iterable[int], roles: Iterable[Role] = CASE_ROLES) -> MembershipFact | None:
        ids = frozenset(team_ids)
        wanted = frozenset(roles)
        return next((m for m in self.memberships if m.team_id in ids and m.role in wanted), None)

    def in_organisation(self, organisation_id: int, roles: Iterable[Role]) -> MembershipFact | None:
        wanted = frozenset(roles)
        return next((m for m in self.memberships if m.organisation_id == organisation_id and m.role in wanted), None)

    def with_role(self, roles: Iterable[Role]) -> MembershipFact | None:
        wanted = frozenset(roles)
        return next((m for m in self.memberships if m.role in wanted), None)


ANONYMOUS: Final = Actor(user_id=None)


@dataclass(frozen=True, slots=True)
class TeamRef:
    team_id: int
    organisation_id: int


@dataclass(frozen=True, slots=True)
class GrantFact:
    """A grant of access to a case (or to chosen items of it) for a team outside it, or one of its members."""

    grant_id: int
    team_id: int
    user_id: int | None
    level: str  # "metadata", "redacted" or "originals"
    rights: frozenset[str]  # "view", "download", "annotate", "export"
    state: str  # "active", "revoked", "suspended", "expired"
    expires_at: datetime.datetime
    # None: the whole case. Otherwise only these items (and their derivatives).
    item_ids: frozenset[int] | None = None
    # The owner requires originals to stay in its jurisdiction and this grant crosses a border.
    residency_limited: bool = False


@dataclass(frozen=True, slots=True)
class CaseRef:
    case_id: int
    organisation_id: int
    team_ids: frozenset[int] = field(default_factory=frozenset)
    grants: tuple[GrantFact, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemRef:
    """Facts about one evidence item, for the evidence rules."""

    item_id: int
    case: CaseRef
    sensitivity: str = "high"
    legal_hold: bool = False
    is_original: bool = True
    state: str = "stored"
    # The original a derivative was made from, and whether it is a redacted copy (sharing rules).
    derivative_of_id: int | None = None
    is_redacted: bool = False


@dataclass(frozen=True, slots=True)
class SurvivorRef:
    survivor_id: int
    case: CaseRef
    custodian_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class NoteRef:
    note_id: int
    survivor: SurvivorRef
    # True when the survivor's effective consent lets lawyers read MHPSS notes.
    shared_with_lawyers: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str | Promise = ""
    acting_as: MembershipFact | None = None

    def __bool__(self) -> bool:
        return self.allowed


def allow(membership: MembershipFact | None) -> Decision:
    return Decision(True, "", membership)


def deny(reason: str | Promise) -> Decision:
    return Decision(False, reason, None)


NOT_PERMITTED: Final = _("You do not have access to this.")


def actor_for(user: Any) -> Actor:
    """Facts about a user, loaded in one query. Inactive and anonymous users hold no memberships."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    rows = Membership.objects.filter(user_id=user.pk).values_list(
        "team_id", "team__organisation_id", "team__jurisdiction__country", "role"
    )
    return Actor(
        user_id=int(user.pk),
        username=user.get_username(),
        is_active=True,
        memberships=tuple(MembershipFact(t, o, str(j), Role(r)) for t, o, j, r in rows),
    )


# --- Rules --------------------------------------------------------------------

Rule = Callable[[Actor, Any], Decision]


def _platform_admin(actor: Actor, _resource: Any) -> Decision:
    return allow(m) if (m := actor.with_role({Role.ADMIN})) else deny(NOT_PERMITTED)


def _team_view(actor: Actor, team: TeamRef) -> Decision:
    if m := actor.in_team(team.team_id, set(Role)):
        return allow(m)
    if m := actor.in_organisation(team.organisation_id, {Role.COALITION_LEAD}):
        return allow(m)
    return _platform_admin(actor, team)


def _team_manage(actor: Actor, team: TeamRef) -> Decision:
    if m := actor.in_organisation(team.organisation_id, {Role.COALITION_LEAD}):
        return allow(m)
    return _platform_admin(actor, team)


def _case_create(actor: Actor, team: TeamRef) -> Decision:
    m = actor.in_team(team.team_id, CASE_EDITOR_ROLES)
    return allow(m) if m else deny(NOT_PERMITTED)


def _case_view(actor: Actor, case: CaseRef) -> Decision:
    if m := actor.in_any_team(case.team_ids):
        return allow(m)
    if m := actor.in_organisation(case.organisation_id, {Role.COALITION_LEAD}):
        return allow(m)
    return deny(NOT_PERMITTED)


def _case_edit(actor: Actor, case: CaseRef) -> Decision:
    if m := actor.in_any_team(case.team_ids, CASE_EDITOR_ROLES):
        return allow(m)
    return deny(NOT_PERMITTED)


def _case_audit_view(actor: Actor, case: CaseRef) -> Decision:
    if m := actor.in_any_team(case.team_ids, CASE_EDITOR_ROLES | {Role.AUDITOR}):
        return allow(m)
    if m := actor.in_organisation(case.organisation_id, {Role.COALITION_LEAD, Role.AUDITOR}):
        return allow(m)
    return deny(NOT_PERMITTED)


def _survivor_create(actor: Actor, case: CaseRef) -> Decision:
    return _case_edit(actor, case)


def _survivor_view(actor: Actor, survivor: SurvivorRef) -> Decision:
    m = actor.in_any_team(survivor.case.team_ids)
    return allow(m) if m else deny(NOT_PERMITTED)


def _survivor_edit(actor: Actor, survivor: SurvivorRef) -> Decision:
    return _case_edit(actor, survivor.case)


def _identity_reveal(actor: Actor, survivor: SurvivorRef) -> Decision:
    # Only named custodians, and only while they still work on the case.
    if actor.user_id in survivor.custodian_ids and (m := actor.in_any_team(survivor.case.team_ids, CASE_EDITOR_ROLES)):
        return allow(m)
    return deny(NOT_PERMITTED)


def _identifiers_for_redaction(actor: Actor, survivor: SurvivorRef) -> Decision:
    # The plaintext identifiers, to find and black them out: the case's editors (lead, lawyer,
    # investigator of a case team), who run redaction jobs. Never auditors, MHPSS experts or grantees.
    m = actor.in_any_team(survivor.case.team_ids, CASE_EDITOR_ROLES)
    return allow(m) if m else deny(NOT_PERMITTED)


def _identity_manage(actor: Actor, survivor: SurvivorRef) -> Decision:
    if m := actor.in_any_team(survivor.case.team_ids, {Role.COALITION_LEAD}):
        return allow(m)
    return _identity_reveal(actor, survivor)


def _mhpss_write(actor: Actor, survivor: SurvivorRef) -> Decision:
    m = actor.in_any_team(survivor.case.team_ids, {Role.MHPSS})
    return allow(m) if m else deny(NOT_PERMITTED)


def _mhpss_read(actor: Actor, note: NoteRef) -> Decision:
    if m := actor.in_any_team(note.survivor.case.team_ids, {Role.MHPSS}):
        return allow(m)
    if note.shared_with_lawyers and (
        m := actor.in_any_team(note.survivor.case.team_ids, {Role.LAWYER, Role.COALITION_LEAD})
    ):
        return allow(m)
    return deny(NOT_PERMITTED)


def _interview_record(actor: Actor, survivor: SurvivorRef) -> Decision:
    m = actor.in_any_team(survivor.case.team_ids, CASE_EDITOR_ROLES | {Role.MHPSS})
    return allow(m) if m else deny(NOT_PERMITTED)


def _platform_audit_view(actor: Actor, _resource: Any) -> Decision:
    if m := actor.with_role({Role.AUDITOR, Role.ADMIN}):
        return allow(m)
    return deny(NOT_PERMITTED)


# Evidence. Metadata follows the case; content is for the people who work the case, and an
# original (the evidential copy) only for editors; auditors see metadata and hashes, never content.
EVIDENCE_READER_ROLES: Final = frozenset({Role.COALITION_LEAD, Role.LAWYER, Role.INVESTIGATOR, Role.MHPSS})
SHREDDED: Final = "shredded"


def _evidence_view(actor: Actor, item: ItemRef) -> Decision:
    decision = _case_view(actor, item.case)
    return decision if decision else granted_item(actor, item, "view")


def _evidence_upload(actor: Actor, case: CaseRef) -> Decision:
    return _case_edit(actor, case)


def _evidence_download(actor: Actor, item: ItemRef) -> Decision:
    if item.state != "stored":
        return deny(_("The content of this item is not available."))
    roles = CASE_EDITOR_ROLES if item.is_original or item.sensitivity == "restricted" else EVIDENCE_READER_ROLES
    if m := actor.in_any_team(item.case.team_ids, roles):
        return allow(m)
    return granted_item(actor, item, "download")


def _evidence_survivors_link(actor: Actor, item: ItemRef) -> Decision:
    # Which survivors an item concerns decides whose consent opens it: the case's editors only, never a grantee.
    return _case_edit(actor, item.case)


def _evidence_legal_hold(actor: Actor, item: ItemRef) -> Decision:
    if m := actor.in_any_team(item.case.team_ids, {Role.COALITION_LEAD, Role.LAWYER}):
        return allow(m)
    if m := actor.in_organisation(item.case.organisation_id, {Role.COALITION_LEAD}):
        return allow(m)
    return deny(NOT_PERMITTED)


def _evidence_shred(actor: Actor, item: ItemRef) -> Decision:
    if item.legal_hold:
        return deny(_("The item is under legal hold."))
    if item.state == SHREDDED:
        return deny(_("The item is already crypto-shredded."))
    if m := actor.in_organisation(item.case.organisation_id, {Role.COALITION_LEAD}):
        return allow(m)
    return deny(NOT_PERMITTED)


# Custody. Only someone who may work on the case's material may hold an item; only the
# holder hands it on, only the named receiver takes it, and the report goes to the people
# who may read the case's audit trail.
@dataclass(frozen=True, slots=True)
class CustodyRef:
    item: ItemRef
    custodian_id: int | None = None
    # The pending transfer, if any: who proposed it and who must answer.
    proposer_id: int | None = None
    receiver_id: int | None = None


def _custody_view(actor: Actor, ref: CustodyRef) -> Decision:
    return _case_view(actor, ref.item.case)


def _custody_hold(actor: Actor, ref: CustodyRef) -> Decision:
    return _case_edit(actor, ref.item.case)


def _custody_propose(actor: Actor, ref: CustodyRef) -> Decision:
    if ref.custodian_id is None:
        # An item nobody holds is assigned by the coalition lead of a team on the case.
        m = actor.in_any_team(ref.item.case.team_ids, {Role.COALITION_LEAD})
        return allow(m) if m else deny(NOT_PERMITTED)
    if actor.user_id != ref.custodian_id:
        return deny(_("Only the current custodian can hand the item over."))
    return _case_edit(actor, ref.item.case)


def _custody_respond(actor: Actor, ref: CustodyRef) -> Decision:
    if ref.receiver_id is None or actor.user_id != ref.receiver_id:
        return deny(_("Only the named receiver can answer this transfer."))
    return _case_edit(actor, ref.item.case)


def _custody_cancel(actor: Actor, ref: CustodyRef) -> Decision:
    if ref.proposer_id is None or actor.user_id != ref.proposer_id:
        return deny(_("Only the person who proposed the transfer can withdraw it."))
    return _case_edit(actor, ref.item.case)


def _custody_report(actor: Actor, ref: CustodyRef) -> Decision:
    return _case_audit_view(actor, ref.item.case)


# Audit trail of one person: platform auditors and operators, and the coalition leads
# and auditors of an organisation the person belongs to.
@dataclass(frozen=True, slots=True)
class PersonRef:
    user_id: int
    organisation_ids: frozenset[int] = field(default_factory=frozenset)


def _user_audit_view(actor: Actor, person: PersonRef) -> Decision:
    for organisation_id in person.organisation_ids:
        if m := actor.in_organisation(organisation_id, {Role.COALITION_LEAD, Role.AUDITOR}):
            return allow(m)
    return _platform_audit_view(actor, person)


# Sharing. A grant lets a team outside the case (or one member of it) reach the case's
# metadata, its redacted copies or its originals, with the rights the owner chose, until it
# expires. A revoked, suspended or expired grant gives nothing, at the next request.
GRANT_HOLDER_ROLES: Final = frozenset({Role.COALITION_LEAD, Role.LAWYER, Role.INVESTIGATOR})


def _live_grants(actor: Actor, case: CaseRef, right: str) -> list[tuple[GrantFact, MembershipFact]]:
    now = datetime.datetime.now(tz=datetime.UTC)
    found = []
    for grant in case.grants:
        if grant.state != "active" or grant.expires_at <= now or right not in grant.rights:
            continue
        if grant.user_id is not None and grant.user_id != actor.user_id:
            continue
        if m := actor.in_team(grant.team_id, GRANT_HOLDER_ROLES):
            found.append((grant, m))
    return found


def _grant_covers(grant: GrantFact, item: ItemRef) -> bool:
    if grant.item_ids is None:
        return True
    return item.item_id in grant.item_ids or (
        item.derivative_of_id is not None and item.derivative_of_id in grant.item_ids
    )


def _granted_content(grant: GrantFact, item: ItemRef) -> bool:
    """Whether the grant's level reaches this item's content (not only its metadata)."""
    if grant.level == "originals" and not grant.residency_limited:
        return True
    return grant.level in {"originals", "redacted"} and item.is_redacted


def granted_case_view(actor: Actor, case: CaseRef) -> Decision:
    found = _live_grants(actor, case, "view")
    return allow(found[0][1]) if found else deny(NOT_PERMITTED)


def granted_item(actor: Actor, item: ItemRef, right: str) -> Decision:
    """Through a grant: ``view`` and ``annotate`` need the item covered; other rights its content level too."""
    for grant, m in _live_grants(actor, item.case, right):
        if not _grant_covers(grant, item):
            continue
        if right in {"view", "annotate"} or _granted_content(grant, item):
            return allow(m)
    return deny(NOT_PERMITTED)


def withheld_by_residency(actor: Actor, item: ItemRef) -> bool:
    """Whether a grant would open this original but for the owner's data residency (for the UI to say why)."""
    if not item.is_original or _evidence_download(actor, item):
        return False
    return any(
        grant.level == "originals" and grant.residency_limited and _grant_covers(grant, item)
        for grant, _m in _live_grants(actor, item.case, "view")
    )


def _case_view_or_granted(actor: Actor, case: CaseRef) -> Decision:
    decision = _case_view(actor, case)
    return decision if decision else granted_case_view(actor, case)


def _survivor_list(actor: Actor, case: CaseRef) -> Decision:
    """The roster (codes, child status): the case's own teams, or a grant of originals, which the
    survivors consented to; metadata and redacted grants do not reveal how many survivors there are."""
    decision = _case_view(actor, case)
    if decision:
        return decision
    for grant, m in _live_grants(actor, case, "view"):
        if grant.level == "originals" and not grant.residency_limited and grant.item_ids is None:
            return allow(m)
    return deny(NOT_PERMITTED)


def _grant_manage(actor: Actor, case: CaseRef) -> Decision:
    m = actor.in_organisation(case.organisation_id, {Role.COALITION_LEAD})
    return allow(m) if m else deny(NOT_PERMITTED)


def _item_annotate(actor: Actor, item: ItemRef) -> Decision:
    if m := actor.in_any_team(item.case.team_ids, CASE_EDITOR_ROLES):
        return allow(m)
    return granted_item(actor, item, "annotate")


@dataclass(frozen=True, slots=True)
class OrganisationRef:
    organisation_id: int


def _grant_review(actor: Actor, owner: CaseRef | OrganisationRef) -> Decision:
    m = actor.in_organisation(owner.organisation_id, {Role.COALITION_LEAD, Role.AUDITOR})
    return allow(m) if m else deny(NOT_PERMITTED)


# Redaction. Editors of the case propose; a lawyer or coalition lead reviews; a second lawyer or
# lead approves, who is neither the proposer nor the reviewer (four eyes on what leaves redacted).
REDACTION_REVIEWER_ROLES: Final = frozenset({Role.COALITION_LEAD, Role.LAWYER})


@dataclass(frozen=True, slots=True)
class RedactionRef:
    item: ItemRef
    state: str = ""
    proposed_by_id: int | None = None
    reviewed_by_id: int | None = None


def _redaction_propose(actor: Actor, ref: RedactionRef) -> Decision:
    if ref.item.state != "stored":
        return deny(_("The content of this item is not available."))
    return _case_edit(actor, ref.item.case)


def _redaction_review(actor: Actor, ref: RedactionRef) -> Decision:
    m = actor.in_any_team(ref.item.case.team_ids, REDACTION_REVIEWER_ROLES)
    return allow(m) if m else deny(NOT_PERMITTED)


def _redaction_approve(actor: Actor, ref: RedactionRef) -> Decision:
    decision = _redaction_review(actor, ref)
    if not decision:
        return decision
    if ref.reviewed_by_id is None:
        return deny(_("The proposal must be reviewed before it is approved."))
    if actor.user_id in {ref.proposed_by_id, ref.reviewed_by_id}:
        return deny(_("A second person must approve: not the one who proposed or reviewed it."))
    return decision


# Productions. Lawyers and coalition leads of the case's own teams prepare, build and release a
# production; its auditors follow it. The package goes to the owner's lawyers and leads, and to
# the recipient team while that team holds a live grant with the export right on the case. A
# released production whose consent was withdrawn, or that was revoked, gives nobody the package.
PRODUCTION_ROLES: Final = frozenset({Role.COALITION_LEAD, Role.LAWYER})


@dataclass(frozen=True, slots=True)
class ProductionRef:
    case: CaseRef
    state: str = "draft"
    recipient_team_id: int | None = None
    # False once a survivor withdrew a consent the released production relies on.
    consent_active: bool = True
    # The recipient team's grants that allowed the produced items' levels at build: all must stay live.
    grant_ids: frozenset[int] = frozenset()
    # Downloads stopped because a survivor linked later to one of its items had not consented.
    suspended_for_link: bool = False


@dataclass(frozen=True, slots=True)
class ProducedItemRef:
    """Whether an item may go into a production as its original, for the builder and the recipient."""

    item: ItemRef
    recipient_team_id: int | None = None
    # The owner keeps originals in its jurisdiction and the recipient is elsewhere (or unknown).
    residency_limited: bool = False


def _production_view(actor: Actor, case: CaseRef) -> Decision:
    m = actor.in_any_team(case.team_ids, PRODUCTION_ROLES | {Role.AUDITOR})
    return allow(m) if m else deny(NOT_PERMITTED)


def _production_manage(actor: Actor, case: CaseRef) -> Decision:
    m = actor.in_any_team(case.team_ids, PRODUCTION_ROLES)
    return allow(m) if m else deny(NOT_PERMITTED)


def _production_release(actor: Actor, ref: ProductionRef) -> Decision:
    if ref.state != "built":
        return deny(_("Only a production that was built can be released."))
    return _production_manage(actor, ref.case)


def _production_download(actor: Actor, ref: ProductionRef) -> Decision:
    if ref.state != "released" or not ref.consent_active:
        return deny(_("This production's package is not available."))
    if m := actor.in_any_team(ref.case.team_ids, PRODUCTION_ROLES):
        return allow(m)
    if ref.recipient_team_id is None:
        return deny(NOT_PERMITTED)
    for grant, m in _live_grants(actor, ref.case, "export"):
        if grant.team_id == ref.recipient_team_id:
            return allow(m) if ref.grant_ids <= _live_team_grant_ids(ref) else deny(NOT_PERMITTED)
    return deny(NOT_PERMITTED)


def _production_lift_suspension(actor: Actor, ref: ProductionRef) -> Decision:
    """Resume the downloads a survivor linked later stopped: the owner's coalition leads, as for grants.

    The service re-checks the consents at that moment; a withdrawal's suspension is never lifted.
    """
    m = actor.in_organisation(ref.case.organisation_id, {Role.COALITION_LEAD})
    if not m:
        return deny(NOT_PERMITTED)
    if ref.state != "released" or not ref.suspended_for_link:
        return deny(_("Only a released production stopped for a survivor linked later can be resumed."))
    return allow(m)


def _live_team_grant_ids(ref: ProductionRef) -> set[int]:
    return {g.grant_id for g in _live_team_wide_grants(ref.case) if g.team_id == ref.recipient_team_id}


def production_justifying_grant(ref: ProducedItemRef, *, original: bool) -> int | None:
    """The recipient team's grant that lets it hold this item in this form (None: no recipient team)."""
    if ref.recipient_team_id is None:
        return None
    levels = {"originals"} if original else {"redacted", "originals"}
    for g in sorted(_team_grants(ref.item), key=lambda g: g.grant_id):
        if g.team_id == ref.recipient_team_id and g.level in levels and not (original and g.residency_limited):
            return g.grant_id
    return None


def production_allows_original(actor: Actor, ref: ProducedItemRef) -> bool:
    """The builder may take the original out, residency permits it, and the recipient team may hold it."""
    if ref.residency_limited or not _evidence_download(actor, ref.item):
        return False
    if ref.recipient_team_id is None:
        return True
    return any(
        g.team_id == ref.recipient_team_id and g.level == "originals" and not g.residency_limited
        for g in _team_grants(ref.item)
    )


def production_allows_redacted(actor: Actor, ref: ProducedItemRef) -> bool:
    """A redacted copy: the builder works on the case and the recipient team's grant reaches copies."""
    if not _production_manage(actor, ref.item.case):
        return False
    if ref.recipient_team_id is None:
        return True
    return any(
        g.team_id == ref.recipient_team_id and g.level in {"redacted", "originals"} for g in _team_grants(ref.item)
    )


def _live_team_wide_grants(case: CaseRef) -> list[GrantFact]:
    """The case's live grants made to a whole team (not to one of its members)."""
    now = datetime.datetime.now(tz=datetime.UTC)
    return [g for g in case.grants if g.state == "active" and g.expires_at > now and g.user_id is None]


def _team_grants(item: ItemRef) -> list[GrantFact]:
    return [g for g in _live_team_wide_grants(item.case) if _grant_covers(g, item)]


_RULES: dict[Perm, Rule] = {
    Perm.ACCOUNTS_MANAGE: _platform_admin,
    Perm.PLATFORM_AUDIT_VIEW: _platform_audit_view,
    Perm.TEAM_VIEW: _team_view,
    Perm.TEAM_MANAGE_MEMBERS: _team_manage,
    Perm.CASE_CREATE: _case_create,
    Perm.CASE_VIEW: _case_view_or_granted,
    Perm.CASE_EDIT: _case_edit,
    Perm.CASE_AUDIT_VIEW: _case_audit_view,
    Perm.SURVIVOR_CREATE: _survivor_create,
    Perm.SURVIVOR_VIEW: _survivor_view,
    Perm.SURVIVOR_EDIT: _survivor_edit,
    Perm.CONSENT_RECORD: _survivor_edit,
    Perm.IDENTITY_REVEAL: _identity_reveal,
    Perm.IDENTITY_MANAGE: _identity_manage,
    Perm.MHPSS_NOTE_WRITE: _mhpss_write,
    Perm.MHPSS_NOTE_READ: _mhpss_read,
    Perm.INTERVIEW_RECORD: _interview_record,
    Perm.IDENTIFIERS_FOR_REDACTION: _identifiers_for_redaction,
    Perm.SURVIVOR_LIST: _survivor_list,
    # -- end of cases rules --
    Perm.EVIDENCE_VIEW: _evidence_view,
    Perm.EVIDENCE_UPLOAD: _evidence_upload,
    Perm.EVIDENCE_DOWNLOAD: _evidence_download,
    Perm.EVIDENCE_LEGAL_HOLD: _evidence_legal_hold,
    Perm.EVIDENCE_SHRED: _evidence_shred,
    Perm.EVIDENCE_INTEGRITY_VIEW: _platform_audit_view,
    Perm.EVIDENCE_SURVIVORS_LINK: _evidence_survivors_link,
    # -- end of evidence rules --
    Perm.CUSTODY_VIEW: _custody_view,
    Perm.CUSTODY_HOLD: _custody_hold,
    Perm.CUSTODY_PROPOSE: _custody_propose,
    Perm.CUSTODY_RESPOND: _custody_respond,
    Perm.CUSTODY_CANCEL: _custody_cancel,
    Perm.CUSTODY_REPORT: _custody_report,
    Perm.PHYSICAL_ITEM_REGISTER: _case_edit,
    Perm.AUDIT_ALERTS_VIEW: _platform_audit_view,
    Perm.USER_AUDIT_VIEW: _user_audit_view,
    # -- end of custody rules --
    # Sharing
    Perm.GRANT_MANAGE: _grant_manage,
    Perm.GRANT_REVIEW: _grant_review,
    Perm.APPROVAL_DECIDE: _grant_manage,
    Perm.ITEM_ANNOTATE: _item_annotate,
    Perm.REDACTION_PROPOSE: _redaction_propose,
    Perm.REDACTION_REVIEW: _redaction_review,
    Perm.REDACTION_APPROVE: _redaction_approve,
    # A coalition lead of the case's organisation stands in for the missing custodian.
    Perm.REDACTION_REVEAL_UNLINKED: _grant_manage,
    # -- end of redaction rules --
    Perm.PRODUCTION_VIEW: _production_view,
    Perm.PRODUCTION_MANAGE: _production_manage,
    Perm.PRODUCTION_RELEASE: _production_release,
    Perm.PRODUCTION_DOWNLOAD: _production_download,
    Perm.PRODUCTION_LIFT_SUSPENSION: _production_lift_suspension,
    # -- end of productions rules --
}


def decide(actor: Actor, perm: Perm, resource: Any = None) -> Decision:
    """May ``actor`` do ``perm`` on ``resource``? Unknown permissions and anonymous actors are refused."""
    if not actor.is_authenticated:
        return deny(NOT_PERMITTED)
    rule = _RULES.get(perm)
    if rule is None:
        return deny(NOT_PERMITTED)
    return rule(actor, resource)
