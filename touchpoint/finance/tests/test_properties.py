"""The money invariants, proven over random sequences of invoicing, crediting, receiving and reversing.

Each database-backed example runs in its own transaction that is rolled back at the end, so every
example starts from the same contracts.
"""

import itertools
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from touchpoint.core.money import money
from touchpoint.finance.models import Allocation, Invoice, InvoiceKind, Receipt, ReceiptStatus
from touchpoint.finance.reports import BUCKETS, ageing
from touchpoint.finance.services.credit import exposure_of
from touchpoint.finance.services.invoices import (
    credit_note_issue,
    invoice_dispute,
    invoice_issue,
    invoice_status,
    milestone_remainder,
    milestone_sync,
    tax_within,
)
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
    draft_contract,
    draft_quote,
    refused,
    today,
)
from touchpoint.sales.models import Contract, ContractStatus, MilestoneStatus, MilestoneTrigger, PaymentMilestone
from touchpoint.sales.services.contracts import contract_milestones_set
from touchpoint.sales.services.quotes import quote_submit

pytestmark = pytest.mark.django_db

SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
DB_EXAMPLES = settings(max_examples=60, deadline=None, database=None, suppress_health_check=SLOW_OK)
STATEFUL = settings(max_examples=60, stateful_step_count=30, deadline=None, database=None, suppress_health_check=SLOW_OK)


def in_rolled_back_transaction(check: Callable[[], None]) -> None:
    with transaction.atomic():
        check()
        transaction.set_rollback(True)


def money_state() -> tuple[Any, ...]:
    """Every amount and status a refused step must leave as it was."""
    return (
        list(Invoice.objects.order_by("pk").values_list("pk", "open_amount", "allocated_amount", "credited_amount",
                                                         "status", "disputed", "version")),
        list(Receipt.objects.order_by("pk").values_list("pk", "allocated_amount", "status", "version")),
        list(Allocation.objects.order_by("pk").values_list("pk", "amount", "reversed_at")),
        list(PaymentMilestone.objects.order_by("pk").values_list("pk", "status")),
    )  # fmt: skip


# --- Rounding ----------------------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=10**14 - 1).map(lambda c: Decimal(c) / 100)
rates = st.integers(min_value=0, max_value=9999).map(lambda r: Decimal(r) / 100)


@given(amount=cents, rate=rates)
@settings(max_examples=500, deadline=None)
def test_the_tax_inside_an_amount_is_the_exact_share_rounded_half_up_to_the_cent(amount, rate):
    exact = Fraction(amount) * Fraction(rate) / (100 + Fraction(rate))
    in_cents = exact * 100
    rounded = Decimal(int(in_cents) + (1 if in_cents - int(in_cents) >= Fraction(1, 2) else 0)) / 100

    tax = tax_within(amount, rate)

    assert tax == rounded
    assert tax == tax.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(0) <= tax <= amount


# --- Milestones --------------------------------------------------------------------------------


@st.composite
def milestone_shares(draw: Any) -> list[Decimal]:
    """Two-decimal percentages, each above zero, adding up to exactly 100."""
    cuts = draw(st.lists(st.integers(min_value=1, max_value=9999), unique=True, max_size=5))
    points = [0, *sorted(cuts), 10000]
    return [Decimal(b - a) / 100 for a, b in itertools.pairwise(points)]


