"""The sales forecast and the sales reports: aggregations done in SQL over what the user may see.

Every function takes the queryset the access layer handed out (`visible_*` for pages and the API,
`exportable_*` for Excel) and runs a fixed handful of GROUP BY queries, never one per row, so a
report costs the same number of queries over fifty opportunities as over two hundred thousand.

Periods:
- the forecast buckets open opportunities by their expected close date (`close_date`), and won
  ones by the day they were won (`closed_at`, in the business time zone);
- the reports' period picks deals closed (won or lost) in it, contracts signed in it, and the months
  of "forecast against actual"; the open pipeline is today's, whatever the period.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, DecimalField, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from touchpoint.org.models import Team, User
from touchpoint.sales.models import Contract, ContractStatus, LostReason, Opportunity, Product, Stage, StageOutcome

ZERO = Decimal(0)
CENT = Decimal("0.01")
MONTH, QUARTER = "month", "quarter"
GRAINS = (MONTH, QUARTER)
GROUPINGS = ("owner", "team", "region", "product")
# Contracts that count as booked: signed and not terminated.
BOOKED = (ContractStatus.ACTIVE, ContractStatus.COMPLETED)
WEIGHTED = ExpressionWrapper(
    F("amount") * F("probability") / Value(Decimal(100)), output_field=DecimalField(max_digits=20, decimal_places=2)
)
CYCLE = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())


# --- Periods -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, 1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the business time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    grain: str

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}" if self.grain == MONTH else f"{self.start.year}-Q{(self.start.month + 2) // 3}"

    @property
    def label(self) -> str:
        if self.grain == MONTH:
            return f"{self.start:%Y-%m}"
        return _("%(year)s Q%(quarter)s") % {"year": self.start.year, "quarter": (self.start.month + 2) // 3}


def periods_between(start: date, end: date, grain: str) -> list[Period]:
    """The months or quarters that cover [start, end): the first one starts on or before `start`."""
    step = 1 if grain == MONTH else 3
    first = start.replace(day=1) if grain == MONTH else quarter_start(start)
    result = []
    while first < end:
        following = add_months(first, step)
        result.append(Period(first, following, grain))
        first = following
    return result


def _truncate(grain: str, field_name: str, *, aware: bool = False) -> Any:
    function = TruncMonth if grain == MONTH else TruncQuarter
    if aware:  # a datetime truncated in the business time zone, as a date
        return function(field_name, output_field=DateField(), tzinfo=timezone.get_current_timezone())
    return function(field_name)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- Filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Narrowing that applies to every section: by owner, the owner's team, region, product."""

    owner_id: int | None = None
    team_id: int | None = None
    region: str = ""
    product_id: int | None = None


def _filtered(rows: QuerySet, filters: Filters, *, product_path: str = "product_id") -> QuerySet:
    if filters.owner_id:
        rows = rows.filter(owner_id=filters.owner_id)
    if filters.team_id:
        rows = rows.filter(
            Q(owner_id__in=Team.members.through.objects.filter(team_id=filters.team_id).values("user_id"))
            | Q(owner_id__in=Team.objects.filter(pk=filters.team_id).values("lead_id"))
        )
    if filters.region:
        rows = rows.filter(customer__province=filters.region)
    if filters.product_id:
        rows = rows.filter(**{product_path: filters.product_id})
    return rows.order_by()


# --- Figures and labels ----------------------------------------------------------------------


@dataclass
class Figures:
    """Open pipeline (count, amount, weighted) and what was won, for one cell of a table."""

    count: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    won_count: int = 0
    won_amount: Decimal = ZERO

    def add(self, other: "Figures") -> None:
        self.count += other.count
        self.amount += other.amount
        self.weighted += other.weighted
        self.won_count += other.won_count
        self.won_amount += other.won_amount


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(CENT)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _bilingual(name: str | None, name_en: str | None) -> str:
    return (name_en if _english() and name_en else name) or ""


def _person(full_name: str | None, username: str | None) -> str:
    return full_name or username or ""


