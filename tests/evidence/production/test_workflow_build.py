"""Building a production: decisions, package, Bates numbers, audit."""

from __future__ import annotations

import csv
import io
from typing import Any

from audit.models import AuditEvent
from evidence.production_models import BatesCounter, ProducedForm, ProductionState
from tests.evidence.production.workflow_helpers import ProdWorld, build, package_zip, pw_fixture  # noqa: F401


def test_owner_lawyer_builds_a_package_of_originals(pw: ProdWorld) -> None:
    production = build(pw.production(), pw.world.member)
    assert production.state == ProductionState.BUILT, production.failure
    assert production.reference == "CAF-MINUSCA-0042-P001"
    assert production.bates_first == "CAF-MINUSCA-0042-000001"
    rows = {r.item_id: r for r in production.rows.all()}
    statement, log = rows[pw.statement.pk], rows[pw.photo_log.pk]
    assert statement.form == log.form == ProducedForm.ORIGINAL
    assert (statement.bates_first, statement.bates_last, statement.pages) == (
        "CAF-MINUSCA-0042-000001",
        "CAF-MINUSCA-0042-000002",
        2,
    )
    assert production.contains_originals
    names = package_zip(production).namelist()
    assert f"{production.package_name}/bagit.txt" in names
    assert any(n.endswith("loadfile.csv") for n in names)
    included = AuditEvent.objects.filter(action="production.item_included")
    targets = {t for e in included for t in e.targets}
    assert targets >= {f"evidence.item:{pw.statement.pk}", f"evidence.item:{pw.photo_log.pk}"}
    assert AuditEvent.objects.filter(action="production.build_finished").count() == 1


def test_bates_numbers_are_never_reused_in_a_case(pw: ProdWorld) -> None:
    first = build(pw.production(), pw.world.member)
    second = build(pw.production(), pw.world.lead)
    assert first.bates_start == 1 and first.bates_next == second.bates_start
    assert second.bates_first > first.bates_last
    assert BatesCounter.objects.get(case=pw.case).next_number == second.bates_next


def test_a_build_that_lost_its_numbers_is_built_again_from_the_new_start(pw: ProdWorld, monkeypatch: Any) -> None:
    from evidence import production_build

    real = production_build.write_package
    calls: list[int] = []

    def another_build_meanwhile(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["info"].bates_start)
        if len(calls) == 1:
            BatesCounter.objects.filter(case=pw.case).update(next_number=500)
        return real(*args, **kwargs)

    monkeypatch.setattr(production_build, "write_package", another_build_meanwhile)
    production = build(pw.production(), pw.world.member)
    assert calls == [1, 500]
    assert production.bates_first == "CAF-MINUSCA-0042-000500"
    assert BatesCounter.objects.get(case=pw.case).next_number == production.bates_next


def test_missing_consent_for_the_forum_withholds_the_item_with_its_reason(pw: ProdWorld) -> None:
    production = build(pw.production(forum="International Criminal Court"), pw.world.member)
    rows = {r.item_id: r for r in production.rows.all()}
    withheld = rows[pw.statement.pk]
    assert withheld.form == ProducedForm.WITHHELD and withheld.reason_code == "consent"
    assert "S-CAF-0101" in withheld.reason and "International Criminal Court" in withheld.reason
    assert rows[pw.photo_log.pk].form == ProducedForm.ORIGINAL
    log = package_zip(production)
    name = next(n for n in log.namelist() if n.endswith("withholding-log.csv"))
    text = log.read(name).decode("utf-8-sig")
    assert str(pw.statement.uid) in text and "statement.pdf" not in text
    assert list(csv.reader(io.StringIO(text)))


def test_withheld_by_hand_goes_to_the_log_with_the_lawyers_reason(pw: ProdWorld) -> None:
    from evidence.production_services import do_withhold_by_hand

    production = pw.production()
    reason = "attorney work product"
    do_withhold_by_hand(production=production, item_id=pw.photo_log.pk, reason=reason, user=pw.world.member)
    production = build(production, pw.world.member)
    row = production.rows.get(item=pw.photo_log)
    assert (row.form, row.reason_code) == (ProducedForm.WITHHELD, "privilege")
    log = package_zip(production)
    name = next(n for n in log.namelist() if n.endswith("withholding-log.csv"))
    assert "attorney work product" in log.read(name).decode("utf-8-sig")


def test_the_consent_check_at_build_reads_survivors_per_chunk_not_per_row(pw: ProdWorld, upload: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evidence.models import EvidenceItem
    from evidence.production_build import _consent_at_build
    from evidence.production_services import do_select_items

    production = pw.production()
    with CaptureQueriesContext(connection) as two_rows:
        _consent_at_build(production)
    more = EvidenceItem.objects.get(pk=upload(pw.world.member, pw.case, b"more\n", name="more.txt").json()["id"])
    more.survivors.add(pw.survivor)
    do_select_items(production=production, items=[more], user=pw.world.member)
    with CaptureQueriesContext(connection) as three_rows:
        _consent_at_build(production)
    survivor_reads = [q for q in three_rows.captured_queries if "cases_survivor" in q["sql"]]
    assert len(survivor_reads) == len([q for q in two_rows.captured_queries if "cases_survivor" in q["sql"]])
