"""Receipts (回款): recording, allocation oldest first or by hand, reversal."""

from decimal import Decimal

import pytest

from touchpoint.core.models import Event
from touchpoint.finance.models import Allocation, Invoice, InvoiceStatus, Receipt, ReceiptMethod, ReceiptStatus
from touchpoint.finance.selectors import open_invoices_of, receipts_to_allocate
from touchpoint.finance.services.invoices import credit_note_issue
from touchpoint.finance.services.receipts import (
    allocation_reverse,
    receipt_allocate,
    receipt_allocate_oldest_first,
    receipt_record,
    receipt_reverse,
)
from touchpoint.finance.tests.builders import (
    all_milestones_due,
    assert_money_is_consistent,
    contract_for,
    days_from_today,
    fresh,
    pay,
    refused,
    today,
)
from touchpoint.finance.tests.conftest import issue
from touchpoint.sales.models import MilestoneStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_invoices(personas, contract, due_milestone):
    """Three invoices of customer A, issued in an order unlike their due dates: 100k due in 20 days,
    200k overdue by 40 days, 50k overdue by 10 days."""
    upcoming = issue(due_milestone, personas.finance, "100000.00", due_days_ago=-20)
    oldest = issue(due_milestone, personas.finance, "200000.00", days_ago=70, due_days_ago=40)
    middle = issue(due_milestone, personas.finance, "50000.00", days_ago=40, due_days_ago=10)
    return oldest, middle, upcoming


def test_a_receipt_is_allocated_to_the_oldest_due_invoice_first(personas, three_invoices):
    oldest, middle, upcoming = three_invoices

    receipt = pay(personas.customer_a, personas.finance, "230000.00", bank_reference="CMB-20261201-001")

    assert receipt.number.startswith(f"R-{today().year}-")
    assert receipt.allocated_amount == Decimal("230000.00") and receipt.unallocated == 0
    assert [(a.invoice_id, a.amount) for a in receipt.allocations.order_by("id")] == [
        (oldest.pk, Decimal("200000.00")), (middle.pk, Decimal("30000.00")),
    ]  # fmt: skip
    assert fresh(oldest).status == InvoiceStatus.PAID and fresh(oldest).open_amount == 0
    assert fresh(middle).status == InvoiceStatus.PARTIAL and fresh(middle).open_amount == Decimal("20000.00")
    assert fresh(upcoming).status == InvoiceStatus.OPEN and fresh(upcoming).version == 1
    assert Event.objects.filter(verb="receipt.recorded").count() == 1
    allocated = Event.objects.get(verb="receipt.allocated")
    assert allocated.payload["allocations"] == [
        {"invoice": oldest.number, "amount": "200000.00"}, {"invoice": middle.number, "amount": "30000.00"},
    ]  # fmt: skip
    assert_money_is_consistent()


