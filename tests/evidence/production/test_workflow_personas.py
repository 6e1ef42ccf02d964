"""Productions and foreign teams, failures the workflow must name, and a build that runs twice."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import ConsentAction, GrantLevel
from evidence.models import EvidenceItem
from evidence.production_build import run_build
from evidence.production_models import ProducedForm, ProductionState
from evidence.production_services import do_release
from tests.evidence.production.workflow_helpers import ProdWorld, build, pw_fixture  # noqa: F401
from tests.sharing.conftest import ShareWorld, approve_originals_abroad


def _grant(pw: ProdWorld, level: str) -> None:
    from cases.sharing import do_grant

    pw.consent(ConsentAction.SHARE_TEAM, str(pw.world.team_tcc.pk))
    pw.consent(ConsentAction.SHARE_JURISDICTION, "BD")
    if level == GrantLevel.ORIGINALS:
        approve_originals_abroad(ShareWorld(pw.world, pw.case, pw.survivor))
    do_grant(
        case=pw.case,
        grantee_team=pw.world.team_tcc,
        level=level,
        rights=["view", "download", "annotate", "export"],
        purpose="joint complaint before the national court",
        user=pw.world.lead,
    )


@pytest.mark.parametrize("level", [GrantLevel.METADATA, GrantLevel.REDACTED, GrantLevel.ORIGINALS])
def test_a_granted_foreign_lawyer_reaches_no_production_made_for_someone_else(
    pw: ProdWorld, login: Any, level: str
) -> None:
    _grant(pw, level)
    production = build(pw.production(), pw.world.member)
    from evidence.production_services import do_decide_originals_approval, do_request_originals_approval
    from tests.sharing.conftest import second_lead

    do_request_originals_approval(production=production, user=pw.world.member, purpose="the court asked for them")
    from accounts.models import User

    approver = User.objects.filter(username="second-lead").first() or second_lead(pw.world)
    do_decide_originals_approval(production=production, user=approver, approve=True)
    do_release(production=production, user=pw.world.member)
    foreign = login(pw.world.other_member, Client(headers={"X-Forwarded-Proto": "https"}), sudo=True)
    for name, args in (
        ("productions:list", [pw.case.pk]),
        ("productions:detail", [production.pk]),
        ("productions:progress", [production.pk]),
        ("productions:download", [production.pk]),
    ):
        assert foreign.get(reverse(name, args=args)).status_code == 404, name


@pytest.mark.parametrize(
    ("level", "form"),
    [
        (GrantLevel.METADATA, ProducedForm.WITHHELD),
        (GrantLevel.REDACTED, ProducedForm.REDACTED),
        (GrantLevel.ORIGINALS, ProducedForm.ORIGINAL),
    ],
)
def test_the_recipient_teams_grant_level_decides_the_form(pw: ProdWorld, upload: Any, level: str, form: str) -> None:
    pw.redacted_copy(upload)
    _grant(pw, level)
    production = build(pw.production(recipient_team=pw.world.team_tcc), pw.world.member)
    row = production.rows.get(item=pw.statement)
    assert row.form == form, row.reason
    if form == ProducedForm.WITHHELD:
        assert row.reason_code == "grant_level"


def test_data_residency_keeps_originals_home(pw: ProdWorld, upload: Any) -> None:
    from teams.models import Organisation

    Organisation.objects.filter(pk=pw.case.organisation_id).update(originals_stay_in_jurisdiction=True)
    abroad = build(pw.production(recipient_country="FR"), pw.world.member)
    rows = {r.item_id: r for r in abroad.rows.all()}
    assert rows[pw.statement.pk].reason_code == "no_redacted_copy"
    assert rows[pw.photo_log.pk].form == ProducedForm.WITHHELD
    home = build(pw.production(recipient_country="CF"), pw.world.member)
    assert set(home.rows.values_list("form", flat=True)) == {ProducedForm.ORIGINAL}


def test_a_document_the_engine_cannot_read_fails_the_build_naming_it(pw: ProdWorld, upload: Any) -> None:
    broken = EvidenceItem.objects.get(
        pk=upload(pw.world.member, pw.case, b"%PDF-1.4\nthis is no pdf at all\n", name="x.pdf").json()["id"]
    )
    EvidenceItem.objects.filter(pk=broken.pk).update(no_survivor_material=True)
    production = pw.production()
    from evidence.production_services import do_select_items

    do_select_items(production=production, items=[broken], user=pw.world.member)
    production = build(production, pw.world.member)
    assert production.state == ProductionState.FAILED
    assert broken.display_name in production.failure and "DOC-" in production.failure
    assert not production.object_key and production.bates_start is None
    # Withholding the broken document by hand lets the production be built.
    from evidence.production_services import do_withhold_by_hand

    do_withhold_by_hand(production=production, item_id=broken.pk, reason="damaged file", user=pw.world.member)
    production = build(production, pw.world.member)
    assert production.state == ProductionState.BUILT and production.bates_first == "CAF-MINUSCA-0042-000001"


def test_a_second_run_of_the_build_does_nothing(pw: ProdWorld) -> None:
    production = build(pw.production(), pw.world.member)
    key = production.object_key
    assert run_build(production.pk) == ProductionState.BUILT
    production.refresh_from_db()
    assert production.object_key == key


def test_rotating_the_scope_rewraps_package_keys_too(pw: ProdWorld) -> None:
    import hashlib
    import io

    from django.core.management import call_command

    from evidence import sealing
    from evidence.production_models import ProductionKey
    from evidence.production_package import package_chunks

    production = build(pw.production(), pw.world.member)
    key = ProductionKey.objects.get(production=production, escrow=False)
    before = bytes(key.wrapped)
    call_command("rotate_kek", "--scope", key.kek_scope, stdout=io.StringIO())
    key.refresh_from_db()
    assert bytes(key.wrapped) != before and not sealing.needs_rewrap(bytes(key.wrapped))
    assert hashlib.sha256(b"".join(package_chunks(production))).hexdigest() == production.package_sha256
