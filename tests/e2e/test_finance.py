"""The credit and collections journey of issue 4: a payment milestone falls due, finance invoices it,
a partial receipt is recorded and allocated, the ageing report and the 360 follow, the overdue rest
is chased by the dunning run through a real SMTP server, and a new contract held by the credit check
is let through by finance."""

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from touchpoint.core.models import Event
from touchpoint.customers.services import contact_create
from touchpoint.finance.models import (
    CreditOverride,
    CreditProfile,
    DunningLanguage,
    DunningLetter,
    Invoice,
    InvoiceStatus,
    LetterStatus,
    Receipt,
    ReceiptMethod,
    VatType,
)
from touchpoint.finance.services.credit import credit_check
from touchpoint.finance.services.dunning import dunning_run
from touchpoint.sales.models import (
    Contract,
    ContractStatus,
    DeliveryEvent,
    MilestoneStatus,
    Module,
    ModulePrice,
    Product,
    ProductVersion,
    RequirementArea,
)
from touchpoint.sales.services.contracts import contract_confirm, contract_from_quote, delivery_event_fire
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.sales.services.quotes import quote_accept, quote_create, quote_line_add, quote_mark_sent, quote_submit

from .pages import translated

MODULES = [  # code, name, perpetual list price, requirement area
    ("fc-core", "集中交易核心", "800000", "order_entry"),
    ("fc-margin", "融资融券", "500000", "margin_trading"),
    ("fc-risk", "实时风控", "300000", "risk_control"),
]
FINANCE_CONTACT = ("陈会计", "caiwu@htsc.example")
TAX_NUMBER = "26322000000012345678"
RECEIVED = Decimal("200000.00")
BANK_REFERENCE = "ICBC-HT-20260115-001"
CREDIT_LIMIT = Decimal("1300000.00")
OVERRIDE_REASON = "客户已承诺本月结清逾期款，风控扩容为监管整改必需"


def zh(label: Any) -> str:
    """A model choice's label (lazy) as the zh-Hans pages show it."""
    with translation.override("zh-hans"):
        return str(label)


def shown(value: Decimal) -> str:
    """An amount the way the pages print it (the `amount` filter): 1,234,567.80."""
    return f"{value:,.2f}"


def click_button(scope: Any, message: str, language: str = "zh-hans") -> None:
    scope.get_by_role("button", name=translated(message, language), exact=True).click()


# --- A real SMTP server for the reminders ------------------------------------------------------


@dataclass
class MailSink:
    """What an SMTP server on 127.0.0.1 accepted: each message with its envelope recipients."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the hook aiosmtpd calls
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_sink(settings) -> Iterator[MailSink]:  # type: ignore[no-untyped-def]
    """Point Django's SMTP backend at a local aiosmtpd server for the length of the test."""
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        controller.stop()


def plain_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


# --- Data set up through the sales services ------------------------------------------------------


def make_modules() -> dict[str, Module]:
    product = Product.objects.create(code="fc-trade", name="网上交易系统", name_en="Online trading",
                                     day_rate=Decimal("3000"), maintenance_percent=Decimal("15"))  # fmt: skip
    ProductVersion.objects.create(product=product, number="5.2", released_on=date(2026, 3, 1))
    modules = {}
    for code, name, price, area in MODULES:
        module = Module.objects.create(product=product, code=code, name=name, name_en=code)
        module.areas.add(RequirementArea.objects.get(code=area))
        ModulePrice.objects.create(module=module, licence_type="perpetual", list_price=Decimal(price),
                                   valid_from=date(2025, 1, 1))  # fmt: skip
        modules[code] = module
    return modules


def drafted_contract(people: Any, title: str, modules: list[Module]) -> Contract:
    """The rep's opportunity, quoted at list price, accepted and drafted as a contract signed today."""
    rep = people.sales_rep
    opportunity = opportunity_create(by=rep, customer=people.customer_a, title=title, owner=rep,
                                     close_date=timezone.localdate() + timedelta(days=60), amount=Decimal("1000000"))  # fmt: skip
    quote = quote_create(opportunity=opportunity, by=rep, contact=None)
    for module in modules:
        quote_line_add(quote=quote, by=rep, module=module)
    quote = quote_accept(quote=quote_mark_sent(quote=quote_submit(quote=quote, by=rep), by=rep), by=rep)
    return contract_from_quote(quote=quote, by=rep, signed_on=timezone.localdate())


