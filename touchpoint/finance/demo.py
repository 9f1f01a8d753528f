"""Demo receivables: credit terms, invoices on the demo contracts' due milestones, receipts (回款), a
credit note (红字发票), a dispute, a credit hold and a paused dunning, then a risk rescoring and one
dunning run; and, at a benchmark scale, the finance share of the scale dataset.

The normal demo (order 500, after the sales demo) goes through the services, so the 360 timelines,
history and events come out exactly as in real use. It replays the year's finance work in date
order. The services write "today"; after each step the demo moves what it wrote back to the day of
the story: event times, `created_at`, the day an allocation was entered, the day a credit note was
issued. Invoices and receipts take their dates from the services' own arguments.

The bulk step (order 1500) writes rows directly, like the other bulk steps: at full scale 1,000,000
invoices on the milestones of 20,000-odd project contracts of bulk customers; 2,000,000 receipts, each
allocated to one invoice (invoices are paid in instalments, some by bank acceptance bill) but for 4,000
prepayments; about 110,000 invoices open over every ageing bucket, 100,000 of them overdue (the dunning
benchmark); and one customer with 125 contracts and 500 payment milestones (the collection plan
benchmark). Bulk rows carry no events and no history rows; the dataset is for measuring reads and the
dunning run. Fractional scales shrink every count but the 500 milestones.
"""

import json
import math
import random
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from touchpoint.core.bulk import BulkLoader
from touchpoint.core.extensions import DemoStep, demo_steps
from touchpoint.core.money import HUNDRED, ZERO, default_tax_rate, money
from touchpoint.customers.demo import BULK_NOTE, DEMO_NOTE, Phones, _pinyin, bench_customer, person_name, scale_factor
from touchpoint.customers.models import Contact, Customer, CustomerStatus, CustomerType, DecisionRole, PreferredChannel, SizeTier
from touchpoint.customers.services import contact_create
from touchpoint.finance.models import (
    Allocation,
    CreditPolicy,
    CreditProfile,
    DunningLetter,
    DunningLevel,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Receipt,
    ReceiptMethod,
    ReceiptStatus,
    VatType,
)
from touchpoint.finance.risk import rescore_all
from touchpoint.finance.services.credit import (
    credit_hold_set,
    credit_profile_for,
    credit_profile_update,
    credit_rating_override,
    dunning_pause_set,
)
from touchpoint.finance.services.dunning import dunning_run, finance_contact
from touchpoint.finance.services.invoices import credit_note_issue, invoice_dispute, invoice_issue, tax_within
from touchpoint.finance.services.receipts import receipt_allocate, receipt_record
from touchpoint.org.demo import users_by_position
from touchpoint.org.models import User
from touchpoint.sales.demo import MILESTONE_PLAN, PROJECTS, Clock
from touchpoint.sales.models import Contract, ContractStatus, DeliveryEvent, MilestoneStatus, PaymentMilestone
from touchpoint.sales.services.contracts import delivery_event_fire

# Open invoices the story leaves at these days overdue today (negative: due in so many days), so that
# every ageing bucket holds money, and what else happens to each.
BUCKET_STORIES: list[tuple[int, str]] = [
    (200, "hold"), (130, "disputed"), (100, "paused"), (75, "override"), (45, "partial"), (10, "english"),
    (-5, "open"), (-20, "open"),
]  # fmt: skip
# The most recently due milestones stay uninvoiced: finance's invoice requests.
INVOICE_REQUESTS = 3
# Days from the due date to the money arriving, for the invoices that get paid.
PAYMENT_DELAYS = [-15, -7, -3, 0, 0, 2, 5, 9, 14, 21, 33]
# Receipts of one customer this close together are one bank transfer paying several invoices.
COMBINE_WITHIN_DAYS = 10
CREDIT_LIMITS: dict[str, int] = {SizeTier.LARGE: 30_000_000, SizeTier.MEDIUM: 15_000_000, SizeTier.SMALL: 6_000_000}
FINANCE_TITLES = [("财务部经理", "计划财务部"), ("资金结算部主管", "计划财务部"), ("财务总监", "公司领导"),
                  ("应付账款会计", "计划财务部")]  # fmt: skip
REASONS = {
    "hold": "上线款逾期超过 180 天未付，暂停新签合同与报价，待回款后解除。",
    "disputed": "客户认为该节点对应的模块尚未通过验收，对开票范围有异议，暂缓付款。",
    "override": "付款审批流程长，逾期多因内部流程而非资金紧张，历史上从未发生坏账，人工评级为 B。",
    "credit_note": "购方要求开具增值税专用发票，原普通发票红冲后重开。",
    "split": "客户要求按交易与行情两个子项目分别开票。",
    "prepayment": "到货验收款预付 50%，待发票开具后核销。",
    "bill": "6 个月期电子银行承兑汇票，到期前不贴现。",
}


def is_loaded() -> bool:
    return Invoice.objects.filter(customer__notes=DEMO_NOTE).exists()


