"""An action whose audit event cannot be written does not happen."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection

from audit.models import AuditEvent
from teams.models import Membership, Role
from teams.services import do_add_membership
from tests.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _audit_store_refuses_inserts() -> None:
    """A real failure of the audit write, in this test's transaction only (rolled back after it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION pg_temp.refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_auditevent "
                "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_insert()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_insert BEFORE INSERT ON audit_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'audit store unavailable'); END"
            )


def test_membership_is_not_added_when_its_event_cannot_be_written(world: World) -> None:
    newcomer = UserFactory.create(username="newcomer")
    events_before = AuditEvent.objects.count()
    _audit_store_refuses_inserts()
    with pytest.raises(DatabaseError, match="audit store unavailable"):
        do_add_membership(user=newcomer, team=world.team_car, role=Role.LAWYER, by=world.lead)
    assert not Membership.objects.filter(user=newcomer).exists()
    assert AuditEvent.objects.count() == events_before
