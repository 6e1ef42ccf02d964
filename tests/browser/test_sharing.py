"""A coalition lead grants a foreign team redacted access; the foreign lawyer sees the redacted copy,
gets 404 on the original by URL guessing, and loses access in the open session on revocation."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from cases.models import ConsentAction
from evidence.models import DerivativeKind, EvidenceItem
from tests.browser.conftest import sign_in
from tests.conftest import World
from tests.evidence.conftest import _evidence_key_dir, upload  # noqa: F401
from tests.factories import CaseFactory
from tests.sharing.conftest import ShareWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _second_page(browser: Browser, page: Page) -> Page:
    base = page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2]
    context = browser.new_context(base_url=base, extra_http_headers={"X-Forwarded-Proto": "https"}, locale="en-GB")
    return context.new_page()


def test_grant_redacted_access_then_revoke(page: Page, browser: Browser, world: World, upload: Any) -> None:  # noqa: F811
    from cases.models import Survivor

    case = CaseFactory.create(
        reference="CAF-MINUSCA-0077",
        organisation=world.org_car,
        host_jurisdiction=world.team_car.jurisdiction,
        teams=[world.team_car],
    )
    sw = ShareWorld(world, case, Survivor.objects.create(case=case, code="S-CAF-0077", created_by=world.member))
    sw.consent(ConsentAction.SHARE_TEAM, world.team_tcc.pk)
    sw.consent(ConsentAction.SHARE_JURISDICTION, "BD")
    original = EvidenceItem.objects.get(pk=upload(world.member, case, b"original", name="statement.txt").json()["id"])
    redacted = EvidenceItem.objects.get(pk=upload(world.member, case, b"redacted", name="redacted.txt").json()["id"])
    EvidenceItem.objects.filter(pk=redacted.pk).update(derivative_of=original, derivative_kind=DerivativeKind.REDACTED)
    sw.concerns(original)

    sign_in(page, world.lead)
    page.goto(f"/cases/{case.pk}/")
    page.get_by_role("link", name="Sharing with other teams").click()
    page.locator("#id_grantee_team").select_option(label="Dhaka team (Contributing Counsel)")
    page.locator("#id_level").select_option("redacted")
    page.get_by_label("Download", exact=True).check()
    page.get_by_label("Purpose").fill("joint complaint before the national court")
    page.get_by_role("button", name="Grant").click()
    expect(page.get_by_text("Access granted.")).to_be_visible()

    foreign = _second_page(browser, page)
    sign_in(foreign, world.other_member)
    foreign.goto(f"/evidence/cases/{case.pk}/")
    expect(foreign.get_by_role("link", name=redacted.display_name)).to_be_visible()
    assert foreign.goto(f"/evidence/items/{redacted.pk}/content/").status == 200  # type: ignore[union-attr]
    assert foreign.goto(f"/evidence/items/{original.pk}/content/").status == 404  # type: ignore[union-attr]

    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Grant revoked")).to_be_visible()
    assert foreign.goto(f"/evidence/items/{redacted.pk}/").status == 404  # type: ignore[union-attr]
    assert foreign.goto(f"/cases/{case.pk}/").status == 404  # type: ignore[union-attr]
    foreign.context.close()


def test_lead_shares_one_item_from_its_page_with_one_foreign_lawyer(
    page: Page,
    browser: Browser,
    world: World,
    upload: Any,  # noqa: F811
) -> None:
    from cases.models import Survivor

    case = CaseFactory.create(
        reference="CAF-MINUSCA-0078",
        organisation=world.org_car,
        host_jurisdiction=world.team_car.jurisdiction,
        teams=[world.team_car],
    )
    sw = ShareWorld(world, case, Survivor.objects.create(case=case, code="S-CAF-0078", created_by=world.member))
    sw.consent(ConsentAction.SHARE_TEAM, world.team_tcc.pk)
    sw.consent(ConsentAction.SHARE_JURISDICTION, "BD")
    chosen = EvidenceItem.objects.get(pk=upload(world.member, case, b"one", name="one.txt").json()["id"])
    other = EvidenceItem.objects.get(pk=upload(world.member, case, b"two", name="two.txt").json()["id"])
    sw.concerns(chosen)
    sw.concerns(other)

    sign_in(page, world.lead)
    page.goto(f"/evidence/items/{chosen.pk}/")
    page.get_by_role("link", name="Share this item with another team").click()
    expect(page.get_by_label(chosen.display_name)).to_be_checked()
    expect(page.get_by_label(other.display_name)).not_to_be_checked()
    page.locator("#id_grantee_team").select_option(label="Dhaka team (Contributing Counsel)")
    page.locator("#id_grantee_user").select_option(label=str(world.other_member))
    page.locator("#id_level").select_option("metadata")
    page.get_by_label("Purpose").fill("one statement for the joint complaint")
    page.get_by_role("button", name="Grant").click()
    expect(page.get_by_text("Access to the chosen items granted.")).to_be_visible()
    expect(page.get_by_role("cell", name=chosen.display_name, exact=True)).to_be_visible()

    foreign = _second_page(browser, page)
    sign_in(foreign, world.other_member)
    assert foreign.goto(f"/evidence/items/{chosen.pk}/").status == 200  # type: ignore[union-attr]
    assert foreign.goto(f"/evidence/items/{other.pk}/").status == 404  # type: ignore[union-attr]
    foreign.context.close()
