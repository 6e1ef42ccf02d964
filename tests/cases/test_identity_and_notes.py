"""Sealed identities (custodians, audited reveals, shredding), identifiers for redaction, MHPSS notes."""

from __future__ import annotations

import datetime

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from cases.approvals import ApprovalRefused, do_decide_approval, do_request_approval
from cases.consent import ConsentRefused
from cases.consent_services import do_record_consent
from cases.identifiers import IdentifiersRefused, identifiers_for_redaction
from cases.mhpss import active_contact_block, do_read_note, do_write_note, safety_flags
from cases.models import ApprovalKind, ConsentAction, Decision, SealedIdentity
from cases.survivors import (
    IdentityData,
    RevealRefused,
    authorise_reveal,
    do_add_custodian,
    do_create_survivor,
    do_reveal_identity,
    do_shred_identity,
    reveal_subject,
)
from teams.access import acting_as
from teams.policy import actor_for
from tests.cases.conftest import CaseWorld, approve_reveal, consent_kwargs

IDENTITY = IdentityData(
    legal_name="Fictional Person",
    aliases=["Fifi"],
    contacts=["+236 00 00 00 00"],
    address="Quartier Fictif, Bangui",
    id_numbers=["CF-0000000"],
    relatives=["Fictional Relative"],
    date_of_birth="2010-01-01",
    places=["Fictional Village"],
)


@pytest.fixture
def sealed(cw: CaseWorld):  # type: ignore[no-untyped-def]
    return do_create_survivor(case=cw.case, user=cw.world.member, identity=IDENTITY, age_band="25-39")


def test_the_identity_is_stored_encrypted_under_its_own_key(cw: CaseWorld, sealed) -> None:  # type: ignore[no-untyped-def]
    row = SealedIdentity.objects.get(survivor=sealed)
    assert b"Fictional" not in bytes(row.ciphertext)
    assert sealed.code == "S-CAF-0003"
    other = do_create_survivor(case=cw.case, user=cw.world.member, identity=IDENTITY)
    assert bytes(SealedIdentity.objects.get(survivor=other).wrapped_key) != bytes(row.wrapped_key)


def test_only_custodians_reveal_with_a_purpose_and_each_reveal_is_audited(cw: CaseWorld, sealed) -> None:  # type: ignore[no-untyped-def]
    w = cw.world
    for person in (w.investigator, w.mhpss, w.other_member, w.outsider, w.lead):
        with pytest.raises(RevealRefused):
            authorise_reveal(survivor=sealed, user=person, purpose="Preparing the witness statement")
    with pytest.raises(RevealRefused):
        authorise_reveal(survivor=sealed, user=w.member, purpose="")
    approval = approve_reveal(sealed, w.member)
    auth = authorise_reveal(survivor=sealed, user=w.member, purpose="Preparing the witness statement")
    identity = do_reveal_identity(survivor=sealed, authorisation=auth, user=w.member)
    assert identity.legal_name == "Fictional Person"
    assert "Fictional" not in repr(identity)
    event = AuditEvent.objects.filter(action=Action.IDENTITY_REVEALED).get()
    assert event.purpose == "Preparing the witness statement"
    assert event.targets == [f"cases.survivor:{sealed.pk}"]
    assert event.details["approved_by"] == approval.decided_by_id != w.member.pk
    assert "Fictional" not in str(event.details)


def test_a_reveal_needs_a_second_leads_approval_used_once(cw: CaseWorld, sealed) -> None:  # type: ignore[no-untyped-def]
    w = cw.world
    auth = authorise_reveal(survivor=sealed, user=w.member, purpose="Preparing the witness statement")
    with pytest.raises(RevealRefused):
        do_reveal_identity(survivor=sealed, authorisation=auth, user=w.member)
    approve_reveal(sealed, w.member)
    do_reveal_identity(survivor=sealed, authorisation=auth, user=w.member)
    with pytest.raises(RevealRefused):
        do_reveal_identity(survivor=sealed, authorisation=auth, user=w.member)
    assert AuditEvent.objects.filter(action=Action.IDENTITY_REVEALED).count() == 1
    for action in (Action.APPROVAL_REQUESTED, Action.APPROVAL_GIVEN, Action.APPROVAL_USED):
        assert AuditEvent.objects.filter(action=action).count() == 1


