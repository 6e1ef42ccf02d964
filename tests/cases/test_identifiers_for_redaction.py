"""Identifiers leave the sealed identity for redaction only to the case's editors; refusals are audited."""

from __future__ import annotations

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from cases.identifiers import IdentifiersRefused, identifiers_for_redaction
from cases.models import Survivor
from cases.survivors import do_create_survivor
from tests.cases.conftest import CaseWorld
from tests.cases.test_identity_and_notes import IDENTITY

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(cw: CaseWorld) -> Survivor:
    return do_create_survivor(case=cw.case, user=cw.world.member, identity=IDENTITY, age_band="25-39")


@pytest.mark.parametrize("who", ["member", "investigator", "lead"])
def test_case_editors_get_the_identifiers(cw: CaseWorld, sealed: Survivor, who: str) -> None:
    found = identifiers_for_redaction(survivor_ids=[sealed.pk], requested_by=getattr(cw.world, who), purpose="Redact")
    assert "legal_name" in {i.category for i in found}


@pytest.mark.parametrize("who", ["auditor", "mhpss", "other_member", "outsider", "admin"])
def test_others_are_refused_and_the_refusal_is_audited(cw: CaseWorld, sealed: Survivor, who: str) -> None:
    user = getattr(cw.world, who)
    with pytest.raises(IdentifiersRefused):
        identifiers_for_redaction(survivor_ids=[sealed.pk], requested_by=user, purpose="Redact")
    assert not AuditEvent.objects.filter(action=Action.IDENTIFIERS_FOR_REDACTION).exists()
    denial = AuditEvent.objects.get(action=Action.ACCESS_DENIED, actor_id=user.pk)
    assert denial.outcome == "denied"
    assert denial.targets == [f"cases.survivor:{sealed.pk}"]
    assert denial.details["permission"] == "identity.identifiers_for_redaction"
