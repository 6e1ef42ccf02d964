"""Shared set-up for the custody tests: a case of the CAR team and a physical item held by its lawyer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from accounts.models import User
from audit.models import AuditEvent
from cases.models import Case
from evidence.custody_services import PhysicalItemInput, do_register_physical_item
from evidence.models import EvidenceItem
from tests.factories import CaseFactory

ITEM_INPUT = PhysicalItemInput(
    description="Sealed envelope with a handwritten letter",
    physical_location="Bangui office, safe A",
    seal_number="SEAL-0001",
    collected_by="Investigator on mission",
    collected_at=datetime(2026, 3, 2, 10, 30, tzinfo=UTC),
    collection_place="Bambari",
)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_case(world: Any) -> Case:
    return cast(Case, CaseFactory(organisation=world.org_car, teams=[world.team_car]))


def make_item(case: Case, holder: User) -> EvidenceItem:
    return do_register_physical_item(case=case, user=holder, acting_as=None, request=None, data=ITEM_INPUT)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))