# The one column each grouping groups by in SQL. Names are read afterwards for the few ids found,
# so the GROUP BY stays on narrow columns and the planner can hash it. Team is grouped by owner and
# folded into the owner's team, because an owner may sit in several teams.
GROUP_FIELD = {
    "owner": "owner_id",
    "team": "owner_id",
    "region": "customer__province",
    "product": "product_id",
    "stage": "stage_id",
}


@dataclass(frozen=True)
class Stages:
    """Every stage's outcome, name and place, read once per report so that filters name stage ids
    (which the (stage, close_date) index serves and the planner estimates well) instead of joining."""

    outcome: dict[int, str]
    label: dict[int, str]
    place: dict[int, tuple[int, int]]  # (pipeline, order)

    @classmethod
    def load(cls) -> "Stages":
        rows = list(Stage.objects.values_list("id", "outcome", "name", "name_en", "pipeline_id", "order"))
        return cls(
            outcome={pk: outcome for pk, outcome, *_rest in rows},
            label={pk: _bilingual(name, name_en) for pk, _outcome, name, name_en, *_rest in rows},
            place={pk: (pipeline_id, order) for pk, *_rest, pipeline_id, order in rows},
        )

    def ids(self, *outcomes: str) -> list[int]:
        return [pk for pk, outcome in self.outcome.items() if outcome in outcomes]


