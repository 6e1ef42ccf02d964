"""Survivors chosen at intake are judged against the live grants like survivors linked later, on every intake path.

A whole-case grant reaches an item the moment it is stored: a survivor of the case who never consented
to that grant, named on a new item at intake, must consent to it or the grant is suspended. Registering a
survivor already judges the whole-case grants (test_grants_on_new_survivor.py); the newcomer here is
written directly, as rows imported from elsewhere would be, so that the intake's own check is what acts.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from cases.models import ConsentAction, ConsentDependency, Grant, GrantState, Notification, Survivor
from tests.evidence.test_resumable import _create, _patch
from tests.sharing.conftest import ShareWorld

pytestmark = pytest.mark.django_db


def _granted_then_new_survivor(sw: ShareWorld) -> tuple[Grant, Survivor]:
    """A redacted-copies grant to the foreign team, consented by the case's survivor; then a second survivor."""
    sw.consent_to_foreign_team()
    grant = sw.grant()
    assert ConsentDependency.objects.filter(object_id=str(grant.pk), survivor=sw.survivor).exists()
    newcomer = Survivor.objects.create(case=sw.case, code="S-CAF-0102", age_band="18-24", created_by=sw.world.member)
    return grant, newcomer


def _assert_suspended_at_intake(sw: ShareWorld, grant: Grant, newcomer: Survivor, channel: str) -> None:
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED and grant.ended_by_id == sw.world.member.pk
    suspended = AuditEvent.objects.get(action="sharing.grant_suspended", details__grant=grant.pk)
    assert suspended.details["action"] == ConsentAction.SHARE_TEAM
    assert f"cases.survivor:{newcomer.pk}" in suspended.targets
    uploaded = AuditEvent.objects.filter(action="evidence.uploaded", details__channel=channel).order_by("seq").first()
    assert uploaded is not None and uploaded.details["grants_suspended"] == [grant.pk]
    assert uploaded.seq > suspended.seq  # the same transaction: the grant is judged before the item is recorded
    assert Notification.objects.filter(code="grant.consent_missing", user=sw.world.lead).exists()
    assert Notification.objects.filter(code="grant.access_suspended", user=sw.world.other_member).exists()


def test_web_upload_for_a_survivor_without_consent_suspends_the_grant(
    sw: ShareWorld, upload: Callable[..., Any]
) -> None:
    grant, newcomer = _granted_then_new_survivor(sw)
    response = upload(sw.world.member, sw.case, b"a statement about the night", survivors=str(newcomer.pk))
    assert response.status_code == 200, response.content
    _assert_suspended_at_intake(sw, grant, newcomer, "web")


def test_web_upload_for_a_survivor_who_consented_registers_the_consent(
    sw: ShareWorld, upload: Callable[..., Any]
) -> None:
    grant, newcomer = _granted_then_new_survivor(sw)
    sw.survivor = newcomer
    sw.consent_to_foreign_team()
    response = upload(sw.world.member, sw.case, b"a statement about the night", survivors=str(newcomer.pk))
    assert response.status_code == 200, response.content
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
    actions = set(
        ConsentDependency.objects.filter(object_id=str(grant.pk), survivor=newcomer).values_list("action", flat=True)
    )
    assert actions == {ConsentAction.SHARE_TEAM, ConsentAction.SHARE_JURISDICTION}
    assert AuditEvent.objects.get(action="evidence.uploaded").details["grants_registered"] == [grant.pk]
    # Registered as a dependency: the newcomer's withdrawal now suspends the grant.
    sw.withdraw(ConsentAction.SHARE_TEAM, sw.world.team_tcc.pk)
    grant.refresh_from_db()
    assert grant.state == GrantState.SUSPENDED


def test_resumable_upload_with_a_survivor_choice_suspends_the_grant(sw: ShareWorld, login: Any) -> None:
    grant, newcomer = _granted_then_new_survivor(sw)
    client = login(sw.world.member)
    url = _create(client, sw.case, 11, survivors=str(newcomer.pk))
    assert _patch(client, url, 0, b"hello world").status_code == 204
    _assert_suspended_at_intake(sw, grant, newcomer, "resumable")


def _ingest(sw: ShareWorld, path: Path, newcomer: Survivor) -> None:
    call_command(
        "vault_ingest", str(path), case=sw.case.reference, username="member", survivors=[newcomer.code],
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip


def test_vault_ingest_of_a_file_for_a_survivor_suspends_the_grant(sw: ShareWorld, tmp_path: Path) -> None:
    grant, newcomer = _granted_then_new_survivor(sw)
    statement = tmp_path / "statement.txt"
    statement.write_bytes(b"a statement about the night")
    _ingest(sw, statement, newcomer)
    _assert_suspended_at_intake(sw, grant, newcomer, "bulk")


def test_bulk_ingest_of_a_drive_for_a_survivor_suspends_the_grant_once(sw: ShareWorld, tmp_path: Path) -> None:
    grant, newcomer = _granted_then_new_survivor(sw)
    drive = tmp_path / "drive"
    drive.mkdir()
    for number in range(3):
        (drive / f"photo-{number}.bin").write_bytes(f"photo {number}".encode())
    _ingest(sw, drive, newcomer)
    _assert_suspended_at_intake(sw, grant, newcomer, "bulk")
    assert AuditEvent.objects.filter(action="evidence.uploaded", details__channel="bulk").count() == 3
    assert AuditEvent.objects.filter(action="sharing.grant_suspended").count() == 1


def test_intake_linked_to_no_survivor_leaves_the_grant_alone(sw: ShareWorld, upload: Callable[..., Any]) -> None:
    grant, _newcomer = _granted_then_new_survivor(sw)
    response = upload(sw.world.member, sw.case, b"a map of the base", no_survivor_material="on")
    assert response.status_code == 200, response.content
    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
    uploaded = AuditEvent.objects.get(action="evidence.uploaded")
    assert not {"grants_suspended", "grants_registered"} & set(uploaded.details)
