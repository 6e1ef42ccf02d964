"""Pages: what each persona may do, and the 404 everyone else gets (audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from cases.consent_services import do_record_consent
from cases.mhpss import do_write_note
from cases.models import (
    AllegedPerpetrator,
    ApprovalKind,
    ApprovalRequest,
    ApprovalState,
    Case,
    ConsentRecord,
    Interview,
    LegalAvenue,
    LimitationDeadline,
    MhpssNote,
    StatusEntry,
    Survivor,
)
from cases.survivors import IdentityData, do_create_survivor
from tests.cases.conftest import CaseWorld, another_client, approve_reveal, consent_kwargs

Login = Callable[..., Client]


def _denied(client: Client, url: str, data: dict[str, Any] | None = None) -> None:
    before = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count()
    response = client.post(url, data or {}) if data is not None else client.get(url)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED).count() == before + 1


def test_case_list_and_detail(cw: CaseWorld, login: Login) -> None:
    client = login(cw.world.member)
    assert cw.case.reference in client.get(reverse("cases:list")).content.decode()
    page = client.get(reverse("cases:detail", args=[cw.case.pk])).content.decode()
    assert "S-CAF-0001" in page
    assert AuditEvent.objects.filter(action=Action.CASE_VIEWED, case_id=cw.case.pk).exists()
    foreign = login(cw.world.other_member, another_client())
    assert cw.case.reference not in foreign.get(reverse("cases:list")).content.decode()
    _denied(foreign, reverse("cases:detail", args=[cw.case.pk]))
    _denied(foreign, reverse("cases:detail", args=[999999]))


def test_create_a_case(cw: CaseWorld, login: Login) -> None:
    client = login(cw.world.member)
    data = {
        "reference": "CAF-MINUSCA-0900",
        "team": cw.world.team_car.pk,
        "allegation_type": "abuse",
        "mission": "MINUSCA",
    }
    response = client.post(reverse("cases:create"), data)
    case = Case.objects.get(reference="CAF-MINUSCA-0900")
    assert response.status_code == 302
    assert list(case.teams.all()) == [cw.world.team_car]
    assert case.status_entries.count() == 1
    bad = client.post(reverse("cases:create"), {**data, "reference": "Jane Doe case"})
    assert bad.status_code == 200 and "never a name" in bad.content.decode()
    foreign = login(cw.world.other_member, another_client())
    assert foreign.post(reverse("cases:create"), {**data, "reference": "CAF-MINUSCA-0901"}).status_code == 200
    assert not Case.objects.filter(reference="CAF-MINUSCA-0901").exists()
    _denied(login(cw.world.outsider, another_client()), reverse("cases:create"), data)
    _denied(login(cw.world.mhpss, another_client()), reverse("cases:create"), data)


@pytest.mark.parametrize(
    ("part", "data", "model"),
    [
        ("status", {"status": "un_investigation", "on": "2026-02-01"}, StatusEntry),
        (
            "deadline",
            {"description": "Civil claim prescription", "due_on": "2027-01-01", "remind_days_before": 60},
            LimitationDeadline,
        ),
        (
            "perpetrator",
            {"contributing_country": "BD", "category": "military", "unit": "Demo unit"},
            AllegedPerpetrator,
        ),
        (
            "avenue",
            {"forum": "Cour pénale spéciale", "jurisdiction": "CF", "description": "Criminal complaint"},
            LegalAvenue,
        ),
    ],
)
def test_case_parts(cw: CaseWorld, login: Login, part: str, data: dict[str, Any], model: Any) -> None:
    url = reverse("cases:add", args=[cw.case.pk, part])
    before = model.objects.count()
    for persona in (cw.world.other_member, cw.world.outsider, cw.world.auditor, cw.world.mhpss):
        _denied(login(persona, another_client()), url, data)
    assert model.objects.count() == before
    assert login(cw.world.member).post(url, data).status_code == 302
    assert model.objects.count() == before + 1
    assert login(cw.world.member).post(url, {}).status_code == 400


def test_register_a_survivor(cw: CaseWorld, login: Login) -> None:
    url = reverse("cases:survivor_create", args=[cw.case.pk])
    data = {
        "age_band": "12-17",
        "child_now": "on",
        "preferred_language": "fr",
        "guardian_relationship": "aunt",
        "legal_name": "Fictional Child",
    }
    for persona in (cw.world.other_member, cw.world.outsider, cw.world.mhpss):
        _denied(login(persona, another_client()), url, data)
    response = login(cw.world.member).post(url, data)
    survivor = Survivor.objects.get(code="S-CAF-0003")
    assert response.status_code == 302
    assert survivor.child_at_incident and survivor.guardians.count() == 1
    assert b"Fictional Child" not in bytes(survivor.sealed_identity.ciphertext)
    no_guardian = login(cw.world.member).post(url, {**data, "guardian_relationship": ""})
    assert no_guardian.status_code == 200 and Survivor.objects.count() == 3


def test_record_consent_for_a_child_and_see_the_matrix(cw: CaseWorld, login: Login) -> None:
    url = reverse("cases:consent", args=[cw.child.pk])
    data = {
        "action": "store_evidence",
        "decision": "granted",
        "given_by": "guardian",
        "guardian": cw.guardian.pk,
        "child_assent": "given",
        "method": "thumbprint",
        "language": "Sango",
        "interpreter": "Staff interpreter",
        "given_on": "2026-03-01",
    }
    for persona in (cw.world.other_member, cw.world.outsider, cw.world.mhpss, cw.world.auditor):
        _denied(login(persona, another_client()), url, data)
    client = login(cw.world.member)
    missing_assent = client.post(url, {**data, "child_assent": "n/a"})
    assert missing_assent.status_code == 200 and "child assents" in missing_assent.content.decode()
    assert client.post(url, data).status_code == 302
    page = client.get(reverse("cases:survivor", args=[cw.child.pk])).content.decode()
    assert 'data-action="store_evidence" data-state="granted"' in page
    assert 'data-action="share_media" data-state="none"' in page


def test_withdraw_from_the_survivor_page(cw: CaseWorld, login: Login) -> None:
    do_record_consent(survivor=cw.adult, action="contact", decision="granted", user=cw.world.member, **consent_kwargs())
    url = reverse("cases:withdraw", args=[cw.adult.pk])
    data = {"action": "contact", "target": "", "given_by": "survivor", "method": "verbal", "language": "Sango"}
    for persona in (cw.world.other_member, cw.world.outsider):
        _denied(login(persona, another_client()), url, data)
    assert login(cw.world.member).post(url, data).status_code == 302
    assert ConsentRecord.objects.filter(survivor=cw.adult).order_by("-pk").first().decision == "withdrawn"  # type: ignore[union-attr]


def test_get_never_changes_state(cw: CaseWorld, login: Login) -> None:
    client = login(cw.world.member)
    counts = (ConsentRecord.objects.count(), Interview.objects.count(), MhpssNote.objects.count())
    for name in ("consent", "receipt", "identity", "notes", "interviews", "survivor"):
        assert client.get(reverse(f"cases:{name}", args=[cw.adult.pk])).status_code == 200
    assert (ConsentRecord.objects.count(), Interview.objects.count(), MhpssNote.objects.count()) == counts
    assert not AuditEvent.objects.filter(action=Action.IDENTITY_REVEALED).exists()


def test_reveal_identity_needs_a_custodian_and_a_purpose(cw: CaseWorld, login: Login) -> None:
    survivor = do_create_survivor(
        case=cw.case, user=cw.world.member, identity=IdentityData(legal_name="Fictional Name")
    )
    url = reverse("cases:identity", args=[survivor.pk])
    for persona in (cw.world.investigator, cw.world.other_member, cw.world.outsider, cw.world.mhpss):
        _denied(login(persona, another_client()), url, {"purpose": "Preparing the hearing bundle"})
    unconfirmed = login(cw.world.member, another_client()).post(url, {"purpose": "Preparing the hearing bundle"})
    assert unconfirmed.status_code == 302 and unconfirmed["Location"].startswith(reverse("accounts:sudo"))
    assert not AuditEvent.objects.filter(action=Action.IDENTITY_REVEALED).exists()
    client = login(cw.world.member, sudo=True)
    assert "Fictional Name" not in client.post(url, {"purpose": "short"}).content.decode()
    alone = client.post(url, {"purpose": "Preparing the hearing bundle"}).content.decode()
    assert "Fictional Name" not in alone and "second coalition lead" in alone
    approve_reveal(survivor, cw.world.member)
    response = client.post(url, {"purpose": "Preparing the hearing bundle"})
    assert "Fictional Name" in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_notes_interviews_and_flags(cw: CaseWorld, login: Login) -> None:
    notes_url = reverse("cases:notes", args=[cw.adult.pk])
    note_data = {"body": "Fictional clinical note", "safety_flag": "No contact before June", "no_contact_before": ""}
    _denied(login(cw.world.member), notes_url, note_data)
    _denied(login(cw.world.other_member, another_client()), notes_url, note_data)
    assert login(cw.world.mhpss, another_client()).post(notes_url, note_data).status_code == 302
    note = MhpssNote.objects.get()
    lawyer = login(cw.world.member, another_client())
    assert "No contact before June" in lawyer.get(reverse("cases:survivor", args=[cw.adult.pk])).content.decode()
    refused = lawyer.get(reverse("cases:note", args=[note.pk]))
    assert refused.status_code == 404
    _denied(login(cw.world.other_member, another_client()), reverse("cases:note", args=[note.pk]))
    interview_url = reverse("cases:interviews", args=[cw.adult.pk])
    interview = {"held_on": timezone.localdate().isoformat(), "purpose": "Statement", "mhpss_present": "on"}
    _denied(login(cw.world.other_member, another_client()), interview_url, interview)
    # No consent to be contacted: the interview is refused with the consent service's message.
    refused_interview = lawyer.post(interview_url, interview)
    assert refused_interview.status_code == 200 and "has not consented" in refused_interview.content.decode()
    do_record_consent(survivor=cw.adult, action="contact", decision="granted", user=cw.world.member, **consent_kwargs())
    assert lawyer.post(interview_url, interview).status_code == 302
    assert "Avoid repeating" in lawyer.get(interview_url).content.decode()


def test_receipt_pdf(cw: CaseWorld, login: Login) -> None:
    do_record_consent(
        survivor=cw.adult, action="store_evidence", decision="granted", user=cw.world.member, **consent_kwargs()
    )
    url = reverse("cases:receipt", args=[cw.adult.pk])
    for persona in (cw.world.other_member, cw.world.outsider, cw.world.mhpss):
        _denied(login(persona, another_client()), url, {"language": "es"})
    response = login(cw.world.member).post(url, {"language": "es"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=Action.CONSENT_RECEIPT_PRINTED).get().details["language"] == "es"


def test_printing_the_legal_name_needs_sudo_and_a_refusal_is_audited(cw: CaseWorld, login: Login) -> None:
    url = reverse("cases:receipt", args=[cw.adult.pk])
    named = {"language": "en", "print_legal_name": "on", "purpose": "Survivor asked for a named copy"}
    unconfirmed = login(cw.world.member, another_client()).post(url, named)
    assert unconfirmed.status_code == 302 and unconfirmed["Location"].startswith(reverse("accounts:sudo"))
    assert not AuditEvent.objects.filter(action=Action.CONSENT_RECEIPT_PRINTED).exists()
    # The investigator may print receipts but is no custodian: the name is refused, and the refusal recorded.
    refused = login(cw.world.investigator, sudo=True).post(url, named)
    assert refused.status_code == 200 and refused["Content-Type"].startswith("text/html")
    denial = AuditEvent.objects.get(action=Action.ACCESS_DENIED, actor_id=cw.world.investigator.pk)
    assert denial.details["permission"] == "identity.reveal"
    assert denial.targets == [f"cases.survivor:{cw.adult.pk}"]


def test_writing_a_note_is_audited(cw: CaseWorld) -> None:
    do_write_note(survivor=cw.adult, body="x", user=cw.world.mhpss)
    assert AuditEvent.objects.filter(action=Action.MHPSS_NOTE_WRITTEN).exists()


def test_identity_custodians(cw: CaseWorld, login: Login) -> None:
    url = reverse("cases:custodians", args=[cw.adult.pk])
    data = {"custodian": cw.world.investigator.pk}
    for persona in (cw.world.investigator, cw.world.mhpss, cw.world.other_member, cw.world.outsider):
        _denied(login(persona, another_client()), url, data)
    assert not cw.adult.custodians.filter(pk=cw.world.investigator.pk).exists()
    client = login(cw.world.member)
    refused = client.post(url, {"custodian": cw.world.mhpss.pk})
    assert refused.status_code == 200 and not cw.adult.custodians.filter(pk=cw.world.mhpss.pk).exists()
    assert client.post(url, data).status_code == 302
    assert cw.adult.custodians.filter(pk=cw.world.investigator.pk).exists()
    assert AuditEvent.objects.filter(action=Action.IDENTITY_CUSTODIAN_ADDED).exists()


def test_edit_a_survivor(cw: CaseWorld, login: Login) -> None:
    url = reverse("cases:survivor_edit", args=[cw.child.pk])
    data = {"age_band": "18-24", "child_at_incident": "on", "preferred_language": "en", "safety_notes": "Call first"}
    for persona in (cw.world.other_member, cw.world.outsider, cw.world.mhpss, cw.world.auditor):
        _denied(login(persona, another_client()), url, data)
    assert login(cw.world.member).post(url, data).status_code == 302
    cw.child.refresh_from_db()
    assert not cw.child.child_now and cw.child.child_at_incident and cw.child.safety_notes == "Call first"
    event = AuditEvent.objects.filter(action=Action.SURVIVOR_UPDATED).get()
    assert event.details["changed"] == ["age_band", "child_now", "preferred_language", "safety_notes"]


def test_a_custodian_corrects_the_sealed_identity(cw: CaseWorld, login: Login) -> None:
    survivor = do_create_survivor(case=cw.case, user=cw.world.member, identity=IdentityData(legal_name="Fictional Old"))
    url = reverse("cases:identity_edit", args=[survivor.pk])
    data = {"legal_name": "Fictional New", "aliases": "A\nB", "reason": "Spelling confirmed by the survivor"}
    for persona in (cw.world.investigator, cw.world.other_member, cw.world.outsider, cw.world.mhpss):
        _denied(login(persona, another_client()), url, data)
    unconfirmed = login(cw.world.member, another_client()).post(url, data)
    assert unconfirmed.status_code == 302 and unconfirmed["Location"].startswith(reverse("accounts:sudo"))
    assert not AuditEvent.objects.filter(action=Action.IDENTITY_SEALED, purpose=data["reason"]).exists()
    client = login(cw.world.member, sudo=True)
    assert client.post(url, {**data, "reason": ""}).status_code == 400
    assert client.post(url, data).status_code == 302
    approve_reveal(survivor, cw.world.member)
    revealed = client.post(reverse("cases:identity", args=[survivor.pk]), {"purpose": "Checking the correction"})
    page = revealed.content.decode()
    assert "Fictional New" in page and "Fictional Old" not in page
    sealed = AuditEvent.objects.filter(action=Action.IDENTITY_SEALED).order_by("-seq").first()
    assert sealed is not None and sealed.purpose == "Spelling confirmed by the survivor"


def test_reveal_page_flow_request_then_another_lead_approves_then_one_reveal(cw: CaseWorld, login: Login) -> None:
    survivor = do_create_survivor(
        case=cw.case, user=cw.world.member, identity=IdentityData(legal_name="Fictional Name")
    )
    url = reverse("cases:identity", args=[survivor.pk])
    custodian = login(cw.world.member, sudo=True)
    data = {"purpose": "Preparing the hearing bundle"}
    for persona in (cw.world.other_member, cw.world.outsider, cw.world.investigator):
        assert (
            login(persona, another_client(), sudo=True).post(url, {**data, "request_approval": "1"}).status_code == 404
        )
    assert not ApprovalRequest.objects.exists()
    assert custodian.post(url, {**data, "request_approval": "1"}).status_code == 302
    approval = ApprovalRequest.objects.get(kind=ApprovalKind.REVEAL_IDENTITY, requested_by=cw.world.member)
    decide_url = reverse("sharing:decide", args=[approval.pk])
    login(cw.world.lead, another_client()).post(decide_url, {"decision": "approve"})
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED and approval.decided_by_id == cw.world.lead.pk
    assert "Fictional Name" in custodian.post(url, data).content.decode()
    assert "Fictional Name" not in custodian.post(url, data).content.decode()
    assert AuditEvent.objects.filter(action=Action.IDENTITY_REVEALED).count() == 1
