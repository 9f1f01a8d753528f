"""Receivables reports: AR ageing, collection plans, DSO, expected cash, collections against plan.

Every figure starts from the reader's visible invoices (or contracts), so a rep's report covers the
customers they serve and an executive's covers the firm. Amounts are in the default currency; other
currencies are left out and said so.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touchpoint.core.money import ZERO, default_currency
from touchpoint.finance.access import visible_invoices
from touchpoint.finance.models import Allocation, Invoice, InvoiceKind
from touchpoint.org.models import User
from touchpoint.sales.access import visible_contracts
from touchpoint.sales.models import MilestoneStatus, PaymentMilestone

# (key, label, first day overdue, last day overdue); "current" is not yet due.
BUCKETS: list[tuple[str, Any, int | None, int | None]] = [
    ("current", _("Not yet due"), None, 0),
    ("d1_30", _("1–30 days"), 1, 30),
    ("d31_60", _("31–60 days"), 31, 60),
    ("d61_90", _("61–90 days"), 61, 90),
    ("d91_180", _("91–180 days"), 91, 180),
    ("d180_plus", _("Over 180 days"), 181, None),
]
AGEING_GROUPS = {"customer": "customer_id", "owner": "owner_id", "region": "customer__province"}
AGEING_ROWS = 50


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _bucket_filter(today: date, first: int | None, last: int | None) -> Q:
    """Open invoices whose days overdue (today − due date) fall in [first, last]."""
    if first is None:
        return Q(due_on__gte=today)
    condition = Q(due_on__lte=today - timedelta(days=first))
    if last is not None:
        condition &= Q(due_on__gte=today - timedelta(days=last))
    return condition


def open_receivables(user: Any) -> QuerySet[Invoice]:
    return visible_invoices(user).filter(open_amount__gt=0, kind=InvoiceKind.INVOICE, currency=default_currency())


@dataclass
class AgeingRow:
    key: Any
    name: str
    buckets: dict[str, Decimal]
    count: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets["current"]

    def cells(self) -> list[Decimal]:
        return [self.buckets[key] for key, *_rest in BUCKETS]


@dataclass
class Ageing:
    group_by: str
    today: date
    rows: list[AgeingRow]
    totals: AgeingRow
    groups: int  # how many groups there are in all (rows shows the largest AGEING_ROWS)
    currency: str = field(default_factory=default_currency)


def _sums(today: date) -> dict[str, Any]:
    return {key: Sum("open_amount", filter=_bucket_filter(today, first, last)) for key, _label, first, last in BUCKETS}


def _names(group_by: str, keys: list[Any]) -> dict[Any, str]:
    from touchpoint.customers.models import Customer

    if group_by == "customer":
        return dict(Customer.all_objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "owner":
        return {pk: full or username for pk, full, username in
                User.objects.filter(pk__in=keys).values_list("pk", "full_name", "username")}  # fmt: skip
    return {key: key or str(_("No region")) for key in keys}


def ageing(*, user: Any, group_by: str = "customer", today: date | None = None, rows: int = AGEING_ROWS) -> Ageing:
    """Open receivables by how long they are overdue, per customer, rep or region: the largest groups
    first, and the totals over everything the reader may see. Two queries, then one for names."""
    today = today or timezone.localdate()
    if group_by not in AGEING_GROUPS:
        group_by = "customer"
    column = AGEING_GROUPS[group_by]
    base = open_receivables(user)
    sums = _sums(today)
    # One pass for the totals and the number of groups, one for the largest groups.
    totals_row = base.aggregate(count=Count("pk"), groups=Count(column, distinct=True), **sums)
    groups = totals_row.pop("groups")
    totals = AgeingRow(key=None, name=str(_("Total")), count=totals_row.pop("count"),
                       buckets={k: v or ZERO for k, v in totals_row.items()})  # fmt: skip
    grouped = (
        base.order_by().values(column)
        .annotate(count=Count("pk"), open_total=Sum("open_amount"), **sums).order_by("-open_total", column)
    )  # fmt: skip
    found = list(grouped[:rows])
    names = _names(group_by, [row[column] for row in found])
    result = [
        AgeingRow(key=row[column], name=names.get(row[column], ""), count=row["count"],
                  buckets={key: row[key] or ZERO for key, *_rest in BUCKETS})  # fmt: skip
        for row in found
    ]
    return Ageing(group_by=group_by, today=today, rows=result, totals=totals, groups=groups)


# --- Collection plan ------------------------------------------------------------------------


@dataclass
class PlanLine:
    milestone: PaymentMilestone
    invoiced: Decimal
    received: Decimal
    open: Decimal
    overdue_days: int  # of its oldest open invoice
    overdue: Decimal = ZERO  # what is open on its invoices past their due date

    @property
    def to_invoice(self) -> Decimal:
        return max(ZERO, self.milestone.amount - self.invoiced) if self.milestone.status != MilestoneStatus.CANCELLED else ZERO


@dataclass
class PlanMonth:
    month: date
    expected: Decimal = ZERO
    received: Decimal = ZERO


@dataclass
class CollectionPlan:
    lines: list[PlanLine]
    months: list[PlanMonth]
    amount: Decimal
    invoiced: Decimal
    received: Decimal
    open: Decimal
    overdue: Decimal


def collection_plan(*, milestones: QuerySet[PaymentMilestone], today: date | None = None) -> CollectionPlan:
    """Per milestone: invoiced, received, open and days overdue; per month: expected against received.
    Three queries, whatever the number of milestones."""
    today = today or timezone.localdate()
    rows = list(milestones.select_related("contract").order_by("expected_date", "contract_id", "order", "pk"))
    ids = [m.pk for m in rows]
    invoiced: dict[int, dict[str, Any]] = {
        row["milestone_id"]: row
        for row in Invoice.objects.filter(milestone_id__in=ids, kind=InvoiceKind.INVOICE).order_by().values("milestone_id")
        .annotate(amount=Sum("amount"), credited=Sum("credited_amount"), received=Sum("allocated_amount"),
                  open=Sum("open_amount"), oldest_open=Min("due_on", filter=Q(open_amount__gt=0)),
                  overdue=Sum("open_amount", filter=Q(open_amount__gt=0, due_on__lt=today)))  # fmt: skip
    }
    months: dict[date, PlanMonth] = {}
    for milestone in rows:
        if milestone.status != MilestoneStatus.CANCELLED and milestone.expected_date:
            month = milestone.expected_date.replace(day=1)
            months.setdefault(month, PlanMonth(month)).expected += milestone.amount
    # The plan's invoices first: filtering allocations through the invoice join misleads the planner
    # into reading every allocation.
    invoice_ids = list(Invoice.objects.filter(milestone_id__in=ids).values_list("pk", flat=True))
    received_by_month = (
        Allocation.objects.filter(invoice_id__in=invoice_ids, reversed_at__isnull=True).order_by()
        .annotate(month=TruncMonth("receipt__received_on")).values("month").annotate(total=Sum("amount"))
    )  # fmt: skip
    for row in received_by_month:
        month = row["month"] if isinstance(row["month"], date) else row["month"].date()
        months.setdefault(month.replace(day=1), PlanMonth(month.replace(day=1))).received += row["total"]
    lines = []
    for milestone in rows:
        figures = invoiced.get(milestone.pk, {})
        oldest = figures.get("oldest_open")
        lines.append(PlanLine(
            milestone=milestone,
            invoiced=(figures.get("amount") or ZERO) - (figures.get("credited") or ZERO),
            received=figures.get("received") or ZERO, open=figures.get("open") or ZERO,
            overdue_days=max(0, (today - oldest).days) if oldest else 0, overdue=figures.get("overdue") or ZERO,
        ))  # fmt: skip
    live = [line for line in lines if line.milestone.status != MilestoneStatus.CANCELLED]
    return CollectionPlan(
        lines=lines, months=[months[k] for k in sorted(months)],
        amount=sum((line.milestone.amount for line in live), ZERO),
        invoiced=sum((line.invoiced for line in live), ZERO), received=sum((line.received for line in live), ZERO),
        open=sum((line.open for line in live), ZERO),
        overdue=sum((line.overdue for line in live), ZERO),
    )  # fmt: skip


def contract_plan(*, contract: Any, today: date | None = None) -> CollectionPlan:
    return collection_plan(milestones=PaymentMilestone.objects.filter(contract=contract), today=today)


def customer_plan(*, user: Any, customer: Any, today: date | None = None) -> CollectionPlan:
    contracts = visible_contracts(user).filter(customer=customer).values("pk")
    return collection_plan(milestones=PaymentMilestone.objects.filter(contract_id__in=contracts), today=today)


# --- DSO, expected cash, collections against plan ----------------------------------------------


@dataclass
class CashMonth:
    month: date
    from_invoices: Decimal = ZERO
    from_milestones: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.from_invoices + self.from_milestones


@dataclass
class Outlook:
    open_ar: Decimal
    overdue: Decimal
    billed_90_days: Decimal
    dso: Decimal | None
    months: list[CashMonth]

    def next_months(self, count: int) -> Decimal:
        return sum((m.total for m in self.months[:count]), ZERO)


DSO_DAYS = 90


def outlook(*, user: Any, today: date | None = None, months: int = 6) -> Outlook:
    """DSO over the last 90 days, and the cash expected in each of the next months: open invoices by due
    month (anything overdue counts in the current month) plus what is still to invoice on milestones by
    their expected date."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    horizon = add_months(this_month, months)
    invoices = visible_invoices(user).filter(kind=InvoiceKind.INVOICE, currency=default_currency())
    open_rows = invoices.filter(open_amount__gt=0)
    figures = open_rows.aggregate(open=Sum("open_amount"), overdue=Sum("open_amount", filter=Q(due_on__lt=today)))
    billed = invoices.filter(issued_on__gt=today - timedelta(days=DSO_DAYS), issued_on__lte=today).aggregate(
        s=Sum(F("amount") - F("credited_amount"))
    )["s"] or ZERO
    open_ar = figures["open"] or ZERO
    dso = (open_ar / billed * DSO_DAYS).quantize(Decimal("0.1")) if billed else None
    cash = {add_months(this_month, i): CashMonth(add_months(this_month, i)) for i in range(months)}
    by_due = (
        open_rows.filter(due_on__lt=horizon).order_by()
        .annotate(month=TruncMonth("due_on")).values("month").annotate(total=Sum("open_amount"))
    )  # fmt: skip
    for row in by_due:
        month = max(this_month, _as_date(row["month"]))
        cash[month].from_invoices += row["total"]
    contracts = visible_contracts(user).filter(currency=default_currency()).values("pk")
    waiting = PaymentMilestone.objects.filter(
        contract_id__in=contracts, status__in=[MilestoneStatus.PENDING, MilestoneStatus.DUE], expected_date__lt=horizon
    )  # fmt: skip
    billed_on = defaultdict(lambda: ZERO, {
        row["milestone_id"]: (row["a"] or ZERO) - (row["c"] or ZERO)
        for row in Invoice.objects.filter(milestone__in=waiting, kind=InvoiceKind.INVOICE).order_by()
        .values("milestone_id").annotate(a=Sum("amount"), c=Sum("credited_amount"))
    })  # fmt: skip
    for milestone_id, amount, expected in waiting.values_list("pk", "amount", "expected_date"):
        assert expected is not None  # filtered on expected_date above
        month = max(this_month, expected.replace(day=1))
        cash[month].from_milestones += max(ZERO, amount - billed_on[milestone_id])
    return Outlook(open_ar=open_ar, overdue=figures["overdue"] or ZERO, billed_90_days=billed, dso=dso,
                   months=[cash[k] for k in sorted(cash)])  # fmt: skip


