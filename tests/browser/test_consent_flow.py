"""A lawyer records a child's consent (guardian + assent) and prints the receipt; an MHPSS expert
writes a note the lawyer cannot read but whose safety flag the lawyer sees."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.models import Guardian, Survivor
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import World
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _child(world: World) -> Survivor:
    case = CaseFactory(
        reference="CAF-MINUSCA-0042",
        organisation=world.org_car,
        host_jurisdiction=world.team_car.jurisdiction,
        teams=[world.team_car],
    )
    child = Survivor.objects.create(
        case=case,
        code="S-CAF-0042",
        age_band="12-17",
        child_at_incident=True,
        child_now=True,
        preferred_language="es",
        created_by=world.member,
    )
    Guardian.objects.create(survivor=child, label="G1", relationship="mother")
    return child


def _second_page(browser: Browser, page: Page) -> Page:
    context = browser.new_context(
        base_url=page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2],
        extra_http_headers={"X-Forwarded-Proto": "https"},
        locale="en-GB",
    )
    return context.new_page()


def test_child_consent_receipt_and_a_sealed_mhpss_note(page: Page, browser: Browser, world: World) -> None:
    child = _child(world)
    sign_in(page, world.member)
    page.goto(f"/cases/survivors/{child.pk}/")
    expect(page.get_by_role("heading", name="S-CAF-0042")).to_be_visible()
    page.get_by_role("link", name="Record consent").click()
    expect(page.get_by_text("a grant takes effect only when a guardian gives consent")).to_be_visible()
    page.locator("#id_action").select_option("store_evidence")
    page.locator("#id_decision").select_option("granted")
    page.locator("#id_given_by").select_option("guardian")
    page.locator("#id_guardian").select_option(label="G1 (mother)")
    page.locator("#id_child_assent").select_option("given")
    page.locator("#id_method").select_option("thumbprint")
    page.locator("#id_language").fill("Sango")
    page.locator("#id_interpreter").fill("Staff interpreter")
    page.locator("#id_given_on").fill("2026-03-01")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Consent recorded.")).to_be_visible()
    expect(page.locator('tr[data-action="store_evidence"][data-state="granted"]')).to_be_visible()
    expect(page.locator('tr[data-action="share_media"][data-state="none"]')).to_be_visible()
    screenshot(page, "consent-matrix")

    page.get_by_role("link", name="Consent receipt").click()
    expect(page.locator("#id_language")).to_have_value("es")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the receipt (PDF)").click()
    pdf = Path(download.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "Recibo de consentimiento" in text and "S-CAF-0042" in text and "Conservar las pruebas" in text

    expert = _second_page(browser, page)
    sign_in(expert, world.mhpss)
    expert.goto(f"/cases/survivors/{child.pk}/notes/")
    expert.locator("#id_body").fill("Fictional clinical observations for the test.")
    expert.locator("#id_safety_flag").fill("Interview only with MHPSS present")
    expert.locator("#id_no_contact_before").fill("2099-06-01")
    expert.get_by_role("button", name="Save the note").click()
    expect(expert.get_by_text("Note saved.")).to_be_visible()
    expert.get_by_role("link", name="Note of").click()
    expect(expert.get_by_text("Fictional clinical observations for the test.")).to_be_visible()
    expert.context.close()

    page.goto(f"/cases/survivors/{child.pk}/")
    expect(page.get_by_text("Interview only with MHPSS present")).to_be_visible()
    expect(page.locator("p.warning[role=alert]")).to_contain_text("2099")
    page.get_by_role("link", name="MHPSS notes").click()
    expect(page.get_by_text("Interview only with MHPSS present")).to_be_visible()
    screenshot(page, "mhpss-notes-lawyer")
    # The lawyer sees that a note exists, but opening it answers like a missing page.
    note_url = page.get_by_role("link", name="Note of").get_attribute("href")
    refused = page.request.get(str(note_url))
    assert refused.status == 404
    assert "Fictional clinical observations" not in refused.text()
