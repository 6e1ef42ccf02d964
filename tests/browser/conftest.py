"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Production profile: the live server speaks plain HTTP, while the settings expect nginx to
terminate TLS (SECURE_SSL_REDIRECT, Secure ``__Host-`` cookies, SECURE_PROXY_SSL_HEADER). The
browser context therefore sends ``X-Forwarded-Proto: https`` with every request, as nginx does.
Chromium keeps Secure cookies for http://localhost (a potentially trustworthy origin), so the
session and CSRF cookies behave as over TLS. The one visible difference is the ``Origin`` header,
which says ``http://``: the live server's own origin is added to CSRF_TRUSTED_ORIGINS for the test.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from accounts.models import User
from tests.factories import TEST_PASSWORD
from tests.otp import code_for, ensure_totp_device, fresh_code

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


class SerialWSGIServer(WSGIServer):
    """The live server answering one request at a time, in its own thread.

    In the embedded profile the test database is SQLite in memory: one connection, which the
    threaded live server would share between its request threads, so a page and its previews
    loaded at once would interleave their transactions on it (a real SQLite file gives each
    thread its own connection and serialises writers). Answering requests in turn keeps each
    request's transaction whole; Django then closes each HTTP connection after its response.
    """

    def __init__(self, *args: Any, connections_override: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = SerialWSGIServer  # type: ignore[assignment]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop on the test thread; Django's guard against ORM calls
    # from coroutines would then refuse the test's own (synchronous) database work.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser, live_server: Any, settings: Any) -> Iterator[Page]:
    settings.CSRF_TRUSTED_ORIGINS = [*settings.CSRF_TRUSTED_ORIGINS, live_server.url]
    headers = {"X-Forwarded-Proto": "https"} if settings.PRODUCTION else {}
    context = browser.new_context(base_url=live_server.url, extra_http_headers=headers, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: _console(problems, message))
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == [], f"the browser reported: {problems}"


def _console(problems: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        problems.append(message.text)


def password_step(page: Page, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def sign_in(page: Page, user: User, password: str = TEST_PASSWORD) -> None:
    """Sign in through the real pages: password, then a TOTP code computed from the device's secret."""
    device = ensure_totp_device(user)
    password_step(page, user.get_username(), password)
    page.get_by_label("Code").fill(fresh_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/")


def code_from_enrolment_page(page: Page) -> str:
    """Read the secret shown for manual entry and compute the code as an authenticator app would."""
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    return code_for(base64.b32decode(secret).hex())


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{settings.PROFILE}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
