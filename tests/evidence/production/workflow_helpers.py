"""A CAR case with one consenting survivor, a PDF and a text item, and helpers to build and read productions."""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest

from cases.consent_services import do_record_consent
from cases.models import Case, ConsentAction, Decision, Survivor
from evidence.models import DerivativeKind, EvidenceItem
from evidence.production_build import run_build
from evidence.production_models import Production
from evidence.production_package import package_chunks
from evidence.production_services import do_create_production, do_select_items, do_start_build
from tests.conftest import World

FORUM = "Tribunal de grande instance de Bangui"


def pdf(lines: list[str], pages: int = 1) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for page in range(pages):
        for i, line in enumerate(lines):
            c.drawString(60, 760 - 18 * i, f"{line} (page {page + 1})")
        c.showPage()
    c.save()
    return out.getvalue()


@dataclass
class ProdWorld:
    world: World
    case: Case
    survivor: Survivor
    statement: EvidenceItem  # a two-page PDF concerning the survivor
    photo_log: EvidenceItem  # a text file concerning nobody

    def consent(self, action: str, target: str = "", decision: str = Decision.GRANTED) -> None:
        do_record_consent(
            survivor=self.survivor,
            action=action,
            target=target,
            decision=decision,
            method="written",
            language="Sango",
            given_on=datetime.date(2026, 1, 10),
            user=self.world.member,
        )

    def withdraw_proceedings(self) -> None:
        self.consent(ConsentAction.PROCEEDINGS, FORUM, Decision.WITHDRAWN)

    def production(self, user: Any = None, **kw: Any) -> Production:
        kw.setdefault("recipient", "Tribunal de grande instance de Bangui, chambre criminelle")
        kw.setdefault("forum", FORUM)
        kw.setdefault("purpose", "criminal complaint against the contingent")
        production = do_create_production(case=self.case, user=user or self.world.member, **kw)
        do_select_items(production=production, items=[self.statement, self.photo_log], user=user or self.world.member)
        return production

    def redacted_copy(self, upload: Any) -> EvidenceItem:
        data = pdf(["Statement of [REDACTED] taken in Bangui."])
        copy = EvidenceItem.objects.get(pk=upload(self.world.member, self.case, data, name="r.pdf").json()["id"])
        EvidenceItem.objects.filter(pk=copy.pk).update(
            derivative_of=self.statement, derivative_kind=DerivativeKind.REDACTED
        )
        copy.refresh_from_db()
        copy.survivors.add(self.survivor)
        return copy


def build(production: Production, user: Any) -> Production:
    do_start_build(production=production, user=user, queue=False)
    run_build(production.pk)
    production.refresh_from_db()
    return production


def package_zip(production: Production) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(package_chunks(production))))


@pytest.fixture(name="pw")
def pw_fixture(world: World, case: Case, upload: Any) -> ProdWorld:
    Case.objects.filter(pk=case.pk).update(mission="MINUSCA")
    case.refresh_from_db()
    survivor = Survivor.objects.create(case=case, code="S-CAF-0101", age_band="25-39", created_by=world.member)
    statement = EvidenceItem.objects.get(
        pk=upload(world.member, case, pdf(["Statement taken in Bangui."], pages=2), name="statement.pdf").json()["id"]
    )
    log = EvidenceItem.objects.get(pk=upload(world.member, case, b"photo log\n", name="log.txt").json()["id"])
    statement.survivors.add(survivor)
    EvidenceItem.objects.filter(pk=log.pk).update(no_survivor_material=True)
    log.refresh_from_db()
    found = ProdWorld(world, case, survivor, statement, log)
    found.consent(ConsentAction.STORE_EVIDENCE)
    found.consent(ConsentAction.PROCEEDINGS, FORUM)
    return found
