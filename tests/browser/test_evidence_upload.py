"""A lawyer drops a file on the upload page: it goes up resumably (tus) with a progress bar and lands as an item."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from evidence.models import EvidenceItem
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import World
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resumable_upload_from_the_page(page: Page, world: World, tmp_path: Path, settings: Any) -> None:
    settings.CUSTODY_KEY_DIR = tmp_path / "keys"
    case = CaseFactory.create(reference="CAF-MINUSCA-0042", organisation=world.org_car, teams=[world.team_car])
    content = os.urandom(3 * 1024 * 1024 + 5)
    source = tmp_path / "statement-of-a-witness.bin"
    source.write_bytes(content)
    sign_in(page, world.member)
    page.goto(f"/evidence/cases/{case.pk}/upload/")
    page.get_by_label("Collected by").fill("investigator 7")
    page.set_input_files("#id_file", str(source))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/evidence/items/*/", timeout=60_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("CAF-MINUSCA-0042/E0001")
    item = EvidenceItem.objects.get(case=case)
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.collected_by == "investigator 7"
    assert "statement-of-a-witness" not in page.content()
    screenshot(page, "evidence-item")


def test_resumable_upload_links_the_survivors_chosen_on_the_page(
    page: Page, world: World, tmp_path: Path, settings: Any
) -> None:
    from cases.survivors import do_create_survivor

    settings.CUSTODY_KEY_DIR = tmp_path / "keys"
    case = CaseFactory.create(reference="CAF-MINUSCA-0043", organisation=world.org_car, teams=[world.team_car])
    chosen = do_create_survivor(case=case, user=world.member)
    other = do_create_survivor(case=case, user=world.member)
    source = tmp_path / "interview.bin"
    source.write_bytes(os.urandom(1024 * 1024 + 17))
    sign_in(page, world.member)
    page.goto(f"/evidence/cases/{case.pk}/upload/")
    page.get_by_label(chosen.code).check()
    page.set_input_files("#id_file", str(source))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/evidence/items/*/", timeout=60_000)
    item = EvidenceItem.objects.get(case=case)
    assert list(item.survivors.all()) == [chosen] and other not in item.survivors.all()
    assert not item.no_survivor_material
    uploaded = AuditEvent.objects.get(action="evidence.uploaded", case_id=case.pk)
    assert uploaded.details["channel"] == "resumable" and uploaded.details["survivor_ids"] == [chosen.pk]
