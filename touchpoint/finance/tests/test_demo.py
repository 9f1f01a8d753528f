"""The finance demo steps: the normal demo through the services, and the bulk benchmark share."""

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from touchpoint.core.extensions import demo_steps
from touchpoint.core.models import Event
from touchpoint.core.money import ZERO
from touchpoint.finance import demo as finance_demo
from touchpoint.finance.models import (
    Allocation,
    CreditProfile,
    DunningLetter,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    LetterStatus,
    Receipt,
    ReceiptMethod,
    ReceiptStatus,
)
from touchpoint.finance.reports import BUCKETS, ageing
from touchpoint.org.demo import users_by_position
from touchpoint.sales.models import Contract, MilestoneStatus, PaymentMilestone

pytestmark = pytest.mark.django_db


def run(key: str, scale: str = "small") -> str:
    return demo_steps[key].run(rng=random.Random(f"2026:{key}"), scale=scale, out=lambda text: None)


def counts() -> dict[str, int]:
    return {
        "invoices": Invoice.objects.count(), "receipts": Receipt.objects.count(),
        "allocations": Allocation.objects.count(), "letters": DunningLetter.objects.count(),
        "events": Event.objects.count(), "contracts": Contract.objects.count(),
    }  # fmt: skip


def assert_money_invariants() -> None:
    """Open = amount − credited − received on every invoice, never below zero; what is allocated adds up on
    both sides and never passes a receipt's amount; no milestone is invoiced beyond its amount; each
    contract's milestones add up to it; and the ageing buckets add up to the open receivables."""
    allocated_to: dict[int, Decimal] = defaultdict(lambda: ZERO)
    allocated_from: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for receipt_id, invoice_id, amount in Allocation.objects.filter(reversed_at__isnull=True).values_list(
        "receipt_id", "invoice_id", "amount"
    ):
        allocated_to[invoice_id] += amount
        allocated_from[receipt_id] += amount
    invoiced: dict[int, Decimal] = defaultdict(lambda: ZERO)
    open_ar = ZERO
    for pk, kind, milestone_id, amount, credited, allocated, open_amount, status in Invoice.objects.values_list(
        "pk", "kind", "milestone_id", "amount", "credited_amount", "allocated_amount", "open_amount", "status"
    ):
        if kind == InvoiceKind.CREDIT_NOTE:
            assert status == InvoiceStatus.ISSUED and pk not in allocated_to
            continue
        assert open_amount == amount - credited - allocated >= ZERO, pk
        assert allocated == allocated_to[pk], pk
        expected = InvoiceStatus.OPEN if not allocated else InvoiceStatus.PARTIAL
        if not open_amount:
            expected = InvoiceStatus.PAID if allocated else InvoiceStatus.CREDITED
        assert status == expected, pk
        invoiced[milestone_id] += amount - credited
        open_ar += open_amount
    for pk, amount, allocated, status in Receipt.objects.values_list("pk", "amount", "allocated_amount", "status"):
        assert allocated == allocated_from[pk] <= amount, pk
        assert status == ReceiptStatus.ACTIVE
    by_contract: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for pk, contract_id, amount, status in PaymentMilestone.objects.values_list("pk", "contract_id", "amount", "status"):
        by_contract[contract_id] += amount
        assert invoiced[pk] <= amount, pk
        if invoiced[pk] and status != MilestoneStatus.CANCELLED:
            assert status in (MilestoneStatus.DUE, MilestoneStatus.INVOICED, MilestoneStatus.PAID), pk
    for pk, amount in Contract.objects.filter(pk__in=by_contract).values_list("pk", "amount"):
        assert by_contract[pk] == amount, pk
    officer = users_by_position()["finance"][0]
    totals = ageing(user=officer).totals
    assert sum(totals.buckets.values(), ZERO).quantize(Decimal("0.01")) == open_ar


def test_normal_demo_leaves_money_in_every_bucket_a_prepayment_a_credit_note_and_letters_once():
    for key in ("org.staff", "customers.demo", "sales.catalogue", "sales.demo"):
        run(key)

    run("finance.demo")
    loaded = counts()
    assert run("finance.demo") == "finance: already loaded"

    assert counts() == loaded
    officer = users_by_position()["finance"][0]
    buckets = ageing(user=officer).totals.buckets
    assert all(buckets[key] > ZERO for key, *_rest in BUCKETS), buckets
    assert Receipt.objects.filter(allocations__isnull=True, status=ReceiptStatus.ACTIVE).exists()
    assert Receipt.objects.filter(method=ReceiptMethod.ACCEPTANCE_BILL, allocated_amount__gt=0).exists()
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert note.credited_invoice is not None and note.credited_invoice.status == InvoiceStatus.CREDITED
    assert Invoice.objects.filter(status=InvoiceStatus.PARTIAL).exists()
    assert Invoice.objects.filter(disputed=True).exclude(dispute_reason="").exists()
    assert CreditProfile.objects.filter(credit_hold=True).count() == 1
    assert CreditProfile.objects.filter(dunning_paused=True).count() == 1
    assert CreditProfile.objects.exclude(rating_override="").count() == 1
    assert PaymentMilestone.objects.filter(status=MilestoneStatus.DUE, invoices__isnull=True).exists()
    letters = DunningLetter.objects.all()
    assert letters.filter(status=LetterStatus.SENT).exclude(email="").exists()
    assert letters.filter(language="en").exists()
    # Nobody is reminded of what they dispute, or while their reminders are paused.
    paused = CreditProfile.objects.filter(dunning_paused=True).values("customer_id")
    assert not letters.filter(customer_id__in=paused).exists()
    assert not letters.filter(items__invoice__disputed=True).exists()
    assert_money_invariants()
    # Through the services, moved onto the story's days: each invoice's issue is on its customer's timeline.
    issued = Event.objects.filter(verb="invoice.issued")
    assert issued.count() == Invoice.objects.filter(kind=InvoiceKind.INVOICE).count()
    assert issued.earliest("occurred_at").occurred_at < timezone.now() - timedelta(days=200)
    assert Allocation.objects.filter(allocated_on__lt=timezone.localdate() - timedelta(days=100)).exists()


def test_bulk_step_keeps_the_money_invariants_and_builds_the_sizes_it_promises_once():
    run("org.staff")
    scale = "0.001"
    run("customers.bulk", scale)
    sizes = finance_demo.bulk_sizes(scale)

    run("finance.bulk", scale)
    loaded = counts()
    assert run("finance.bulk", scale).startswith("bulk finance: already loaded")

    assert counts() == loaded
    assert Invoice.objects.count() == sizes["invoices"]
    assert Receipt.objects.count() == sizes["receipts"]
    customer = finance_demo.plan_customer()
    assert customer is not None
    assert PaymentMilestone.objects.filter(contract__customer=customer).count() == finance_demo.PLAN_MILESTONES
    officer = users_by_position()["finance"][0]
    buckets = ageing(user=officer).totals.buckets
    assert all(buckets[key] > ZERO for key, *_rest in BUCKETS), buckets
    assert Invoice.objects.filter(status=InvoiceStatus.PARTIAL).exists()
    assert Receipt.objects.filter(allocations__isnull=True).count() == sizes["prepayments"]
    assert_money_invariants()
