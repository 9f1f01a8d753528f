"""Browser-test plumbing: one headless Debian Chromium per run, a fresh context per person.

The live server runs in a thread of this process, so the tests need transactional database
access; serialized rollback brings back the rows the migrations seed (the departments) after
each test's flush.
"""

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from touchpoint.testing import Personas, make_personas

from .pages import log_in

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Final pages of each journey, for a human to look at; outside the repository."""
    path = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="touchpoint-e2e-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def people(transactional_db: None, django_db_serialized_rollback: None) -> Personas:
    return make_personas()


@pytest.fixture
def new_context(chromium: Browser, live_server) -> Iterator[Callable[..., BrowserContext]]:  # type: ignore[no-untyped-def]
    """Make browser contexts (separate cookie jars) that all close at the end of the test."""
    contexts: list[BrowserContext] = []

    def make(locale: str = "zh-CN") -> BrowserContext:
        context = chromium.new_context(
            base_url=live_server.url,
            locale=locale,
            extra_http_headers={"Accept-Language": locale},
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(new_context: Callable[..., BrowserContext]) -> Callable[..., Page]:
    def open_page(username: str, locale: str = "zh-CN") -> Page:
        page = new_context(locale).new_page()
        log_in(page, username)
        return page

    return open_page