def test_the_milestones_always_add_up_to_the_contract_amount(personas, catalogue, contract):
    draft = draft_contract(personas.customer_a, personas.sales_rep, [catalogue["trade-risk"]])

    # From 1,000.00 up: the last milestone takes the rounding rest, and on a contract of a few fen that
    # rest could fall below zero; no real contract is that small.
    @given(amount=st.integers(min_value=100_000, max_value=10**13).map(lambda c: Decimal(c) / 100), shares=milestone_shares())
    @DB_EXAMPLES
    def check(amount: Decimal, shares: list[Decimal]) -> None:
        def body() -> None:
            Contract.objects.filter(pk=draft.pk).update(amount=amount)
            plan = [{"name": f"第{i + 1}期", "percent": share, "trigger": MilestoneTrigger.SIGNING}
                    for i, share in enumerate(shares)]  # fmt: skip
            written = contract_milestones_set(contract=Contract.objects.get(pk=draft.pk), by=personas.sales_rep, milestones=plan)
            assert sum((m.amount for m in written), Decimal(0)) == amount
            assert all(m.amount >= 0 for m in written)
            assert PaymentMilestone.objects.filter(contract=draft).aggregate(s=Sum("amount"))["s"] == amount

        in_rolled_back_transaction(body)

    check()


# --- Invoices, receipts, allocations -----------------------------------------------------------

shares = st.integers(min_value=1, max_value=130)  # percent of what is left; above 100 must be refused


def share_of(amount: Decimal, percent: int) -> Decimal:
    return max(Decimal("0.01"), money(amount * percent / 100))


def bucket_of(days_overdue: int) -> str:
    """The ageing bucket an invoice belongs in, written out independently of the report."""
    if days_overdue <= 0:
        return "current"
    for key, _label, first, last in BUCKETS[1:]:
        if first is not None and days_overdue >= first and (last is None or days_overdue <= last):
            return key
    raise AssertionError(days_overdue)


def assert_the_invariants_hold(personas: Any, milestones: list[PaymentMilestone]) -> None:
    assert_money_is_consistent()
    for milestone in PaymentMilestone.objects.filter(pk__in=[m.pk for m in milestones]):
        gross = Invoice.objects.filter(milestone=milestone, kind=InvoiceKind.INVOICE).aggregate(s=Sum("amount"))["s"] or 0
        credited = Invoice.objects.filter(milestone=milestone, kind=InvoiceKind.CREDIT_NOTE).aggregate(s=Sum("amount"))["s"] or 0
        assert gross - credited <= milestone.amount, milestone
        assert milestone.status == milestone_sync(milestone.pk), milestone
    for contract in Contract.objects.filter(status=ContractStatus.ACTIVE):
        net = Invoice.objects.filter(contract=contract, kind=InvoiceKind.INVOICE).aggregate(a=Sum("amount"), c=Sum("credited_amount"))
        assert (net["a"] or 0) - (net["c"] or 0) <= contract.amount
    for invoice in Invoice.objects.all():
        assert invoice.status == invoice_status(invoice), invoice
        if invoice.kind == InvoiceKind.INVOICE:
            assert invoice.credited_amount + invoice.allocated_amount <= invoice.amount
    received = Receipt.objects.aggregate(s=Sum("allocated_amount"))["s"] or 0
    assert received == (Invoice.objects.aggregate(s=Sum("allocated_amount"))["s"] or 0)

    report = ageing(user=personas.finance)
    open_invoices = list(Invoice.objects.filter(kind=InvoiceKind.INVOICE, open_amount__gt=0))
    expected = {key: Decimal(0) for key, *_rest in BUCKETS}
    for invoice in open_invoices:
        expected[bucket_of((today() - invoice.due_on).days)] += invoice.open_amount
    assert report.totals.buckets == expected
    assert report.totals.total == sum((i.open_amount for i in open_invoices), Decimal(0))
    assert sum((row.total for row in report.rows), Decimal(0)) == report.totals.total
    assert all(row.total == sum(row.cells(), Decimal(0)) for row in report.rows)
    own = ageing(user=personas.sales_rep).totals.total
    assert own == sum((i.open_amount for i in open_invoices if i.customer_id == personas.customer_a.pk), Decimal(0))

    for customer in (personas.customer_a, personas.customer_b):
        exposure = exposure_of(customer.pk)
        assert exposure.total == exposure.unpaid_invoices + exposure.unbilled_contracts + exposure.open_quotes
        assert exposure.unpaid_invoices == sum((i.open_amount for i in open_invoices if i.customer_id == customer.pk), Decimal(0))
        signed = Contract.objects.filter(customer=customer, status=ContractStatus.ACTIVE).aggregate(s=Sum("amount"))["s"] or 0
        billed = Invoice.objects.filter(customer=customer, kind=InvoiceKind.INVOICE).aggregate(a=Sum("amount"), c=Sum("credited_amount"))
        assert exposure.unbilled_contracts == signed - (billed["a"] or 0) + (billed["c"] or 0)
        assert exposure.unpaid_invoices >= 0 and exposure.unbilled_contracts >= 0


