import re

import pytest
from playwright.sync_api import Page, expect

from touchpoint.core.identifiers import USCC_ALPHABET, uscc_check_character
from touchpoint.customers.models import Contact, Customer

from .pages import translated

NEW_NAME = "国泰君安证券股份有限公司"
FIRST17 = "91310000631604283"


def valid_credit_code() -> str:
    return FIRST17 + uscc_check_character(FIRST17)


def fill_new_customer(page: Page, credit_code: str) -> None:
    form = page.locator("#main form[method=post]")
    form.locator("[name=name]").fill(NEW_NAME)
    form.locator("[name=short_name]").fill("国泰君安")
    form.locator("[name=credit_code]").fill(credit_code)
    form.locator("[name=customer_type]").select_option("securities")
    form.locator("[name=status]").select_option("prospect")
    form.locator("[name=province]").select_option("上海")
    form.locator("[name=city]").fill("上海")


def submit(page: Page) -> None:
    page.locator("#main form[method=post] button[type=submit]").click()


@pytest.mark.browser
def test_rep_creates_a_customer_and_a_contact_through_the_forms(people, signed_in, screenshot_dir):
    page = signed_in("rep")
    page.goto("/customers/")
    page.locator("#main a[href='/customers/new/']").first.click()
    expect(page).to_have_url(re.compile(r"/customers/new/$"))

    fill_new_customer(page, valid_credit_code())
    submit(page)

    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    customer = Customer.objects.get(name=NEW_NAME)
    assert page.url.endswith(f"/customers/{customer.pk}/")
    assert (customer.owner, customer.credit_code, customer.province, customer.city, customer.status) == (
        people.sales_rep, valid_credit_code(), "上海", "上海", "prospect",
    )  # fmt: skip
    expect(page.locator("#main h1")).to_contain_text(NEW_NAME)
    expect(page.locator("#main code")).to_have_text(valid_credit_code())

    page.locator(f"#main a[href='/customers/{customer.pk}/contacts/new/']").click()
    form = page.locator("#main form[method=post]")
    form.locator("[name=name]").fill("陈静")
    form.locator("[name=title]").fill("首席信息官")
    form.locator("[name=mobile]").fill("13900001111")
    form.locator("[name=email]").fill("chenjing@gtja.example")
    submit(page)

    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    contacts = page.locator("#main section[aria-labelledby=contacts-title] li")
    expect(contacts.filter(has_text="陈静")).to_contain_text("13900001111")
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.title, contact.mobile, contact.email) == (
        "陈静", "首席信息官", "13900001111", "chenjing@gtja.example",
    )  # fmt: skip
    page.screenshot(path=screenshot_dir / "customer-and-contact.png", full_page=True)


@pytest.mark.browser
def test_a_wrong_credit_code_shows_a_field_error_and_saves_nothing(people, signed_in, screenshot_dir):
    code = valid_credit_code()
    wrong = code[:17] + next(ch for ch in USCC_ALPHABET if ch != code[17])
    page = signed_in("rep")
    page.goto("/customers/new/")

    fill_new_customer(page, wrong)
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        submit(page)

    assert answer.value.status == 400
    expect(page).to_have_url(re.compile(r"/customers/new/$"))
    field = page.locator("#main .mb-3", has=page.locator("#id_credit_code"))
    expect(field.locator(".invalid-feedback")).to_have_text(
        translated("The check character of this unified social credit code is wrong; please check for a typo.")
    )
    expect(page.locator("#main .invalid-feedback")).to_have_count(1)
    expect(page.locator("#id_credit_code")).to_have_value(wrong)
    expect(page.locator("#id_name")).to_have_value(NEW_NAME)
    assert not Customer.all_objects.filter(name=NEW_NAME).exists()
    assert Customer.all_objects.count() == 2
    page.screenshot(path=screenshot_dir / "wrong-credit-code.png", full_page=True)


@pytest.mark.browser
def test_a_stale_edit_shows_what_changed_and_saving_again_applies_it(people, signed_in, screenshot_dir):
    customer = people.customer_a
    edit_url = f"/customers/{customer.pk}/edit/"
    first = signed_in("rep")
    second = first.context.new_page()
    first.goto(edit_url)
    second.goto(edit_url)

    first.locator("#id_city").fill("苏州")
    submit(first)
    expect(first).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))

    second.locator("#id_notes").fill("客户要求下月演示两融模块")
    with second.expect_response(lambda response: response.request.method == "POST") as answer:
        submit(second)

    assert answer.value.status == 409
    conflict = second.locator("#stale-edit")
    expect(conflict).to_be_visible()
    expect(conflict.locator("li")).to_have_count(1)
    expect(conflict.locator("li .diff-old")).to_have_text("南京")
    expect(conflict.locator("li .diff-new")).to_have_text("苏州")
    expect(second.locator("#id_notes")).to_have_value("客户要求下月演示两融模块")
    # The field this user never touched now shows the other person's value, so saving keeps it.
    expect(second.locator("#id_city")).to_have_value("苏州")
    second.screenshot(path=screenshot_dir / "stale-edit-conflict.png", full_page=True)
    customer.refresh_from_db()
    assert (customer.city, customer.notes, customer.version) == ("苏州", "", 2)

    submit(second)

    expect(second).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    customer.refresh_from_db()
    assert (customer.city, customer.notes, customer.version) == ("苏州", "客户要求下月演示两融模块", 3)
    second.screenshot(path=screenshot_dir / "stale-edit-resolved.png", full_page=True)