def test_a_partial_payment_leaves_the_invoice_partly_paid_and_the_milestone_invoiced(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    pay(personas.customer_a, personas.finance, "100000.00")

    invoice = fresh(invoice)
    assert invoice.allocated_amount == Decimal("100000.00") and invoice.open_amount == Decimal("313400.00")
    assert invoice.status == InvoiceStatus.PARTIAL
    assert fresh(due_milestone).status == MilestoneStatus.INVOICED


def test_an_overpayment_leaves_an_unallocated_balance_that_stays_visible(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    receipt = pay(personas.customer_a, personas.finance, "500000.00")

    assert fresh(invoice).status == InvoiceStatus.PAID
    assert receipt.allocated_amount == Decimal("413400.00") and receipt.unallocated == Decimal("86600.00")
    assert list(receipts_to_allocate(personas.finance)) == [receipt]
    assert fresh(due_milestone).status == MilestoneStatus.PAID


def test_a_prepayment_is_allocated_later_when_invoices_exist(personas, contract, due_milestone):
    receipt = pay(personas.customer_a, personas.finance, "100000.00")
    assert receipt.allocated_amount == 0 and receipt.allocations.count() == 0
    assert receipt.version == 1 and not Event.objects.filter(verb="receipt.allocated").exists()
    invoice = issue(due_milestone, personas.finance)

    made = receipt_allocate_oldest_first(receipt=receipt, by=personas.finance)

    assert [(a.invoice_id, a.amount) for a in made] == [(invoice.pk, Decimal("100000.00"))]
    assert fresh(receipt).allocated_amount == Decimal("100000.00") and fresh(receipt).version == 2
    assert receipt_allocate_oldest_first(receipt=receipt, by=personas.finance) == []
    assert fresh(receipt).version == 2


def test_allocating_by_hand_sets_exactly_the_amounts_given(personas, three_invoices):
    oldest, middle, upcoming = three_invoices
    receipt = pay(personas.customer_a, personas.finance, "120000.00", allocate=False, method=ReceiptMethod.ACCEPTANCE_BILL)
    assert receipt.allocated_amount == 0 and receipt.method == ReceiptMethod.ACCEPTANCE_BILL

    made = receipt_allocate(receipt=receipt, by=personas.finance,
                            allocations=[(upcoming, "100000.00"), (middle, "15000.00")])  # fmt: skip

    assert {(a.invoice_id, a.amount) for a in made} == {(upcoming.pk, Decimal("100000.00")), (middle.pk, Decimal("15000.00"))}
    receipt = fresh(receipt)
    assert receipt.allocated_amount == Decimal("115000.00") and receipt.unallocated == Decimal("5000.00")
    assert fresh(upcoming).status == InvoiceStatus.PAID
    assert fresh(oldest).version == 1
    assert_money_is_consistent()


def test_allocation_beyond_an_invoices_open_amount_is_refused_and_nothing_changes(personas, three_invoices):
    _oldest, middle, _upcoming = three_invoices
    receipt = pay(personas.customer_a, personas.finance, "90000.00", allocate=False)

    with refused("allocations") as caught:
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(middle, "50000.01")])

    assert middle.number in caught.value.message_dict["allocations"][0]
    assert fresh(middle).open_amount == Decimal("50000.00") and fresh(middle).version == 1
    assert fresh(receipt).allocated_amount == 0 and fresh(receipt).version == 1


def test_the_same_invoice_twice_in_one_allocation_counts_once_against_its_open_amount(personas, three_invoices):
    _oldest, middle, _upcoming = three_invoices
    receipt = pay(personas.customer_a, personas.finance, "90000.00", allocate=False)

    with refused("allocations"):
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(middle, "30000.00"), (middle, "30000.00")])

    assert fresh(middle).open_amount == Decimal("50000.00")


def test_allocation_beyond_what_is_left_of_the_receipt_is_refused(personas, three_invoices):
    oldest, middle, _upcoming = three_invoices
    receipt = pay(personas.customer_a, personas.finance, "60000.00", allocate=False)

    with refused("allocations") as caught:
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(oldest, "40000.00"), (middle, "20000.01")])

    assert "60000.00" in " ".join(caught.value.message_dict["allocations"])
    assert fresh(oldest).open_amount == Decimal("200000.00") and fresh(middle).open_amount == Decimal("50000.00")


def test_an_invoice_of_another_customer_is_refused(personas, catalogue, contract, due_milestone):
    own = issue(due_milestone, personas.finance, "1000.00")
    other_contract = contract_for(personas.customer_b, personas.other_rep, personas, [catalogue["trade-risk"]])
    other = issue(other_contract.milestones.get(order=1), personas.finance)
    receipt = pay(personas.customer_a, personas.finance, "5000.00", allocate=False)

    with refused("allocations") as caught:
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(own, "1000.00"), (other, "1000.00")])

    assert other.number in " ".join(caught.value.message_dict["allocations"])
    assert fresh(own).open_amount == Decimal("1000.00") and fresh(other).allocated_amount == 0