def panel(page: Page, key: str) -> Any:
    """A registered panel on the workspace or the customer 360."""
    return page.locator(f"section[aria-labelledby=panel-{key}]")


def status_badge(page: Page) -> Any:
    # The contract's status badge comes first in the heading; the customer's risk badges follow it.
    return page.locator("h1 .badge").first


@pytest.mark.browser
def test_finance_invoices_a_due_milestone_collects_part_chases_the_rest_and_lets_a_held_contract_through(
    people, signed_in, screenshot_dir, smtp_sink
):
    today = timezone.localdate()
    customer = people.customer_a
    modules = make_modules()
    contact_name, contact_email = FINANCE_CONTACT
    contact_create(by=people.sales_rep, customer=customer, name=contact_name, title="财务部经理", decision_role="finance",
                   email=contact_email, mobile="13911112222")  # fmt: skip
    contract = contract_confirm(
        contract=drafted_contract(people, "两融系统建设", [modules["fc-core"], modules["fc-margin"]]), by=people.sales_rep
    )
    assert contract.status == ContractStatus.ACTIVE
    signing, delivery = contract.milestones.order_by("order")[:2]
    assert (signing.status, delivery.status) == (MilestoneStatus.DUE, MilestoneStatus.PENDING)

    # 1. The signing milestone fell due on activation: an invoice request on finance's workspace.
    page = signed_in("finance")
    requests = panel(page, "invoice_requests")
    expect(requests).to_contain_text(contract.number)
    expect(requests).to_contain_text(signing.name)
    expect(requests).to_contain_text(shown(signing.amount))
    expect(requests).not_to_contain_text(delivery.name)
    # Delivery acceptance fires the next milestone; it joins the requests.
    delivery_event_fire(contract=contract, event=DeliveryEvent.DELIVERY_ACCEPTED, by=people.project_manager)
    page.reload()
    expect(requests).to_contain_text(delivery.name)
    expect(requests).to_contain_text(shown(delivery.amount))
    page.screenshot(path=screenshot_dir / "finance-workspace-invoice-requests.png", full_page=True)

    requests.get_by_role("link", name=translated("All invoice requests")).click()
    expect(page).to_have_url(re.compile(r"/finance/invoice-requests/$"))
    rows = page.locator("#main table tbody tr")
    expect(rows).to_have_count(2)
    signing_row = rows.filter(has_text=signing.name)
    expect(signing_row).to_contain_text(customer.display_name)
    expect(signing_row).to_contain_text(contract.number)
    expect(signing_row).to_contain_text(f"{shown(signing.amount)} {contract.currency}")
    expect(rows.filter(has_text=delivery.name)).to_contain_text(shown(delivery.amount))

    # 2. Finance issues the invoice for the whole signing milestone: special VAT invoice at 6%, with its tax number.
    signing_row.get_by_role("link", name=translated("Issue invoice")).click()
    expect(page).to_have_url(re.compile(rf"/finance/invoice-requests/{signing.pk}/issue/$"))
    form = page.locator("#main form[method=post]")
    assert Decimal(form.locator("[name=amount]").input_value()) == signing.amount  # the whole remainder, pre-filled
    form.locator("[name=amount]").fill(str(signing.amount))
    form.locator("[name=vat_type]").select_option(value=VatType.SPECIAL)
    form.locator("[name=tax_rate]").fill("6")
    form.locator("[name=tax_number]").fill(TAX_NUMBER)
    form.locator("[name=issued_on]").fill(today.isoformat())
    form.locator("[name=note]").fill("签约款全额开票")
    page.screenshot(path=screenshot_dir / "finance-invoice-issue-form.png", full_page=True)
    click_button(form, "Issue invoice")
    expect(page).to_have_url(re.compile(r"/finance/invoices/\d+/$"))
    invoice = Invoice.objects.get(milestone=signing)
    assert page.url.endswith(f"/finance/invoices/{invoice.pk}/")
    due_on = today + timedelta(days=CreditProfile.objects.get(customer=customer).payment_terms_days)
    assert (invoice.amount, invoice.open_amount, invoice.vat_type, invoice.tax_rate, invoice.tax_number) == (
        signing.amount, signing.amount, VatType.SPECIAL, Decimal("6.00"), TAX_NUMBER,
    )  # fmt: skip
    assert (invoice.issued_on, invoice.due_on, invoice.status, invoice.created_by) == (
        today, due_on, InvoiceStatus.OPEN, people.finance,
    )  # fmt: skip
    expect(page.locator("#main h1")).to_contain_text(invoice.number)
    facts = page.locator("section[aria-labelledby=facts-title]")
    expect(facts).to_contain_text(TAX_NUMBER)
    expect(facts).to_contain_text(zh(VatType.SPECIAL.label))
    expect(facts).to_contain_text(due_on.isoformat())
    signing.refresh_from_db()
    assert signing.status == MilestoneStatus.INVOICED
    page.goto("/finance/invoice-requests/")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(delivery.name)

    # 3. 200,000 of it arrives by bank transfer: recorded through the receipt form, then allocated by hand.
    page.goto("/finance/receipts/new/")
    page.locator("#payer-q").fill(customer.short_name)
    click_button(page.locator("#main form[method=get]"), "Search")
    page.locator("#main .list-group a", has_text=customer.name).click()
    expect(page).to_have_url(re.compile(rf"/finance/receipts/new/\?customer={customer.pk}$"))
    form = page.locator("#main form[method=post]")
    form.locator("[name=amount]").fill(str(RECEIVED))
    expect(form.locator("[name=currency]")).to_have_value("CNY")
    form.locator("[name=received_on]").fill(today.isoformat())
    form.locator("[name=method]").select_option(value=ReceiptMethod.BANK_TRANSFER)
    form.locator("[name=bank_reference]").fill(BANK_REFERENCE)
    form.locator("[name=allocate]").uncheck()
    click_button(form, "Record receipt")
    expect(page).to_have_url(re.compile(r"/finance/receipts/\d+/$"))
    receipt = Receipt.objects.get(customer=customer)
    assert (receipt.amount, receipt.allocated_amount, receipt.bank_reference) == (RECEIVED, Decimal("0"), BANK_REFERENCE)
    allocate = page.locator("section[aria-labelledby=allocate-title]")
    expect(allocate).to_contain_text(invoice.number)
    allocate.locator(f"[name=amount_{invoice.pk}]").fill(str(RECEIVED))
    click_button(allocate.locator(f"form[action$='/receipts/{receipt.pk}/allocate/']"), "Allocate")
    expect(page).to_have_url(re.compile(rf"/finance/receipts/{receipt.pk}/$"))
    allocations = page.locator("section[aria-labelledby=alloc-title] tbody tr")
    expect(allocations).to_have_count(1)
    expect(allocations).to_contain_text(invoice.number)
    expect(allocations).to_contain_text(shown(RECEIVED))
    expect(page.locator("section[aria-labelledby=allocate-title]")).to_have_count(0)  # nothing left to allocate
    page.screenshot(path=screenshot_dir / "finance-receipt-allocated.png", full_page=True)
    receipt.refresh_from_db()
    invoice.refresh_from_db()
    open_rest = signing.amount - RECEIVED
    assert receipt.allocated_amount == RECEIVED
    assert (invoice.allocated_amount, invoice.open_amount, invoice.status) == (RECEIVED, open_rest, InvoiceStatus.PARTIAL)

    # 4. The ageing report has the rest as not yet due; the customer 360's receivables panel shows it open.
    page.goto("/finance/ageing/")
    ageing_row = page.locator("#main table tbody tr", has_text=customer.name)
    expect(ageing_row).to_have_count(1)
    expect(ageing_row.locator("td").nth(1)).to_have_text(shown(open_rest))  # the "not yet due" column
    expect(ageing_row.locator("td").last).to_have_text(shown(open_rest))
    expect(page.locator("#main table tfoot")).to_contain_text(shown(open_rest))
    page.screenshot(path=screenshot_dir / "finance-ageing-current.png", full_page=True)

    page.goto(f"/customers/{customer.pk}/")
    receivables = panel(page, "receivables")
    expect(receivables).to_contain_text(shown(open_rest))
    expect(receivables).to_contain_text(invoice.number)
    expect(receivables.locator(".badge")).to_have_text(zh(InvoiceStatus.PARTIAL.label))
    page.screenshot(path=screenshot_dir / "finance-360-receivables.png", full_page=True)

    # 5. The customer's finance contact reads English; finance sets that on the credit terms form. (The
    # English overdue letter names the customer's company; the Chinese one only greets the contact.)
    page.goto(f"/finance/customers/{customer.pk}/")
    terms = page.locator("form[action$='/terms/']")
    terms.locator("[name=dunning_language]").select_option(value=DunningLanguage.ENGLISH)
    click_button(terms, "Save")
    expect(page.locator(".alert-success")).to_contain_text(translated("Credit terms saved."))
    assert CreditProfile.objects.get(customer=customer).dunning_language == DunningLanguage.ENGLISH

    # The journey cannot wait out the 30 days' payment terms: moving the due date ten days into the
    # past is what time passing would do, and leaves everything else about the invoice as it was.
    Invoice.objects.filter(pk=invoice.pk).update(due_on=today - timedelta(days=10))
    # The same call the daily task makes. This test runs outside any transaction, so the letter's
    # on_commit mail goes to the SMTP server before dunning_run returns.
    result = dunning_run()
    assert (result.letters, result.invoices, result.no_contact) == (1, 1, 0)
    assert len(smtp_sink.received) == 1
    recipients, message = smtp_sink.received[0]
    assert recipients == [contact_email]
    body = plain_body(message)
    assert customer.name in body
    assert invoice.number in body and TAX_NUMBER in body
    assert shown(open_rest) in body
    assert contact_name in body
    assert translated("%(days)s days overdue", "en") % {"days": 10} in body
    letter = DunningLetter.objects.get(customer=customer)
    assert (letter.status, letter.email, letter.total, letter.language) == (
        LetterStatus.SENT, contact_email, open_rest, DunningLanguage.ENGLISH,
    )  # fmt: skip
    assert str(message["subject"]).strip() == letter.subject
    assert dunning_run().letters == 0  # a second run the same day sends nothing twice
    assert len(smtp_sink.received) == 1

    page.goto("/finance/dunning/letters/")
    letter_row = page.locator("#main table tbody tr", has_text=letter.subject)
    expect(letter_row).to_have_count(1)
    expect(letter_row).to_contain_text(customer.display_name)
    expect(letter_row).to_contain_text(contact_email)
    expect(letter_row).to_contain_text(shown(open_rest))
    page.screenshot(path=screenshot_dir / "finance-dunning-letters.png", full_page=True)

    page.goto(f"/finance/customers/{customer.pk}/")
    reminders = page.locator("section[aria-labelledby=letters-title]")
    expect(reminders).to_contain_text(contact_email)
    expect(reminders).to_contain_text(shown(open_rest))
    open_invoices = page.locator("section[aria-labelledby=open-title]")
    expect(open_invoices.locator("tbody tr", has_text=invoice.number)).to_have_count(1)
    page.screenshot(path=screenshot_dir / "finance-customer-reminded.png", full_page=True)

    page.goto("/finance/ageing/")
    expect(ageing_row.locator("td").nth(1)).to_have_text("—")
    expect(ageing_row.locator("td").nth(2)).to_have_text(shown(open_rest))  # 1–30 days overdue
    page.goto("/")
    expect(panel(page, "overdue_invoices")).to_contain_text(invoice.number)

    # 6. The rep's expansion contract. Its quote was approved before finance capped the customer's credit
    # (after a limit, the quote's own credit check would have stopped it first).
    expansion = drafted_contract(people, "实时风控扩容", [modules["fc-risk"]])
    assert expansion.status == ContractStatus.DRAFT
    page.goto(f"/finance/customers/{customer.pk}/")
    terms.locator("[name=credit_limit]").fill(str(CREDIT_LIMIT))
    click_button(terms, "Save")
    expect(page.locator(".alert-success")).to_contain_text(translated("Credit terms saved."))
    profile = CreditProfile.objects.get(customer=customer)
    assert (profile.credit_limit, profile.dunning_language) == (CREDIT_LIMIT, DunningLanguage.ENGLISH)
    unbilled = contract.amount - invoice.amount
    exposure = page.locator("section[aria-labelledby=exposure-title]")
    expect(exposure).to_contain_text(shown(open_rest + unbilled))
    expect(exposure).to_contain_text(shown(CREDIT_LIMIT))

    rep = signed_in("rep")
    rep.goto(f"/sales/contracts/{expansion.pk}/")
    click_button(rep.locator("form[action$='/confirm/']"), "Confirm the signed contract")
    expect(status_badge(rep)).to_have_text(zh(ContractStatus.PENDING_CHECKS.label))
    held = rep.locator(".alert-danger[role=alert]")
    expect(held).to_contain_text(translated("Held by a check:"))
    expansion.refresh_from_db()
    assert expansion.status == ContractStatus.PENDING_CHECKS
    with translation.override("zh-hans"):
        reason = credit_check(expansion, people.sales_rep).message
    expect(held).to_contain_text(reason)
    figures = {Decimal(number.replace(",", "")) for number in re.findall(r"\d[\d,]*(?:\.\d+)?", reason)}
    assert {expansion.amount, open_rest + unbilled, open_rest + unbilled + expansion.amount, CREDIT_LIMIT} <= figures
    rep.screenshot(path=screenshot_dir / "finance-rep-contract-held.png", full_page=True)

    page.goto("/")
    expect(panel(page, "credit_held")).to_contain_text(expansion.number)
    page.goto(f"/finance/customers/{customer.pk}/")
    hold = page.locator(".alert-danger", has=page.locator(f"form[action$='/contracts/{expansion.pk}/override/']"))
    expect(hold.get_by_role("link", name=expansion.number)).to_be_visible()
    expect(hold).to_contain_text(translated("held by the credit check."))
    expect(hold).to_contain_text(reason)
    hold.locator("[name=reason]").fill(OVERRIDE_REASON)
    page.screenshot(path=screenshot_dir / "finance-customer-held-contract.png", full_page=True)
    click_button(hold, "Override and confirm")
    expect(page).to_have_url(re.compile(rf"/sales/contracts/{expansion.pk}/$"))
    expect(status_badge(page)).to_have_text(zh(ContractStatus.ACTIVE.label))
    expect(page.locator(".alert-warning[role=alert]")).to_contain_text(OVERRIDE_REASON)
    page.screenshot(path=screenshot_dir / "finance-contract-overridden.png", full_page=True)

    expansion.refresh_from_db()
    assert expansion.status == ContractStatus.ACTIVE
    override = CreditOverride.objects.get(contract=expansion)
    assert (override.customer, override.by, override.reason) == (customer, people.finance, OVERRIDE_REASON)
    assert override.blocked_because == reason
    assert Event.objects.filter(customer_id=customer.pk, verb="credit.block_overridden").count() == 1
    assert expansion.milestones.get(order=1).status == MilestoneStatus.DUE  # its signing milestone is now an invoice request
    rep.reload()
    expect(status_badge(rep)).to_have_text(zh(ContractStatus.ACTIVE.label))
    expect(rep.locator(".alert-danger[role=alert]")).to_have_count(0)

    # The same finance page through an English browser: the English catalogue's labels, none of the Chinese ones.
    english = signed_in("finance", "en")
    english.goto(f"/finance/customers/{customer.pk}/")
    expect(english.locator("html")).to_have_attribute("lang", "en")
    titles = {"exposure-title": "Exposure", "open-title": "Open invoices", "letters-title": "Payment reminders",
              "overrides-title": "Credit blocks overridden", "terms-title": "Credit terms"}  # fmt: skip
    for element_id, message in titles.items():
        expect(english.locator(f"#{element_id}")).to_have_text(translated(message, "en"))
        if translated(message) != message:
            expect(english.locator("#main")).not_to_contain_text(translated(message))
    expect(english.locator("section[aria-labelledby=overrides-title]")).to_contain_text(OVERRIDE_REASON)
    late_row = english.locator("section[aria-labelledby=open-title] tbody tr", has_text=invoice.number)
    expect(late_row).to_contain_text((today - timedelta(days=10)).isoformat())
    expect(late_row).to_contain_text(shown(open_rest))
    english.screenshot(path=screenshot_dir / "finance-customer-english.png", full_page=True)
