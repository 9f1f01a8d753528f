"""The receipts (回款) and allocations API: recording, allocating by hand and oldest first, reversing;
scope, permissions, bad input that changes nothing and query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest

from touchpoint.core.models import Event
from touchpoint.finance.models import Allocation, Invoice, InvoiceStatus, Receipt
from touchpoint.finance.services.invoices import credit_note_issue
from touchpoint.finance.services.receipts import receipt_record, receipt_reverse
from touchpoint.finance.tests.builders import NOBODY_HERE, persona
from touchpoint.finance.tests.conftest import issue, today

pytestmark = pytest.mark.django_db



def receive(customer, by, amount, *, allocate=False, **extra):
    return receipt_record(customer=customer, by=by, amount=amount, received_on=today(), allocate=allocate, **extra)


def snapshot():
    """Every receipt, allocation and invoice row as it is, and the event count."""
    return (list(Receipt.objects.order_by("pk").values()), list(Allocation.objects.order_by("pk").values()),
            list(Invoice.objects.order_by("pk").values()), Event.objects.count())  # fmt: skip


# --- Recording ----------------------------------------------------------------------------------


def test_a_recorded_receipt_is_allocated_to_the_oldest_invoice(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    payload = {"customer": personas.customer_a.pk, "amount": "100000.00", "received_on": today().isoformat(),
               "method": "bill", "bank_reference": "CMB-2026-0001", "note": "首期回款"}  # fmt: skip
    response = api_as(personas.finance).post("/api/v1/receipts/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] and body["status"] == "active" and body["method"] == "bill" and body["currency"] == "CNY"
    assert (body["amount"], body["allocated_amount"], body["unallocated"]) == ("100000.00", "100000.00", "0.00")
    [allocation] = body["allocations"]
    assert allocation["invoice"] == invoice.pk and allocation["amount"] == "100000.00"
    assert allocation["invoice_number"] == invoice.number and allocation["is_reversed"] is False
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("313400.00") and invoice.status == InvoiceStatus.PARTIAL


def test_an_overpayment_leaves_an_unallocated_balance(api_as, personas, due_milestone):
    issue(due_milestone, personas.finance)
    payload = {"customer": personas.customer_a.pk, "amount": "500000.00", "received_on": today().isoformat()}
    body = api_as(personas.finance).post("/api/v1/receipts/", payload, format="json").json()
    assert (body["allocated_amount"], body["unallocated"]) == ("413400.00", "86600.00")
    assert Invoice.objects.get().status == InvoiceStatus.PAID


def test_a_receipt_recorded_without_allocating_stays_unallocated(api_as, personas, due_milestone):
    issue(due_milestone, personas.finance)
    payload = {"customer": personas.customer_a.pk, "amount": "100.00", "received_on": today().isoformat(), "allocate": False}
    body = api_as(personas.finance).post("/api/v1/receipts/", payload, format="json").json()
    assert body["allocations"] == [] and body["unallocated"] == "100.00"
    assert not Allocation.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-100.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "0.001"}, "amount"),
        ({"amount": None}, "amount"),
        ({"received_on": (today() + timedelta(days=1)).isoformat()}, "received_on"),
        ({"received_on": "31/12/2026"}, "received_on"),
        ({"method": "cash in a bag"}, "method"),
        ({"currency": "12$"}, "currency"),
        ({"currency": "CNYX"}, "currency"),
        ({"customer": 10**30}, "customer"),
        ({"customer": "华泰"}, "customer"),
        ({"bank_reference": "r" * 61}, "bank_reference"),
    ],
)
def test_bad_receipt_input_is_a_field_level_400_and_changes_nothing(api_as, personas, due_milestone, change, field):
    issue(due_milestone, personas.finance)
    before = snapshot()
    payload = {"customer": personas.customer_a.pk, "amount": "100.00", "received_on": today().isoformat(), **change}
    response = api_as(personas.finance).post("/api/v1/receipts/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_a_negative_amount_is_refused_in_the_readers_language(api_as, personas):
    payload = {"customer": personas.customer_a.pk, "amount": "-1.00", "received_on": today().isoformat()}
    english = api_as(personas.finance, "en").post("/api/v1/receipts/", payload, format="json")
    chinese = api_as(personas.finance, "zh-hans").post("/api/v1/receipts/", payload, format="json")
    assert english.status_code == chinese.status_code == 400
    assert english.json()["amount"] == ["The amount must be above zero."]
    assert chinese.headers["Content-Language"] == "zh-hans"
    assert not Receipt.objects.exists()


@pytest.mark.parametrize("name", ["sales_rep", "sales_manager", "executive", *NOBODY_HERE])
def test_only_finance_records_receipts(api_as, personas, name):
    payload = {"customer": personas.customer_a.pk, "amount": "100.00", "received_on": today().isoformat()}
    assert api_as(persona(personas, name)).post("/api/v1/receipts/", payload, format="json").status_code == 403
    assert not Receipt.objects.exists()


# --- Allocating by hand and oldest first --------------------------------------------------------


def test_finance_allocates_a_receipt_by_hand(api_as, personas, due_milestone):
    first = issue(due_milestone, personas.finance, "100000.00")
    second = issue(due_milestone, personas.finance, "50000.00")
    receipt = receive(personas.customer_a, personas.finance, "120000.00")
    payload = {"allocations": [{"invoice": second.pk, "amount": "50000.00"}, {"invoice": first.pk, "amount": "30000.00"}]}
    response = api_as(personas.finance).post(f"/api/v1/receipts/{receipt.pk}/allocate/", payload, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["allocated_amount"], body["unallocated"]) == ("80000.00", "40000.00")
    assert {(a["invoice"], a["amount"]) for a in body["allocations"]} == {(second.pk, "50000.00"), (first.pk, "30000.00")}
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == InvoiceStatus.PAID and first.open_amount == Decimal("70000.00")


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (lambda i, _c, _o: [{"invoice": i.pk, "amount": "100000.01"}], "beyond the invoice's open amount"),
        (lambda i, _c, _o: [{"invoice": i.pk, "amount": "0.00"}], "a zero amount"),
        (lambda i, _c, _o: [{"invoice": i.pk, "amount": "-10.00"}], "a negative amount"),
        (lambda i, _c, _o: [], "nothing to allocate"),
        (lambda i, _c, _o: [{"invoice": 10**12, "amount": "1.00"}], "an unknown invoice"),
        (lambda _i, c, _o: [{"invoice": c.pk, "amount": "1.00"}], "a credit note"),
        (lambda _i, _c, o: [{"invoice": o.pk, "amount": "1.00"}], "another customer's invoice"),
        (lambda i, _c, _o: [{"invoice": i.pk, "amount": "60000.00"}, {"invoice": i.pk, "amount": "0.01"}],
         "beyond the open amount in two lines"),
    ],
)  # fmt: skip
def test_bad_allocations_are_refused_and_change_nothing(api_as, personas, due_milestone, catalogue, lines, reason):
    from touchpoint.finance.tests.test_api_invoices import contract_of_b

    invoice = issue(due_milestone, personas.finance, "100000.00")
    issue(due_milestone, personas.finance, "100000.00")
    note = credit_note_issue(invoice=invoice, by=personas.finance, amount="40000.00", reason="多开")
    others = issue(contract_of_b(personas, catalogue).milestones.get(order=1), personas.finance)
    receipt = receive(personas.customer_a, personas.finance, "1000000.00")
    before = snapshot()
    payload = {"allocations": lines(invoice, note, others)}
    response = api_as(personas.finance).post(f"/api/v1/receipts/{receipt.pk}/allocate/", payload, format="json")
    assert response.status_code == 400, reason
    assert "allocations" in response.json(), (reason, response.json())
    assert snapshot() == before


def test_an_allocation_cannot_exceed_what_is_left_on_the_receipt(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    receipt = receive(personas.customer_a, personas.finance, "1000.00")
    before = snapshot()
    payload = {"allocations": [{"invoice": invoice.pk, "amount": "1000.01"}]}
    response = api_as(personas.finance).post(f"/api/v1/receipts/{receipt.pk}/allocate/", payload, format="json")
    assert response.status_code == 400 and "allocations" in response.json()
    assert snapshot() == before


def test_a_receipt_in_another_currency_cannot_pay_a_yuan_invoice(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    receipt = receive(personas.customer_a, personas.finance, "1000.00", currency="USD")
    before = snapshot()
    client = api_as(personas.finance)
    payload = {"allocations": [{"invoice": invoice.pk, "amount": "10.00"}]}
    response = client.post(f"/api/v1/receipts/{receipt.pk}/allocate/", payload, format="json")
    assert response.status_code == 400
    assert "USD" in response.json()["allocations"][0]
    assert snapshot() == before
    # Oldest first leaves it alone too: there is no open invoice in dollars.
    body = client.post(f"/api/v1/receipts/{receipt.pk}/allocate-oldest/").json()
    assert body["allocations"] == [] and body["unallocated"] == "1000.00"


def test_allocate_oldest_pays_the_invoice_due_first(api_as, personas, due_milestone):
    newer = issue(due_milestone, personas.finance, "1000.00", due_days_ago=0)
    older = issue(due_milestone, personas.finance, "1000.00", due_days_ago=10)
    receipt = receive(personas.customer_a, personas.finance, "1500.00")
    response = api_as(personas.finance).post(f"/api/v1/receipts/{receipt.pk}/allocate-oldest/")
    assert response.status_code == 200
    assert [(a["invoice"], a["amount"]) for a in response.json()["allocations"]] == [(older.pk, "1000.00"), (newer.pk, "500.00")]
    assert Receipt.objects.get().allocated_amount == Decimal("1500.00")


# --- Reversing -------------------------------------------------------------------------------------


def test_reversing_a_receipt_reopens_its_invoices(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    receipt = receive(personas.customer_a, personas.finance, "100000.00", allocate=True)
    response = api_as(personas.finance).post(f"/api/v1/receipts/{receipt.pk}/reverse/", {"reason": "承兑汇票退票"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "reversed" and body["reversal_reason"] == "承兑汇票退票" and body["unallocated"] == "0.00"
    assert [a["is_reversed"] for a in body["allocations"]] == [True]
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("413400.00") and invoice.status == InvoiceStatus.OPEN


def test_a_reversal_cannot_be_reversed(api_as, personas, due_milestone):
    issue(due_milestone, personas.finance)
    receipt = receive(personas.customer_a, personas.finance, "100.00", allocate=True)
    receipt_reverse(receipt=receipt, by=personas.finance, reason="录错")
    before = snapshot()
    client = api_as(personas.finance)
    response = client.post(f"/api/v1/receipts/{receipt.pk}/reverse/", {"reason": "再冲一次"}, format="json")
    assert response.status_code == 400 and "receipt" in response.json()
    allocation = Allocation.objects.get()
    response = client.post(f"/api/v1/allocations/{allocation.pk}/reverse/", {"reason": "再冲一次"}, format="json")
    assert response.status_code == 400 and "allocation" in response.json()
    response = client.post(f"/api/v1/receipts/{receipt.pk}/allocate-oldest/")
    assert response.status_code == 400 and "receipt" in response.json()
    assert snapshot() == before


def test_a_reversal_needs_a_reason(api_as, personas, due_milestone):
    receipt = receive(personas.customer_a, personas.finance, "100.00")
    before = snapshot()
    for reason in ({}, {"reason": ""}, {"reason": "r" * 501}):
        response = api_as(personas.finance).post(f"/api/v1/receipts/{receipt.pk}/reverse/", reason, format="json")
        assert response.status_code == 400 and "reason" in response.json()
    assert snapshot() == before


def test_reversing_one_allocation_answers_the_receipt(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance, "100.00")
    receipt = receive(personas.customer_a, personas.finance, "100.00", allocate=True)
    allocation = Allocation.objects.get()
    response = api_as(personas.finance).post(f"/api/v1/allocations/{allocation.pk}/reverse/", {"reason": "分错发票"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == receipt.pk and body["status"] == "active" and body["unallocated"] == "100.00"
    assert body["allocations"][0]["is_reversed"] is True and body["allocations"][0]["reversal_reason"] == "分错发票"
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("100.00")


# --- Scope and permissions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "visible"),
    [("finance", {"a", "b"}), ("executive", {"a", "b"}), ("admin", {"a", "b"}), ("sales_manager", {"a", "b"}),
     ("sales_rep", {"a"}), ("other_rep", {"b"})] + [(name, set()) for name in NOBODY_HERE],
)  # fmt: skip
def test_who_sees_which_receipts(api_as, personas, name, visible):
    receipts = {"a": receive(personas.customer_a, personas.finance, "100.00"),
                "b": receive(personas.customer_b, personas.finance, "200.00")}  # fmt: skip
    user = personas.other_rep if name == "other_rep" else persona(personas, name)
    client = api_as(user)
    response = client.get("/api/v1/receipts/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {receipts[key].pk for key in visible}
    for key, receipt in receipts.items():
        assert client.get(f"/api/v1/receipts/{receipt.pk}/").status_code == (200 if key in visible else 404)


@pytest.mark.parametrize(("name", "status"), [("sales_rep", 403), ("executive", 403), ("sales_manager", 403), ("engineer", 404),
                                              ("marketing", 404), ("outsider", 404)])  # fmt: skip
def test_readers_cannot_allocate_or_reverse(api_as, personas, due_milestone, name, status):
    invoice = issue(due_milestone, personas.finance)
    receipt = receive(personas.customer_a, personas.finance, "100.00", allocate=True)
    allocation = Allocation.objects.get()
    before = snapshot()
    client = api_as(persona(personas, name))
    base = f"/api/v1/receipts/{receipt.pk}"
    allocations = {"allocations": [{"invoice": invoice.pk, "amount": "1.00"}]}
    assert client.post(f"{base}/allocate/", allocations, format="json").status_code == status
    assert client.post(f"{base}/allocate-oldest/").status_code == status
    assert client.post(f"{base}/reverse/", {"reason": "x"}, format="json").status_code == status
    assert client.post(f"/api/v1/allocations/{allocation.pk}/reverse/", {"reason": "x"}, format="json").status_code == status
    assert snapshot() == before


def test_the_receipt_list_filters(api_as, personas, due_milestone):
    issue(due_milestone, personas.finance, "100.00")
    paid = receive(personas.customer_a, personas.finance, "100.00", allocate=True)
    open_one = receive(personas.customer_a, personas.finance, "50.00")
    other = receive(personas.customer_b, personas.finance, "70.00")
    reversed_one = receive(personas.customer_b, personas.finance, "10.00")
    receipt_reverse(receipt=reversed_one, by=personas.finance, reason="录错")
    client = api_as(personas.finance)

    def ids(**params):
        response = client.get("/api/v1/receipts/", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(unallocated="true") == {open_one.pk, other.pk}
    assert ids(unallocated="false") == {paid.pk, reversed_one.pk}
    assert ids(customer=personas.customer_b.pk) == {other.pk, reversed_one.pk}
    assert ids(status="reversed") == {reversed_one.pk}
    for params in ({"unallocated": "sometimes"}, {"status": "lost"}, {"bank_reference": "x"}, {"ordering": "note"}):
        assert client.get("/api/v1/receipts/", params).status_code == 400


def test_the_receipt_list_query_count_does_not_grow_with_rows(api_as, personas, due_milestone, django_assert_num_queries):
    issue(due_milestone, personas.finance)
    receive(personas.customer_a, personas.finance, "100.00", allocate=True)
    client = api_as(personas.sales_rep)
    client.get("/api/v1/receipts/")  # warms the policy cache
    # token, memberships, count, page (customer joined), allocations (invoice joined)
    with django_assert_num_queries(5):
        assert client.get("/api/v1/receipts/").json()["count"] == 1
    for _ in range(4):
        receive(personas.customer_a, personas.finance, "100.00", allocate=True)
    with django_assert_num_queries(5):
        assert client.get("/api/v1/receipts/").json()["count"] == 5


def test_the_receipt_detail_query_count(api_as, personas, due_milestone, django_assert_num_queries):
    issue(due_milestone, personas.finance, "10.00")
    issue(due_milestone, personas.finance, "10.00")
    receipt = receive(personas.customer_a, personas.finance, "20.00", allocate=True)
    client = api_as(personas.sales_rep)
    client.get(f"/api/v1/receipts/{receipt.pk}/")
    # token, memberships, the receipt (customer joined), its allocations (invoice joined)
    with django_assert_num_queries(4):
        assert len(client.get(f"/api/v1/receipts/{receipt.pk}/").json()["allocations"]) == 2
