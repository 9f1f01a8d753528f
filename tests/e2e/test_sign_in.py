import re

import pytest
from playwright.sync_api import expect

from .pages import log_in


@pytest.mark.browser
def test_rep_signs_in_from_a_chinese_browser_and_lands_on_the_workspace(people, live_server, new_context, screenshot_dir):
    page = new_context("zh-CN").new_page()
    page.goto("/")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    log_in(page, "rep")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#global-search")).to_be_visible()
    expect(page.locator("#main h1")).to_contain_text(people.sales_rep.full_name)
    # The rep's own customer is on the workspace; the other team's is not.
    expect(page.locator(f"#main a[href='/customers/{people.customer_a.pk}/']").first).to_have_text(people.customer_a.name)
    expect(page.locator(f"#main a[href='/customers/{people.customer_b.pk}/']")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "sign-in.png", full_page=True)