def owner_teams(owner_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Each owner's team as (key, name): the first team (in the org's order) they sit in or lead. One query."""
    owner_ids = set(owner_ids)
    if not owner_ids:
        return {}
    teams: dict[int, tuple[str, str]] = {}
    rows = (
        Team.objects.filter(Q(members__in=owner_ids) | Q(lead_id__in=owner_ids))
        .values_list("id", "name", "lead_id", "members")
        .order_by("department__order", "name", "id")
    )
    for team_id, name, lead_id, member_id in rows:
        for user_id in (member_id, lead_id):
            if user_id in owner_ids:
                teams.setdefault(user_id, (str(team_id), name))
    return teams


def group_names(group_by: str, values: Iterable[Any], stages: Stages) -> dict[Any, tuple[str, str]]:
    """(key, label) of each grouped value: one query for owners, teams or products, none otherwise."""
    values = set(values)
    ids = {value for value in values if value is not None}
    if group_by == "owner":
        users = User.objects.filter(pk__in=ids).values_list("id", "full_name", "username")
        return {pk: (str(pk), _person(full_name, username)) for pk, full_name, username in users}
    if group_by == "team":
        teams = owner_teams(ids)
        return {pk: teams.get(pk, ("", _("No team"))) for pk in values}
    if group_by == "product":
        products = Product.objects.filter(pk__in=ids).values_list("id", "name", "name_en")
        return {None: ("", _("No product"))} | {pk: (str(pk), _bilingual(n, en)) for pk, n, en in products}
    if group_by == "region":
        return {value: (value or "", value or _("No region")) for value in values}
    if group_by == "stage":
        return {pk: (str(pk), stages.label.get(pk, "")) for pk in values}
    raise ValueError(group_by)


# --- The forecast ------------------------------------------------------------------------------


@dataclass
class ForecastRow:
    key: str
    label: str
    cells: list[Figures]
    total: Figures = field(default_factory=Figures)


@dataclass
class Forecast:
    grain: str
    group_by: str
    start: date
    end: date
    periods: list[Period]
    rows: list[ForecastRow]
    totals: ForecastRow


def forecast(
    *, opportunities: QuerySet[Opportunity], start: date, end: date, grain: str = QUARTER, group_by: str = "owner",
    filters: Filters | None = None, stages: Stages | None = None,
) -> Forecast:  # fmt: skip
    """Open opportunities' amount and weighted amount by close month or quarter, and won in the same periods.

    Two GROUP BY queries (open by close date, won by the day won), plus the stages and the group names.
    """
    filters = filters or Filters()
    stages = stages or Stages.load()
    periods = periods_between(start, end, grain)
    start, end = periods[0].start, periods[-1].end
    index = {period.start: position for position, period in enumerate(periods)}
    field_name = GROUP_FIELD[group_by]
    rows = _filtered(opportunities, filters)
    open_rows = list(
        rows.filter(stage_id__in=stages.ids(StageOutcome.OPEN), close_date__gte=start, close_date__lt=end)
        .annotate(period=_truncate(grain, "close_date"))
        .values("period", field_name)
        .annotate(count=Count("id"), amount_sum=Sum("amount"), weighted_sum=Sum(WEIGHTED))
    )
    won_rows = list(
        rows.filter(stage_id__in=stages.ids(StageOutcome.WON), closed_at__gte=day_start(start),
                    closed_at__lt=day_start(end))  # fmt: skip
        .annotate(period=_truncate(grain, "closed_at", aware=True))
        .values("period", field_name)
        .annotate(count=Count("id"), amount_sum=Sum("amount"))
    )
    names = group_names(group_by, (row[field_name] for row in open_rows + won_rows), stages)
    groups: dict[str, ForecastRow] = {}
    totals = ForecastRow("", _("Total"), [Figures() for _period in periods])
    for row, won in [(row, False) for row in open_rows] + [(row, True) for row in won_rows]:
        key, label = names[row[field_name]]
        group = groups.setdefault(key, ForecastRow(key, label, [Figures() for _period in periods]))
        if won:
            cell = Figures(won_count=row["count"], won_amount=_money(row["amount_sum"]))
        else:
            cell = Figures(count=row["count"], amount=_money(row["amount_sum"]), weighted=_money(row["weighted_sum"]))
        position = index[_as_date(row["period"])]
        for target in (group.cells[position], group.total, totals.cells[position], totals.total):
            target.add(cell)
    ordered = sorted(groups.values(), key=lambda g: (-g.total.weighted, -g.total.won_amount, g.label))
    return Forecast(grain=grain, group_by=group_by, start=start, end=end, periods=periods, rows=ordered, totals=totals)


# --- The sales reports -------------------------------------------------------------------------


@dataclass
class PipelineRow:
    key: str
    label: str
    count: int
    amount: Decimal
    weighted: Decimal


@dataclass
class WinRateRow:
    key: str
    label: str
    won: int = 0
    lost: int = 0
    won_amount: Decimal = ZERO
    cycle: timedelta = timedelta(0)  # summed over the won deals

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Decimal | None:
        """Won as a percentage of won + lost, one decimal; None when nothing closed."""
        return None if not self.closed else (Decimal(100 * self.won) / self.closed).quantize(Decimal("0.1"))

    @property
    def cycle_days(self) -> Decimal | None:
        """Average days from creation to winning, one decimal; None when nothing was won."""
        if not self.won:
            return None
        return (Decimal(self.cycle.total_seconds()) / 86400 / self.won).quantize(Decimal("0.1"))


@dataclass
class BookingRow:
    period: Period
    count: int = 0
    amount: Decimal = ZERO
    active_amount: Decimal = ZERO
    completed_amount: Decimal = ZERO


@dataclass
class ForecastActualRow:
    period: Period
    expected: Decimal | None  # months up to this one: amount of deals expected to close in the month
    won: Decimal  # amount of deals won in the month
    forecast: Decimal | None  # this month and later: weighted amount of deals still open


@dataclass
class LostReasonRow:
    key: str
    label: str
    count: int
    amount: Decimal


@dataclass
class SalesReport:
    start: date
    end: date  # exclusive
    pipeline: dict[str, list[PipelineRow]]  # by stage, owner, region, product
    pipeline_total: PipelineRow
    win_rates: list[WinRateRow]  # by owner
    win_total: WinRateRow
    bookings: list[BookingRow]
    bookings_total: BookingRow
    forecast_actual: list[ForecastActualRow]
    lost_reasons: list[LostReasonRow]
    lost_total: LostReasonRow


def pipeline_by(
    *, opportunities: QuerySet[Opportunity], group_by: str, filters: Filters, stages: Stages
) -> list[PipelineRow]:
    """Today's open opportunities grouped by stage, owner, team, region or product. One query, and one
    for the names of owners, teams or products."""
    field_name = GROUP_FIELD[group_by]
    rows = list(
        _filtered(opportunities, filters)
        .filter(stage_id__in=stages.ids(StageOutcome.OPEN))
        .values(field_name)
        .annotate(count=Count("id"), amount_sum=Sum("amount"), weighted_sum=Sum(WEIGHTED))
    )
    names = group_names(group_by, (row[field_name] for row in rows), stages)
    merged: dict[str, PipelineRow] = {}
    for row in rows:
        key, label = names[row[field_name]]
        target = merged.setdefault(key, PipelineRow(key, label, 0, ZERO, ZERO))
        target.count += row["count"]
        target.amount += _money(row["amount_sum"])
        target.weighted += _money(row["weighted_sum"])
    if group_by == "stage":
        return sorted(merged.values(), key=lambda r: stages.place[int(r.key)])
    return sorted(merged.values(), key=lambda r: (-r.amount, r.label))


def win_rates(
    *, opportunities: QuerySet[Opportunity], start: date, end: date, filters: Filters, stages: Stages
) -> list[WinRateRow]:
    """Won and lost deals closed in [start, end) by owner, with the won deals' summed cycle. Two queries."""
    won, lost = Q(stage_id__in=stages.ids(StageOutcome.WON)), Q(stage_id__in=stages.ids(StageOutcome.LOST))
    rows = list(
        _filtered(opportunities, filters)
        .filter(stage_id__in=stages.ids(StageOutcome.WON, StageOutcome.LOST), closed_at__gte=day_start(start),
                closed_at__lt=day_start(end))  # fmt: skip
        .values("owner_id")
        .annotate(
            won=Count("id", filter=won), lost=Count("id", filter=lost), won_sum=Sum("amount", filter=won),
            cycle=Sum(CYCLE, filter=won),
        )  # fmt: skip
    )
    names = group_names("owner", (row["owner_id"] for row in rows), stages)
    result = [
        WinRateRow(*names[row["owner_id"]], won=row["won"], lost=row["lost"], won_amount=_money(row["won_sum"]),
                   cycle=row["cycle"] or timedelta(0))  # fmt: skip
        for row in rows
    ]
    return sorted(result, key=lambda r: (-r.won_amount, -r.closed, r.label))