def test_a_receipt_in_another_currency_pays_no_cny_invoice(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)

    receipt = pay(personas.customer_a, personas.finance, "1000.00", currency="usd")

    assert receipt.currency == "USD" and receipt.allocated_amount == 0
    with refused("allocations") as caught:
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(invoice, "1000.00")])
    assert "USD" in caught.value.message_dict["allocations"][0]
    assert list(open_invoices_of(receipt)) == []
    assert fresh(invoice).open_amount == invoice.amount


def test_a_credit_note_takes_no_money(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    note = credit_note_issue(invoice=invoice, by=personas.finance, amount="100.00", reason="折让")
    receipt = pay(personas.customer_a, personas.finance, "100.00", allocate=False)

    with refused("allocations"):
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(note, "100.00")])


def test_an_allocation_needs_at_least_one_invoice(personas, contract, due_milestone):
    receipt = pay(personas.customer_a, personas.finance, "100.00", allocate=False)

    with refused("allocations"):
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[])


@pytest.mark.parametrize("amount", ["0", "-10.00", "ten", "0.001"])
def test_an_allocation_with_a_bad_amount_is_refused(personas, contract, due_milestone, amount):
    invoice = issue(due_milestone, personas.finance)
    receipt = pay(personas.customer_a, personas.finance, "100.00", allocate=False)

    with refused("allocations"):  # the error belongs to the allocation line, not to the receipt's amount
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(invoice, amount)])


def test_reversing_an_allocation_restores_the_invoice_and_the_receipt(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    receipt = pay(personas.customer_a, personas.finance, "413400.00")
    assert fresh(due_milestone).status == MilestoneStatus.PAID
    [allocation] = receipt.allocations.all()

    reversed_allocation = allocation_reverse(allocation=allocation, by=personas.finance, reason="错配到了别的发票")

    assert reversed_allocation.is_reversed and reversed_allocation.reversed_by == personas.finance
    assert reversed_allocation.reversal_reason == "错配到了别的发票"
    invoice = fresh(invoice)
    assert invoice.open_amount == invoice.amount and invoice.allocated_amount == 0 and invoice.status == InvoiceStatus.OPEN
    receipt = fresh(receipt)
    assert receipt.allocated_amount == 0 and receipt.unallocated == Decimal("413400.00")
    assert receipt.status == ReceiptStatus.ACTIVE
    assert fresh(due_milestone).status == MilestoneStatus.INVOICED
    assert Allocation.objects.count() == 1  # kept, marked, as history
    assert Event.objects.get(verb="receipt.allocation_reversed").payload["reason"] == "错配到了别的发票"
    assert_money_is_consistent()


def test_an_allocation_is_reversed_once(personas, contract, due_milestone):
    issue(due_milestone, personas.finance)
    receipt = pay(personas.customer_a, personas.finance, "1000.00")
    [allocation] = receipt.allocations.all()
    allocation_reverse(allocation=allocation, by=personas.finance, reason="错配")

    with refused("allocation"):
        allocation_reverse(allocation=allocation, by=personas.finance, reason="再来一次")

    assert fresh(receipt).allocated_amount == 0


def test_reversing_a_receipt_undoes_every_allocation_and_the_milestone_status(personas, contract):
    first, second, *_rest = all_milestones_due(contract, personas.sales_rep)
    paid = issue(first, personas.finance, due_days_ago=5)
    partly = issue(second, personas.finance)
    receipt = pay(personas.customer_a, personas.finance, "500000.00", days_ago=1)
    assert fresh(first).status == MilestoneStatus.PAID and fresh(partly).status == InvoiceStatus.PARTIAL
    other = pay(personas.customer_a, personas.finance, "100.00")

    reversed_receipt = receipt_reverse(receipt=receipt, by=personas.finance, reason="承兑汇票被拒付")

    assert reversed_receipt.status == ReceiptStatus.REVERSED and reversed_receipt.allocated_amount == 0
    assert reversed_receipt.reversed_by == personas.finance and reversed_receipt.reversal_reason == "承兑汇票被拒付"
    assert reversed_receipt.unallocated == 0
    assert all(a.is_reversed for a in receipt.allocations.all())
    assert fresh(paid).open_amount == paid.amount and fresh(paid).status == InvoiceStatus.OPEN
    assert fresh(partly).open_amount == partly.amount - Decimal("100.00")
    assert fresh(first).status == MilestoneStatus.INVOICED
    assert fresh(other).allocated_amount == Decimal("100.00")
    assert list(receipts_to_allocate(personas.finance)) == []
    assert Event.objects.filter(verb="receipt.reversed", customer=personas.customer_a).count() == 1
    assert_money_is_consistent()


def test_a_reversal_cannot_be_reversed_and_a_reversed_receipt_allocates_nothing(personas, contract, due_milestone):
    invoice = issue(due_milestone, personas.finance)
    receipt = pay(personas.customer_a, personas.finance, "1000.00")
    receipt_reverse(receipt=receipt, by=personas.finance, reason="重复录入")

    with refused("receipt"):
        receipt_reverse(receipt=receipt, by=personas.finance, reason="撤销冲销")
    with refused("receipt"):
        receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(invoice, "1000.00")])
    with refused("receipt"):
        receipt_allocate_oldest_first(receipt=receipt, by=personas.finance)

    assert fresh(invoice).open_amount == invoice.amount


