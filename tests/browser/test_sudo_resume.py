from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import World
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_form_interrupted_by_sudo_mode_comes_back_filled(page: Page, world: World) -> None:
    sign_in(page, world.admin)
    page.goto("/accounts/admin/users/new/")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Display name").fill("New Comer")
    page.get_by_label("Initial password").fill("a long enough passphrase 9")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Confirm your identity")).to_be_visible()
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("Your entries are back in the form")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("newcomer")
    expect(page.get_by_label("Display name")).to_have_value("New Comer")
    expect(page.get_by_label("Initial password")).to_have_value("")
    screenshot(page, "sudo-resume")
    assert not User.objects.filter(username="newcomer").exists(), "nothing is sent again by itself"

    page.get_by_label("Initial password").fill("a long enough passphrase 9")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Account newcomer created.")).to_be_visible()
