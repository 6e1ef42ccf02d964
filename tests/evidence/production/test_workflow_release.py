"""Releasing a production: consent re-checked, a second lead for originals, downloads tied to consent."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from audit.models import AuditEvent
from cases.models import ApprovalState, ConsentDependency, DependencyState
from evidence.production_access import production_ref
from evidence.production_models import Production, ProductionState
from evidence.production_services import (
    ProductionRefused,
    do_decide_originals_approval,
    do_release,
    do_request_originals_approval,
    do_revoke,
    do_start_build,
)
from teams.models import Role
from teams.policy import Perm, actor_for, decide
from tests.evidence.production.workflow_helpers import FORUM, ProdWorld, build, package_zip, pw_fixture  # noqa: F401
from tests.factories import MembershipFactory, UserFactory


def _second_lead(pw: ProdWorld) -> Any:
    user = UserFactory(username="second-lead")
    MembershipFactory(user=user, team=pw.world.team_car, role=Role.COALITION_LEAD)
    return user


def _approved(pw: ProdWorld, production: Production, requester: Any) -> None:
    do_request_originals_approval(production=production, user=requester, purpose="the court asked for the originals")
    do_decide_originals_approval(production=production, user=_second_lead(pw), approve=True)


def test_originals_need_a_second_leads_approval(pw: ProdWorld) -> None:
    production = build(pw.production(), pw.world.member)
    assert production.contains_originals
    with pytest.raises(ProductionRefused, match="second coalition lead"):
        do_release(production=production, user=pw.world.member)
    assert AuditEvent.objects.filter(action="production.release_refused").count() == 1
    _approved(pw, production, pw.world.member)
    released = do_release(production=production, user=pw.world.member)
    assert released.state == ProductionState.RELEASED
    event = AuditEvent.objects.get(action="production.released")
    assert event.details["approval"] is not None


def test_the_requester_cannot_approve_their_own_request(pw: ProdWorld) -> None:
    production = build(pw.production(user=pw.world.lead), pw.world.lead)
    do_request_originals_approval(production=production, user=pw.world.lead, purpose="the court asked for originals")
    with pytest.raises(ProductionRefused, match="own request"):
        do_decide_originals_approval(production=production, user=pw.world.lead, approve=True)
    with pytest.raises(ProductionRefused, match="coalition lead"):
        do_decide_originals_approval(production=production, user=pw.world.member, approve=True)
    with pytest.raises(ProductionRefused):
        do_release(production=production, user=pw.world.lead)
    # An approval is used by the one who asked for it, not by someone else.
    do_decide_originals_approval(production=production, user=_second_lead(pw), approve=True)
    with pytest.raises(ProductionRefused):
        do_release(production=production, user=pw.world.member)
    assert do_release(production=production, user=pw.world.lead).state == ProductionState.RELEASED
    from cases.models import ApprovalRequest

    assert ApprovalRequest.objects.get().state == ApprovalState.USED


def test_consent_withdrawn_between_build_and_release_blocks_the_release(pw: ProdWorld) -> None:
    production = build(pw.production(), pw.world.member)
    _approved(pw, production, pw.world.member)
    pw.withdraw_proceedings()
    with pytest.raises(ProductionRefused) as refused:
        do_release(production=production, user=pw.world.member)
    assert "S-CAF-0101" in refused.value.message and FORUM in refused.value.message
    production.refresh_from_db()
    assert production.state == ProductionState.BUILT
    event = AuditEvent.objects.get(action="production.release_refused")
    assert "S-CAF-0101" in event.details["reason"]
    assert AuditEvent.objects.filter(action="consent.refused").exists()


def test_a_withdrawal_after_release_suspends_the_package(pw: ProdWorld) -> None:
    production = build(pw.production(), pw.world.member)
    _approved(pw, production, pw.world.member)
    production = do_release(production=production, user=pw.world.member)
    actor = actor_for(pw.world.member)
    assert decide(actor, Perm.PRODUCTION_DOWNLOAD, production_ref(production))
    assert ConsentDependency.objects.filter(kind="evidence.production", object_id=str(production.pk)).exists()
    pw.withdraw_proceedings()
    assert ConsentDependency.objects.filter(state=DependencyState.SUSPENDED).exists()
    assert not decide(actor, Perm.PRODUCTION_DOWNLOAD, production_ref(production))


def test_a_revoked_production_gives_nobody_the_package(pw: ProdWorld) -> None:
    production = build(pw.production(), pw.world.member)
    _approved(pw, production, pw.world.member)
    production = do_release(production=production, user=pw.world.member)
    assert decide(actor_for(pw.world.member), Perm.PRODUCTION_DOWNLOAD, production_ref(production))
    production = do_revoke(production=production, user=pw.world.lead)
    assert not decide(actor_for(pw.world.member), Perm.PRODUCTION_DOWNLOAD, production_ref(production))
    assert AuditEvent.objects.filter(action="production.revoked").exists()


def test_the_command_builds_releases_and_writes_the_same_package(pw: ProdWorld, tmp_path: Path) -> None:
    common = ["--case", pw.case.reference, "--as", "member", "--forum", FORUM]
    common += ["--recipient", "TGI Bangui", "--purpose", "criminal complaint"]
    with pytest.raises(CommandError, match="second coalition lead"):
        call_command("build_production", *common, "--out", str(tmp_path / "a"))
    production = Production.objects.get()
    assert production.state == ProductionState.BUILT
    _approved(pw, production, pw.world.member)
    call_command("build_production", "--production", production.reference, "--as", "member", "--out", str(tmp_path))
    written = tmp_path / f"{production.reference}.zip"
    assert written.read_bytes() == b"".join(package_zip_bytes(production))
    assert AuditEvent.objects.filter(action="production.downloaded", details__channel="command line").exists()
    subprocess.run(["unzip", "-q", str(written), "-d", str(tmp_path / "x")], check=True)
    bag = tmp_path / "x" / production.package_name
    subprocess.run([str(Path(".venv/bin/bagit.py").resolve()), "--validate", str(bag)], check=True, capture_output=True)


def test_the_command_refuses_a_user_outside_the_case(pw: ProdWorld, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="may prepare"):
        call_command(
            "build_production",
            *["--case", pw.case.reference, "--as", "mhpss", "--forum", FORUM, "--recipient", "x", "--purpose", "y"],
            "--out",
            str(tmp_path),
        )
    assert not Production.objects.exists()


def package_zip_bytes(production: Production) -> list[bytes]:
    from evidence.production_package import package_chunks

    return list(package_chunks(production))


@pytest.mark.django_db(transaction=True)
def test_the_build_runs_as_a_task_in_both_profiles(celery_live: Any, pw: ProdWorld) -> None:
    production = pw.production()
    with transaction.atomic():
        do_start_build(production=production, user=pw.world.member)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        production.refresh_from_db()
        if production.state != ProductionState.BUILDING:
            break
        time.sleep(0.3)
    assert production.state == ProductionState.BUILT, production.failure
    assert production.progress_done == production.progress_total == 2
    assert package_zip(production).testzip() is None
