"""A build's failure and each item's reason are stored once and read in each reader's language."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from cases.models import ConsentAction, Decision
from evidence.models import EvidenceItem
from evidence.production import naming
from evidence.production.errors import ProductionError
from evidence.production_models import ProducedForm, Production, ProductionState
from evidence.production_services import do_decide, do_select_items, do_start_build
from evidence.production_texts import deferred, render
from tests.evidence.production.workflow_helpers import FORUM, ProdWorld, build, pw_fixture  # noqa: F401


def _french(login: Any, user: Any) -> Client:
    return login(user, Client(headers={"X-Forwarded-Proto": "https", "Accept-Language": "fr"}))


def _broken_build(pw: ProdWorld, upload: Any) -> tuple[Production, EvidenceItem]:
    broken = EvidenceItem.objects.get(
        pk=upload(pw.world.member, pw.case, b"%PDF-1.4\nthis is no pdf at all\n", name="x.pdf").json()["id"]
    )
    EvidenceItem.objects.filter(pk=broken.pk).update(no_survivor_material=True)
    production = pw.production()
    do_select_items(production=production, items=[broken], user=pw.world.member)
    return build(production, pw.world.member), broken


def test_an_engine_failure_is_kept_in_english_and_shown_in_the_readers_language(
    pw: ProdWorld, upload: Any, login: Any
) -> None:
    production, broken = _broken_build(pw, upload)
    assert production.state == ProductionState.FAILED
    assert "the PDF cannot be opened or stamped" in production.failure  # the audit log's and the logs' text
    with translation.override("fr"):
        french = production.failure_shown
    assert "le PDF ne peut pas être ouvert ou tamponné" in french
    assert broken.display_name in french and french.startswith("DOC-") and "cannot" not in french
    with translation.override("en"):
        assert production.failure_shown == production.failure
    reader = _french(login, pw.world.member)
    page = reader.get(reverse("productions:detail", args=[production.pk])).content.decode()
    assert "le PDF ne peut pas être ouvert ou tamponné" in page
    polled = json.loads(reader.get(reverse("productions:progress", args=[production.pk])).content)
    assert polled["failure"] == french


def test_a_workflow_failure_reads_in_french(pw: ProdWorld) -> None:
    from evidence import production_build as pb

    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    pb._fail(production.pk, pb.stale_message())
    production.refresh_from_db()
    assert production.failure.startswith("The build stopped without finishing")
    with translation.override("fr"):
        assert production.failure_shown != production.failure and "Relancez" in production.failure_shown


def test_the_consent_state_in_a_withholding_reason_is_translated(pw: ProdWorld, login: Any) -> None:
    pw.withdraw_proceedings()
    production = pw.production()
    do_decide(production=production, user=pw.world.member)
    row = production.rows.get(item=pw.statement)
    assert row.form == ProducedForm.WITHHELD and row.reason_code == "consent"
    assert row.reason.endswith("(withdrawn).") and FORUM in row.reason and pw.survivor.code in row.reason
    with translation.override("fr"):
        french = row.reason_shown
    assert french.startswith("Consentement manquant") and french.endswith("(retiré).")
    assert FORUM in french and pw.survivor.code in french and "withdrawn" not in french
    page = _french(login, pw.world.member).get(reverse("productions:detail", args=[production.pk])).content.decode()
    assert "(retiré)" in page and "(withdrawn)" not in page


def test_a_withholding_at_build_is_translated_too(pw: ProdWorld) -> None:
    production = do_start_build(production=pw.production(), user=pw.world.member, queue=False)
    pw.consent(ConsentAction.STORE_EVIDENCE, "", Decision.WITHDRAWN)  # after the decision, before the run
    from evidence.production_build import run_build

    run_build(production.pk)
    row = production.rows.get(item=pw.statement)
    assert row.form == ProducedForm.WITHHELD and row.reason.endswith("(withdrawn).")
    with translation.override("fr"):
        assert row.reason_shown.endswith("(retiré).") and "Conserver les preuves" in row.reason_shown
    event = AuditEvent.objects.get(action="production.item_withheld_at_build")
    assert event.details["reason_code"] == "consent" and f"evidence.item:{pw.statement.pk}" in event.targets


def test_an_engine_error_is_english_in_str_and_kept_as_a_template_for_the_reader() -> None:
    with pytest.raises(ProductionError) as raised:
        naming.bates_label("CAF-", 1234567, 6)
    assert str(raised.value) == "Bates number 1234567 does not fit in 6 digits"
    stored = deferred(raised.value.template, **raised.value.params)
    with translation.override("fr"):
        assert render(stored, fallback="") == "le numéro Bates 1234567 ne tient pas en 6 chiffres"