def bookings(*, contracts: QuerySet[Contract], start: date, end: date, filters: Filters) -> list[BookingRow]:
    """Contracts signed in [start, end) that are active or completed, by month of signing. One query."""
    months = periods_between(start, end, MONTH)
    result = {period.start: BookingRow(period) for period in months}
    rows = (
        _filtered(contracts, filters, product_path="opportunity__product_id")
        .filter(status__in=BOOKED, signed_on__gte=start, signed_on__lt=end)
        .annotate(month=TruncMonth("signed_on"))
        .values("month")
        .annotate(
            count=Count("id"), amount_sum=Sum("amount"),
            active_sum=Sum("amount", filter=Q(status=ContractStatus.ACTIVE)),
            completed_sum=Sum("amount", filter=Q(status=ContractStatus.COMPLETED)),
        )  # fmt: skip
    )
    for row in rows:
        target = result[_as_date(row["month"])]
        target.count = row["count"]
        target.amount = _money(row["amount_sum"])
        target.active_amount = _money(row["active_sum"])
        target.completed_amount = _money(row["completed_sum"])
    return list(result.values())


def forecast_against_actual(
    *, opportunities: QuerySet[Opportunity], start: date, end: date, today: date, filters: Filters, stages: Stages
) -> list[ForecastActualRow]:
    """By month: what was expected to close (any outcome) against what was won; ahead, the weighted open.

    There is no snapshot of past forecasts, so "expected" is the amount of every deal whose expected
    close date falls in the month, whatever became of it. Two queries.
    """
    months = periods_between(start, end, MONTH)
    start, end = months[0].start, months[-1].end
    rows = _filtered(opportunities, filters)
    expected = {
        _as_date(row["month"]): row
        for row in rows.filter(close_date__gte=start, close_date__lt=end)
        .annotate(month=TruncMonth("close_date"))
        .values("month")
        .annotate(amount_sum=Sum("amount"), open_sum=Sum(WEIGHTED, filter=Q(stage_id__in=stages.ids(StageOutcome.OPEN))))
    }
    won = {
        _as_date(row["month"]): row["amount_sum"]
        for row in rows.filter(stage_id__in=stages.ids(StageOutcome.WON), closed_at__gte=day_start(start),
                               closed_at__lt=day_start(end))  # fmt: skip
        .annotate(month=_truncate(MONTH, "closed_at", aware=True))
        .values("month")
        .annotate(amount_sum=Sum("amount"))
    }
    this_month = today.replace(day=1)
    result = []
    for period in months:
        row = expected.get(period.start, {})
        result.append(ForecastActualRow(
            period=period,
            expected=_money(row.get("amount_sum")) if period.start <= this_month else None,
            won=_money(won.get(period.start)),
            forecast=_money(row.get("open_sum")) if period.start >= this_month else None,
        ))  # fmt: skip
    return result


