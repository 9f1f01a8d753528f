"""The finance pages as finance uses them: invoice requests to an issued invoice, a receipt allocated,
credit terms and holds, the reports, the 360 panel and the risk badge."""

from decimal import Decimal

import pytest
from django.urls import reverse

from touchpoint.core.models import Event
from touchpoint.finance.models import Allocation, CreditProfile, Invoice, Receipt
from touchpoint.finance.services.credit import credit_profile_for
from touchpoint.finance.services.receipts import receipt_record
from touchpoint.finance.tests.conftest import issue, today


@pytest.fixture
def finance_client(client, personas):
    client.force_login(personas.finance)
    return client


@pytest.mark.django_db
def test_finance_issues_an_invoice_from_the_request_list(finance_client, personas, due_milestone):
    page = finance_client.get(reverse("finance:invoice_requests"))
    assert page.status_code == 200
    assert due_milestone.contract.number in page.content.decode()
    form = finance_client.get(reverse("finance:invoice_issue", args=[due_milestone.pk]))
    assert form.status_code == 200
    response = finance_client.post(reverse("finance:invoice_issue", args=[due_milestone.pk]), {
        "amount": "100000.00", "vat_type": "special", "tax_rate": "6", "tax_number": "44031234", "issued_on": today().isoformat(),
        "note": "",
    })  # fmt: skip
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("finance:invoice_detail", args=[invoice.pk])
    assert invoice.amount == Decimal("100000.00") and invoice.tax_amount == Decimal("5660.38")
    detail = finance_client.get(response["Location"])
    assert detail.status_code == 200 and "44031234" in detail.content.decode()


