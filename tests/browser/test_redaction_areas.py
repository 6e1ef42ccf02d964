"""A lawyer reviews a redaction on the page preview, draws an area by hand over a line, a lead approves,
and the released copy no longer holds the text under the area."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Browser, Page, expect

from cases.consent_services import do_record_consent
from cases.models import ConsentAction, Decision
from cases.survivors import IdentityData, do_create_survivor, do_seal_identity
from evidence.models import EvidenceItem
from evidence.redaction_models import JobState, MarkKind, RedactionJob, RedactionMark
from evidence.redaction_runs import run_proposal, run_release
from evidence.redaction_services import do_propose
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import World
from tests.evidence.conftest import _evidence_key_dir, upload  # noqa: F401
from tests.evidence.test_redaction_workflow import LINES, _content, _fold, _pdf, _text
from tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Line 4 ("The events concern the contingent stationed near the market.") sits 126-140 points from the top.
AREA = (50.0, 126.0, 560.0, 140.0)


def _job(world: World, upload: Any) -> RedactionJob:  # noqa: F811
    case = CaseFactory.create(reference="CAF-MINUSCA-0099", organisation=world.org_car, teams=[world.team_car])
    survivor = do_create_survivor(case=case, user=world.member)
    do_seal_identity(survivor=survivor, identity=IdentityData(legal_name="Aïcha Koné"), user=world.member)
    do_record_consent(
        survivor=survivor,
        action=ConsentAction.STORE_EVIDENCE,
        decision=Decision.GRANTED,
        method="written",
        language="Sango",
        given_on=datetime.date(2026, 1, 10),
        user=world.member,
    )
    item = EvidenceItem.objects.get(pk=upload(world.member, case, _pdf(LINES), name="statement.pdf").json()["id"])
    item.survivors.add(survivor)
    with transaction.atomic():
        job = do_propose(item=item, user=world.investigator)
    run_proposal(job.pk)  # a no-op where the task already ran on commit
    job.refresh_from_db()
    assert job.state == JobState.PROPOSED
    return job


def _drag(page: Page, area: tuple[float, float, float, float]) -> None:
    """Drag over the preview from the area's top-left to its bottom-right corner (points → screen pixels)."""
    preview = page.locator("#page-preview")
    page.wait_for_function("document.getElementById('page-preview').naturalWidth > 0")
    page.evaluate("document.getElementById('page-preview').scrollIntoView({block: 'start'})")
    box = preview.bounding_box()  # in the viewport, where the mouse acts
    assert box is not None
    natural = page.evaluate("document.getElementById('page-preview').naturalWidth")
    factor = box["width"] / natural * 100 / 72  # the preview is rendered at 100 dpi
    left, top, right, bottom = area
    page.mouse.move(box["x"] + left * factor, box["y"] + top * factor)
    page.mouse.down()
    page.mouse.move(box["x"] + (left + right) / 2 * factor, box["y"] + (top + bottom) / 2 * factor, steps=4)
    page.mouse.move(box["x"] + right * factor, box["y"] + bottom * factor, steps=4)
    page.mouse.up()


def test_draw_an_area_on_the_page_and_release(page: Page, browser: Browser, world: World, upload: Any) -> None:  # noqa: F811
    job = _job(world, upload)
    sign_in(page, world.member)
    page.goto(f"/evidence/redaction/{job.pk}/")
    expect(page.get_by_role("heading", name="Page 1 of 1")).to_be_visible()
    _drag(page, AREA)
    expect(page.locator(".drawn-area")).to_be_visible()
    for field, expected in zip(("left", "top", "right", "bottom"), AREA, strict=True):
        assert abs(float(page.locator(f"#area-{field}").input_value()) - expected) < 2.0
    screenshot(page, "redaction-area-drawn")
    page.get_by_role("button", name="Black out this area").click()
    expect(page.get_by_text("Everything under this area will be removed")).to_be_visible()
    area = RedactionMark.objects.get(job=job, kind=MarkKind.MANUAL_AREA)
    assert area.page == 1 and all(abs(a - b) < 2.0 for a, b in zip(area.boxes[0], AREA, strict=True))
    page.get_by_role("button", name="Mark as reviewed").click()
    expect(page.locator("#state")).to_have_text("Awaiting approval")

    context = browser.new_context(
        base_url=page.url.split("/evidence/")[0], extra_http_headers={"X-Forwarded-Proto": "https"}, locale="en-GB"
    )
    lead = context.new_page()
    sign_in(lead, world.lead)
    lead.goto(f"/evidence/redaction/{job.pk}/")
    lead.get_by_role("button", name="Approve and produce the redacted copy").click()
    expect(lead.get_by_text("Approved.")).to_be_visible()
    context.close()

    assert run_release(job.pk) == JobState.RELEASED  # a no-op where the task already ran on commit
    job.refresh_from_db()
    assert job.output is not None
    text = _fold(_text(_content(job.output)))
    assert "contingent" not in text and "market" not in text
    assert "statement" in text and "neighbour" in text
    page.goto(f"/evidence/redaction/{job.pk}/")
    expect(page.locator("#state")).to_have_text("Redacted copy stored")
