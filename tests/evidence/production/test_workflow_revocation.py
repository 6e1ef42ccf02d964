"""Shredding, consent to storage, grants that justified a package, and races at release."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from audit.models import AuditEvent
from cases.approvals import ApprovalRefused
from cases.models import ConsentAction, Decision, GrantLevel
from cases.sharing import do_grant, do_revoke_grant
from evidence import storage
from evidence.production_access import production_ref
from evidence.production_models import Production, ProductionKey, ProductionState
from evidence.production_package import package_chunks
from evidence.production_services import (
    ProductionRefused,
    do_decide_originals_approval,
    do_release,
    do_request_originals_approval,
)
from evidence.retrieval import IntegrityFailure
from evidence.services import do_shred
from evidence.sharing import do_grant_items
from teams.models import Role
from teams.policy import Perm, actor_for, decide
from tests.evidence.production.workflow_helpers import ProdWorld, build, pw_fixture  # noqa: F401
from tests.factories import MembershipFactory, UserFactory
from tests.sharing.conftest import ShareWorld, approve_originals_abroad


def _approve(pw: ProdWorld, production: Production) -> None:
    second = User.objects.filter(username="second-lead").first()
    if second is None:
        second = UserFactory(username="second-lead")
        MembershipFactory(user=second, team=pw.world.team_car, role=Role.COALITION_LEAD)
    do_request_originals_approval(production=production, user=pw.world.member, purpose="the court asked for them")
    do_decide_originals_approval(production=production, user=second, approve=True)


def _released(pw: ProdWorld, **kw: Any) -> Production:
    production = build(pw.production(**kw), pw.world.member)
    if production.contains_originals:
        _approve(pw, production)
    return do_release(production=production, user=pw.world.member)


def test_shredding_an_item_revokes_its_released_production_and_destroys_the_package(
    pw: ProdWorld, django_capture_on_commit_callbacks: Any
) -> None:
    production = _released(pw)
    alias, key = production.storage_location, production.object_key
    assert storage.exists(alias, key)
    with django_capture_on_commit_callbacks(execute=True):
        do_shred(
            item=pw.statement, reason="survivor asked for destruction", user=pw.world.lead, acting_as=None, request=None
        )
    production.refresh_from_db()
    assert production.state == ProductionState.REVOKED
    assert not ProductionKey.objects.filter(production=production).exists()
    assert not storage.exists(alias, key)
    assert not decide(actor_for(pw.world.member), Perm.PRODUCTION_DOWNLOAD, production_ref(production))
    with pytest.raises(IntegrityFailure):
        b"".join(package_chunks(production))
    event = AuditEvent.objects.get(action="production.revoked")
    assert event.details["reason"] == "item shredded" and event.details["package_destroyed"] is True


def test_shredding_a_redacted_copy_revokes_the_built_production_holding_it(pw: ProdWorld, upload: Any) -> None:
    from teams.models import Organisation

    copy = pw.redacted_copy(upload)
    Organisation.objects.filter(pk=pw.case.organisation_id).update(originals_stay_in_jurisdiction=True)
    production = build(pw.production(recipient_country="FR"), pw.world.member)
    assert production.rows.get(item=pw.statement).produced_id == copy.pk
    do_shred(item=copy, reason="wrong redaction", user=pw.world.lead, acting_as=None, request=None)
    production.refresh_from_db()
    assert production.state == ProductionState.REVOKED
    with pytest.raises(ProductionRefused):
        do_release(production=production, user=pw.world.member)


def test_shredding_destroys_the_package_of_a_production_revoked_by_hand(
    pw: ProdWorld, django_capture_on_commit_callbacks: Any
) -> None:
    from evidence.production_services import do_revoke

    production = do_revoke(production=_released(pw), user=pw.world.lead)
    alias, key = production.storage_location, production.object_key
    with django_capture_on_commit_callbacks(execute=True):
        do_shred(
            item=pw.statement, reason="survivor asked for destruction", user=pw.world.lead, acting_as=None, request=None
        )
    production.refresh_from_db()
    assert production.state == ProductionState.REVOKED and production.object_key == ""
    assert not storage.exists(alias, key) and not ProductionKey.objects.filter(production=production).exists()


def test_a_built_production_whose_item_was_shredded_cannot_be_released(pw: ProdWorld) -> None:
    production = build(pw.production(), pw.world.member)
    _approve(pw, production)
    # Shredded without going through do_shred's revocation (e.g. a row restored from a backup).
    from evidence.models import EvidenceItem, State

    EvidenceItem.objects.filter(pk=pw.statement.pk).update(state=State.SHREDDED)
    with pytest.raises(ProductionRefused, match="crypto-shredded"):
        do_release(production=production, user=pw.world.member)
    production.refresh_from_db()
    assert production.state == ProductionState.BUILT
    assert AuditEvent.objects.filter(action="production.release_refused").exists()


def test_withdrawing_consent_to_storage_suspends_a_released_production(pw: ProdWorld) -> None:
    production = _released(pw)
    actor = actor_for(pw.world.member)
    assert decide(actor, Perm.PRODUCTION_DOWNLOAD, production_ref(production))
    pw.consent(ConsentAction.STORE_EVIDENCE, "", Decision.WITHDRAWN)
    assert not decide(actor, Perm.PRODUCTION_DOWNLOAD, production_ref(production))


def test_a_lost_approval_race_is_a_recorded_refusal(pw: ProdWorld, monkeypatch: Any) -> None:
    production = build(pw.production(), pw.world.member)
    _approve(pw, production)

    def used_meanwhile(**_kw: Any) -> Any:
        raise ApprovalRefused("This approval was already used.")

    monkeypatch.setattr("evidence.production_services.use_approval", used_meanwhile)
    with pytest.raises(ProductionRefused, match="already used"):
        do_release(production=production, user=pw.world.member)
    production.refresh_from_db()
    assert production.state == ProductionState.BUILT
    assert AuditEvent.objects.get(action="production.release_refused").details["reason"].startswith("This approval")


def test_revoking_the_originals_grant_stops_the_recipient_even_with_another_export_grant(pw: ProdWorld) -> None:
    pw.consent(ConsentAction.SHARE_TEAM, str(pw.world.team_tcc.pk))
    pw.consent(ConsentAction.SHARE_JURISDICTION, "BD")
    approve_originals_abroad(ShareWorld(pw.world, pw.case, pw.survivor))
    common: dict[str, Any] = {"case": pw.case, "grantee_team": pw.world.team_tcc, "user": pw.world.lead}
    originals = do_grant(
        level=GrantLevel.ORIGINALS,
        rights=["view", "download", "export"],
        purpose="joint complaint, originals",
        **common,
    )
    do_grant_items(
        items=[pw.photo_log],
        level=GrantLevel.METADATA,
        rights=["view", "export"],
        purpose="an unrelated listing",
        **common,
    )
    production = _released(pw, recipient_team=pw.world.team_tcc)
    assert production.contains_originals and production.recipient_grants == [originals.pk]
    foreign = actor_for(pw.world.other_member)
    assert decide(foreign, Perm.PRODUCTION_DOWNLOAD, production_ref(production))
    do_revoke_grant(grant=originals, user=pw.world.lead, reason="the court case ended")
    production.refresh_from_db()
    assert not decide(foreign, Perm.PRODUCTION_DOWNLOAD, production_ref(production))
