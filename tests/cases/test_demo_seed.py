"""The demo case: fictional, sealed, with consents and an MHPSS note; seeding twice changes nothing."""

from __future__ import annotations

import pytest

from cases.consent import State, evaluate
from cases.models import Case, ConsentAction, MhpssNote, SealedIdentity
from demo import seed


@pytest.mark.django_db
def test_seed_cases() -> None:
    seed.seed_all()
    seed.seed_all()
    case = Case.objects.get(reference=seed.DEMO_CASE)
    assert case.mission == "MINUSCA" and case.host_jurisdiction.code == "CF"
    survivor = case.survivors.get()
    assert survivor.child_now and survivor.code.startswith("S-CAF-")
    assert b"Demo Person" not in bytes(SealedIdentity.objects.get(survivor=survivor).ciphertext)
    assert evaluate(survivor, ConsentAction.STORE_EVIDENCE).state == State.GRANTED
    assert evaluate(survivor, ConsentAction.SHARE_MEDIA).state == State.REFUSED
    assert MhpssNote.objects.filter(survivor=survivor).count() == 1
