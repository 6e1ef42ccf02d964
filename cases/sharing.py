"""Grants: giving a team outside a case (or one member of it) access, for a purpose, until a date.

A grant to a team in another jurisdiction, or any grant to originals, rests on the consent
of every survivor concerned; each consent is registered as a dependency, so withdrawing it
suspends the grant in the same transaction (``on_consent_withdrawn``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, UserLike, record
from cases import notices
from cases.approvals import usable_approval, use_approval
from cases.consent import (
    ConsentRefused,
    register_dependency,
    require,
    require_all,
    survivor_target,
    target_for,
)
from cases.models import (
    ApprovalKind,
    Case,
    ConsentAction,
    ConsentDependency,
    ConsentRecord,
    Grant,
    GrantLevel,
    GrantRight,
    GrantState,
    Notification,
    Survivor,
)
from teams.models import Membership, Role, Team

DEPENDENCY_KIND = "sharing.grant"


class GrantInvalid(ValueError):
    """The grant asked for cannot be made; ``message`` says why (translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def grant_target(grant_id: int) -> Target:
    return Target("sharing.grant", grant_id)


def default_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=settings.CUSTODY_GRANT_DEFAULT_DAYS)


def is_cross_border(case: Case, team: Team) -> bool:
    home = {case.host_jurisdiction_id, case.organisation.jurisdiction_id}
    return team.jurisdiction_id not in home


def needs_second_approval(case: Case, team: Team, level: str) -> bool:
    return level == GrantLevel.ORIGINALS and is_cross_border(case, team)


def approval_subject(team: Team) -> str:
    return f"team:{team.pk}"


def _validate(
    *, case: Case, team: Team, grantee_user: Any, level: str, rights: Sequence[str], expires_at: datetime.datetime
) -> None:
    if level not in GrantLevel.values:
        raise GrantInvalid(_("Choose a level of access."))
    if not rights or not set(rights) <= set(GrantRight.values):
        raise GrantInvalid(_("Choose at least one right."))
    if case.teams.filter(pk=team.pk).exists():
        raise GrantInvalid(_("This team already works on the case."))
    if grantee_user is not None and not Membership.objects.filter(user=grantee_user, team=team).exists():
        raise GrantInvalid(_("The person chosen is not a member of that team."))
    now = timezone.now()
    if expires_at <= now:
        raise GrantInvalid(_("The expiry date must be in the future."))
    if expires_at > now + datetime.timedelta(days=settings.CUSTODY_GRANT_MAX_DAYS):
        raise GrantInvalid(_("A grant may last at most %(days)d days.") % {"days": settings.CUSTODY_GRANT_MAX_DAYS})


def _required_consents(
    *,
    case: Case,
    team: Team,
    level: str,
    survivors: list[Survivor],
    user: UserLike,
    request: HttpRequest | None,
    acting_as: ActingAs | None,
    purpose: str,
) -> list[ConsentRecord]:
    common: dict[str, Any] = {"user": user, "request": request, "acting_as": acting_as, "purpose": purpose}
    records: list[ConsentRecord] = []
    for action, target in consents_needed(case=case, team=team, level=level, cross_border=is_cross_border(case, team)):
        records += require_all(survivors=survivors, action=action, target=target, **common)
    return records


def consents_needed(*, case: Case, team: Team, level: str, cross_border: bool) -> list[tuple[ConsentAction, str]]:
    """The (action, target) consents every survivor concerned must give for such a grant; empty: none."""
    # Redacted copies and metadata still carry places and dates that identify a survivor in a small
    # community: any team outside the owning organisation needs the survivors' consent to that team.
    foreign = team.organisation_id != case.organisation_id
    if not cross_border and not foreign and level != GrantLevel.ORIGINALS:
        return []
    needed = [(ConsentAction.SHARE_TEAM, target_for(ConsentAction.SHARE_TEAM, team.pk))]
    if cross_border:
        needed.append(
            (ConsentAction.SHARE_JURISDICTION, target_for(ConsentAction.SHARE_JURISDICTION, team.jurisdiction.code))
        )
    return needed


