"""A production stopped for a survivor linked later: a coalition lead resumes it once the consents are recorded."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import AuditEvent
from cases.consent_services import do_record_consent
from cases.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalState,
    ConsentAction,
    ConsentDependency,
    Decision,
    Survivor,
)
from evidence.production_access import production_ref
from evidence.production_linking import do_lift_suspension, do_request_lift_approval
from evidence.production_models import Production, ProductionState
from evidence.production_services import ProductionRefused, do_decide_originals_approval
from teams.policy import Perm, actor_for, decide
from tests.evidence.production.test_workflow_linking import _downloadable, _link, _released_photo_log
from tests.evidence.production.workflow_helpers import FORUM, ProdWorld, pw_fixture  # noqa: F401
from tests.sharing.conftest import second_lead


def _consent(
    pw: ProdWorld, survivor: Survivor, action: str, target: str = "", decision: str = Decision.GRANTED
) -> None:
    do_record_consent(
        survivor=survivor,
        action=action,
        target=target,
        decision=decision,
        method="written",
        language="Sango",
        given_on=datetime.date(2026, 1, 10),
        user=pw.world.member,
    )


def _suspended(pw: ProdWorld) -> tuple[Production, Survivor]:
    production = _released_photo_log(pw)
    newcomer = Survivor.objects.create(case=pw.case, code="S-CAF-0102", age_band="18-24", created_by=pw.world.member)
    _link(pw, newcomer)
    production.refresh_from_db()
    assert production.consent_suspended_at is not None and not _downloadable(pw, production)
    return production, newcomer


def _second(pw: ProdWorld) -> Any:
    return User.objects.filter(username="second-lead").first() or second_lead(pw.world)


def _approved_lift(pw: ProdWorld, production: Production) -> ApprovalRequest:
    """The production holds originals: the lead who resumes asks, a second coalition lead approves."""
    do_request_lift_approval(production=production, user=pw.world.lead, purpose="the court still needs them")
    return do_decide_originals_approval(production=production, user=_second(pw), approve=True)


def _client(login: Any, user: Any, *, sudo: bool = True) -> Client:
    return login(user, Client(headers={"X-Forwarded-Proto": "https"}), sudo=sudo)


def test_the_lift_is_refused_while_a_consent_is_missing_then_resumes_the_downloads(pw: ProdWorld) -> None:
    production, newcomer = _suspended(pw)
    _consent(pw, newcomer, ConsentAction.STORE_EVIDENCE)  # the forum still missing
    with translation.override("fr"), pytest.raises(ProductionRefused) as refused:
        do_lift_suspension(production=production, user=pw.world.lead)
    assert "restent arrêtés" in refused.value.message and newcomer.code in refused.value.message
    production.refresh_from_db()
    assert production.consent_suspended_at is not None and not _downloadable(pw, production)
    refusal = AuditEvent.objects.get(action="production.suspension_lift_refused")
    assert refusal.outcome == "denied" and refusal.details["step"] == "lift_suspension"
    assert AuditEvent.objects.filter(action="consent.refused", details__action="proceedings").exists()

    _consent(pw, newcomer, ConsentAction.PROCEEDINGS, FORUM)
    _approved_lift(pw, production)
    lifted = do_lift_suspension(production=production, user=pw.world.lead)
    assert lifted.consent_suspended_at is None and lifted.state == ProductionState.RELEASED
    assert _downloadable(pw, production)
    event = AuditEvent.objects.filter(action="production.suspension_lifted").latest("seq")
    assert event.actor_username == pw.world.lead.username and "suspension_lifted" in event.details
    assert f"cases.survivor:{newcomer.pk}" in event.targets
    registered = ConsentDependency.objects.filter(survivor=newcomer, object_id=str(production.pk))
    assert set(registered.values_list("action", flat=True)) == {ConsentAction.STORE_EVIDENCE, ConsentAction.PROCEEDINGS}
    # The consents it now rests on work like the release's: a withdrawal stops the downloads again.
    _consent(pw, newcomer, ConsentAction.PROCEEDINGS, FORUM, Decision.WITHDRAWN)
    assert not _downloadable(pw, production)


def test_a_withdrawal_is_never_lifted(pw: ProdWorld) -> None:
    production = _released_photo_log(pw)
    _link(pw, pw.survivor)  # consents: kept, registered
    pw.withdraw_proceedings()
    production.refresh_from_db()
    assert not _downloadable(pw, production)
    assert not decide(actor_for(pw.world.lead), Perm.PRODUCTION_LIFT_SUSPENSION, production_ref(production))
    # Linked later as well: the policy allows the step, the service still refuses it for the withdrawal.
    newcomer = Survivor.objects.create(case=pw.case, code="S-CAF-0102", age_band="18-24", created_by=pw.world.member)
    _link(pw, newcomer)
    _consent(pw, newcomer, ConsentAction.STORE_EVIDENCE)
    _consent(pw, newcomer, ConsentAction.PROCEEDINGS, FORUM)
    pw.consent(ConsentAction.PROCEEDINGS, FORUM)  # given again: the withdrawal's suspension stays
    production.refresh_from_db()
    assert decide(actor_for(pw.world.lead), Perm.PRODUCTION_LIFT_SUSPENSION, production_ref(production))
    with pytest.raises(ProductionRefused, match="withdrew"):
        do_lift_suspension(production=production, user=pw.world.lead)
    production.refresh_from_db()
    assert production.consent_suspended_at is not None and not _downloadable(pw, production)


def test_only_a_coalition_lead_of_the_owner_may_lift_and_only_a_suspended_release(pw: ProdWorld) -> None:
    production = _released_photo_log(pw)
    lead = actor_for(pw.world.lead)
    assert not decide(lead, Perm.PRODUCTION_LIFT_SUSPENSION, production_ref(production))  # nothing to lift
    production, _newcomer = _suspended_again(pw, production)
    assert decide(lead, Perm.PRODUCTION_LIFT_SUSPENSION, production_ref(production))
    for who in ("member", "investigator", "auditor", "mhpss", "other_member", "outsider", "admin"):
        assert not decide(
            actor_for(getattr(pw.world, who)), Perm.PRODUCTION_LIFT_SUSPENSION, production_ref(production)
        )


def _suspended_again(pw: ProdWorld, production: Production) -> tuple[Production, Survivor]:
    newcomer = Survivor.objects.create(case=pw.case, code="S-CAF-0102", age_band="18-24", created_by=pw.world.member)
    _link(pw, newcomer)
    production.refresh_from_db()
    return production, newcomer


def test_the_owner_lifts_from_the_page_in_sudo_mode(pw: ProdWorld, login: Any) -> None:
    production, newcomer = _suspended(pw)
    url = reverse("productions:lift_suspension", args=[production.pk])
    page = reverse("productions:detail", args=[production.pk])
    owner = _client(login, pw.world.lead, sudo=False)
    assert b'id="lift-suspension"' in owner.get(page).content
    assert b'id="lift-suspension"' not in _client(login, pw.world.member).get(page).content
    assert owner.get(url).status_code == 405  # GET changes nothing
    confirm = owner.post(url)
    assert confirm.status_code == 302 and confirm["Location"].startswith(reverse("accounts:sudo"))
    production.refresh_from_db()
    assert production.consent_suspended_at is not None
    owner = _client(login, pw.world.lead)
    refused = owner.post(url, follow=True)
    assert refused.status_code == 200 and newcomer.code.encode() in refused.content
    production.refresh_from_db()
    assert production.consent_suspended_at is not None
    _consent(pw, newcomer, ConsentAction.STORE_EVIDENCE)
    _consent(pw, newcomer, ConsentAction.PROCEEDINGS, FORUM)
    _approved_lift(pw, production)
    assert owner.post(url).status_code == 302
    production.refresh_from_db()
    assert production.consent_suspended_at is None and _downloadable(pw, production)
    assert b'id="lift-suspension"' not in owner.get(page).content


@pytest.mark.parametrize("who", ["member", "outsider", "other_member", "auditor"])
def test_the_lift_is_refused_to_everyone_but_the_owner(pw: ProdWorld, login: Any, who: str) -> None:
    production, newcomer = _suspended(pw)
    _consent(pw, newcomer, ConsentAction.STORE_EVIDENCE)
    _consent(pw, newcomer, ConsentAction.PROCEEDINGS, FORUM)
    person = getattr(pw.world, who)
    url = reverse("productions:lift_suspension", args=[production.pk])
    assert _client(login, person).post(url).status_code == 404
    production.refresh_from_db()
    assert production.consent_suspended_at is not None and not _downloadable(pw, production)
    assert AuditEvent.objects.filter(action="access.denied", actor_username=person.username).exists()
    # The same request by the owner's coalition lead does lift it: the refusal was the person's.
    _approved_lift(pw, production)
    assert _client(login, pw.world.lead).post(url).status_code == 302
    production.refresh_from_db()
    assert production.consent_suspended_at is None


def test_resuming_originals_needs_a_second_leads_approval_used_once(pw: ProdWorld) -> None:
    production, newcomer = _suspended(pw)
    assert production.contains_originals
    _consent(pw, newcomer, ConsentAction.STORE_EVIDENCE)
    _consent(pw, newcomer, ConsentAction.PROCEEDINGS, FORUM)
    with translation.override("fr"), pytest.raises(ProductionRefused) as refused:
        do_lift_suspension(production=production, user=pw.world.lead)
    assert "second responsable de coalition" in refused.value.message
    refusal = AuditEvent.objects.get(action="production.suspension_lift_refused")
    assert refusal.outcome == "denied" and "second responsable" in refusal.details["reason"]  # the actor's language
    production.refresh_from_db()
    assert production.consent_suspended_at is not None and not _downloadable(pw, production)

    do_request_lift_approval(production=production, user=pw.world.lead, purpose="the court still needs them")
    with pytest.raises(ProductionRefused, match="your own request"):
        do_decide_originals_approval(production=production, user=pw.world.lead, approve=True)
    with pytest.raises(ProductionRefused, match="second coalition lead"):
        do_lift_suspension(production=production, user=pw.world.lead)  # asked, not yet approved
    approval = do_decide_originals_approval(production=production, user=_second(pw), approve=True)
    assert approval.kind == ApprovalKind.EXPORT_ORIGINALS and approval.state == ApprovalState.APPROVED
    lifted = do_lift_suspension(production=production, user=pw.world.lead)
    assert lifted.consent_suspended_at is None and _downloadable(pw, production)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.USED
    event = AuditEvent.objects.filter(action="production.suspension_lifted").latest("seq")
    assert event.details["approval"] == approval.pk
    used = AuditEvent.objects.filter(action="sharing.approval_used").latest("seq")
    assert used.details["approved_by"] == _second(pw).pk and used.seq < event.seq

    # Stopped again by another survivor linked later: the approval was used once, a new one is needed.
    later = Survivor.objects.create(case=pw.case, code="S-CAF-0103", age_band="18-24", created_by=pw.world.member)
    _link(pw, later)
    _consent(pw, later, ConsentAction.STORE_EVIDENCE)
    _consent(pw, later, ConsentAction.PROCEEDINGS, FORUM)
    production.refresh_from_db()
    with pytest.raises(ProductionRefused, match="second coalition lead"):
        do_lift_suspension(production=production, user=pw.world.lead)
    production.refresh_from_db()
    assert production.consent_suspended_at is not None


def test_an_approval_is_asked_only_for_a_production_stopped_for_a_link(pw: ProdWorld) -> None:
    production = _released_photo_log(pw)
    with pytest.raises(ProductionRefused, match="not stopped for a survivor linked later"):
        do_request_lift_approval(production=production, user=pw.world.lead, purpose="the court still needs them")
    production, _newcomer = _suspended_again(pw, production)
    with pytest.raises(ProductionRefused, match="at least 10 characters"):
        do_request_lift_approval(production=production, user=pw.world.lead, purpose="short")
    assert not ApprovalRequest.objects.filter(state=ApprovalState.PENDING).exists()


def test_the_second_lead_approves_the_resumption_from_the_page(pw: ProdWorld, login: Any) -> None:
    production, newcomer = _suspended(pw)
    _consent(pw, newcomer, ConsentAction.STORE_EVIDENCE)
    _consent(pw, newcomer, ConsentAction.PROCEEDINGS, FORUM)
    page = reverse("productions:detail", args=[production.pk])
    owner = _client(login, pw.world.lead)
    assert b'id="request-lift-approval"' in owner.get(page).content
    asked = owner.post(
        reverse("productions:request_lift_approval", args=[production.pk]), {"purpose": "the court still needs them"}
    )
    assert asked.status_code == 302
    pending = ApprovalRequest.objects.get(state=ApprovalState.PENDING)
    assert pending.requested_by_id == pw.world.lead.pk and pending.kind == ApprovalKind.EXPORT_ORIGINALS
    assert b'id="approve-lift"' not in owner.get(page).content  # never one's own request
    second = _client(login, _second(pw))
    assert b'id="approve-lift"' in second.get(page).content
    assert (
        second.post(reverse("productions:decide_approval", args=[production.pk]), {"decision": "approve"}).status_code
        == 302
    )
    assert owner.post(reverse("productions:lift_suspension", args=[production.pk])).status_code == 302
    production.refresh_from_db()
    assert production.consent_suspended_at is None and _downloadable(pw, production)


@pytest.mark.parametrize("who", ["member", "outsider", "other_member", "auditor"])
def test_asking_to_resume_is_refused_to_everyone_but_the_owner(pw: ProdWorld, login: Any, who: str) -> None:
    production, _newcomer = _suspended(pw)
    person = getattr(pw.world, who)
    url = reverse("productions:request_lift_approval", args=[production.pk])
    data = {"purpose": "the court still needs them"}
    assert _client(login, person).post(url, data).status_code == 404
    assert not ApprovalRequest.objects.filter(state=ApprovalState.PENDING).exists()
    assert AuditEvent.objects.filter(action="access.denied", actor_username=person.username).exists()
    assert _client(login, pw.world.lead).get(url).status_code == 405
    # The same request by the owner's coalition lead is taken: the refusal was the person's.
    assert _client(login, pw.world.lead).post(url, data).status_code == 302
    assert ApprovalRequest.objects.get(state=ApprovalState.PENDING).requested_by_id == pw.world.lead.pk
