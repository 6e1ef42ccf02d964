"""Writes to organisations, teams and memberships. Each writes its audit event in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import ActingAs, Target, record
from teams.models import Jurisdiction, Membership, Organisation, Role, Team


class MembershipError(ValueError):
    pass


def _acting(membership: Membership | None) -> ActingAs | None:
    if membership is None:
        return None
    return ActingAs(membership.team_id, membership.team.organisation_id, membership.role)


def do_create_organisation(
    *, name: str, slug: str, jurisdiction: Jurisdiction, by: User | None, request: HttpRequest | None = None
) -> Organisation:
    with transaction.atomic():
        organisation = Organisation.objects.create(name=name, slug=slug, jurisdiction=jurisdiction)
        record(
            action=Action.ORGANISATION_CREATED,
            user=by,
            request=request,
            targets=[Target("organisation", organisation.pk)],
            details={"jurisdiction": jurisdiction.code},
        )
    return organisation


def do_create_team(
    *,
    organisation: Organisation,
    jurisdiction: Jurisdiction,
    name: str,
    slug: str,
    by: User | None,
    request: HttpRequest | None = None,
) -> Team:
    with transaction.atomic():
        team = Team.objects.create(organisation=organisation, jurisdiction=jurisdiction, name=name, slug=slug)
        record(
            action=Action.TEAM_CREATED,
            user=by,
            request=request,
            targets=[Target("team", team.pk), Target("organisation", organisation.pk)],
            details={"jurisdiction": jurisdiction.code},
        )
    return team


def _check_separation(user: User, team: Team, role: Role) -> None:
    """Platform administrators see no evidence, so the role excludes every other one."""
    others = Membership.objects.filter(user=user).exclude(team=team)
    if role == Role.ADMIN and others.exclude(role=Role.ADMIN).exists():
        raise MembershipError(_("A platform administrator cannot also hold a case role."))
    if role != Role.ADMIN and others.filter(role=Role.ADMIN).exists():
        raise MembershipError(_("A platform administrator cannot also hold a case role."))


def do_add_membership(
    *,
    user: User,
    team: Team,
    role: Role,
    by: User | None,
    by_membership: Membership | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    with transaction.atomic():
        if Membership.objects.filter(user=user, team=team).exists():
            raise MembershipError(_("This person is already a member of the team."))
        _check_separation(user, team, role)
        membership = Membership.objects.create(user=user, team=team, role=role)
        record(
            action=Action.MEMBERSHIP_ADDED,
            user=by,
            acting_as=_acting(by_membership),
            request=request,
            targets=[Target("user", user.pk), Target("team", team.pk)],
            details={"role": role.value},
        )
    return membership


def do_change_role(
    *,
    membership: Membership,
    role: Role,
    by: User | None,
    by_membership: Membership | None = None,
    request: HttpRequest | None = None,
) -> Membership:
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        _check_separation(locked.user, locked.team, role)
        previous = locked.role
        locked.role = role
        locked.save(update_fields=["role"])
        record(
            action=Action.MEMBERSHIP_ROLE_CHANGED,
            user=by,
            acting_as=_acting(by_membership),
            request=request,
            targets=[Target("user", locked.user_id), Target("team", locked.team_id)],
            details={"from": previous, "to": role.value},
        )
    return locked


def do_remove_membership(
    *,
    membership: Membership,
    by: User | None,
    by_membership: Membership | None = None,
    request: HttpRequest | None = None,
) -> None:
    with transaction.atomic():
        record(
            action=Action.MEMBERSHIP_REMOVED,
            user=by,
            acting_as=_acting(by_membership),
            request=request,
            targets=[Target("user", membership.user_id), Target("team", membership.team_id)],
            details={"role": membership.role},
        )
        membership.delete()
