"""Grants: consent before crossing a border, suspension on withdrawal, revocation and expiry in the policy."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from cases.consent import ConsentRefused
from cases.models import ConsentAction, GrantLevel, GrantState
from cases.sharing import GrantInvalid, do_revoke_grant
from teams.policy import Perm, actor_for, decide
from tests.factories import TeamFactory
from tests.sharing.conftest import ShareWorld


def _can_view_case(sw: ShareWorld) -> bool:
    sw.case.refresh_from_db()
    return bool(decide(actor_for(sw.world.other_member), Perm.CASE_VIEW, sw.case.as_ref()))


def test_cross_border_grant_without_consent_is_refused_with_the_reason(sw: ShareWorld) -> None:
    with pytest.raises(ConsentRefused) as refused:
        sw.grant()
    assert "S-CAF-0101" in str(refused.value.message)
    assert AuditEvent.objects.filter(action=Action.GRANT_REFUSED).count() == 1
    assert not sw.case.grants.exists()
    assert not _can_view_case(sw)


def test_team_consent_alone_does_not_cross_the_border(sw: ShareWorld) -> None:
    sw.consent(ConsentAction.SHARE_TEAM, sw.world.team_tcc.pk)
    with pytest.raises(ConsentRefused):
        sw.grant()


def test_consented_grant_lets_the_foreign_lawyer_see_the_case(sw: ShareWorld) -> None:
    assert not _can_view_case(sw)
    sw.consent_to_foreign_team()
    grant = sw.grant()
    assert grant.cross_border
    assert grant.expires_at - timezone.now() > datetime.timedelta(days=89)
    assert AuditEvent.objects.filter(action=Action.GRANT_CREATED).count() == 1
    assert _can_view_case(sw)


def test_withdrawal_suspends_a_cross_border_grant_immediately(sw: ShareWorld) -> None:
    sw.consent_to_foreign_team()
    grant = sw.grant()
    assert _can_view_case(sw)

    sw.withdraw(ConsentAction.SHARE_JURISDICTION, "BD")

    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED
    assert not _can_view_case(sw)
    assert AuditEvent.objects.filter(action=Action.GRANT_SUSPENDED).count() == 1


def test_revoked_grant_gives_nothing_at_the_next_request(sw: ShareWorld) -> None:
    sw.consent_to_foreign_team()
    grant = sw.grant()
    do_revoke_grant(grant=grant, user=sw.world.lead, reason="work finished")
    assert not _can_view_case(sw)
    assert AuditEvent.objects.filter(action=Action.GRANT_REVOKED).count() == 1
    with pytest.raises(GrantInvalid):
        do_revoke_grant(grant=grant, user=sw.world.lead)


def test_a_grant_past_its_expiry_gives_nothing_before_the_daily_task(sw: ShareWorld) -> None:
    sw.consent_to_foreign_team()
    grant = sw.grant()
    type(grant).objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert not _can_view_case(sw)


def test_expiry_is_mandatory_and_bounded(sw: ShareWorld) -> None:
    sw.consent_to_foreign_team()
    with pytest.raises(GrantInvalid):
        sw.grant(expires_at=timezone.now() + datetime.timedelta(days=5000))
    with pytest.raises(GrantInvalid):
        sw.grant(expires_at=timezone.now() - datetime.timedelta(days=1))


def test_originals_need_consent_even_within_the_country(sw: ShareWorld) -> None:
    local = TeamFactory(organisation=sw.world.org_tcc, jurisdiction=sw.world.team_car.jurisdiction, slug="local")
    with pytest.raises(ConsentRefused):
        sw.grant(level=GrantLevel.ORIGINALS, grantee_team=local)
    sw.consent(ConsentAction.SHARE_TEAM, local.pk)
    grant = sw.grant(level=GrantLevel.REDACTED, grantee_team=local)
    assert not grant.cross_border


@pytest.mark.parametrize("level", [GrantLevel.METADATA, GrantLevel.REDACTED])
def test_another_organisations_team_in_the_country_needs_the_team_consent(sw: ShareWorld, level: str) -> None:
    local = TeamFactory(organisation=sw.world.org_tcc, jurisdiction=sw.world.team_car.jurisdiction, slug="local")
    with pytest.raises(ConsentRefused):
        sw.grant(level=level, grantee_team=local)
    assert AuditEvent.objects.filter(action=Action.GRANT_REFUSED).exists()
    sw.consent(ConsentAction.SHARE_TEAM, local.pk)
    assert sw.grant(level=level, grantee_team=local).state == GrantState.ACTIVE


def test_a_team_of_the_owning_organisation_needs_no_team_consent_for_redacted_copies(sw: ShareWorld) -> None:
    sister = TeamFactory(organisation=sw.world.org_car, jurisdiction=sw.world.team_car.jurisdiction, slug="sister")
    assert sw.grant(level=GrantLevel.REDACTED, grantee_team=sister).state == GrantState.ACTIVE


def test_the_expiry_task_is_registered_and_on_the_daily_beat() -> None:
    from django.conf import settings

    from vault.celery import app

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "sharing.expire_grants"]
    assert len(entries) == 1 and entries[0]["schedule"] <= 24 * 60 * 60
    app.loader.import_default_modules()
    assert "sharing.expire_grants" in app.tasks
    assert settings.CUSTODY_GRANT_WARN_DAYS == 7


def test_daily_task_warns_a_week_before_then_expires(sw: ShareWorld) -> None:
    from cases.models import Notification
    from cases.tasks import expire_grants

    sw.consent_to_foreign_team()
    grant = sw.grant(expires_at=timezone.now() + datetime.timedelta(days=3))
    assert expire_grants() == {"expired": 0, "warned": 1}
    assert expire_grants() == {"expired": 0, "warned": 0}
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert {"foreign", "lead"} <= notified
    type(grant).objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert expire_grants() == {"expired": 1, "warned": 0}
    grant.refresh_from_db()
    assert grant.state == GrantState.EXPIRED
    assert AuditEvent.objects.filter(action=Action.GRANT_EXPIRED).count() == 1
