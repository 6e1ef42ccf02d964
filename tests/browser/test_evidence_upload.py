"""A lawyer drops a file on the upload page: it goes up resumably (tus) with a progress bar and lands as an item."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

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


def test_the_page_sends_the_file_again_when_the_item_could_not_be_assembled(
    browser: Browser, live_server: Any, world: World, tmp_path: Path, settings: Any
) -> None:
    """The store refuses the item's object once: the server resets the upload, the page's tus client
    asks HEAD (offset 0), sends the file again and ends on the item, with nothing recorded twice.

    Its own page: the one 503 is expected here, so the console may report exactly that failure."""
    from django.core.files.storage import FileSystemStorage

    from audit.models import AuditEvent
    from evidence import storage
    from evidence.models import UploadSession

    if settings.PRODUCTION:
        pytest.skip("blocks a path of the local evidence store")
    settings.CUSTODY_KEY_DIR = tmp_path / "keys"
    case = CaseFactory.create(reference="CAF-MINUSCA-0044", organisation=world.org_car, teams=[world.team_car])
    content = os.urandom(1024 * 1024 + 99)
    source = tmp_path / "recording.bin"
    source.write_bytes(content)
    patches: list[str] = []

    def block_the_first_assembly(route: Any) -> None:
        if route.request.method == "PATCH" and not patches:
            upload = UploadSession.objects.get(case=case)
            local = storage.get(upload.storage_location)
            assert isinstance(local, FileSystemStorage)
            # A directory where the item's object must go: writing it fails like a full or broken disk.
            Path(local.path(storage.item_key(upload.item_uid))).mkdir(parents=True)
        if route.request.method == "PATCH":
            patches.append(route.request.headers.get("upload-offset", ""))
        route.continue_()

    settings.CSRF_TRUSTED_ORIGINS = [*settings.CSRF_TRUSTED_ORIGINS, live_server.url]
    headers = {"X-Forwarded-Proto": "https"} if settings.PRODUCTION else {}
    context = browser.new_context(base_url=live_server.url, extra_http_headers=headers, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, world.member)
    page.route("**/evidence/uploads/**", block_the_first_assembly)
    page.goto(f"/evidence/cases/{case.pk}/upload/")
    page.set_input_files("#id_file", str(source))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/evidence/items/*/", timeout=60_000)
    assert patches == ["0", "0"]
    item = EvidenceItem.objects.get(case=case)
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert AuditEvent.objects.filter(action="evidence.upload_failed", case_id=case.pk).count() == 1
    assert AuditEvent.objects.filter(action="evidence.upload_restarted", case_id=case.pk).count() == 1
    assert not UploadSession.objects.exists()
    context.close()
    assert problems == ["Failed to load resource: the server responded with a status of 503 (Service Unavailable)"]