@dataclass
class Headline:
    open_ar: Decimal
    overdue: Decimal
    dso: Decimal | None


def headline(*, user: Any, today: date | None = None) -> Headline:
    """Open receivables, what is overdue, and DSO: one query, for workspaces."""
    today = today or timezone.localdate()
    figures = visible_invoices(user).filter(kind=InvoiceKind.INVOICE, currency=default_currency()).aggregate(
        open=Sum("open_amount"), overdue=Sum("open_amount", filter=Q(due_on__lt=today)),
        billed=Sum(F("amount") - F("credited_amount"),
                   filter=Q(issued_on__gt=today - timedelta(days=DSO_DAYS), issued_on__lte=today)),
    )  # fmt: skip
    open_ar, billed = figures["open"] or ZERO, figures["billed"] or ZERO
    dso = (open_ar / billed * DSO_DAYS).quantize(Decimal("0.1")) if billed else None
    return Headline(open_ar=open_ar, overdue=figures["overdue"] or ZERO, dso=dso)


def _as_date(value: Any) -> date:
    return (value.date() if hasattr(value, "date") and callable(value.date) else value).replace(day=1)


@dataclass
class PlanAgainstActual:
    months: list[date]
    # rows: (rep id, rep name, {month: (planned, collected)})
    by_rep: list[tuple[int, str, dict[date, tuple[Decimal, Decimal]]]]
    planned: dict[date, Decimal]
    collected: dict[date, Decimal]