def test_a_lead_cannot_approve_their_own_reveal(cw: CaseWorld, sealed) -> None:  # type: ignore[no-untyped-def]
    w = cw.world
    sealed.custodians.add(w.lead)
    approval = do_request_approval(
        kind=ApprovalKind.REVEAL_IDENTITY,
        case=cw.case,
        subject=reveal_subject(sealed.pk),
        purpose="Preparing the witness statement",
        user=w.lead,
    )
    with pytest.raises(ApprovalRefused):
        do_decide_approval(approval=approval, user=w.lead, approve=True)


def test_a_custodian_must_work_on_the_case(cw: CaseWorld, sealed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RevealRefused):
        do_add_custodian(survivor=sealed, custodian=cw.world.other_member, user=cw.world.member)
    with pytest.raises(RevealRefused):
        do_add_custodian(survivor=sealed, custodian=cw.world.mhpss, user=cw.world.member)
    do_add_custodian(survivor=sealed, custodian=cw.world.investigator, user=cw.world.member)
    authorise_reveal(survivor=sealed, user=cw.world.investigator, purpose="Tracing the witness for contact")


def test_shredding_makes_the_identity_unreadable(cw: CaseWorld, sealed) -> None:  # type: ignore[no-untyped-def]
    do_shred_identity(survivor=sealed, user=cw.world.member, reason="Survivor asked for erasure")
    approve_reveal(sealed, cw.world.member)
    auth = authorise_reveal(survivor=sealed, user=cw.world.member, purpose="Checking after shredding")
    with pytest.raises(RevealRefused):
        do_reveal_identity(survivor=sealed, authorisation=auth, user=cw.world.member)
    assert identifiers_for_redaction(survivor_ids=[sealed.pk], requested_by=cw.world.member, purpose="redact") == []


def test_identifiers_for_redaction_are_released_to_the_case_team_only(cw: CaseWorld, sealed) -> None:  # type: ignore[no-untyped-def]
    found = identifiers_for_redaction(
        survivor_ids=[sealed.pk], requested_by=cw.world.investigator, purpose="Redacting item E0001"
    )
    assert ("legal_name", "Fictional Person") in {(i.category, i.value) for i in found}
    assert {i.category for i in found} == {
        "legal_name",
        "alias",
        "contact",
        "address",
        "id_number",
        "relative",
        "date_of_birth",
        "place",
    }
    event = AuditEvent.objects.filter(action=Action.IDENTIFIERS_FOR_REDACTION).get()
    assert event.details["categories"]["legal_name"] == 1
    assert "Fictional" not in str(event.details) + event.purpose
    with pytest.raises(IdentifiersRefused):
        identifiers_for_redaction(survivor_ids=[sealed.pk], requested_by=cw.world.other_member, purpose="x")


def _acting(user):  # type: ignore[no-untyped-def]
    from teams.policy import Decision as PolicyDecision

    return acting_as(PolicyDecision(True, "", actor_for(user).memberships[0]))


def test_lawyers_see_the_safety_flag_but_read_the_note_only_with_consent(cw: CaseWorld) -> None:
    w = cw.world
    note = do_write_note(
        survivor=cw.adult,
        body="Clinical observations (fictional).",
        user=w.mhpss,
        safety_flag="Interview only with MHPSS present",
        no_contact_before=datetime.date(2099, 6, 1),
    )
    assert b"Clinical" not in bytes(note.sealed_body)
    assert do_read_note(note=note, user=w.mhpss, acting_as=_acting(w.mhpss)) == "Clinical observations (fictional)."
    assert [f.text for f in safety_flags(cw.adult)] == ["Interview only with MHPSS present"]
    assert active_contact_block(cw.adult, datetime.date(2099, 1, 1)) == datetime.date(2099, 6, 1)
    with pytest.raises(ConsentRefused):
        do_read_note(note=note, user=w.member, acting_as=_acting(w.member))
    rec = do_record_consent(
        survivor=cw.adult,
        action=ConsentAction.SHARE_MHPSS_NOTE,
        decision=Decision.GRANTED,
        user=w.member,
        **consent_kwargs(),
    )
    assert do_read_note(note=note, user=w.member, acting_as=_acting(w.member)).startswith("Clinical")
    read = AuditEvent.objects.filter(action=Action.MHPSS_NOTE_READ).order_by("-seq").first()
    assert read is not None and read.consent_record_id == str(rec.pk)