def do_grant(
    *,
    case: Case,
    grantee_team: Team,
    level: str,
    rights: Sequence[str],
    purpose: str,
    user: UserLike,
    grantee_user: Any = None,
    expires_at: datetime.datetime | None = None,
    survivors: Iterable[Survivor] | None = None,
    link_items: Callable[[Grant], list[int]] | None = None,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> Grant:
    """Create a grant, or raise ``GrantInvalid`` / ``ConsentRefused`` (both recorded).

    ``survivors``: those the shared material concerns (items chosen); by default every survivor of the case.
    ``link_items``: for a grant limited to chosen items, links them in the grant's transaction (so the
    grant never exists without its limit) and returns their ids.
    """
    expires_at = expires_at or default_expiry()
    concerned = list(survivors) if survivors is not None else list(case.survivors.all())
    details: dict[str, Any] = {
        "team": grantee_team.pk,
        "user": getattr(grantee_user, "pk", None),
        "level": level,
        "rights": sorted(rights),
        "expires_at": expires_at.isoformat(),
    }
    targets = [Target("case", case.pk), Target("team", grantee_team.pk)]
    try:
        _validate(
            case=case, team=grantee_team, grantee_user=grantee_user, level=level, rights=rights, expires_at=expires_at
        )
        if needs_second_approval(case, grantee_team, level) and not usable_approval(
            kind=ApprovalKind.GRANT_ORIGINALS_ABROAD, case=case, subject=approval_subject(grantee_team), user=user
        ):
            raise GrantInvalid(_("Originals for a team in another country need a second coalition lead's approval."))
        # Outside the grant's transaction so that a consent refusal stays on record.
        consents = _required_consents(
            case=case,
            team=grantee_team,
            level=level,
            survivors=concerned,
            user=user,
            request=request,
            acting_as=acting_as,
            purpose=purpose,
        )
    except (GrantInvalid, ConsentRefused) as refused:
        record(
            action=Action.GRANT_REFUSED,
            outcome=Outcome.DENIED,
            user=user,
            request=request,
            acting_as=acting_as,
            purpose=purpose,
            case_id=case.pk,
            targets=targets,
            details={**details, "reason": str(refused.message)},
        )
        raise
    cross_border = is_cross_border(case, grantee_team)
    with transaction.atomic():
        if needs_second_approval(case, grantee_team, level):
            approval = use_approval(
                kind=ApprovalKind.GRANT_ORIGINALS_ABROAD, case=case, subject=approval_subject(grantee_team), user=user
            )
            details["approval"] = approval.pk
        grant = Grant.objects.create(
            case=case,
            grantee_team=grantee_team,
            grantee_user=grantee_user,
            level=level,
            rights=sorted(set(rights)),
            purpose=purpose,
            cross_border=cross_border,
            residency_limited=cross_border and case.organisation.originals_stay_in_jurisdiction,
            item_scoped=link_items is not None,
            expires_at=expires_at,
            granted_by_id=user.pk,
        )
        if link_items is not None:
            details["items"] = link_items(grant)
        for consent in consents:
            register_dependency(consent_record=consent, kind=DEPENDENCY_KIND, object_id=grant.pk)
        record(
            action=Action.GRANT_CREATED,
            user=user,
            request=request,
            acting_as=acting_as,
            purpose=purpose,
            case_id=case.pk,
            consent_record_id=consents[0].pk if consents else None,
            targets=[*targets, grant_target(grant.pk), *(survivor_target(s.pk) for s in concerned)],
            details={
                **details,
                "grant": grant.pk,
                "cross_border": cross_border,
                "residency_limited": grant.residency_limited,
                "consent_record_ids": [c.pk for c in consents],
            },
        )
    return grant


def _end(grant: Grant, *, state: GrantState, user: UserLike | None) -> None:
    grant.state = state
    grant.ended_at = timezone.now()
    grant.ended_by_id = getattr(user, "pk", None)
    grant.save(update_fields=["state", "ended_at", "ended_by"])


def do_revoke_grant(
    *,
    grant: Grant,
    user: UserLike,
    reason: str = "",
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> Grant:
    """End a grant now. Every later request through it is refused."""
    with transaction.atomic():
        grant = Grant.objects.select_for_update().get(pk=grant.pk)
        if grant.state != GrantState.ACTIVE:
            raise GrantInvalid(_("This grant is no longer active."))
        _end(grant, state=GrantState.REVOKED, user=user)
        record(
            action=Action.GRANT_REVOKED,
            user=user,
            request=request,
            acting_as=acting_as,
            case_id=grant.case_id,
            targets=[grant_target(grant.pk), Target("team", grant.grantee_team_id)],
            details={"grant": grant.pk, "reason": reason},
        )
    return grant


def on_consent_withdrawn(
    sender: Any, *, record: ConsentRecord, suspended: list[ConsentDependency], user: UserLike | None, **_kwargs: Any
) -> None:
    """Suspend the grants resting on a withdrawn consent, in the withdrawal's transaction."""
    grant_ids = {int(d.object_id) for d in suspended if d.kind == DEPENDENCY_KIND}
    for grant in Grant.objects.select_for_update().filter(pk__in=grant_ids, state=GrantState.ACTIVE):
        _end(grant, state=GrantState.SUSPENDED, user=user)
        _audit_suspension(grant, record, user)
        _tell_suspension(
            grant, code=notices.GRANT_CONSENT_WITHDRAWN, survivor=record.survivor.code, action=record.action
        )


class Newcomer(StrEnum):
    """How survivors came to be concerned by material a grant already covered."""

    # Linked to an item the grant reaches (``evidence.survivor_links.recheck_new_links``).
    LINKED = "linked"
    # Added to the case: a whole-case grant covers every survivor of the case, and a grant of
    # originals shows the grantee the case's roster (``do_recheck_for_new_survivor``).
    ADDED = "added"


# What the suspension's audit event and the owner's notice say, per way of becoming concerned.
_SUSPENSION_REASON: dict[Newcomer, tuple[str, str]] = {
    Newcomer.LINKED: ("survivor linked without consent", notices.GRANT_CONSENT_MISSING),
    Newcomer.ADDED: ("survivor added to the case without consent", notices.GRANT_CONSENT_MISSING_ADDED),
}


def do_recheck_for_new_survivor(
    *,
    survivor: Survivor,
    user: UserLike,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> dict[str, list[int]]:
    """A survivor just added to a case: the live whole-case grants are judged against them (``do_recheck_grants``).

    Run in the transaction that adds the survivor. Grants limited to chosen items are left to the
    link of the survivor to those items.
    """
    whole_case = Grant.objects.filter(case_id=survivor.case_id, item_scoped=False)
    return do_recheck_grants(
        grants=whole_case,
        survivors=[survivor],
        user=user,
        request=request,
        acting_as=acting_as,
        newcomer=Newcomer.ADDED,
    )


def do_recheck_grants(
    *,
    grants: Iterable[Grant],
    survivors: Sequence[Survivor],
    user: UserLike,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
    newcomer: Newcomer = Newcomer.LINKED,
) -> dict[str, list[int]]:
    """Survivors newly concerned by material live grants cover: each grant rests on their consent too.

    A grant that needed consent (another organisation, another country, originals) was checked
    against the survivors concerned when it was made; a survivor linked or added later was never
    asked. Here each such grant either gets that survivor's consent registered as a dependency (so a
    later withdrawal suspends it) or, where a consent it needs is missing, is suspended at once,
    audited, and told of like a withdrawal (``_tell_suspension``). Runs in the caller's transaction
    (the link's, or the survivor's creation), so neither exists without the grants judged.
    """
    outcome: dict[str, list[int]] = {"registered": [], "suspended": []}
    now = timezone.now()
    live = Grant.objects.select_for_update().filter(state=GrantState.ACTIVE, expires_at__gt=now)
    for grant in live.filter(pk__in=[g.pk for g in grants]).select_related("case", "grantee_team__jurisdiction"):
        needed = consents_needed(
            case=grant.case, team=grant.grantee_team, level=grant.level, cross_border=grant.cross_border
        )
        if not needed or not survivors:
            continue
        common: dict[str, Any] = {"user": user, "request": request, "acting_as": acting_as, "purpose": grant.purpose}
        try:
            records = [require(survivor=s, action=a, target=t, **common) for s in survivors for a, t in needed]
        except ConsentRefused as refused:
            _suspend_for_missing_consent(
                grant, refused, newcomer=newcomer, user=user, request=request, acting_as=acting_as
            )
            outcome["suspended"].append(grant.pk)
            continue
        for consent in records:
            register_dependency(consent_record=consent, kind=DEPENDENCY_KIND, object_id=grant.pk)
        outcome["registered"].append(grant.pk)
    return outcome


def _suspend_for_missing_consent(
    grant: Grant,
    refused: ConsentRefused,
    *,
    newcomer: Newcomer,
    user: UserLike,
    request: HttpRequest | None,
    acting_as: ActingAs | None,
) -> None:
    reason, code = _SUSPENSION_REASON[newcomer]
    _end(grant, state=GrantState.SUSPENDED, user=user)
    record(
        action=Action.GRANT_SUSPENDED,
        user=user,
        request=request,
        acting_as=acting_as,
        case_id=grant.case_id,
        targets=[grant_target(grant.pk), survivor_target(refused.survivor_id)],
        details={
            "grant": grant.pk,
            "action": refused.action,
            "target": refused.target,
            "state": str(refused.state),
            "reason": reason,
        },
    )
    survivor = Survivor.objects.get(pk=refused.survivor_id)
    _tell_suspension(grant, code=code, survivor=survivor.code, action=refused.action)


def _tell_suspension(grant: Grant, *, code: str, survivor: str, action: str) -> None:
    """The owning organisation's leads and the grantor learn which survivor and consent; grantees only the fact.

    Telling a foreign team that a named survivor refused sharing with it, or is linked to material it
    held, would disclose what the grant's suspension exists to protect.
    """
    params = {
        "case": grant.case.reference,
        "team": grant.grantee_team.name,
        "purpose": grant.purpose,
        "survivor": survivor,
        "action": action,
    }
    owners = _notify(grant, [*leads_of(grant.case), grant.granted_by], code=code, params=params)
    grantees = [u for u in _grantees(grant) if u.pk not in owners]
    neutral = {"case": grant.case.reference, "purpose": grant.purpose}
    _notify(grant, grantees, code=notices.GRANT_ACCESS_SUSPENDED, params=neutral)


def _audit_suspension(grant: Grant, consent: ConsentRecord, user: UserLike | None) -> None:
    record(
        action=Action.GRANT_SUSPENDED,
        user=user,
        case_id=grant.case_id,
        consent_record_id=consent.pk,
        targets=[grant_target(grant.pk), survivor_target(consent.survivor_id)],
        details={"grant": grant.pk, "action": consent.action, "target": consent.target},
    )


def _notify(grant: Grant, users: Iterable[Any], *, code: str, params: dict[str, Any]) -> dict[int, Any]:
    """One notice per person, stored as a code read in each reader's language (``cases.notices``)."""
    people = {u.pk: u for u in users}
    message = notices.english_text(code, params)[:400]
    Notification.objects.bulk_create(
        [Notification(user=u, case=grant.case, message=message, code=code, params=params) for u in people.values()]
    )
    return people


def leads_of(case: Case) -> list[Any]:
    rows = Membership.objects.filter(team__organisation_id=case.organisation_id, role=Role.COALITION_LEAD)
    return [m.user for m in rows.select_related("user")]


def _grantees(grant: Grant) -> list[Any]:
    if grant.grantee_user is not None:
        return [grant.grantee_user]
    rows = Membership.objects.filter(team_id=grant.grantee_team_id).select_related("user")
    return [m.user for m in rows]


def do_expire_grants(*, now: datetime.datetime | None = None) -> int:
    """End every active grant past its expiry. Idempotent: an ended grant is left as it is."""
    now = now or timezone.now()
    ended = 0
    for grant_id in Grant.objects.filter(state=GrantState.ACTIVE, expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            grant = Grant.objects.select_for_update().get(pk=grant_id)
            if grant.state != GrantState.ACTIVE:
                continue
            _end(grant, state=GrantState.EXPIRED, user=None)
            record(
                action=Action.GRANT_EXPIRED,
                case_id=grant.case_id,
                targets=[grant_target(grant.pk), Target("team", grant.grantee_team_id)],
                details={"grant": grant.pk, "expires_at": grant.expires_at.isoformat()},
            )
            ended += 1
    return ended


def do_warn_expiring_grants(*, now: datetime.datetime | None = None) -> int:
    """Tell grantees and the owner's coalition leads, once, that a grant ends within a week."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=settings.CUSTODY_GRANT_WARN_DAYS)
    warned = 0
    candidates = Grant.objects.filter(state=GrantState.ACTIVE, warned_at__isnull=True, expires_at__lte=horizon)
    for grant_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            grant = Grant.objects.select_for_update().select_related("case").get(pk=grant_id)
            if grant.warned_at is not None or grant.state != GrantState.ACTIVE:
                continue
            params = {
                "case": grant.case.reference,
                "purpose": grant.purpose,
                "date": timezone.localtime(grant.expires_at).date().isoformat(),
            }
            people = _notify(
                grant, [*_grantees(grant), *leads_of(grant.case)], code=notices.GRANT_EXPIRING, params=params
            )
            grant.warned_at = now
            grant.save(update_fields=["warned_at"])
            record(
                action=Action.GRANT_EXPIRY_WARNED,
                case_id=grant.case_id,
                targets=[grant_target(grant.pk)],
                details={"grant": grant.pk, "notified": len(people)},
            )
            warned += 1
    return warned
