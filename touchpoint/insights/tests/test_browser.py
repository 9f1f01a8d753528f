"""The flow monitor and the service reports in a real Chromium: the bounced request listed first, the
Sankey drawn with a cycle between two departments, the charts of the reports, in Chinese and English.
Screenshots go to $E2E_SCREENSHOT_DIR (or a temporary directory) for a human to look at."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from touchpoint.insights.rollups import rollup_rebuild
from touchpoint.insights.tests.conftest import make_history
from touchpoint.testing import PASSWORD

pytestmark = [pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
MARCH = "?from=2026-03-01&to=2026-03-31"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} not found")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def test_the_flow_monitor_and_the_reports_in_a_browser(transactional_db, django_db_serialized_rollback, chromium, live_server,
                                                      personas, desk):  # fmt: skip
    history = make_history(personas, desk, requests=8)
    rollup_rebuild()
    bounced = next(sr for sr in history if sr.bounced and sr.is_open)
    shots = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="insights-"))
    shots.mkdir(parents=True, exist_ok=True)
    for locale in ("zh-CN", "en"):
        context = chromium.new_context(base_url=live_server.url, locale=locale, viewport={"width": 1400, "height": 1000},
                                       extra_http_headers={"Accept-Language": locale})  # fmt: skip
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        page.goto("/accounts/login/")
        form = page.locator("form", has=page.locator("input[name=login]"))
        form.locator("input[name=login]").fill(personas.maintenance_lead.username)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/" not in url)

        page.goto(f"/insights/flow/{MARCH}")
        page.locator("#flow-sankey canvas").first.wait_for()
        page.locator(".report-chart[data-chart=times] canvas").first.wait_for()
        attention = page.locator("#flow-board table").first.locator("tbody tr").first.inner_text()
        assert bounced.number in attention or bounced.number in page.locator("#flow-board table").first.inner_text()
        page.wait_for_timeout(1500)  # the charts' opening animation
        page.screenshot(path=str(shots / f"flow-{locale}.png"), full_page=True)

        page.goto(f"/insights/service/{MARCH}")
        page.locator(".report-chart[data-chart=months] canvas").first.wait_for()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shots / f"service-{locale}.png"), full_page=True)
        assert not errors, errors
        context.close()