@dataclass
class Story:
    """What the normal demo draws on, and the day-ordered steps it takes."""

    rng: random.Random
    today: date
    officer: User
    clock: Clock
    terms: dict[int, int]  # customer id -> payment terms in days
    steps: list[tuple[date, int, Callable[[], None]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    numbered: int = 0
    # The story's moment of the step being taken.
    now: datetime = field(default_factory=timezone.now)

    def at(self, day: date, step: Callable[[], None]) -> None:
        """Plan a step for that day; steps of one day are taken in the order they were planned."""
        self.steps.append((day, len(self.steps), step))

    def play(self) -> None:
        """Take the steps in date order, a few minutes apart from half past nine on each day."""
        taken: dict[date, int] = {}
        for day, _serial, step in sorted(self.steps, key=lambda item: (item[0], item[1])):
            taken[day] = taken.get(day, -1) + 1
            moment = timezone.make_aware(datetime.combine(day, time(9, 30))) + timedelta(minutes=7 * taken[day])
            self.now = min(moment, timezone.now())
            step()
            self.clock.stamp(self.now)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def tax_number(self, day: date) -> str:
        """A 20-digit fully digitised VAT invoice number (数电发票号码) of the year it is issued in."""
        self.numbered += 1
        return f"{day.year % 100:02d}3100{self.rng.randrange(10**8):08d}{self.numbered:06d}"


def _due_day(milestone: PaymentMilestone) -> date:
    assert milestone.due_at is not None  # only due milestones are invoiced
    return timezone.localdate(milestone.due_at)


def _profile_values(rng: random.Random, customer: Customer, signed: Decimal) -> tuple[Decimal, int]:
    """A credit limit and payment terms by the firm's kind and size (large brokers get more of both), and
    at least half as much again as the contracts it has running, in whole millions."""
    base = Decimal(3_000_000 if customer.customer_type == CustomerType.BRANCH else CREDIT_LIMITS.get(customer.size_tier, 6_000_000))
    limit = max(base, (signed * Decimal("1.5") / 1_000_000).to_integral_value(rounding=ROUND_CEILING) * 1_000_000)
    if customer.customer_type == CustomerType.BRANCH:
        return limit, 30
    if customer.customer_type == CustomerType.BANK:
        return limit, 90
    return limit, 60 if customer.size_tier == SizeTier.LARGE else rng.choice([30, 30, 45, 60])


@transaction.atomic
def load_finance(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    if is_loaded():
        return "finance: already loaded"
    milestones = list(
        PaymentMilestone.objects.filter(contract__customer__notes=DEMO_NOTE, contract__status=ContractStatus.ACTIVE,
                                        status=MilestoneStatus.DUE, due_at__isnull=False)  # fmt: skip
        .select_related("contract__customer").order_by("due_at", "pk")
    )
    staff = users_by_position()
    if not milestones or not staff.get("finance"):
        return "finance: no demo contracts or no finance officer"
    customers = {
        c.pk: c for c in Customer.objects.filter(notes=DEMO_NOTE, status__in=[CustomerStatus.ACTIVE, CustomerStatus.PROSPECT])
        .order_by("id")
    }  # fmt: skip
    for milestone in milestones:
        customers.setdefault(milestone.contract.customer_id, milestone.contract.customer)
    signed = dict(
        Contract.objects.filter(customer_id__in=customers, status=ContractStatus.ACTIVE).order_by().values("customer_id")
        .annotate(total=Sum("amount")).values_list("customer_id", "total")
    )  # fmt: skip
    values = {pk: _profile_values(rng, customer, signed.get(pk) or ZERO) for pk, customer in customers.items()}
    story = Story(rng=rng, today=timezone.localdate(), officer=staff["finance"][0], clock=Clock(),
                  terms={pk: terms for pk, (_limit, terms) in values.items()})  # fmt: skip
    start = min(_due_day(milestones[0]), story.today - timedelta(days=300)) - timedelta(days=7)

    buckets = _bucket_invoices(story, milestones)
    special = {bill.story: bill for bill in buckets}
    no_contact = _finance_contacts(story, list(customers.values()), special, start)
    _credit_profiles(story, list(customers.values()), values, special, no_contact, start)
    chosen = {bill.milestone.pk for bill in buckets}
    rest = [m for m in milestones if m.pk not in chosen]
    others = [_natural_invoice(story, m) for m in rest[: max(0, len(rest) - INVOICE_REQUESTS)]]
    if others:
        others[0].story = "credit_note"
    if len(others) > 1:
        max(others[1:], key=lambda bill: bill.milestone.amount).story = "split"
    for bill in [*buckets, *others]:
        _plan_invoice(story, bill)
    _plan_receipts(story, [bill for bill in [*buckets, *others] if bill.payments])
    _plan_prepayment(story, milestones)
    _plan_holds(story, special)
    _plan_go_live(story, milestones, staff)
    story.play()

    rescore_all(today=story.today)
    result = dunning_run(today=story.today)
    story.count("dunning letters", result.letters)
    summary = ", ".join(f"{n} {key}" for key, n in sorted(story.counts.items()))
    return f"finance: {summary}"


# --- Who pays what, and when -------------------------------------------------------------------


@dataclass
class Bill:
    """One milestone's invoicing in the story, and the money that comes in for it."""

    milestone: PaymentMilestone
    issue_day: date
    story: str = "paid"
    # Days overdue the invoice must show today; set for the bucket stories.
    overdue: int | None = None
    # (day, share of the invoiced amount) for each payment that arrives.
    payments: list[tuple[date, Decimal]] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)

    @property
    def customer_id(self) -> int:
        return self.milestone.contract.customer_id


def _bucket_invoices(story: Story, milestones: list[PaymentMilestone]) -> list[Bill]:
    """For each bucket story, the milestone that fits it best: one that fell due early enough for an
    invoice issued after it, on its customer's terms, to be that many days overdue today; a customer
    not used yet if possible."""
    bills: list[Bill] = []
    taken: set[int] = set()
    used: set[int] = set()
    for overdue, kind in BUCKET_STORIES:
        free = [m for m in milestones if m.pk not in taken]
        if not free:
            break

        def issue_day(m: PaymentMilestone, days: int = overdue) -> date:
            return story.today - timedelta(days=days + story.terms[m.contract.customer_id])

        fitting = [m for m in free if _due_day(m) <= issue_day(m)]
        fresh = [m for m in fitting if m.contract.customer_id not in used] or fitting
        if fresh:
            chosen = max(fresh, key=lambda m: (_due_day(m), m.pk))
            day = issue_day(chosen)
        else:
            chosen = free[0]
            day = _due_day(chosen)
        taken.add(chosen.pk)
        used.add(chosen.contract.customer_id)
        bill = Bill(chosen, issue_day=min(day, story.today), story=kind, overdue=overdue)
        due = story.today - timedelta(days=overdue)
        if kind == "partial":
            bill.payments = [(due + timedelta(days=20), Decimal("0.4"))]
        elif kind == "paused":
            bill.payments = [(due + timedelta(days=30), Decimal("0.3"))]
        bills.append(bill)
    return bills


def _natural_invoice(story: Story, milestone: PaymentMilestone) -> Bill:
    """Invoiced a few days after the milestone fell due and, unless the money is not in yet, paid
    around the due date."""
    issued = min(story.today, _due_day(milestone) + timedelta(days=story.rng.randint(1, 8)))
    due = issued + timedelta(days=story.terms[milestone.contract.customer_id])
    paid_on = max(issued + timedelta(days=3), due + timedelta(days=story.rng.choice(PAYMENT_DELAYS)))
    bill = Bill(milestone, issue_day=issued)
    if paid_on < story.today:
        bill.payments = [(paid_on, Decimal(1))]
    else:
        bill.story = "open"
    return bill


def _plan_invoice(story: Story, bill: Bill) -> None:
    officer, milestone, day = story.officer, bill.milestone, bill.issue_day

    def issue() -> None:
        if bill.story == "split":
            first = money(milestone.amount * Decimal("0.6"))
            for amount in (first, milestone.amount - first):
                bill.invoices.append(invoice_issue(milestone=milestone, by=officer, amount=amount, issued_on=day,
                                                   tax_number=story.tax_number(day), note=REASONS["split"]))  # fmt: skip
        else:
            wrong = bill.story == "credit_note"
            bill.invoices.append(invoice_issue(
                milestone=milestone, by=officer, issued_on=day, tax_number=story.tax_number(day),
                vat_type=VatType.ORDINARY if wrong else VatType.SPECIAL,
            ))  # fmt: skip
        if bill.overdue is not None and bill.invoices[0].due_on != story.today - timedelta(days=bill.overdue):
            # No demo milestone fell due early enough for this bucket (the sales story's contracts are
            # all younger than it needs): the invoice's dates move back so that the bucket holds money.
            due = story.today - timedelta(days=bill.overdue)
            Invoice.objects.filter(pk=bill.invoices[0].pk).update(issued_on=min(day, due), due_on=due)
        Invoice.objects.filter(pk__in=[i.pk for i in bill.invoices]).update(created_at=story.now)
        story.count("invoices", len(bill.invoices))

    story.at(day, issue)
    if bill.story == "credit_note":
        story.at(day + timedelta(days=2), lambda: _correct(story, bill, day + timedelta(days=2)))


def _correct(story: Story, bill: Bill, day: date) -> None:
    """The customer needed a special VAT invoice: a credit note takes the ordinary one back, and a special
    one is issued for the milestone instead."""
    wrong = bill.invoices.pop()
    note = credit_note_issue(invoice=wrong, by=story.officer, amount=wrong.amount, reason=REASONS["credit_note"],
                             tax_number=story.tax_number(day))  # fmt: skip
    right = invoice_issue(milestone=bill.milestone, by=story.officer, issued_on=day, tax_number=story.tax_number(day))
    bill.invoices.append(right)
    # The service dates a credit note the day it runs; in the story that was this day.
    Invoice.objects.filter(pk=note.pk).update(issued_on=day, due_on=day, created_at=story.now)
    Invoice.objects.filter(pk=right.pk).update(created_at=story.now)
    story.count("invoices")
    story.count("credit notes")


def _plan_receipts(story: Story, bills: list[Bill]) -> None:
    """Receipts in date order. Full payments of one customer a few days apart arrive as one transfer;
    the largest receipt is a bank acceptance bill."""
    payments = sorted(((day, share, bill) for bill in bills for day, share in bill.payments),
                      key=lambda item: (item[0], item[2].milestone.pk))  # fmt: skip
    groups: list[list[tuple[date, Decimal, Bill]]] = []
    latest: dict[int, list[tuple[date, Decimal, Bill]]] = {}  # customer id -> their latest receipt
    for payment in payments:
        day, share, bill = payment
        group = latest.get(bill.customer_id)
        if (group is not None and share == 1 and all(p[1] == 1 for p in group)
                and (day - group[0][0]).days <= COMBINE_WITHIN_DAYS):  # fmt: skip
            group.append(payment)
            continue
        latest[bill.customer_id] = [payment]
        groups.append(latest[bill.customer_id])
    if not groups:
        return
    largest = max(groups, key=lambda g: sum(p[2].milestone.amount * p[1] for p in g))
    for group in groups:
        story.at(max(p[0] for p in group), partial(_receive, story, group, by_bill=group is largest))


def _receive(story: Story, group: list[tuple[date, Decimal, Bill]], *, by_bill: bool) -> None:
    day = max(p[0] for p in group)
    parts = []
    for _day, share, bill in group:
        for invoice in bill.invoices:
            invoice.refresh_from_db()
            amount = invoice.open_amount if share == 1 else _instalment(invoice.amount, share)
            if amount > ZERO:
                parts.append((invoice, amount))
    if not parts:
        return
    customer, total = group[0][2].milestone.contract.customer, sum((amount for _i, amount in parts), ZERO)
    if by_bill:
        number = f"1{story.rng.randrange(10**11, 10**12)}{day:%Y%m%d}{story.rng.randrange(10**9):09d}"
        method, reference, note = ReceiptMethod.ACCEPTANCE_BILL, f"电子银承 {number}", REASONS["bill"]
    else:
        method, reference, note = ReceiptMethod.BANK_TRANSFER, _transfer_reference(story, day), ""
    receipt = receipt_record(customer=customer, by=story.officer, amount=total, received_on=day, allocate=False,
                             method=method, bank_reference=reference, note=note)  # fmt: skip
    made = receipt_allocate(receipt=receipt, by=story.officer, allocations=parts)
    Receipt.objects.filter(pk=receipt.pk).update(created_at=story.now)
    # The service stamps the day the allocation is entered; in the story that was the day the money came.
    Allocation.objects.filter(pk__in=[a.pk for a in made]).update(allocated_on=day, created_at=story.now)
    story.count("receipts")
    story.count("allocations", len(made))


def _instalment(amount: Decimal, share: Decimal) -> Decimal:
    """A round sum near `share` of the amount: customers pay part of an invoice in whole ten-thousands."""
    return max(Decimal(10_000), (amount * share / 10_000).quantize(Decimal(1)) * 10_000)


def _transfer_reference(story: Story, day: date) -> str:
    return f"网银流水 {day:%Y%m%d}{story.rng.randrange(10**10):010d}"


def _plan_prepayment(story: Story, milestones: list[PaymentMilestone]) -> None:
    """Half of a delivery acceptance milestone not due yet, paid ahead: it stays unallocated until the
    invoice is issued."""
    ahead = (
        PaymentMilestone.objects.filter(contract_id__in={m.contract_id for m in milestones}, status=MilestoneStatus.PENDING,
                                        trigger_event=DeliveryEvent.DELIVERY_ACCEPTED)  # fmt: skip
        .select_related("contract__customer").order_by("expected_date", "pk").first()
    )
    if ahead is None:
        return
    day = story.today - timedelta(days=12)
    amount = max(Decimal(10_000), (ahead.amount / 2 / 10_000).quantize(Decimal(1)) * 10_000)

    def prepay() -> None:
        receipt = receipt_record(customer=ahead.contract.customer, by=story.officer, amount=amount, received_on=day,
                                 allocate=False, note=REASONS["prepayment"], bank_reference=_transfer_reference(story, day))  # fmt: skip
        Receipt.objects.filter(pk=receipt.pk).update(created_at=story.now)
        story.count("prepayments")

    story.at(day, prepay)


def _plan_go_live(story: Story, milestones: list[PaymentMilestone], staff: dict[str, list[User]]) -> None:
    """A go-live accepted this week: the sales service makes its payment milestone due, and it waits
    among finance's invoice requests."""
    accepted = {m.contract_id for m in milestones if m.trigger_event == DeliveryEvent.DELIVERY_ACCEPTED}
    waiting = (
        PaymentMilestone.objects.filter(contract_id__in=accepted, status=MilestoneStatus.PENDING,
                                        trigger_event=DeliveryEvent.GO_LIVE)  # fmt: skip
        .select_related("contract").order_by("expected_date", "pk").first()
    )
    if waiting is None:
        return
    by = (staff.get("project_manager") or [waiting.contract.owner])[0]

    def go_live() -> None:
        due = delivery_event_fire(contract=waiting.contract, event=DeliveryEvent.GO_LIVE, by=by)
        PaymentMilestone.objects.filter(pk__in=[m.pk for m in due]).update(due_at=story.now)
        story.count("milestones made due by go-live", len(due))

    story.at(story.today - timedelta(days=3), go_live)


def _plan_holds(story: Story, special: dict[str, Bill]) -> None:
    """The dispute, the credit hold and the dunning pause, each on the day it would have come up."""
    today, officer = story.today, story.officer
    disputed, held, paused = special.get("disputed"), special.get("hold"), special.get("paused")

    def dispute() -> None:
        assert disputed is not None
        invoice_dispute(invoice=disputed.invoices[0], by=officer, disputed=True, reason=REASONS["disputed"])
        story.count("disputed invoices")

    def hold() -> None:
        assert held is not None
        credit_hold_set(customer=held.milestone.contract.customer, by=officer, on=True, reason=REASONS["hold"])
        story.count("customers on credit hold")

    def pause() -> None:
        assert paused is not None
        month_end = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        reason = f"客户财务部来函，承诺 {month_end.month} 月 {month_end.day} 日前分期付清余款，其间暂停催款。"
        dunning_pause_set(customer=paused.milestone.contract.customer, by=officer, on=True, reason=reason)
        story.count("customers with dunning paused")

    for bill, step, days_after_due in ((disputed, dispute, 15), (held, hold, 185), (paused, pause, 92)):
        if bill is not None and bill.overdue is not None:
            story.at(min(today, today - timedelta(days=bill.overdue - days_after_due)), step)


# --- Credit terms and finance contacts ------------------------------------------------------------


def _credit_profiles(
    story: Story, customers: list[Customer], values: dict[int, tuple[Decimal, int]], special: dict[str, Bill],
    no_contact: Customer | None, start: date,
) -> None:  # fmt: skip
    """Limits and terms from the year's credit review; one customer gets its reminders in English, one a
    rating set by hand."""
    english = special.get("english")
    english_id = english.customer_id if english is not None else None
    if no_contact is not None and english_id == no_contact.pk:
        english_id = None
    override = special.get("override")

    def review() -> None:
        for customer in customers:
            limit, terms = values[customer.pk]
            profile = credit_profile_for(customer)
            credit_profile_update(customer=customer, by=story.officer, expected_version=profile.version,
                                  credit_limit=limit, payment_terms_days=terms,
                                  dunning_language="en" if customer.pk == english_id else None)  # fmt: skip
        story.count("credit profiles", len(customers))

    def rate() -> None:
        assert override is not None
        credit_rating_override(customer=override.milestone.contract.customer, by=story.officer, rating="B",
                               reason=REASONS["override"])  # fmt: skip

    story.at(start, review)
    if override is not None:
        story.at(story.today - timedelta(days=30), rate)


def _finance_contacts(story: Story, customers: list[Customer], special: dict[str, Bill], start: date) -> Customer | None:
    """A finance contact with an email for every customer that lacks one, but one: the customer of an
    overdue invoice, whose reminder then says that nobody could be written to. Returns that customer."""
    lacking = [c for c in customers if finance_contact(c.pk) is None]
    no_contact = None
    for kind in ("override", "partial", "english", "hold"):
        bill = special.get(kind)
        no_contact = next((c for c in lacking if bill is not None and c.pk == bill.customer_id), None)
        if no_contact is not None:
            break
    phones = Phones(story.rng)

    def add() -> None:
        for customer in lacking:
            if customer is no_contact:
                continue
            emails = Contact.objects.filter(customer=customer).exclude(email="").values_list("email", flat=True)
            domain = next((e.split("@", 1)[1] for e in emails), f"c{customer.pk}.example")
            name = person_name(story.rng)
            title, department = story.rng.choice(FINANCE_TITLES)
            contact_create(by=story.officer, customer=customer, name=name, title=title, department_name=department,
                           decision_role=DecisionRole.FINANCE, preferred_channel=PreferredChannel.EMAIL,
                           email=f"{_pinyin(name)}@{domain}", mobile=phones.mobile())  # fmt: skip
            story.count("finance contacts added")

    story.at(start + timedelta(days=3), add)
    return no_contact


# --- Benchmark scale ------------------------------------------------------------------------------

FULL_SIZES = {"invoices": 1_000_000, "receipts": 2_000_000, "customers": 20_000, "overdue": 100_000,
              "current": 10_000, "prepayments": 4_000}  # fmt: skip
# The collection plan benchmark's customer has this many milestones (4 per contract) at every scale.
PLAN_MILESTONES = 500
PLAN_NUMBER = "CF-PLAN-{:04d}"
# A milestone is invoiced in pieces of at most this much (the VAT invoice's amount limit, 十万元版).
INVOICE_LIMIT_CENTS = 100_000_00
# Open overdue invoices by bucket: (first day, last day, share of the overdue ones).
OVERDUE_SHARES = [(1, 30, 0.18), (31, 60, 0.15), (61, 90, 0.12), (91, 180, 0.22), (181, None, 0.33)]
PARTLY_PAID = 0.3
DISPUTED = 0.005
CONTRACT_YEARS = 3
PLAN_YEARS = 5

CONTRACT_COLUMNS = (
    "id", "created_at", "updated_at", "version", "number", "customer_id", "opportunity_id", "quote_id", "owner_id",
    "title", "status", "signed_on", "signed_by_contact_id", "amount", "tax_amount", "currency", "terms", "scope",
    "check_results", "activated_at", "ended_at", "end_reason",
)  # fmt: skip
MILESTONE_COLUMNS = (
    "id", "contract_id", "customer_id", '"order"', "name", "percent", "amount", "trigger", "trigger_event",
    "expected_date", "status", "due_at",
)  # fmt: skip
INVOICE_COLUMNS = (
    "id", "created_at", "updated_at", "version", "number", "tax_number", "kind", "vat_type", "tax_rate", "amount",
    "tax_amount", "currency", "issued_on", "due_on", "credited_amount", "allocated_amount", "open_amount", "status",
    "disputed", "dispute_reason", "note", "contract_id", "created_by_id", "customer_id", "milestone_id", "owner_id",
    "credited_invoice_id",
)  # fmt: skip
RECEIPT_COLUMNS = (
    "id", "created_at", "updated_at", "version", "number", "customer_id", "received_on", "amount", "currency",
    "method", "bank_reference", "allocated_amount", "status", "note", "reversed_at", "reversal_reason",
    "created_by_id", "reversed_by_id",
)  # fmt: skip
ALLOCATION_COLUMNS = (
    "id", "receipt_id", "invoice_id", "customer_id", "amount", "allocated_on", "created_at", "created_by_id",
    "reversed_at", "reversed_by_id", "reversal_reason",
)  # fmt: skip
PROFILE_COLUMNS = (
    "created_at", "updated_at", "version", "customer_id", "credit_limit", "currency", "payment_terms_days",
    "computed_rating", "rating_override", "rating_override_reason", "risk_score", "risk_factors", "scored_at",
    "credit_hold", "credit_hold_reason", "service_hold", "service_hold_reason", "dunning_paused",
    "dunning_pause_reason", "dunning_language",
)  # fmt: skip
SMALL_TABLES = [model._meta.db_table for model in (CreditPolicy, DunningLevel, DunningLetter)]


def bulk_sizes(scale: str) -> dict[str, int]:
    factor = scale_factor(scale)
    if not factor:
        return {}
    sizes = {key: max(1, round(size * factor)) for key, size in FULL_SIZES.items()}
    sizes["plan_milestones"] = PLAN_MILESTONES
    return sizes


def plan_customer() -> Customer | None:
    """The customer of the collection plan benchmark."""
    contract = Contract.objects.filter(number=PLAN_NUMBER.format(1)).select_related("customer").first()
    return contract.customer if contract else None


def bulk_finance_loaded() -> dict[str, int] | None:
    contract = Contract.objects.filter(number=PLAN_NUMBER.format(1)).first()
    if contract is None or not contract.terms.startswith(BULK_NOTE):
        return None
    sizes: dict[str, int] = json.loads(contract.terms.removeprefix(BULK_NOTE).strip())
    return sizes


def _cents(value: Decimal) -> int:
    return int(value * 100)


def _yuan(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


@dataclass
class Ledger:
    """The bulk dataset, planned in memory before it is written. Invoices are kept in compact arrays
    (a million of them), milestones and contracts as rows."""

    rng: random.Random
    loader: BulkLoader
    today: date
    officer: int
    tax_rate: Decimal
    terms: dict[int, int]  # customer id -> payment terms
    owners: dict[int, int]  # customer id -> the customer's rep
    contracts: list[list[Any]] = field(default_factory=list)
    milestones: list[list[Any]] = field(default_factory=list)
    # Per invoice: index into `milestones`, amount and paid in cents, issue and due day (ordinals).
    milestone_of: array = field(default_factory=lambda: array("l"))
    amount: array = field(default_factory=lambda: array("q"))
    paid: array = field(default_factory=lambda: array("q"))
    issued: array = field(default_factory=lambda: array("l"))
    due: array = field(default_factory=lambda: array("l"))
    disputed: bytearray = field(default_factory=bytearray)
    first_id: dict[str, int] = field(default_factory=dict)
    stamps: dict[int, str] = field(default_factory=dict)

    def stamp(self, ordinal: int) -> str:
        """10:00 of that day as the database's timestamp text; a few thousand days, each computed once."""
        if ordinal not in self.stamps:
            moment = timezone.make_aware(datetime.combine(date.fromordinal(ordinal), time(10, 0)))
            self.stamps[ordinal] = self.loader.timestamp_text(min(moment, timezone.now()))
        return self.stamps[ordinal]


def _add_contract(
    ledger: Ledger, *, customer: int, signed: date, number: str, title: str, amount: Decimal, room: int
) -> int:
    """A contract with the four standard milestones; those due are invoiced in pieces, at most `room`
    invoices in all. Returns the number of invoices planned."""
    rng, today = ledger.rng, ledger.today
    contract_id = ledger.first_id["contract"] + len(ledger.contracts)
    ledger.contracts.append([contract_id, customer, number, title, signed, amount])
    remaining, made = amount, 0
    for order, (name, percent, trigger, event, days) in enumerate(MILESTONE_PLAN, start=1):
        share = remaining if order == len(MILESTONE_PLAN) else money(amount * percent / HUNDRED)
        remaining -= share
        expected = signed + timedelta(days=days)
        index = len(ledger.milestones)
        ledger.milestones.append([ledger.first_id["milestone"] + index, contract_id, customer, order, name, percent,
                                  share, str(trigger), str(event), expected, 0, 0])  # fmt: skip
        if expected > today - timedelta(days=3):
            continue  # not due yet, or due so recently that it waits in finance's invoice requests
        issued = min(today, expected + timedelta(days=rng.randint(0, 10)))
        due = issued + timedelta(days=ledger.terms[customer])
        cents = _cents(share)
        pieces = min(room - made, math.ceil(cents / INVOICE_LIMIT_CENTS))
        for piece in range(pieces):
            last = piece == math.ceil(cents / INVOICE_LIMIT_CENTS) - 1
            ledger.milestone_of.append(index)
            ledger.amount.append(cents - INVOICE_LIMIT_CENTS * piece if last else INVOICE_LIMIT_CENTS)
            ledger.issued.append(issued.toordinal())
            ledger.due.append(due.toordinal())
        made += pieces
    return made


def _plan_contracts(ledger: Ledger, sizes: dict[str, int], plan_customer_id: int, customers: list[int]) -> None:
    """The collection plan customer's contracts first: many smaller projects over five years (one or two
    invoices a milestone). Then project contracts of the other customers until the invoices are planned."""
    rng, today = ledger.rng, ledger.today
    wanted = sizes["invoices"]
    made = 0
    for serial in range(1, PLAN_MILESTONES // len(MILESTONE_PLAN) + 1):
        made += _add_contract(
            ledger, customer=plan_customer_id, signed=today - timedelta(days=rng.randrange(1, 365 * PLAN_YEARS)),
            number=PLAN_NUMBER.format(serial), title=f"{PROJECTS[serial % len(PROJECTS)][0]}（第 {serial} 期）",
            amount=Decimal(rng.randrange(20, 100) * 10_000), room=max(0, wanted - made),
        )  # fmt: skip
    serial = 0
    while made < wanted:
        serial += 1
        signed = today - timedelta(days=rng.randrange(1, 365 * CONTRACT_YEARS))
        made += _add_contract(
            ledger, customer=customers[rng.randrange(len(customers))], signed=signed,
            number=f"CF-{signed.year}-{serial:06d}", title=PROJECTS[rng.randrange(len(PROJECTS))][0],
            amount=Decimal(rng.randrange(100, 1000) * 10_000), room=wanted - made,
        )  # fmt: skip


def _decide_payments(ledger: Ledger, sizes: dict[str, int]) -> dict[str, int]:
    """Which invoices stay open (by how overdue they are, so that each bucket gets its share of
    `overdue`, and `current` not yet due), which of those are partly paid, and the rest paid."""
    today = ledger.today.toordinal()
    # Bucket 0 is "not yet due"; then the overdue buckets of OVERDUE_SHARES.
    targets = [sizes["current"], *(round(sizes["overdue"] * share) for _first, _last, share in OVERDUE_SHARES)]

    def bucket(due: int) -> int:
        late = today - due
        if late <= 0:
            return 0
        return next(i for i, (first, last, _share) in enumerate(OVERDUE_SHARES, start=1)
                    if late >= first and (last is None or late <= last))  # fmt: skip

    buckets = [bucket(due) for due in ledger.due]
    totals = [0] * len(targets)
    for b in buckets:
        totals[b] += 1
    chance = [min(0.95, target / total) if total else 0.0 for target, total in zip(targets, totals, strict=True)]
    rng = ledger.rng
    counts = {"open": 0, "partly paid": 0, "paid": 0, "disputed": 0}
    for i, b in enumerate(buckets):
        amount = ledger.amount[i]
        if rng.random() < chance[b]:
            partly = rng.random() < PARTLY_PAID
            # Whole yuan: every bulk amount is then exact in floating point, which SQLite's checks compute in.
            ledger.paid.append(round(amount * rng.uniform(0.2, 0.8) / 100) * 100 if partly else 0)
            ledger.disputed.append(1 if b and rng.random() < DISPUTED else 0)
            counts["open"] += 1
            counts["partly paid"] += partly
            counts["disputed"] += ledger.disputed[-1]
        else:
            ledger.paid.append(amount)
            ledger.disputed.append(0)
            counts["paid"] += 1
    return counts


def _settle_statuses(ledger: Ledger) -> None:
    """Milestone and contract statuses that follow from the invoices, as the services keep them."""
    invoiced = [0] * len(ledger.milestones)
    open_ = [0] * len(ledger.milestones)
    for i, index in enumerate(ledger.milestone_of):
        invoiced[index] += ledger.amount[i]
        open_[index] += ledger.amount[i] - ledger.paid[i]
    today = ledger.today
    settled: dict[int, bool] = {}
    for index, row in enumerate(ledger.milestones):
        contract_id, expected, share = row[1], row[9], row[6]
        if expected > today:
            status = MilestoneStatus.PENDING
        elif invoiced[index] < _cents(share):
            status = MilestoneStatus.DUE
        else:
            status = MilestoneStatus.INVOICED if open_[index] else MilestoneStatus.PAID
        row[10] = str(status)
        row[11] = expected <= today
        settled[contract_id] = settled.get(contract_id, True) and status == MilestoneStatus.PAID
    for row in ledger.contracts:
        row.append(ContractStatus.COMPLETED if settled.get(row[0]) else ContractStatus.ACTIVE)


def _contract_rows(ledger: Ledger, sizes: dict[str, int]) -> Iterator[tuple]:
    for contract_id, customer, number, title, signed, amount, status in ledger.contracts:
        moment = ledger.stamp(signed.toordinal())
        ended = ledger.stamp(min(ledger.today, signed + timedelta(days=600)).toordinal()) if status == ContractStatus.COMPLETED else None
        terms = f"{BULK_NOTE} {json.dumps(sizes, sort_keys=True)}" if number == PLAN_NUMBER.format(1) else ""
        yield (contract_id, moment, moment, 1, number, customer, None, None, ledger.owners[customer], title[:160],
               str(status), signed.isoformat(), None, amount, tax_within(amount, ledger.tax_rate), "CNY", terms, "[]",
               "[]", moment, ended, "")  # fmt: skip


def _milestone_rows(ledger: Ledger) -> Iterator[tuple]:
    for pk, contract_id, customer, order, name, percent, share, trigger, event, expected, status, is_due in ledger.milestones:
        due_at = ledger.stamp(expected.toordinal()) if is_due else None
        yield (pk, contract_id, customer, order, name, percent, share, trigger, event, expected.isoformat(), status,
               due_at)  # fmt: skip


def _invoice_rows(ledger: Ledger) -> Iterator[tuple]:
    first = ledger.first_id["invoice"]
    false, true = ledger.loader.boolean(False), ledger.loader.boolean(True)
    for i, index in enumerate(ledger.milestone_of):
        milestone = ledger.milestones[index]
        customer, amount, paid = milestone[2], ledger.amount[i], ledger.paid[i]
        issued = date.fromordinal(ledger.issued[i])
        status = InvoiceStatus.PAID if paid == amount else InvoiceStatus.PARTIAL if paid else InvoiceStatus.OPEN
        total = _yuan(amount)
        moment = ledger.stamp(ledger.issued[i])
        yield (first + i, moment, moment, 1, f"IB-{issued.year}-{i + 1:07d}", f"{issued.year % 100:02d}4400{i + 1:014d}",
               str(InvoiceKind.INVOICE), str(VatType.SPECIAL), ledger.tax_rate, total, tax_within(total, ledger.tax_rate),
               "CNY", issued.isoformat(), date.fromordinal(ledger.due[i]).isoformat(), ZERO, _yuan(paid),
               _yuan(amount - paid), str(status), true if ledger.disputed[i] else false,
               REASONS["disputed"] if ledger.disputed[i] else "", "", milestone[1], ledger.officer, customer, milestone[0],
               ledger.owners[customer], None)  # fmt: skip


@dataclass(frozen=True)
class Payment:
    """One receipt and, unless it is a prepayment, the allocation of (part of) it to one invoice."""

    serial: int
    customer: int
    day: date
    amount: int  # cents received
    allocated: int  # cents allocated
    invoice: int | None  # invoice id
    method: str


def _payments(ledger: Ledger, sizes: dict[str, int], seed: str) -> Iterator[Payment]:
    """The receipts, drawn from their own generator so that the receipt and the allocation passes
    see the same ones. A paid invoice is paid in one or more instalments so that the receipts add up
    to `receipts`; a partly paid one in one; one receipt in 500 pays a little too much."""
    rng = random.Random(seed)
    today = ledger.today.toordinal()
    first = ledger.first_id["invoice"]
    partly = sum(1 for i in range(len(ledger.paid)) if 0 < ledger.paid[i] < ledger.amount[i])
    fully = sum(1 for i in range(len(ledger.paid)) if ledger.paid[i] == ledger.amount[i])
    # Instalments per paid invoice: `base`, or one more for `extra` of them, spread evenly.
    base, extra = divmod(max(0, sizes["receipts"] - sizes["prepayments"] - partly), max(1, fully))
    base = max(1, base)
    serial = paid_so_far = 0
    for i, amount in enumerate(ledger.amount):
        paid = ledger.paid[i]
        if not paid:
            continue
        customer = ledger.milestones[ledger.milestone_of[i]][2]
        issued, due = ledger.issued[i], ledger.due[i]
        if paid < amount:
            parts, last = 1, rng.randint(issued, today)
        else:
            parts = base + (paid_so_far + 1) * extra // fully - paid_so_far * extra // fully
            paid_so_far += 1
            last = max(issued, min(today, due + rng.choice(PAYMENT_DELAYS)))
        gap = rng.randint(5, 20)
        cut = sorted(rng.sample(range(1, paid), parts - 1)) if parts > 1 and paid > parts else []
        shares = [b - a for a, b in zip([0, *cut], [*cut, paid], strict=True)]
        for n, share in enumerate(shares):
            serial += 1
            day = date.fromordinal(max(issued, last - gap * (len(shares) - 1 - n)))
            over = rng.randrange(1, 500_000) if serial % 500 == 0 else 0
            method = ReceiptMethod.ACCEPTANCE_BILL if rng.random() < 0.1 else ReceiptMethod.BANK_TRANSFER
            yield Payment(serial, customer, day, share + over, share, first + i, str(method))
    customers = sorted(ledger.owners)
    for _n in range(sizes["prepayments"]):
        serial += 1
        day = date.fromordinal(today - rng.randrange(60))
        yield Payment(serial, customers[rng.randrange(len(customers))], day, rng.randrange(10, 100) * 10_000_00, 0, None,
                      str(ReceiptMethod.BANK_TRANSFER))  # fmt: skip


def _receipt_rows(ledger: Ledger, payments: Iterator[Payment]) -> Iterator[tuple]:
    first = ledger.first_id["receipt"]
    active = str(ReceiptStatus.ACTIVE)
    for p in payments:
        moment = ledger.stamp(p.day.toordinal())
        if p.method == ReceiptMethod.ACCEPTANCE_BILL:
            reference = f"电子银承 1{p.customer % 10**12:012d}{p.day:%Y%m%d}{p.serial % 10**9:09d}"
        else:
            reference = f"网银流水 {p.day:%Y%m%d}{p.serial:010d}"
        yield (first + p.serial - 1, moment, moment, 1, f"RB-{p.day.year}-{p.serial:07d}", p.customer, p.day.isoformat(),
               _yuan(p.amount), "CNY", p.method, reference, _yuan(p.allocated), active,
               "" if p.invoice else REASONS["prepayment"], None, "", ledger.officer, None)  # fmt: skip


def _allocation_rows(ledger: Ledger, payments: Iterator[Payment]) -> Iterator[tuple]:
    first, receipts = ledger.first_id["allocation"], ledger.first_id["receipt"]
    serial = 0
    for p in payments:
        if p.invoice is None:
            continue
        moment = ledger.stamp(p.day.toordinal())
        yield (first + serial, receipts + p.serial - 1, p.invoice, p.customer, _yuan(p.allocated), p.day.isoformat(),
               moment, ledger.officer, None, None, "")  # fmt: skip
        serial += 1


def _profile_rows(ledger: Ledger, customers: list[int], rng: random.Random) -> Iterator[tuple]:
    """Credit profiles of the bulk customers that have none: one in a hundred with dunning paused, one
    in two hundred on credit hold."""
    moment = ledger.stamp(ledger.today.toordinal() - 365)
    false, true = ledger.loader.boolean(False), ledger.loader.boolean(True)
    for customer in customers:
        paused, held = rng.random() < 0.01, rng.random() < 0.005
        yield (moment, moment, 1, customer, Decimal(rng.choice([3, 6, 15, 30]) * 1_000_000), "CNY", ledger.terms[customer],
               "A", "", "", 0, "{}", None, true if held else false, REASONS["hold"] if held else "", false, "",
               true if paused else false, "客户已承诺付款计划，暂停催款。" if paused else "", "zh-hans")  # fmt: skip


def load_bulk_finance(*, rng: random.Random, scale: str, out: Callable[[str], None]) -> str:
    sizes = bulk_sizes(scale)
    if not sizes:
        return ""
    loaded = bulk_finance_loaded()
    if loaded is not None:
        return f"bulk finance: already loaded at {loaded}"
    staff = users_by_position()
    if not staff.get("finance"):
        return "bulk finance: no finance officer"
    # The customer 360 benchmark's customer keeps its figures: it gets no receivables.
    bench = bench_customer()
    candidates = list(
        Customer.objects.filter(notes=BULK_NOTE, status=CustomerStatus.ACTIVE).exclude(pk=bench.pk if bench else 0)
        .order_by("id").values_list("id", "owner_id")[: sizes["customers"] + 1]
    )  # fmt: skip
    if len(candidates) < 2:
        return "bulk finance: no bulk customers"
    with_profile = set(CreditProfile.objects.filter(customer_id__in=[pk for pk, _owner in candidates])
                       .values_list("customer_id", flat=True))  # fmt: skip
    loader = BulkLoader(report=out)
    ledger = Ledger(rng=rng, loader=loader, today=timezone.localdate(), officer=staff["finance"][0].pk,
                    tax_rate=default_tax_rate(), owners=dict(candidates),
                    terms={pk: rng.choice([30, 30, 45, 60, 90]) for pk, _owner in candidates})  # fmt: skip
    for profile in CreditProfile.objects.filter(customer_id__in=with_profile):
        ledger.terms[profile.customer_id] = profile.payment_terms_days
    tables = [Contract._meta.db_table, PaymentMilestone._meta.db_table, Invoice._meta.db_table, Receipt._meta.db_table,
              Allocation._meta.db_table, CreditProfile._meta.db_table]  # fmt: skip
    with transaction.atomic():
        ledger.first_id = {
            "contract": loader.next_id(Contract._meta.db_table),
            "milestone": loader.next_id(PaymentMilestone._meta.db_table),
            "invoice": loader.next_id(Invoice._meta.db_table), "receipt": loader.next_id(Receipt._meta.db_table),
            "allocation": loader.next_id(Allocation._meta.db_table),
        }  # fmt: skip
        plan_id, others = candidates[0][0], [pk for pk, _owner in candidates[1:]]
        _plan_contracts(ledger, sizes, plan_id, others)
        counts = _decide_payments(ledger, sizes)
        _settle_statuses(ledger)
        seed = f"{rng.random()}"
        with loader.loading(tables):
            loader.write(Contract._meta.db_table, CONTRACT_COLUMNS, _contract_rows(ledger, sizes))
            loader.write(PaymentMilestone._meta.db_table, MILESTONE_COLUMNS, _milestone_rows(ledger))
            loader.write(Invoice._meta.db_table, INVOICE_COLUMNS, _invoice_rows(ledger))
            receipts = loader.write(Receipt._meta.db_table, RECEIPT_COLUMNS, _receipt_rows(ledger, _payments(ledger, sizes, seed)))
            allocations = loader.write(Allocation._meta.db_table, ALLOCATION_COLUMNS,
                                       _allocation_rows(ledger, _payments(ledger, sizes, seed)))  # fmt: skip
            loader.write(CreditProfile._meta.db_table, PROFILE_COLUMNS,
                         _profile_rows(ledger, [pk for pk, _owner in candidates if pk not in with_profile], rng))  # fmt: skip
            for table in tables:
                loader.reset_sequence(table)
    # Outside the load's transaction, so that PostgreSQL vacuums too: the ageing and dunning reads are
    # index scans over open invoices that need the visibility map of the fresh pages.
    loader.analyze([*tables, *SMALL_TABLES])
    out(f"bulk: collection plan customer id {plan_id} ({PLAN_MILESTONES} milestones)")
    return (f"bulk finance: {len(ledger.contracts)} contracts, {len(ledger.milestones)} milestones, "
            f"{len(ledger.amount)} invoices ({counts['open']} open, {counts['partly paid']} partly paid, "
            f"{counts['disputed']} disputed), {receipts} receipts, {allocations} allocations")  # fmt: skip


demo_steps["finance.demo"] = DemoStep(key="finance.demo", order=500, run=load_finance)
demo_steps["finance.bulk"] = DemoStep(key="finance.bulk", order=1500, run=load_bulk_finance)
