"""A survivor linked later to an item of a released production must consent to it, or its downloads stop."""

from __future__ import annotations

from django.utils import translation

from audit.models import AuditEvent
from cases.models import ConsentAction, Decision, Notification, Survivor
from evidence.production_access import production_ref
from evidence.production_models import Production
from evidence.production_services import do_create_production, do_release, do_select_items
from evidence.survivor_links import do_set_survivors
from teams.policy import Perm, actor_for, decide
from tests.evidence.production.test_workflow_revocation import _approve
from tests.evidence.production.workflow_helpers import FORUM, ProdWorld, build, pw_fixture  # noqa: F401


def _released_photo_log(pw: ProdWorld) -> Production:
    production = do_create_production(
        case=pw.case, user=pw.world.member, recipient="Tribunal", forum=FORUM, purpose="criminal complaint"
    )
    do_select_items(production=production, items=[pw.photo_log], user=pw.world.member)
    production = build(production, pw.world.member)
    _approve(pw, production)
    return do_release(production=production, user=pw.world.member)


def _link(pw: ProdWorld, survivor: Survivor) -> None:
    do_set_survivors(
        item=pw.photo_log,
        survivors=[survivor],
        no_survivor_material=False,
        user=pw.world.lead,
        acting_as=None,
        request=None,
    )


def _downloadable(pw: ProdWorld, production: Production) -> bool:
    production.refresh_from_db()
    return bool(decide(actor_for(pw.world.member), Perm.PRODUCTION_DOWNLOAD, production_ref(production)))


def test_a_survivor_linked_later_without_consent_stops_the_downloads(pw: ProdWorld) -> None:
    production = _released_photo_log(pw)
    assert _downloadable(pw, production)
    newcomer = Survivor.objects.create(case=pw.case, code="S-CAF-0102", age_band="18-24", created_by=pw.world.member)
    _link(pw, newcomer)
    assert not _downloadable(pw, production)
    event = AuditEvent.objects.get(action="production.suspended")
    assert event.case_id == pw.case.pk
    linked = AuditEvent.objects.get(action="evidence.survivors_linked")
    assert linked.details["productions_suspended"] == [production.pk]


def test_a_consenting_survivor_linked_later_is_registered_and_a_withdrawal_then_stops_it(pw: ProdWorld) -> None:
    production = _released_photo_log(pw)
    _link(pw, pw.survivor)  # consents to storage and to the forum
    assert _downloadable(pw, production)
    assert not AuditEvent.objects.filter(action="production.suspended").exists()
    pw.consent(ConsentAction.PROCEEDINGS, FORUM, Decision.WITHDRAWN)
    assert not _downloadable(pw, production)


def test_the_suspension_is_notified_to_the_leads_and_the_releaser_in_their_language(pw: ProdWorld) -> None:
    production = _released_photo_log(pw)
    newcomer = Survivor.objects.create(case=pw.case, code="S-CAF-0102", age_band="18-24", created_by=pw.world.member)
    _link(pw, newcomer)
    notices = Notification.objects.filter(code="production.suspended")
    told = set(notices.values_list("user__username", flat=True))
    assert told == {pw.world.lead.username, "second-lead", pw.world.member.username}
    assert notices.count() == len(told)  # once each, though the releaser may also be a lead
    notice = notices.first()
    assert notice is not None and notice.case_id == pw.case.pk
    assert notice.params == {
        "case": pw.case.reference,
        "production": production.reference,
        "survivor": "S-CAF-0102",
        "action": ConsentAction.STORE_EVIDENCE,
    }
    assert "S-CAF-0102" in notice.message and "Store evidence" in notice.message
    with translation.override("fr"):
        french = notice.text
    assert production.reference in french and "téléchargements" in french and french != notice.message
    assert not Notification.objects.filter(user=pw.world.other_member).exists()


def test_a_consenting_survivor_linked_later_notifies_no_one(pw: ProdWorld) -> None:
    _released_photo_log(pw)
    _link(pw, pw.survivor)
    assert not Notification.objects.filter(code="production.suspended").exists()