def lost_reasons(
    *, opportunities: QuerySet[Opportunity], start: date, end: date, filters: Filters, stages: Stages
) -> list[LostReasonRow]:
    """Deals lost in [start, end) by reason: count and amount. One query."""
    rows = (
        _filtered(opportunities, filters)
        .filter(stage_id__in=stages.ids(StageOutcome.LOST), closed_at__gte=day_start(start),
                closed_at__lt=day_start(end))  # fmt: skip
        .values("lost_reason")
        .annotate(count=Count("id"), amount_sum=Sum("amount"))
    )
    labels = dict(LostReason.choices)
    result = [
        LostReasonRow(row["lost_reason"], str(labels.get(row["lost_reason"], _("Not given"))), row["count"],
                      _money(row["amount_sum"]))  # fmt: skip
        for row in rows
    ]
    return sorted(result, key=lambda r: (-r.count, -r.amount, r.label))


def sales_report(
    *, opportunities: QuerySet[Opportunity], contracts: QuerySet[Contract], start: date, end: date, today: date,
    filters: Filters | None = None,
) -> SalesReport:  # fmt: skip
    """Every section of the sales reports over [start, end): thirteen queries, whatever the data."""
    filters = filters or Filters()
    stages = Stages.load()
    pipeline = {
        group_by: pipeline_by(opportunities=opportunities, group_by=group_by, filters=filters, stages=stages)
        for group_by in ("stage", "owner", "region", "product")
    }
    by_stage = pipeline["stage"]
    pipeline_total = PipelineRow("", _("Total"), sum(r.count for r in by_stage), sum((r.amount for r in by_stage), ZERO),
                                 sum((r.weighted for r in by_stage), ZERO))  # fmt: skip
    rates = win_rates(opportunities=opportunities, start=start, end=end, filters=filters, stages=stages)
    win_total = WinRateRow("", _("Total"))
    for rate in rates:
        win_total.won += rate.won
        win_total.lost += rate.lost
        win_total.won_amount += rate.won_amount
        win_total.cycle += rate.cycle
    booked = bookings(contracts=contracts, start=start, end=end, filters=filters)
    bookings_total = BookingRow(Period(start, end, MONTH))
    for booking in booked:
        bookings_total.count += booking.count
        bookings_total.amount += booking.amount
        bookings_total.active_amount += booking.active_amount
        bookings_total.completed_amount += booking.completed_amount
    reasons = lost_reasons(opportunities=opportunities, start=start, end=end, filters=filters, stages=stages)
    lost_total = LostReasonRow("", _("Total"), sum(r.count for r in reasons), sum((r.amount for r in reasons), ZERO))
    return SalesReport(
        start=start, end=end, pipeline=pipeline, pipeline_total=pipeline_total, win_rates=rates, win_total=win_total,
        bookings=booked, bookings_total=bookings_total,
        forecast_actual=forecast_against_actual(opportunities=opportunities, start=start, end=end, today=today,
                                                filters=filters, stages=stages),
        lost_reasons=reasons, lost_total=lost_total,
    )  # fmt: skip
