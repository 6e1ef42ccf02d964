"""Bates prefixes: checked within the case's organisation only, and under its lock."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from django.db import connections

from cases.models import Case
from evidence import production_services
from evidence.production_models import Production
from evidence.production_services import ProductionRefused, do_create_production
from tests.evidence.production.workflow_helpers import FORUM, ProdWorld, pw_fixture  # noqa: F401
from tests.factories import CaseFactory, OrganisationFactory

COMMON = {"recipient": "Cour d'appel de Paris", "forum": FORUM, "purpose": "civil claim in France"}


def test_another_organisations_prefixes_are_neither_revealed_nor_squatted(pw: ProdWorld) -> None:
    ours = do_create_production(case=pw.case, user=pw.world.member, **COMMON)
    elsewhere = CaseFactory.create(organisation=OrganisationFactory(), host_jurisdiction=pw.case.host_jurisdiction)
    # The other organisation's lawyer learns nothing: the prefix is theirs to use in their own organisation.
    theirs = do_create_production(case=elsewhere, user=pw.world.member, bates_prefix=ours.bates_prefix, **COMMON)
    assert theirs.bates_prefix == ours.bates_prefix
    again = do_create_production(case=pw.case, user=pw.world.member, **COMMON)
    assert again.bates_prefix == ours.bates_prefix  # our own default stays ours


@pytest.mark.production_only
@pytest.mark.django_db(transaction=True)
def test_two_cases_choosing_one_prefix_at_once_do_not_both_get_it(world: Any, monkeypatch: Any) -> None:
    place = world.team_car.jurisdiction
    cases = [CaseFactory.create(organisation=world.org_car, host_jurisdiction=place) for _ in range(2)]
    both_checked = threading.Barrier(2)
    real_check = production_services.prefix_used_elsewhere

    def check_then_wait(case: Case, prefix: str) -> bool:
        used = real_check(case, prefix)
        # Without the lock both checks pass before either creates; with it the barrier breaks (the second
        # racer waits for the first to commit before it may check).
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait(timeout=3)
        return used

    monkeypatch.setattr(production_services, "prefix_used_elsewhere", check_then_wait)
    outcomes: list[str] = []

    def create(case: Case) -> None:
        try:
            do_create_production(case=case, user=world.member, bates_prefix="CAF-SHARED-", **COMMON)
            outcomes.append("created")
        except ProductionRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["created", "refused"]
    assert Production.objects.filter(bates_prefix="CAF-SHARED-").count() == 1