def test_a_reversal_needs_a_reason(personas, contract, due_milestone):
    issue(due_milestone, personas.finance)
    receipt = pay(personas.customer_a, personas.finance, "1000.00")
    [allocation] = receipt.allocations.all()

    with refused("reason"):
        allocation_reverse(allocation=allocation, by=personas.finance, reason=" ")
    with refused("reason"):
        receipt_reverse(receipt=receipt, by=personas.finance, reason="")

    assert fresh(receipt).status == ReceiptStatus.ACTIVE and fresh(receipt).allocated_amount == Decimal("1000.00")


def test_a_receipt_dated_in_the_future_is_refused(personas, contract, due_milestone):
    issue(due_milestone, personas.finance)

    with refused("received_on"):
        receipt_record(customer=personas.customer_a, by=personas.finance, amount="1000.00", received_on=days_from_today(1))


@pytest.mark.parametrize("amount", ["0", "-1000.00", "一千", "1000.001", "NaN"])
def test_a_receipt_with_a_bad_amount_is_refused(personas, amount):
    with refused("amount"):
        receipt_record(customer=personas.customer_a, by=personas.finance, amount=amount, received_on=today())


@pytest.mark.parametrize(("field", "values"), [("method", {"method": "cash"}), ("currency", {"currency": "RMB1"}),
                                              ("currency", {"currency": "¥¥"})])  # fmt: skip
def test_a_receipt_with_a_bad_method_or_currency_is_refused(personas, field, values):
    with refused(field):
        receipt_record(customer=personas.customer_a, by=personas.finance, amount="10.00", received_on=today(), **values)

    assert Receipt.objects.count() == 0 and Invoice.objects.count() == 0


def test_oldest_first_leaves_disputed_invoices_for_finance_to_allocate_by_hand(personas, contract, due_milestone):
    from touchpoint.finance.services.invoices import invoice_dispute

    older = issue(due_milestone, personas.finance, "1000.00", due_days_ago=30)
    newer = issue(due_milestone, personas.finance, "1000.00", due_days_ago=5)
    invoice_dispute(invoice=older, by=personas.finance, disputed=True, reason="客户对验收范围有异议")

    receipt = pay(personas.customer_a, personas.finance, "1500.00")

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.open_amount, newer.open_amount, receipt.allocated_amount) == (Decimal("1000.00"), 0, Decimal("1000.00"))