@pytest.mark.django_db
def test_an_invoice_beyond_the_milestone_is_a_field_error_and_writes_nothing(finance_client, due_milestone):
    events = Event.objects.count()
    response = finance_client.post(reverse("finance:invoice_issue", args=[due_milestone.pk]), {
        "amount": "999999999.00", "vat_type": "special", "tax_rate": "6", "issued_on": today().isoformat(),
    }, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert "left to invoice" in response.content.decode()
    assert not Invoice.objects.exists() and Event.objects.count() == events


@pytest.mark.django_db
def test_a_receipt_is_recorded_and_allocated_by_hand(finance_client, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance, "50000")
    start = finance_client.get(reverse("finance:receipt_new") + "?q=华泰")
    assert personas.customer_a.name in start.content.decode()
    response = finance_client.post(reverse("finance:receipt_new") + f"?customer={personas.customer_a.pk}", {
        "customer": personas.customer_a.pk, "amount": "30000", "currency": "CNY", "received_on": today().isoformat(),
        "method": "transfer", "bank_reference": "ICBC-001", "note": "",
    })  # fmt: skip
    receipt = Receipt.objects.get()
    assert response.status_code == 302
    assert receipt.allocated_amount == 0  # "allocate" unticked
    page = finance_client.get(reverse("finance:receipt_detail", args=[receipt.pk]))
    assert invoice.number in page.content.decode()
    allocated = finance_client.post(reverse("finance:receipt_allocate", args=[receipt.pk]), {f"amount_{invoice.pk}": "20000"})
    assert allocated.status_code == 302
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("30000.00") and Allocation.objects.count() == 1
    too_much = finance_client.post(reverse("finance:receipt_allocate", args=[receipt.pk]), {f"amount_{invoice.pk}": "20000"})
    assert too_much.status_code == 400
    assert Allocation.objects.count() == 1


@pytest.mark.django_db
def test_credit_terms_and_a_hold_are_set_on_the_customer_page(finance_client, personas):
    customer = personas.customer_a
    profile = credit_profile_for(customer)
    page = finance_client.get(reverse("finance:customer", args=[customer.pk]))
    assert page.status_code == 200
    saved = finance_client.post(reverse("finance:credit_terms", args=[customer.pk]), {
        "credit_limit": "500000", "payment_terms_days": "45", "dunning_language": "en", "version": profile.version,
    })  # fmt: skip
    assert saved.status_code == 302
    profile.refresh_from_db()
    assert (profile.credit_limit, profile.payment_terms_days, profile.dunning_language) == (Decimal("500000.00"), 45, "en")
    no_reason = finance_client.post(reverse("finance:credit_flag", args=[customer.pk, "credit-hold"]), {"on": "1", "reason": ""})
    assert no_reason.status_code == 400
    assert not CreditProfile.objects.get(pk=profile.pk).credit_hold
    held = finance_client.post(reverse("finance:credit_flag", args=[customer.pk, "credit-hold"]), {"on": "1", "reason": "拖欠尾款"})
    assert held.status_code == 302 and CreditProfile.objects.get(pk=profile.pk).credit_hold


@pytest.mark.django_db
@pytest.mark.parametrize("name", [
    "finance:ageing", "finance:collections", "finance:credit_list", "finance:invoices", "finance:receipts",
    "finance:letters", "finance:settings_policy", "finance:settings_dunning",
])  # fmt: skip
def test_finance_pages_render_in_both_languages(finance_client, personas, due_milestone, name):
    issue(due_milestone, personas.finance, "100000", due_days_ago=45)
    receipt_record(customer=personas.customer_a, by=personas.finance, amount="1000", received_on=today())
    for language in ("zh-hans", "en"):
        response = finance_client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (name, language)


@pytest.mark.django_db
def test_the_ageing_exports_neutralise_and_the_pdf_is_a_pdf(finance_client, personas, due_milestone):
    issue(due_milestone, personas.finance, "100000", due_days_ago=45)
    xlsx = finance_client.get(reverse("finance:ageing") + "?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = finance_client.get(reverse("finance:ageing") + "?format=pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"


@pytest.mark.django_db
def test_the_360_shows_receivables_and_the_risk_badge_to_finance_but_not_to_an_engineer(client, personas, due_milestone):
    issue(due_milestone, personas.finance, "100000", due_days_ago=45)
    credit_profile_for(personas.customer_a)
    client.force_login(personas.finance)
    page = client.get(reverse("customers:detail", args=[personas.customer_a.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Receivables" in page and "Rating" in page
    client.force_login(personas.engineer)
    page = client.get(reverse("customers:detail", args=[personas.customer_a.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code in (200, 404)
    assert "Unallocated receipts" not in page.content.decode()


PAGES = {  # page → queries for the finance officer, with three invoices and a receipt on the books
    "invoice_requests": ("finance:invoice_requests", None),
    "invoices": ("finance:invoices", None),
    "receipts": ("finance:receipts", None),
    "credit": ("finance:credit_list", None),
    "ageing": ("finance:ageing", None),
    "collections": ("finance:collections", None),
    "letters": ("finance:letters", None),
    "invoice": ("finance:invoice_detail", "invoice"),
    "receipt": ("finance:receipt_detail", "receipt"),
    "customer": ("finance:customer", "customer"),
    "customer_plan": ("finance:customer_plan", "customer"),
    "contract_plan": ("finance:contract_plan", "contract"),
}


def _books(personas, due_milestone, count):
    invoices = [issue(due_milestone, personas.finance, "1000", due_days_ago=10 * n) for n in range(count)]
    receipt = receipt_record(customer=personas.customer_a, by=personas.finance, amount="1500", received_on=today())
    credit_profile_for(personas.customer_a)
    return {"invoice": invoices[0].pk, "receipt": receipt.pk, "customer": personas.customer_a.pk,
            "contract": due_milestone.contract_id}  # fmt: skip


def _counts(client, ids):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for key, (name, arg) in PAGES.items():
        url = reverse(name, args=[ids[arg]] if arg else [])
        client.get(url)  # warm the per-process caches (policy table, content types)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200, key
        counts[key] = len(captured.captured_queries)
    return counts


@pytest.mark.django_db
def test_finance_page_query_counts_are_pinned_and_do_not_grow_with_the_books(finance_client, personas, due_milestone):
    counts = _counts(finance_client, _books(personas, due_milestone, 3))
    # Every page pays 4–5 for the shell (session, user, positions, notifications, menus). The customer page
    # adds the profile, the exposure's parts (policy, invoices, contracts billed, quotes), open invoices,
    # receipts, unallocated money, held contracts, overrides and letters.
    assert counts == {
        "invoice_requests": 7, "invoices": 7, "receipts": 7, "credit": 7, "ageing": 7, "collections": 12, "letters": 6,
        "invoice": 8, "receipt": 8, "customer": 18, "customer_plan": 9, "contract_plan": 9,
    }  # fmt: skip
    more = _books(personas, due_milestone, 6)
    assert _counts(finance_client, more) == counts
