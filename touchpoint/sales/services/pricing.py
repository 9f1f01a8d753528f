"""Price intelligence: what discounts off list the same modules went for in won and lost deals, by
quarter, and the discount band a new quote should sit in.

A deal is a quote's licence lines:
- won: the quote was accepted, or it was approved or sent on an opportunity that was then won;
- lost: the customer rejected it or let it expire, or it was approved or sent on an opportunity
  that was then lost.
Drafts, quotes waiting for approval and superseded versions say nothing about the market and are
left out.

One query fetches the lines grouped by (module, outcome, quarter, discount), with their count and
list value, so the rows stay few whatever the history's size; percentiles are computed here, in
Python, weighted by list value, the same on SQLite and PostgreSQL.

The figures are aggregates over every deal in the company (no customer, quote or person is shown),
so that a rep's guidance rests on the whole market rather than on their own few deals.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce, TruncQuarter
from django.utils import timezone

from touchpoint.core.money import ZERO
from touchpoint.sales.models import LineKind, Module, Quote, QuoteLine, QuoteStatus, StageOutcome

WON, LOST = "won", "lost"
# Fewer won deals than this and the band would be a guess: say so instead.
MIN_SAMPLES = 5
# The band is read from the won deals of the last eight quarters, this one included.
BAND_QUARTERS = 8
PERCENT = Decimal("0.01")
# Statuses that can carry an outcome; the rest (draft, pending, superseded) never count.
DECIDED = [QuoteStatus.ACCEPTED, QuoteStatus.REJECTED, QuoteStatus.EXPIRED, QuoteStatus.APPROVED, QuoteStatus.SENT]


@dataclass(frozen=True)
class DiscountRow:
    module_id: int
    outcome: str
    quarter: date
    discount: Decimal
    count: int
    weight: Decimal  # list value: quantity × list price


@dataclass
class Stats:
    count: int = 0
    p25: Decimal | None = None
    median: Decimal | None = None
    p75: Decimal | None = None


@dataclass
class QuarterPoint:
    quarter: str  # "2026-Q1"
    won_median: Decimal | None
    lost_median: Decimal | None
    won_count: int
    lost_count: int


@dataclass
class Band:
    low: Decimal | None
    high: Decimal | None
    median: Decimal | None
    sample_size: int

    @property
    def enough(self) -> bool:
        return self.sample_size >= MIN_SAMPLES and self.low is not None


@dataclass
class ModuleHistory:
    module: Module
    won: Stats
    lost: Stats
    quarters: list[QuarterPoint]


@dataclass
class PriceHistory:
    modules: list[Module]
    customer_type: str
    size_tier: str
    quarters: list[QuarterPoint]
    won: Stats
    lost: Stats
    band: Band
    per_module: list[ModuleHistory] = field(default_factory=list)

    @property
    def has_history(self) -> bool:
        return bool(self.won.count or self.lost.count)


def weighted_percentiles(values: Iterable[tuple[Decimal, Decimal]], fractions: Sequence[Decimal]) -> list[Decimal | None]:
    """For each fraction, the smallest value at which the cumulative weight reaches that fraction of the
    total (the weighted inverted CDF; with equal weights, the nearest-rank percentile). Sorts once."""
    ordered = sorted((value, weight) for value, weight in values if weight > 0)
    total = sum((weight for _value, weight in ordered), ZERO)
    if total <= 0:
        return [None for _fraction in fractions]
    found: list[Decimal | None] = []
    index, running = 0, ordered[0][1]
    for fraction in fractions:  # ascending
        target = total * fraction
        while running < target and index + 1 < len(ordered):
            index += 1
            running += ordered[index][1]
        found.append(ordered[index][0].quantize(PERCENT))
    return found


def weighted_percentile(values: Iterable[tuple[Decimal, Decimal]], fraction: Decimal) -> Decimal | None:
    return weighted_percentiles(values, [fraction])[0]


QUARTILES = (Decimal("0.25"), Decimal("0.5"), Decimal("0.75"))


def _stats(rows: Sequence[DiscountRow]) -> Stats:
    p25, median, p75 = weighted_percentiles([(row.discount, row.weight) for row in rows], QUARTILES)
    return Stats(count=sum(row.count for row in rows), p25=p25, median=median, p75=p75)


def quarter_label(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def band_since(today: date | None = None) -> date:
    """The first day of the oldest quarter the band reads."""
    start = _quarter_start(today or timezone.localdate())
    months = start.year * 12 + start.month - 1 - 3 * (BAND_QUARTERS - 1)
    return date(months // 12, months % 12 + 1, 1)


def discount_rows(
    *, module_ids: Sequence[int], customer_type: str = "", size_tier: str = "", exclude_number: str = ""
) -> list[DiscountRow]:
    """The licence lines of won and lost deals for the modules, grouped; one query."""
    if not module_ids:
        return []
    lines = QuoteLine.objects.filter(
        kind=LineKind.LICENCE, module_id__in=list(module_ids), quote__status__in=DECIDED, unit_price__gt=0, quantity__gt=0
    )
    if customer_type:
        lines = lines.filter(quote__customer__customer_type=customer_type)
    if size_tier:
        lines = lines.filter(quote__customer__size_tier=size_tier)
    if exclude_number:
        lines = lines.exclude(quote__number=exclude_number)
    outcome = Case(
        When(quote__status=QuoteStatus.ACCEPTED, then=Value(WON)),
        When(quote__status__in=[QuoteStatus.REJECTED, QuoteStatus.EXPIRED], then=Value(LOST)),
        When(quote__opportunity__stage__outcome=StageOutcome.WON, then=Value(WON)),
        When(quote__opportunity__stage__outcome=StageOutcome.LOST, then=Value(LOST)),
        default=Value(""),
        output_field=CharField(),
    )
    rows = (
        # Lines without an outcome (sent on a still-open opportunity) are dropped below, not in SQL:
        # a filter on the CASE hides the row count from the planner, which then walks every quote.
        lines.annotate(outcome=outcome)
        .annotate(quarter=TruncQuarter(Coalesce("quote__decided_at", "quote__sent_at", "quote__created_at")))
        .order_by()
        .values("module_id", "outcome", "quarter", "discount_percent")
        .annotate(
            lines=Count("id"),
            weight=Sum(F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=30, decimal_places=4)),
        )
    )
    quarters: dict[Any, date] = {}  # a few distinct values: convert each once

    def quarter_of(value: Any) -> date:
        if value not in quarters:
            quarters[value] = _as_date(value)
        return quarters[value]

    return [
        DiscountRow(
            module_id=row["module_id"], outcome=row["outcome"], quarter=quarter_of(row["quarter"]),
            discount=Decimal(str(row["discount_percent"])), count=row["lines"], weight=Decimal(str(row["weight"])),
        )  # fmt: skip
        for row in rows
        if row["outcome"]
    ]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _band(rows: Sequence[DiscountRow], today: date | None = None) -> Band:
    since = band_since(today)
    won = [row for row in rows if row.outcome == WON and row.quarter >= since]
    stats = _stats(won)
    if stats.count < MIN_SAMPLES:
        return Band(low=None, high=None, median=None, sample_size=stats.count)
    return Band(low=stats.p25, high=stats.p75, median=stats.median, sample_size=stats.count)


def _by_quarter(rows: Sequence[DiscountRow]) -> list[QuarterPoint]:
    grouped: dict[date, dict[str, list[DiscountRow]]] = defaultdict(lambda: {WON: [], LOST: []})
    for row in rows:
        grouped[row.quarter][row.outcome].append(row)
    points = []
    for quarter in sorted(grouped):
        won, lost = _stats(grouped[quarter][WON]), _stats(grouped[quarter][LOST])
        points.append(QuarterPoint(quarter=quarter_label(quarter), won_median=won.median, lost_median=lost.median,
                                   won_count=won.count, lost_count=lost.count))  # fmt: skip
    return points


def price_history(*, modules: Sequence[Module], customer_type: str = "", size_tier: str = "", exclude_number: str = "") -> PriceHistory:
    """The bundle's won and lost discounts by quarter, per module and pooled, and the suggested band."""
    rows = discount_rows(module_ids=[m.pk for m in modules], customer_type=customer_type, size_tier=size_tier,
                         exclude_number=exclude_number)  # fmt: skip
    rows_of: dict[int, list[DiscountRow]] = defaultdict(list)
    for row in rows:
        rows_of[row.module_id].append(row)
    per_module = [
        ModuleHistory(
            module=module,
            won=_stats([r for r in rows_of[module.pk] if r.outcome == WON]),
            lost=_stats([r for r in rows_of[module.pk] if r.outcome == LOST]),
            quarters=_by_quarter(rows_of[module.pk]),
        )
        for module in modules
    ]
    return PriceHistory(
        modules=list(modules), customer_type=customer_type, size_tier=size_tier, quarters=_by_quarter(rows),
        won=_stats([r for r in rows if r.outcome == WON]), lost=_stats([r for r in rows if r.outcome == LOST]),
        band=_band(rows), per_module=per_module,
    )  # fmt: skip


