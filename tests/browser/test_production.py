"""A lawyer prepares a court production in the browser: create, select, build with progress, release, download."""

from __future__ import annotations

import zipfile
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from evidence.production_models import Production, ProductionState
from teams.models import Organisation
from tests.browser.conftest import screenshot, sign_in
from tests.evidence.conftest import _evidence_key_dir, case, upload  # noqa: F401
from tests.evidence.production.workflow_helpers import FORUM, ProdWorld, pw_fixture  # noqa: F401
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lawyer_builds_releases_and_downloads_a_production(
    page: Page,
    pw: ProdWorld,
    upload: Any,  # noqa: F811
    celery_live: Any,
    tmp_path: Any,
) -> None:
    # Originals stay in the host country and the court sits abroad: the redacted copy is produced.
    Organisation.objects.filter(pk=pw.case.organisation_id).update(originals_stay_in_jurisdiction=True)
    copy = pw.redacted_copy(upload)
    sign_in(page, pw.world.member)
    page.goto(f"/evidence/cases/{pw.case.pk}/productions/")
    page.get_by_label("Recipient (court, forum, jurisdiction)").fill("Cour d'appel de Paris")
    page.get_by_label("Forum named in the survivors' consent").fill(FORUM)
    page.get_by_label("Purpose").fill("civil claim for the survivor's damages")
    page.get_by_label("Recipient's country").select_option("FR")
    page.get_by_role("button", name="Create the production").click()
    expect(page.get_by_text("Production created: now select its items.")).to_be_visible()

    page.get_by_label(pw.statement.display_name).check()
    page.get_by_role("button", name="Add the checked items").click()
    expect(page.locator("#rows")).to_contain_text(pw.statement.display_name)
    page.get_by_role("button", name="Build the package").click()
    # The page polls the build's progress and reloads once it is built.
    expect(page.locator("#state")).to_have_text("Built, not released", timeout=60_000)
    expect(page.locator("#rows")).to_contain_text("Redacted copy")
    expect(page.locator("#bates")).to_contain_text("CAF-MINUSCA-0042-000001")
    screenshot(page, "production-built")

    page.get_by_role("button", name="Release the production").click()
    expect(page.get_by_role("heading", name="Confirm your identity")).to_be_visible()
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    page.goto(f"/evidence/productions/{Production.objects.get().pk}/")
    page.get_by_role("button", name="Release the production").click()
    expect(page.locator("#state")).to_have_text("Released")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the package").click()
    path = tmp_path / "package.zip"
    info.value.save_as(path)
    production = Production.objects.get()
    assert production.state == ProductionState.RELEASED
    assert production.rows.get().produced_id == copy.pk
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        assert f"{production.package_name}/tagmanifest-sha256.txt.asc" in package.namelist()
    assert AuditEvent.objects.filter(action="production.downloaded", actor_username="member").exists()
