"""A survivor added to a case after a whole-case grant: their consent is registered or the grant suspended."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from cases import sharing
from cases.models import ConsentAction, ConsentDependency, Grant, GrantLevel, GrantState, Notification, Survivor
from cases.survivors import do_create_survivor
from teams.policy import Perm, actor_for, decide
from tests.factories import TeamFactory
from tests.sharing.conftest import ShareWorld, approve_originals_abroad

pytestmark = pytest.mark.django_db


def _originals(sw: ShareWorld) -> Grant:
    sw.consent_to_foreign_team()
    approve_originals_abroad(sw)
    return sw.grant(level=GrantLevel.ORIGINALS, rights=("view",))


def _sees_roster(sw: ShareWorld) -> bool:
    sw.case.refresh_from_db()
    return bool(decide(actor_for(sw.world.other_member), Perm.SURVIVOR_LIST, sw.case.as_ref()))


def test_a_survivor_added_without_consent_suspends_the_whole_case_grant(sw: ShareWorld) -> None:
    grant = _originals(sw)
    assert _sees_roster(sw)
    newcomer = do_create_survivor(case=sw.case, user=sw.world.member, age_band="18-24")
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED and grant.ended_by_id == sw.world.member.pk
    assert not _sees_roster(sw)
    suspended = AuditEvent.objects.get(action="sharing.grant_suspended")
    assert suspended.details["grant"] == grant.pk and suspended.details["action"] == ConsentAction.SHARE_TEAM
    assert suspended.details["reason"] == "survivor added to the case without consent"
    assert f"cases.survivor:{newcomer.pk}" in suspended.targets
    refused = AuditEvent.objects.filter(action="consent.refused")
    assert any(f"cases.survivor:{newcomer.pk}" in e.targets for e in refused)
    created = _created(newcomer)
    assert created.details["grants_suspended"] == [grant.pk]
    assert created.seq > suspended.seq  # one transaction: the survivor never exists with the grant unjudged
    owners = Notification.objects.filter(code="grant.consent_missing_added")
    assert {n.user.username for n in owners} == {"lead", "second-lead"}  # the owner's coalition leads
    told = owners.get(user=sw.world.lead)
    assert newcomer.code in told.text and "added to the case" in told.text
    with translation.override("fr"):
        french = told.text
    assert newcomer.code in french and "nouvelle autorisation" in french
    grantee = Notification.objects.get(user=sw.world.other_member)
    assert grantee.code == "grant.access_suspended" and newcomer.code not in grantee.text


def test_a_survivor_added_through_the_page_is_judged_too(sw: ShareWorld, login: Any) -> None:
    grant = _originals(sw)
    client = login(sw.world.member, Client(headers={"X-Forwarded-Proto": "https"}))
    response = client.post(
        reverse("cases:survivor_create", args=[sw.case.pk]), {"age_band": "25-39", "preferred_language": "fr"}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED
    created = AuditEvent.objects.filter(action="survivor.created").latest("seq")
    assert created.details["grants_suspended"] == [grant.pk] and created.actor_username == sw.world.member.username


def _register_on_the_page(sw: ShareWorld, login: Any, user: Any, **headers: str) -> list[str]:
    client = login(user, Client(headers={"X-Forwarded-Proto": "https", **headers}))
    response = client.post(
        reverse("cases:survivor_create", args=[sw.case.pk]), {"age_band": "25-39", "preferred_language": "fr"}
    )
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_editor_registering_is_told_how_many_grants_were_suspended_without_the_teams(
    sw: ShareWorld, login: Any
) -> None:
    _originals(sw)
    sw.grant(level=GrantLevel.REDACTED)
    assert not decide(actor_for(sw.world.member), Perm.GRANT_MANAGE, sw.case.as_ref())
    (told,) = _register_on_the_page(sw, login, sw.world.member)
    assert "suspended 2 grants of access to the whole case" in told
    assert "A coalition lead can grant them again once the consent is recorded." in told
    assert sw.world.team_tcc.name not in told and "Teams" not in told
    Grant.objects.filter(case=sw.case).update(state=GrantState.ACTIVE)
    (french,) = _register_on_the_page(sw, login, sw.world.member, **{"Accept-Language": "fr"})
    assert "a suspendu 2 autorisations d\u2019accès à l\u2019ensemble du dossier" in french
    assert "Un responsable de coalition pourra les accorder de nouveau" in french
    assert sw.world.team_tcc.name not in french


def test_a_lead_registering_is_also_told_which_teams_lost_access(sw: ShareWorld, login: Any) -> None:
    _originals(sw)
    assert decide(actor_for(sw.world.lead), Perm.GRANT_MANAGE, sw.case.as_ref())
    (told,) = _register_on_the_page(sw, login, sw.world.lead)
    assert "suspended 1 grant of access to the whole case" in told and "grant it again" in told
    assert told.endswith(f"Teams that lost access: {sw.world.team_tcc.name}.")
    Grant.objects.filter(case=sw.case).update(state=GrantState.ACTIVE)
    (french,) = _register_on_the_page(sw, login, sw.world.lead, **{"Accept-Language": "fr"})
    assert "a suspendu 1 autorisation d\u2019accès" in french
    assert french.endswith(f"Équipes qui ont perdu l\u2019accès : {sw.world.team_tcc.name}.")


def test_nothing_is_said_when_no_grant_was_suspended(sw: ShareWorld, login: Any) -> None:
    sw.grant(level=GrantLevel.REDACTED, grantee_team=TeamFactory(organisation=sw.world.org_car, slug="sib"))
    assert _register_on_the_page(sw, login, sw.world.lead) == []


def test_grants_that_need_no_consent_or_cover_chosen_items_are_left_alone(sw: ShareWorld) -> None:
    sibling = TeamFactory(organisation=sw.world.org_car, jurisdiction=sw.world.team_car.jurisdiction, slug="sib")
    own = sw.grant(level=GrantLevel.REDACTED, grantee_team=sibling)  # same organisation and country: no consent
    sw.consent_to_foreign_team()
    chosen = sw.grant(link_items=lambda _grant: [])
    ended = sw.grant()
    Grant.objects.filter(pk=ended.pk).update(state=GrantState.REVOKED)
    newcomer = do_create_survivor(case=sw.case, user=sw.world.member, age_band="18-24")
    assert dict(Grant.objects.values_list("pk", "state")) == {
        own.pk: GrantState.ACTIVE,
        chosen.pk: GrantState.ACTIVE,
        ended.pk: GrantState.REVOKED,
    }
    assert not AuditEvent.objects.filter(action="sharing.grant_suspended").exists()
    assert "grants_suspended" not in AuditEvent.objects.get(action="survivor.created").details
    assert not ConsentDependency.objects.filter(survivor=newcomer).exists()
    assert not Notification.objects.exists()


def test_a_newcomer_found_consenting_is_registered_and_a_withdrawal_then_suspends(
    sw: ShareWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    sw.consent_to_foreign_team()
    grant = sw.grant(level=GrantLevel.REDACTED, rights=("view",))
    # A consent cannot be recorded before its survivor exists: record the newcomer's just before the check
    # reads them, inside the registration, to see the grant kept and the consents registered.
    real = sharing.do_recheck_grants

    def consents_first(**kw: Any) -> dict[str, list[int]]:
        ShareWorld(sw.world, sw.case, kw["survivors"][0]).consent_to_foreign_team()
        return real(**kw)

    monkeypatch.setattr(sharing, "do_recheck_grants", consents_first)
    newcomer = do_create_survivor(case=sw.case, user=sw.world.member, age_band="18-24")
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
    created = _created(newcomer)
    assert created.details["grants_registered"] == [grant.pk]
    actions = set(ConsentDependency.objects.filter(survivor=newcomer).values_list("action", flat=True))
    assert actions == {ConsentAction.SHARE_TEAM, ConsentAction.SHARE_JURISDICTION}
    ShareWorld(sw.world, sw.case, Survivor.objects.get(pk=newcomer.pk)).withdraw(ConsentAction.SHARE_JURISDICTION, "BD")
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED


def _created(survivor: Survivor) -> AuditEvent:
    return next(
        e
        for e in AuditEvent.objects.filter(action="survivor.created")
        if e.targets == [f"cases.survivor:{survivor.pk}"]
    )