def licence_discount(lines: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Decimal | None:
    """The discount off list of (quantity, list price, discount %) licence lines, weighted by list value."""
    weight = value = ZERO
    for quantity, price, discount in lines:
        weight += quantity * price
        value += quantity * price * discount
    return (value / weight).quantize(PERCENT) if weight > 0 else None


def price_guidance(quote: Quote, *, customer_type: str = "", size_tier: str = "") -> dict[str, Any]:
    """Where the quote's licence discount sits against the band of won deals for its modules.

    Returns {band_low, band_high, median, discount, outside, direction ("above": more discount than
    the band, "below": less, or ""), sample_size, enough, min_samples}. With fewer than MIN_SAMPLES
    won deals there is no band (band_low and band_high are None) and `outside` is False. Two queries.
    """
    lines = list(
        quote.lines.filter(kind=LineKind.LICENCE, module__isnull=False)
        .order_by()
        .values_list("module_id", "quantity", "unit_price", "discount_percent")
    )
    discount = licence_discount((quantity, price, percent) for _m, quantity, price, percent in lines)
    module_ids = sorted({module_id for module_id, *_rest in lines})
    rows = discount_rows(module_ids=module_ids, customer_type=customer_type, size_tier=size_tier,
                         exclude_number=quote.number)  # fmt: skip
    band = _band(rows)
    direction = ""
    if band.enough and discount is not None and band.low is not None and band.high is not None:
        direction = "above" if discount > band.high else "below" if discount < band.low else ""
    return {
        "band_low": band.low if band.enough else None,
        "band_high": band.high if band.enough else None,
        "median": band.median if band.enough else None,
        "discount": discount,
        "outside": bool(direction),
        "direction": direction,
        "sample_size": band.sample_size,
        "enough": band.enough,
        "min_samples": MIN_SAMPLES,
    }

