"""Payment behaviour → risk score (0–100) → rating A–D, per customer.

The score adds up, each part capped:
- overdue ratio: the share of the customer's open receivables that is past due, up to 40 points;
- lateness: the average days late over the last 12 months' invoices (paid ones by when they were
  paid, open ones by today), a point per 3 days, up to 30;
- disputes: 10 points per open disputed invoice, up to 20;
- signals other modules register (service complaints later), each up to its own cap, up to 10 in
  all unless the module says otherwise.

Rating: A below 25, B below 50, C below 75, D from 75.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from touchpoint.core.money import ZERO
from touchpoint.finance.models import Allocation, CreditProfile, Invoice, InvoiceKind, Rating

OVERDUE_POINTS = 40
LATENESS_POINTS = 30
DAYS_PER_POINT = 3
DISPUTE_POINTS = 10
DISPUTE_CAP = 20
LOOKBACK_DAYS = 365


@dataclass(frozen=True)
class Signal:
    """A module's contribution to a customer's risk: points and a line that explains them."""

    points: int
    explanation: str


# signal(customer_ids) -> {customer_id: Signal}; the service module registers complaint signals here.
risk_signals: dict[str, Callable[[list[int]], dict[int, Signal]]] = {}


def rating_for(score: int) -> str:
    if score < 25:
        return Rating.A
    if score < 50:
        return Rating.B
    if score < 75:
        return Rating.C
    return Rating.D


@dataclass
class Behaviour:
    open_amount: Decimal = ZERO
    overdue_amount: Decimal = ZERO
    invoices_counted: int = 0
    days_late_total: int = 0
    disputes: int = 0

    @property
    def overdue_ratio(self) -> Decimal:
        return (self.overdue_amount / self.open_amount).quantize(Decimal("0.0001")) if self.open_amount else ZERO

    @property
    def average_days_late(self) -> Decimal:
        if not self.invoices_counted:
            return ZERO
        return (Decimal(self.days_late_total) / self.invoices_counted).quantize(Decimal("0.1"))


def behaviour_of(customer_ids: list[int], *, today: date | None = None) -> dict[int, Behaviour]:
    """Payment behaviour of several customers in three queries."""
    today = today or timezone.localdate()
    found = {customer_id: Behaviour() for customer_id in customer_ids}
    invoices = Invoice.objects.filter(customer_id__in=customer_ids, kind=InvoiceKind.INVOICE)
    for row in invoices.filter(open_amount__gt=0).values("customer_id").annotate(
        open=Sum("open_amount"), overdue=Sum("open_amount", filter=Q(due_on__lt=today)),
        disputes=Count("pk", filter=Q(disputed=True)),
    ):  # fmt: skip
        behaviour = found[row["customer_id"]]
        behaviour.open_amount, behaviour.overdue_amount = row["open"] or ZERO, row["overdue"] or ZERO
        behaviour.disputes = row["disputes"]
    since = today - timedelta(days=LOOKBACK_DAYS)
    recent = invoices.filter(issued_on__gte=since, due_on__lt=today).exclude(status="credited")
    # Paid on the day the money arrived (the receipt's date), not the day finance allocated it.
    paid_on = dict(
        Allocation.objects.filter(invoice__in=recent.filter(open_amount=0), reversed_at__isnull=True)
        .values("invoice_id").annotate(last=Max("receipt__received_on")).values_list("invoice_id", "last")
    )  # fmt: skip
    for invoice_id, customer_id, due_on, open_amount in recent.values_list("pk", "customer_id", "due_on", "open_amount"):
        settled = today if open_amount > 0 else paid_on.get(invoice_id, due_on)
        behaviour = found[customer_id]
        behaviour.invoices_counted += 1
        behaviour.days_late_total += max(0, (settled - due_on).days)
    return found


def score(behaviour: Behaviour, signals: Iterable[Signal] = ()) -> tuple[int, dict[str, Any]]:
    overdue = int((behaviour.overdue_ratio * OVERDUE_POINTS).to_integral_value())
    lateness = min(LATENESS_POINTS, int(behaviour.average_days_late) // DAYS_PER_POINT)
    disputes = min(DISPUTE_CAP, behaviour.disputes * DISPUTE_POINTS)
    given = list(signals)
    extra = [{"points": s.points, "explanation": s.explanation} for s in given]
    total = min(100, overdue + lateness + disputes + sum(s.points for s in given))
    factors = {
        "overdue_ratio": str(behaviour.overdue_ratio), "overdue_points": overdue,
        "overdue_percent": str((behaviour.overdue_ratio * 100).quantize(Decimal("0.1"))),
        "average_days_late": str(behaviour.average_days_late), "lateness_points": lateness,
        "disputes": behaviour.disputes, "dispute_points": disputes, "signals": extra,
        "open_amount": str(behaviour.open_amount), "overdue_amount": str(behaviour.overdue_amount),
    }  # fmt: skip
    return total, factors


def customers_rescore(*, customer_ids: list[int], today: date | None = None) -> int:
    """Recompute score and rating for these customers; profiles are made where missing."""
    if not customer_ids:
        return 0
    behaviours = behaviour_of(customer_ids, today=today)
    signals: dict[int, list[Signal]] = {}
    for signal in risk_signals.values():
        for customer_id, found in signal(customer_ids).items():
            signals.setdefault(customer_id, []).append(found)
    profiles = {p.customer_id: p for p in CreditProfile.objects.filter(customer_id__in=customer_ids)}
    now = timezone.now()
    changed = []
    for customer_id in customer_ids:
        total, factors = score(behaviours[customer_id], signals.get(customer_id, ()))
        profile = profiles.get(customer_id)
        if profile is None:
            profile = CreditProfile.objects.get_or_create(customer_id=customer_id)[0]
        profile.risk_score, profile.risk_factors, profile.scored_at = total, factors, now
        profile.computed_rating = rating_for(total)
        changed.append(profile)
    CreditProfile.objects.bulk_update(changed, ["risk_score", "risk_factors", "scored_at", "computed_rating"])
    return len(changed)


def customer_rescore(*, customer_id: int) -> None:
    customers_rescore(customer_ids=[customer_id])


def rescore_all(*, today: date | None = None, batch: int = 500) -> int:
    """Every customer that has invoices or a profile (the nightly job: lateness grows with the days)."""
    ids = sorted(
        set(Invoice.objects.values_list("customer_id", flat=True).distinct())
        | set(CreditProfile.objects.values_list("customer_id", flat=True))
    )
    done = 0
    for start in range(0, len(ids), batch):
        done += customers_rescore(customer_ids=ids[start : start + batch], today=today)
    return done
