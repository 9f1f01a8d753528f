import re

import pytest
from playwright.sync_api import expect

from touchpoint.org.models import Department

from .pages import translated


@pytest.mark.browser
def test_rep_finds_a_customer_by_pinyin_initials_in_the_global_search(people, signed_in, screenshot_dir):
    customer = people.customer_a
    page = signed_in("rep")

    page.locator("#global-search").press_sequentially("htzq")

    result = page.locator(f"#search-results a[href='/customers/{customer.pk}/']")
    expect(result).to_contain_text(customer.name)
    expect(page.locator(f"#search-results a[href='/customers/{people.customer_b.pk}/']")).to_have_count(0)
    result.click()

    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    expect(page.locator("#main h1")).to_contain_text(customer.name)
    expect(page.locator("#timeline")).to_be_visible()
    page.screenshot(path=screenshot_dir / "search-to-360.png", full_page=True)


@pytest.mark.browser
def test_switching_the_language_to_english_redraws_the_same_page_in_english(people, signed_in, screenshot_dir):
    sales = Department.objects.get(code="sales")
    page = signed_in("rep")
    page.goto("/customers/")
    html, main = page.locator("html"), page.locator("#main")
    expect(html).to_have_attribute("lang", "zh-hans")
    # Labels the Chinese catalog already translates must show in Chinese first; the catalog is
    # still being filled, so the list is read from it rather than written here.
    labels = ["Workspace", "Customers", "Contacts", "Follow-ups", "Search", "Owner", "Status"]
    chinese = [translated(label) for label in labels if translated(label) != label]
    for text in chinese:
        expect(page.locator("body")).to_contain_text(text)

    page.locator("#language-switch").select_option("en")

    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator("#main-nav")).to_contain_text("Customers")
    expect(page.locator("#global-search")).to_have_attribute("placeholder", "Search: name, pinyin, phone, email")
    for text in chinese:
        expect(page.locator("body")).not_to_contain_text(text)

    # The choice sticks for the next page, and data with an English name uses it.
    page.goto("/")
    expect(html).to_have_attribute("lang", "en")
    expect(main).to_contain_text(f"· {sales.name_en}")
    expect(main).not_to_contain_text(sales.name)
    page.goto(f"/customers/{people.customer_a.pk}/")
    expect(page.locator("#timeline-title")).to_have_text("Timeline")
    expect(page.locator("#contacts-title")).to_contain_text("Contacts")
    page.screenshot(path=screenshot_dir / "english.png", full_page=True)


@pytest.mark.browser
def test_the_360_timeline_loads_more_as_you_scroll_and_filters_by_channel(people, signed_in, screenshot_dir):
    from datetime import timedelta

    from django.utils import timezone

    from touchpoint.touchpoints.services import touchpoint_log

    customer = people.customer_a
    start = timezone.now() - timedelta(days=60)
    for day in range(40):
        touchpoint_log(by=people.sales_rep, customer=customer, channel="wechat" if day % 4 == 0 else "phone",
                       direction="in", subject=f"第{day:02d}次沟通", occurred_at=start + timedelta(days=day))  # fmt: skip
    page = signed_in("rep")
    page.goto(f"/customers/{customer.pk}/")
    items = page.locator("#timeline .timeline-item")
    expect(items).to_have_count(25)
    page.locator("#timeline li[hx-trigger='revealed']").scroll_into_view_if_needed()
    expect(items).not_to_have_count(25)
    expect(page.locator("#timeline")).to_contain_text("第00次沟通")

    page.locator("#tl-channel").select_option("wechat")
    expect(items).to_have_count(10)
    expect(page.locator("#timeline")).not_to_contain_text("第01次沟通")
    page.screenshot(path=screenshot_dir / "timeline-wechat.png", full_page=True)
