"""The invoice requests and invoices API: issuing, credit notes, disputes, tax numbers; scope,
permissions, bad input that changes nothing, languages and query counts."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from touchpoint.core.models import Event
from touchpoint.finance.models import Invoice, InvoiceKind, InvoiceStatus
from touchpoint.finance.services.invoices import credit_note_issue, invoice_set_tax_number
from touchpoint.finance.tests.builders import NOBODY_HERE, persona
from touchpoint.finance.tests.conftest import active_contract, issue, today
from touchpoint.sales.models import MilestoneStatus
from touchpoint.sales.services.opportunities import opportunity_create

pytestmark = pytest.mark.django_db



def contract_of_b(personas, catalogue):
    """An active contract of customer B, sold by the other rep; its signing milestone is due."""
    opportunity = opportunity_create(by=personas.other_rep, customer=personas.customer_b, title="行情系统升级",
                                     owner=personas.other_rep, close_date=date(2027, 12, 31), amount=Decimal("500000"))  # fmt: skip
    return active_contract(personas, opportunity, [catalogue["trade-risk"]], rep=personas.other_rep)


def snapshot():
    """What a refused write must leave alone: every invoice row as it is, and the event count."""
    return list(Invoice.objects.order_by("pk").values()), Event.objects.count()


# --- Invoice requests -------------------------------------------------------------------------


def test_finance_sees_the_due_milestone_as_an_invoice_request(api_as, personas, contract, due_milestone):
    issue(due_milestone, personas.finance, "100000.00")
    response = api_as(personas.finance).get("/api/v1/invoice-requests/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == due_milestone.pk and row["contract"] == contract.pk
    assert row["contract_number"] == contract.number and row["customer"] == personas.customer_a.pk
    assert row["owner"] == personas.sales_rep.pk and row["currency"] == "CNY"
    assert (row["amount"], row["invoiced"], row["remainder"]) == ("413400.00", "100000.00", "313400.00")


def test_a_fully_invoiced_milestone_is_no_longer_requested(api_as, personas, due_milestone):
    issue(due_milestone, personas.finance)
    assert api_as(personas.finance).get("/api/v1/invoice-requests/").json()["count"] == 0


def test_invoice_requests_filter_by_customer_and_contract(api_as, personas, contract, due_milestone, catalogue):
    other = contract_of_b(personas, catalogue)
    client = api_as(personas.finance)
    assert client.get("/api/v1/invoice-requests/").json()["count"] == 2
    by_customer = client.get("/api/v1/invoice-requests/", {"customer": personas.customer_b.pk}).json()["results"]
    assert [row["contract"] for row in by_customer] == [other.pk]
    by_contract = client.get("/api/v1/invoice-requests/", {"contract": contract.pk}).json()["results"]
    assert [row["id"] for row in by_contract] == [due_milestone.pk]
    assert client.get("/api/v1/invoice-requests/", {"owner": 1}).status_code == 400


@pytest.mark.parametrize(
    ("name", "count"),
    [("finance", 2), ("executive", 2), ("admin", 2), ("sales_manager", 2), ("sales_rep", 1)]
    + [(name, 0) for name in NOBODY_HERE],
)  # fmt: skip
def test_who_sees_invoice_requests(api_as, personas, contract, catalogue, name, count):
    contract_of_b(personas, catalogue)
    response = api_as(persona(personas, name)).get("/api/v1/invoice-requests/")
    assert response.status_code == 200 and response.json()["count"] == count


# --- Issuing ----------------------------------------------------------------------------------


def test_finance_issues_a_partial_invoice_on_a_due_milestone(api_as, personas, contract, due_milestone):
    payload = {"milestone": due_milestone.pk, "amount": "100000.00", "tax_number": "04412345", "vat_type": "ordinary",
               "tax_rate": "6", "note": "首付款"}  # fmt: skip
    response = api_as(personas.finance).post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith(f"INV-{today().year}-") and body["tax_number"] == "04412345"
    assert (body["amount"], body["tax_amount"], body["open_amount"]) == ("100000.00", "5660.38", "100000.00")
    assert body["tax_rate"] == "6.00" and body["vat_type"] == "ordinary" and body["status"] == "open"
    assert body["customer"] == personas.customer_a.pk and body["owner"] == personas.sales_rep.pk
    assert body["is_credit_note"] is False and body["overdue_days"] == 0 and body["version"] == 1
    invoice = Invoice.objects.get()
    assert invoice.amount == Decimal("100000.00") and invoice.created_by == personas.finance
    due_milestone.refresh_from_db()
    assert due_milestone.status == MilestoneStatus.DUE  # 313,400.00 is still to invoice
    assert Event.objects.filter(verb="invoice.issued").count() == 1


def test_an_invoice_without_an_amount_covers_the_remainder(api_as, personas, due_milestone):
    issue(due_milestone, personas.finance, "13400.00")
    response = api_as(personas.finance).post("/api/v1/invoices/", {"milestone": due_milestone.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["amount"] == "400000.00" and response.json()["vat_type"] == "special"
    due_milestone.refresh_from_db()
    assert due_milestone.status == MilestoneStatus.INVOICED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "413400.01"}, "amount"),  # beyond the milestone's remainder
        ({"currency": "USD"}, "currency"),
        ({"tax_number": "TAKEN-1"}, "tax_number"),
        ({"tax_number": "04 41/23!"}, "tax_number"),
        ({"vat_type": "golden"}, "vat_type"),
        ({"tax_rate": "100"}, "tax_rate"),
        ({"tax_rate": "-6"}, "tax_rate"),
        ({"issued_on": "2999-01-01"}, "issued_on"),
        ({"issued_on": "yesterday"}, "issued_on"),
        ({"milestone": None}, "milestone"),
        ({"milestone": "abc"}, "milestone"),
        ({"milestone": 10**30}, "milestone"),
        ({"milestone": "¹"}, "milestone"),  # a digit, but not one int() reads
        ({"note": "n" * 501}, "note"),
    ],
)
def test_bad_invoice_input_is_a_field_level_400_and_changes_nothing(api_as, personas, due_milestone, change, field):
    issue(due_milestone, personas.finance, "0.01", tax_number="TAKEN-1")
    before = snapshot()
    payload = {"milestone": due_milestone.pk, "amount": "1000.00", **change}
    response = api_as(personas.finance).post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_a_milestone_that_is_not_due_cannot_be_invoiced(api_as, personas, contract):
    pending = contract.milestones.get(order=2)
    response = api_as(personas.finance).post("/api/v1/invoices/", {"milestone": pending.pk}, format="json")
    assert response.status_code == 400 and "milestone" in response.json()
    assert not Invoice.objects.exists()


def test_a_required_field_is_reported_in_the_readers_language(api_as, personas, due_milestone):
    english = api_as(personas.finance, "en").post("/api/v1/invoices/", {"amount": "10.00"}, format="json")
    chinese = api_as(personas.finance, "zh-hans").post("/api/v1/invoices/", {"amount": "10.00"}, format="json")
    assert english.json() == {"milestone": ["This field is required."]}
    assert chinese.json() == {"milestone": ["该字段是必填项。"]}
    assert chinese.headers["Content-Language"] == "zh-hans"
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("name", ["sales_rep", "sales_manager", "executive", *NOBODY_HERE])
def test_only_finance_issues_invoices(api_as, personas, due_milestone, name):
    response = api_as(persona(personas, name)).post("/api/v1/invoices/", {"milestone": due_milestone.pk}, format="json")
    assert response.status_code == 403
    assert not Invoice.objects.exists()


def test_anonymous_requests_are_refused(personas):
    assert APIClient().get("/api/v1/invoices/").status_code == 401
    assert APIClient().get("/api/v1/invoice-requests/").status_code == 401


# --- Reading and listing ----------------------------------------------------------------------


def test_the_invoice_list_filters_by_status_customer_contract_and_overdue(api_as, personas, contract, due_milestone, catalogue):
    late = issue(due_milestone, personas.finance, "100000.00", days_ago=60, due_days_ago=30)
    current = issue(due_milestone, personas.finance, "200000.00")
    other = issue(contract_of_b(personas, catalogue).milestones.get(order=1), personas.finance)
    client = api_as(personas.finance)

    def ids(**params):
        response = client.get("/api/v1/invoices/", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(overdue="true") == [late.pk]
    assert set(ids(overdue="false")) == {current.pk, other.pk}
    assert set(ids(customer=personas.customer_a.pk)) == {late.pk, current.pk}
    assert ids(contract=other.contract_id) == [other.pk]
    assert set(ids(status="open")) == {late.pk, current.pk, other.pk}
    assert ids(status="paid") == []
    assert ids(ordering="amount") == [other.pk, late.pk, current.pk]  # 95,400 < 100,000 < 200,000
    assert ids(ordering="-due_on")[-1] == late.pk
    assert client.get(f"/api/v1/invoices/{late.pk}/").json()["overdue_days"] == 30


@pytest.mark.parametrize(
    "params",
    [{"overdue": "maybe"}, {"status": "lost"}, {"customer": "abc"}, {"owner": "1"}, {"ordering": "tax_number"}, {"page_size": "0"},
     {"page_size": "¹"}],  # fmt: skip
)
def test_bad_invoice_list_parameters_are_a_400(api_as, personas, params):
    response = api_as(personas.finance).get("/api/v1/invoices/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


@pytest.mark.parametrize(
    ("name", "visible"),
    [("finance", {"a", "b"}), ("executive", {"a", "b"}), ("admin", {"a", "b"}), ("sales_manager", {"a", "b"}),
     ("sales_rep", {"a"})] + [(name, set()) for name in NOBODY_HERE],
)  # fmt: skip
def test_who_lists_which_invoices(api_as, personas, contract, due_milestone, catalogue, name, visible):
    invoices = {"a": issue(due_milestone, personas.finance),
                "b": issue(contract_of_b(personas, catalogue).milestones.get(order=1), personas.finance)}  # fmt: skip
    client = api_as(persona(personas, name))
    response = client.get("/api/v1/invoices/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {invoices[key].pk for key in visible}
    for key, invoice in invoices.items():
        assert client.get(f"/api/v1/invoices/{invoice.pk}/").status_code == (200 if key in visible else 404)


def test_the_other_rep_sees_only_their_own_customers_invoices(api_as, personas, due_milestone, catalogue):
    mine = issue(due_milestone, personas.finance)
    theirs = issue(contract_of_b(personas, catalogue).milestones.get(order=1), personas.finance)
    client = api_as(personas.other_rep)
    assert [row["id"] for row in client.get("/api/v1/invoices/").json()["results"]] == [theirs.pk]
    assert client.get(f"/api/v1/invoices/{mine.pk}/").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/invoices/abc/", "/api/v1/invoices/99999999999999999999999/", "/api/v1/invoices/0/"])
def test_a_malformed_or_unknown_invoice_id_is_a_json_404(api_as, personas, path):
    response = api_as(personas.finance).get(path)
    assert response.status_code == 404 and "detail" in response.json()


def test_the_invoice_list_query_count_does_not_grow_with_rows(api_as, personas, due_milestone, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    issue(due_milestone, personas.finance, "1000.00")
    client.get("/api/v1/invoices/")  # warms the policy cache
    # token, memberships, count, page (customer, contract, milestone and owner joined)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/invoices/").json()["count"] == 1
    for _ in range(4):
        issue(due_milestone, personas.finance, "1000.00")
    with django_assert_num_queries(4):
        assert client.get("/api/v1/invoices/").json()["count"] == 5


def test_the_invoice_request_list_query_count_is_pinned(api_as, personas, contract, catalogue, django_assert_num_queries):
    client = api_as(personas.finance)
    client.get("/api/v1/invoice-requests/")
    # token, memberships, count, page (with the invoiced sums as a subquery)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/invoice-requests/").json()["count"] == 1
    contract_of_b(personas, catalogue)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/invoice-requests/").json()["count"] == 2


# --- Credit notes ----------------------------------------------------------------------------------


def test_a_credit_note_takes_back_part_of_an_invoice(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    payload = {"amount": "13400.00", "reason": "金额开错", "tax_number": "CN-0001"}
    response = api_as(personas.finance).post(f"/api/v1/invoices/{invoice.pk}/credit-note/", payload, format="json")
    assert response.status_code == 201, response.json()
    note = response.json()
    assert note["is_credit_note"] is True and note["credited_invoice"] == invoice.pk
    assert note["number"].startswith("CN-") and note["amount"] == "13400.00" and note["status"] == "issued"
    invoice.refresh_from_db()
    assert invoice.credited_amount == Decimal("13400.00") and invoice.open_amount == Decimal("400000.00")
    due_milestone.refresh_from_db()
    assert due_milestone.status == MilestoneStatus.DUE  # the credited part is to invoice again


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "413400.01", "reason": "多开"}, "amount"),
        ({"amount": "0.00", "reason": "多开"}, "amount"),
        ({"amount": "-5", "reason": "多开"}, "amount"),
        ({"amount": "100.00"}, "reason"),
        ({"amount": "100.00", "reason": "  "}, "reason"),
        ({"amount": "100.00", "reason": "多开", "tax_number": "TAKEN-1"}, "tax_number"),
    ],
)
def test_bad_credit_notes_are_refused_and_change_nothing(api_as, personas, due_milestone, payload, field):
    invoice = issue(due_milestone, personas.finance, tax_number="TAKEN-1")
    before = snapshot()
    response = api_as(personas.finance).post(f"/api/v1/invoices/{invoice.pk}/credit-note/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_a_credit_note_cannot_itself_be_credited(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    note = credit_note_issue(invoice=invoice, by=personas.finance, amount="100.00", reason="多开")
    before = snapshot()
    response = api_as(personas.finance).post(f"/api/v1/invoices/{note.pk}/credit-note/",
                                             {"amount": "10.00", "reason": "再冲"}, format="json")  # fmt: skip
    assert response.status_code == 400 and "invoice" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(("name", "status"), [("sales_rep", 403), ("executive", 403), ("sales_manager", 403), ("engineer", 404)])
def test_readers_cannot_write_to_invoices(api_as, personas, due_milestone, name, status):
    invoice = issue(due_milestone, personas.finance)
    before = snapshot()
    client = api_as(persona(personas, name))
    base = f"/api/v1/invoices/{invoice.pk}"
    assert client.post(f"{base}/credit-note/", {"amount": "1.00", "reason": "x"}, format="json").status_code == status
    assert client.post(f"{base}/dispute/", {"disputed": True, "reason": "x"}, format="json").status_code == status
    assert client.post(f"{base}/tax-number/", {"tax_number": "1234", "version": 1}, format="json").status_code == status
    assert snapshot() == before


# --- Disputes and tax numbers ----------------------------------------------------------------------


def test_finance_marks_a_dispute_and_settles_it(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    url = f"/api/v1/invoices/{invoice.pk}/dispute/"
    client = api_as(personas.finance)
    response = client.post(url, {"disputed": True, "reason": "验收未完成"}, format="json")
    assert response.status_code == 200
    assert response.json()["disputed"] is True and response.json()["dispute_reason"] == "验收未完成"
    assert client.post(url, {"disputed": True, "reason": "再次"}, format="json").status_code == 400
    response = client.post(url, {"disputed": False}, format="json")
    assert response.status_code == 200 and response.json()["disputed"] is False
    assert Event.objects.filter(verb__in=["invoice.disputed", "invoice.dispute_cleared"]).count() == 2


def test_a_dispute_needs_a_reason(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    before = snapshot()
    response = api_as(personas.finance).post(f"/api/v1/invoices/{invoice.pk}/dispute/", {"disputed": True}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert snapshot() == before


def test_finance_records_the_tax_number_with_the_version_read(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    url = f"/api/v1/invoices/{invoice.pk}/tax-number/"
    response = api_as(personas.finance).post(url, {"tax_number": "04499887", "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["tax_number"] == "04499887" and response.json()["version"] == 2
    invoice.refresh_from_db()
    assert invoice.tax_number == "04499887"


def test_a_stale_tax_number_edit_is_a_409_and_changes_nothing(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    invoice_set_tax_number(invoice=invoice, by=personas.admin, tax_number="04400001", expected_version=1)
    before = snapshot()
    url = f"/api/v1/invoices/{invoice.pk}/tax-number/"
    response = api_as(personas.finance).post(url, {"tax_number": "04499887", "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version" and response.json()["current_version"] == 2
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"tax_number": "TAKEN-1", "version": 1}, "tax_number"), ({"tax_number": "", "version": 1}, "tax_number"),
     ({"tax_number": "0449"}, "version"), ({"tax_number": "0449", "version": 0}, "version")],
)  # fmt: skip
def test_bad_tax_numbers_are_refused(api_as, personas, due_milestone, payload, field):
    issue(due_milestone, personas.finance, "1.00", tax_number="TAKEN-1")
    invoice = issue(due_milestone, personas.finance, "1.00")
    before = snapshot()
    response = api_as(personas.finance).post(f"/api/v1/invoices/{invoice.pk}/tax-number/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_the_invoice_body_keeps_its_documented_money_format(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance, "1234.5")
    body = api_as(personas.finance).get(f"/api/v1/invoices/{invoice.pk}/").json()
    for name in ("amount", "tax_amount", "credited_amount", "allocated_amount", "open_amount"):
        assert isinstance(body[name], str) and body[name].split(".")[1].__len__() == 2, (name, body[name])
    assert body["amount"] == "1234.50" and body["status"] == InvoiceStatus.OPEN
    assert Invoice.objects.get().kind == InvoiceKind.INVOICE


def test_the_invoice_detail_query_count(api_as, personas, due_milestone, django_assert_num_queries):
    invoice = issue(due_milestone, personas.finance)
    client = api_as(personas.sales_rep)
    client.get(f"/api/v1/invoices/{invoice.pk}/")
    # token, memberships, the invoice (customer, contract, milestone and owner joined)
    with django_assert_num_queries(3):
        assert client.get(f"/api/v1/invoices/{invoice.pk}/").status_code == 200