def collections_against_plan(*, user: Any, start: date, end: date) -> PlanAgainstActual:
    """Per month and per rep: what the milestones planned to collect, and what receipts collected."""
    start, end = start.replace(day=1), end.replace(day=1)
    months = []
    month = start
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    stop = add_months(end, 1)
    contracts = visible_contracts(user).filter(currency=default_currency())
    planned_rows = (
        PaymentMilestone.objects.filter(contract__in=contracts.values("pk"), expected_date__gte=start,
                                        expected_date__lt=stop).exclude(status=MilestoneStatus.CANCELLED)  # fmt: skip
        .order_by().annotate(month=TruncMonth("expected_date")).values("month", "contract__owner_id")
        .annotate(total=Sum("amount"))
    )  # fmt: skip
    collected_rows = (
        Allocation.objects.filter(invoice__in=visible_invoices(user).filter(currency=default_currency()).values("pk"),
                                  reversed_at__isnull=True, receipt__received_on__gte=start,
                                  receipt__received_on__lt=stop)  # fmt: skip
        .order_by().annotate(month=TruncMonth("receipt__received_on")).values("month", "invoice__owner_id")
        .annotate(total=Sum("amount"))
    )  # fmt: skip
    cells: dict[int, dict[date, list[Decimal]]] = defaultdict(lambda: defaultdict(lambda: [ZERO, ZERO]))
    for row in planned_rows:
        cells[row["contract__owner_id"]][_as_date(row["month"])][0] += row["total"]
    for row in collected_rows:
        cells[row["invoice__owner_id"]][_as_date(row["month"])][1] += row["total"]
    names = _names("owner", list(cells))
    by_rep = sorted(
        ((rep, names.get(rep, ""), {m: (v[0], v[1]) for m, v in per_month.items()}) for rep, per_month in cells.items()),
        key=lambda item: item[1],
    )
    planned = {m: sum((row[2].get(m, (ZERO, ZERO))[0] for row in by_rep), ZERO) for m in months}
    collected = {m: sum((row[2].get(m, (ZERO, ZERO))[1] for row in by_rep), ZERO) for m in months}
    return PlanAgainstActual(months=months, by_rep=by_rep, planned=planned, collected=collected)
