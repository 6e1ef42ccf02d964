"""A survivor linked to an item after a grant reached it: their consent is registered or the grant suspended."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import ConsentAction, ConsentDependency, Grant, GrantLevel, GrantState, Notification
from evidence.models import EvidenceItem
from evidence.sharing import do_grant_items
from evidence.survivor_links import do_set_survivors
from teams.policy import Perm, actor_for, decide
from tests.sharing.conftest import ShareWorld
from tests.sharing.test_item_grants import items  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _grant_on(sw: ShareWorld, item: EvidenceItem) -> Grant:
    return do_grant_items(
        case=sw.case,
        items=[item],
        grantee_team=sw.world.team_tcc,
        level=GrantLevel.REDACTED,
        rights=["view"],
        purpose="the map for the joint complaint",
        user=sw.world.lead,
    )


def _link(sw: ShareWorld, item: EvidenceItem) -> None:
    do_set_survivors(
        item=item,
        survivors=[sw.survivor],
        no_survivor_material=False,
        user=sw.world.member,
        acting_as=None,
        request=None,
    )


def _sees(sw: ShareWorld, item: EvidenceItem) -> bool:
    from evidence.access import item_ref

    item = EvidenceItem.objects.select_related("case").get(pk=item.pk)
    return bool(decide(actor_for(sw.world.other_member), Perm.EVIDENCE_VIEW, item_ref(item)))


def test_a_survivor_linked_without_consent_suspends_the_grant_on_the_item(
    sw: ShareWorld,
    items: dict[str, EvidenceItem],  # noqa: F811
) -> None:
    plain = items["plain"]
    grant = _grant_on(sw, plain)  # concerns nobody: no consent asked
    assert not ConsentDependency.objects.filter(object_id=str(grant.pk)).exists() and _sees(sw, plain)
    EvidenceItem.objects.filter(pk=plain.pk).update(no_survivor_material=False)
    _link(sw, EvidenceItem.objects.get(pk=plain.pk))
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED and grant.ended_by_id == sw.world.member.pk
    assert not _sees(sw, plain)
    event = AuditEvent.objects.get(action="sharing.grant_suspended")
    assert event.details["grant"] == grant.pk and event.details["action"] == ConsentAction.SHARE_TEAM
    assert f"cases.survivor:{sw.survivor.pk}" in event.targets
    assert AuditEvent.objects.filter(action="consent.refused", details__action="share_team").exists()
    linked = AuditEvent.objects.get(action="evidence.survivors_linked", details__after=[sw.survivor.pk])
    assert linked.details["grants_suspended"] == [grant.pk]
    told = Notification.objects.filter(code="grant.consent_missing")
    assert {n.user.username for n in told} == {"lead"}  # the owner's coalition lead, who granted it
    assert sw.survivor.code in told.get().text and "share" in told.get().text.lower()
    grantee = Notification.objects.get(user=sw.world.other_member)
    assert grantee.code == "grant.access_suspended" and set(grantee.params) == {"case", "purpose"}
    assert sw.survivor.code not in grantee.text and "consent" not in grantee.text.lower()


def test_a_survivor_linked_with_consent_keeps_the_grant_and_a_later_withdrawal_suspends_it(
    sw: ShareWorld,
    items: dict[str, EvidenceItem],  # noqa: F811
) -> None:
    plain = items["plain"]
    grant = _grant_on(sw, plain)
    sw.consent_to_foreign_team()
    EvidenceItem.objects.filter(pk=plain.pk).update(no_survivor_material=False)
    _link(sw, EvidenceItem.objects.get(pk=plain.pk))
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
    actions = set(ConsentDependency.objects.filter(object_id=str(grant.pk)).values_list("action", flat=True))
    assert actions == {ConsentAction.SHARE_TEAM, ConsentAction.SHARE_JURISDICTION}
    assert _sees(sw, plain)
    sw.withdraw(ConsentAction.SHARE_JURISDICTION, "BD")
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED and not _sees(sw, plain)


def test_grants_that_need_no_consent_or_do_not_reach_the_item_are_left_alone(
    sw: ShareWorld,
    items: dict[str, EvidenceItem],  # noqa: F811
) -> None:
    plain, second = items["plain"], items["second"]
    sw.consent_to_foreign_team()
    elsewhere = _grant_on(sw, second)
    expired = _grant_on(sw, plain)
    Grant.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    EvidenceItem.objects.filter(pk=plain.pk).update(no_survivor_material=False)
    other = sw.survivor.__class__.objects.create(
        case=sw.case, code="S-CAF-0102", age_band="25-39", created_by=sw.world.member
    )
    do_set_survivors(
        item=EvidenceItem.objects.get(pk=plain.pk),
        survivors=[other],
        no_survivor_material=False,
        user=sw.world.member,
        acting_as=None,
        request=None,
    )
    assert set(Grant.objects.values_list("state", flat=True)) == {GrantState.ACTIVE}
    assert not ConsentDependency.objects.filter(survivor=other).exists()
    assert not AuditEvent.objects.filter(action="sharing.grant_suspended", details__grant=elsewhere.pk).exists()
