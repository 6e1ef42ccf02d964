from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.browser.conftest import code_from_enrolment_page, password_step, screenshot, sign_in
from tests.conftest import World
from tests.otp import ensure_totp_device, fresh_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_sign_in_enrols_two_factor_and_reaches_the_dashboard(page: Page, world: World) -> None:
    password_step(page, "member")
    expect(page).to_have_url(f"{page.context.pages[0].url.split('/accounts')[0]}/accounts/two-factor/setup/")
    expect(page.locator("figure.qr svg")).to_be_visible()
    screenshot(page, "enrol")
    page.get_by_label("Code from your app").fill(code_from_enrolment_page(page))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them — continue").click()
    expect(page.get_by_role("heading", name="Your teams")).to_be_visible()
    expect(page.get_by_role("link", name="Bangui team")).to_be_visible()
    screenshot(page, "dashboard")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies[settings.SESSION_COOKIE_NAME]
    assert session["httpOnly"]
    assert session["secure"] is settings.SESSION_COOKIE_SECURE


def test_sign_in_with_an_enrolled_device(page: Page, world: World) -> None:
    sign_in(page, world.lead)
    expect(page.get_by_role("heading", name="Your teams")).to_be_visible()
    page.get_by_role("link", name="Bangui team").click()
    expect(page.get_by_role("heading", name="Add a member")).to_be_visible()
    screenshot(page, "team")


def test_wrong_code_shows_an_error_and_keeps_the_door_shut(page: Page, world: World) -> None:
    device = ensure_totp_device(world.member)
    password_step(page, "member")
    right = fresh_code(device)
    page.get_by_label("Code").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("This code was not accepted.")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Enter your two-factor code")).to_be_visible()


def test_wrong_password_shows_the_generic_error(page: Page, world: World) -> None:
    password_step(page, "member", "not the password")
    expect(page.get_by_text("The username or password is not correct.")).to_be_visible()


def test_sign_out(page: Page, world: World) -> None:
    sign_in(page, world.member)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_language_switcher_shows_the_french_interface(page: Page, world: World) -> None:
    sign_in(page, world.member)
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("heading", name="Vos équipes")).to_be_visible()
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()
    screenshot(page, "dashboard-fr")