def receivables_machine(personas: Any, milestones: list[PaymentMilestone]) -> type[RuleBasedStateMachine]:
    """Random sequences of issuing, crediting, receiving, allocating, reversing, re-dating and disputing.

    Each step knows from the current rows whether the service must accept or refuse it; a refused
    step must change nothing. The whole run happens in one transaction that is rolled back."""
    finance = personas.finance
    customers = (personas.customer_a, personas.customer_b)

    class Receivables(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.transaction = transaction.atomic()
            self.transaction.__enter__()
            self.invoices: list[int] = []
            self.receipts: list[int] = []

        def teardown(self) -> None:
            try:
                assert_the_invariants_hold(personas, milestones)
            finally:
                transaction.set_rollback(True)
                self.transaction.__exit__(None, None, None)

        def expect(self, accepted: bool, action: Callable[[], Any]) -> Any:
            if accepted:
                return action()
            before = money_state()
            with refused(None):
                action()
            assert money_state() == before
            return None

        @rule(index=st.integers(min_value=0, max_value=len(milestones) - 1), percent=st.one_of(st.none(), shares))
        def issue(self, index: int, percent: int | None) -> None:
            milestone = milestones[index]
            left = milestone_remainder(milestone)
            amount = None if percent is None else share_of(left, percent)
            made = self.expect(left > 0 and (amount is None or amount <= left),
                               lambda: invoice_issue(milestone=milestone, by=finance, amount=amount))  # fmt: skip
            if made is not None:
                self.invoices.append(made.pk)

        @precondition(lambda self: self.invoices)
        @rule(data=st.data(), percent=shares)
        def credit(self, data: Any, percent: int) -> None:
            invoice = Invoice.objects.get(pk=data.draw(st.sampled_from(self.invoices)))
            amount = share_of(invoice.open_amount, percent)
            made = self.expect(invoice.kind == InvoiceKind.INVOICE and amount <= invoice.open_amount,
                               lambda: credit_note_issue(invoice=invoice, by=finance, amount=amount, reason="更正"))  # fmt: skip
            if made is not None:
                self.invoices.append(made.pk)

        @rule(customer=st.sampled_from([0, 1]), cents=st.integers(min_value=1, max_value=60_000_000),
              days_ago=st.integers(min_value=0, max_value=400), allocate=st.booleans())  # fmt: skip
        def record(self, customer: int, cents: int, days_ago: int, allocate: bool) -> None:
            receipt = receipt_record(customer=customers[customer], by=finance, amount=Decimal(cents) / 100,
                                     received_on=today() - timedelta(days=days_ago), allocate=allocate)  # fmt: skip
            self.receipts.append(receipt.pk)

        @precondition(lambda self: self.invoices and self.receipts)
        @rule(data=st.data(), percent=shares)
        def allocate(self, data: Any, percent: int) -> None:
            receipt = Receipt.objects.get(pk=data.draw(st.sampled_from(self.receipts)))
            own = list(Invoice.objects.filter(pk__in=self.invoices, customer_id=receipt.customer_id).values_list("pk", flat=True))
            # Mostly the receipt's own customer's invoices; now and then anyone's, which must be refused.
            choices = own if own and data.draw(st.integers(min_value=0, max_value=4)) else self.invoices
            invoice = Invoice.objects.get(pk=data.draw(st.sampled_from(choices)))
            room = min(invoice.open_amount, receipt.amount - receipt.allocated_amount)
            amount = share_of(room, percent)
            accepted = (receipt.status == ReceiptStatus.ACTIVE and invoice.kind == InvoiceKind.INVOICE
                        and invoice.customer_id == receipt.customer_id and amount <= room)  # fmt: skip
            self.expect(accepted, lambda: receipt_allocate(receipt=receipt, by=finance, allocations=[(invoice, amount)]))

        @precondition(lambda self: self.receipts)
        @rule(data=st.data())
        def allocate_oldest_first(self, data: Any) -> None:
            receipt = Receipt.objects.get(pk=data.draw(st.sampled_from(self.receipts)))
            self.expect(receipt.status == ReceiptStatus.ACTIVE,
                        lambda: receipt_allocate_oldest_first(receipt=receipt, by=finance))  # fmt: skip

        @precondition(lambda self: self.receipts)
        @rule(data=st.data())
        def reverse_an_allocation(self, data: Any) -> None:
            allocations = list(Allocation.objects.order_by("pk"))
            if allocations:
                allocation = data.draw(st.sampled_from(allocations))
                self.expect(not allocation.is_reversed,
                            lambda: allocation_reverse(allocation=allocation, by=finance, reason="错配"))  # fmt: skip

        @precondition(lambda self: self.receipts)
        @rule(data=st.data())
        def reverse_a_receipt(self, data: Any) -> None:
            receipt = Receipt.objects.get(pk=data.draw(st.sampled_from(self.receipts)))
            self.expect(receipt.status == ReceiptStatus.ACTIVE, lambda: receipt_reverse(receipt=receipt, by=finance, reason="退票"))

        @precondition(lambda self: self.invoices)
        @rule(data=st.data(), days_overdue=st.integers(min_value=-60, max_value=400))
        def move_the_due_date(self, data: Any, days_overdue: int) -> None:
            Invoice.objects.filter(pk=data.draw(st.sampled_from(self.invoices))).update(due_on=today() - timedelta(days=days_overdue))

        @precondition(lambda self: self.invoices)
        @rule(data=st.data())
        def dispute_or_settle(self, data: Any) -> None:
            invoice = Invoice.objects.get(pk=data.draw(st.sampled_from(self.invoices)))
            self.expect(invoice.kind == InvoiceKind.INVOICE,
                        lambda: invoice_dispute(invoice=invoice, by=finance, disputed=not invoice.disputed, reason="异议"))  # fmt: skip

        @invariant()
        def what_receipts_paid_is_what_invoices_received(self) -> None:
            # After every step; the full set of invariants is checked at the end of each run.
            live = Allocation.objects.filter(reversed_at__isnull=True).aggregate(s=Sum("amount"))["s"] or 0
            assert (Receipt.objects.aggregate(s=Sum("allocated_amount"))["s"] or 0) == live
            assert (Invoice.objects.aggregate(s=Sum("allocated_amount"))["s"] or 0) == live
            assert not Invoice.objects.filter(open_amount__lt=0).exists()

    return Receivables


def test_no_sequence_of_operations_breaks_the_money_invariants(personas, catalogue, contract):
    milestones = all_milestones_due(contract, personas.sales_rep)
    contract_b = contract_for(personas.customer_b, personas.other_rep, personas, [catalogue["trade-risk"]])
    milestones.append(contract_b.milestones.get(order=1))
    quote_submit(quote=draft_quote(personas.customer_a, personas.sales_rep, [catalogue["trade-margin"]]), by=personas.sales_rep)
    assert all(m.status == MilestoneStatus.DUE for m in milestones)

    run_state_machine_as_test(receivables_machine(personas, milestones), settings=STATEFUL)
