"""Delivery management reports: projects by status and health, milestones accepted on time, utilisation
from timesheets, delivery cost against contract value, and the projects running late.

Every figure starts from the reader's visible projects (or visible time entries), so a sales rep's
report covers their customers' projects and an executive's covers the firm; exports start from the
exportable ones instead. Each report is a fixed handful of aggregate queries, whatever the number of
projects.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import chinese_calendar
from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce, NullIf, TruncMonth
from django.utils import timezone

from touchpoint.core.money import ZERO, default_currency
from touchpoint.delivery.access import exportable_projects, exportable_time, visible_projects, visible_time
from touchpoint.delivery.models import (
    RUNNING,
    DeliverySettings,
    Health,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectStatus,
    TimeEntry,
    TimeStatus,
)
from touchpoint.sales.reports import add_months

# Tables on the page show the largest rows; exports carry them all.
REPORT_ROWS = 50
HUNDRED = Decimal(100)


def _projects(user: Any, export: bool) -> QuerySet[Project]:
    return exportable_projects(user) if export else visible_projects(user)


def _time(user: Any, export: bool) -> QuerySet[TimeEntry]:
    return exportable_time(user) if export else visible_time(user)


def _percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    return (HUNDRED * Decimal(part) / Decimal(whole)).quantize(Decimal("0.1")) if whole else None


def _month_of(value: Any) -> date:
    """TruncMonth gives a date on SQLite and may give a datetime elsewhere."""
    day = value.date() if isinstance(value, datetime) else value
    return day.replace(day=1)


# --- The period and the business calendar -----------------------------------------------------


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: date
    end: date

    @property
    def months(self) -> list[date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = add_months(month, 1)
        return months


def default_period(today: date | None = None) -> Period:
    """The last 12 months: from the first day of the month eleven months ago up to today."""
    today = today or timezone.localdate()
    return Period(start=add_months(today, -11), end=today)


def is_working_day(day: date) -> bool:
    """A working day in mainland China: statutory holidays off, make-up weekend days on. Years the
    calendar package does not know yet count Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def working_days(start: date, end: date) -> int:
    """Working days from `start` to `end`, both included; none when the end comes first."""
    return sum(1 for offset in range((end - start).days + 1) if is_working_day(start + timedelta(days=offset)))


# --- Projects by status and by health ----------------------------------------------------------


def _late() -> Q:
    return Q(forecast_end_on__gt=F("planned_end_on")) | Q(health=Health.RED)


@dataclass
class ProjectCounts:
    by_status: dict[str, int]  # every status, in the order of the pipeline
    by_health: dict[str, int]  # running projects only
    late: int  # running projects behind their planned end, or red

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def running(self) -> int:
        return sum(self.by_health.values())


def project_counts(*, user: Any, export: bool = False) -> ProjectCounts:
    """How many projects there are in each status, how the running ones stand, and how many run late.
    One query."""
    rows = (
        _projects(user, export).order_by().values("status", "health")
        .annotate(count=Count("pk"), late=Count("pk", filter=_late()))
    )  # fmt: skip
    counts = ProjectCounts(by_status=dict.fromkeys(ProjectStatus.values, 0), by_health=dict.fromkeys(Health.values, 0), late=0)
    for row in rows:
        counts.by_status[row["status"]] = counts.by_status.get(row["status"], 0) + row["count"]
        if row["status"] in RUNNING:
            counts.by_health[row["health"]] = counts.by_health.get(row["health"], 0) + row["count"]
            counts.late += row["late"]
    return counts


# --- Milestones accepted on time ---------------------------------------------------------------


@dataclass
class OnTimeMonth:
    month: date
    accepted: int = 0
    on_time: int = 0

    @property
    def late(self) -> int:
        return self.accepted - self.on_time

    @property
    def rate(self) -> Decimal | None:
        return _percent(self.on_time, self.accepted)


@dataclass
class OverdueMilestone:
    milestone: Milestone
    days: int  # past its due date


@dataclass
class OnTime:
    period: Period
    months: list[OnTimeMonth]
    accepted: int
    on_time: int
    overdue_count: int  # open milestones of running projects past their due date, today
    overdue: list[OverdueMilestone]  # the longest overdue of them

    @property
    def late(self) -> int:
        return self.accepted - self.on_time

    @property
    def rate(self) -> Decimal | None:
        return _percent(self.on_time, self.accepted)


def on_time_milestones(*, user: Any, period: Period, today: date | None = None, rows: int = REPORT_ROWS) -> OnTime:
    """Milestones accepted in the period, by month, and the share accepted on or before their due date;
    with the open milestones now overdue. Three queries."""
    today = today or timezone.localdate()
    milestones = Milestone.objects.filter(project__in=visible_projects(user).values("pk"))
    in_period = Q(status=MilestoneStatus.ACCEPTED, accepted_on__gte=period.start, accepted_on__lte=period.end)
    on_time = in_period & Q(accepted_on__lte=F("due_on"))
    overdue = Q(status=MilestoneStatus.OPEN, due_on__lt=today, project__status__in=RUNNING)
    totals = milestones.aggregate(
        accepted=Count("pk", filter=in_period), on_time=Count("pk", filter=on_time), overdue=Count("pk", filter=overdue)
    )
    months = {month: OnTimeMonth(month) for month in period.months}
    by_month = (
        milestones.filter(in_period).order_by().annotate(month=TruncMonth("accepted_on")).values("month")
        .annotate(accepted=Count("pk"), on_time=Count("pk", filter=Q(accepted_on__lte=F("due_on"))))
    )  # fmt: skip
    for row in by_month:
        month = months.setdefault(_month_of(row["month"]), OnTimeMonth(_month_of(row["month"])))
        month.accepted, month.on_time = row["accepted"], row["on_time"]
    late_ones = [
        OverdueMilestone(milestone, (today - milestone.due_on).days)
        for milestone in milestones.filter(overdue).select_related("project", "project__customer", "project__manager")
        .order_by("due_on", "pk")[:rows]
    ]  # fmt: skip
    return OnTime(period=period, months=[months[m] for m in sorted(months)], accepted=totals["accepted"],
                  on_time=totals["on_time"], overdue_count=totals["overdue"], overdue=late_ones)  # fmt: skip


# --- Utilisation -------------------------------------------------------------------------------


@dataclass
class UtilisationRow:
    user_id: int
    name: str
    hours: Decimal  # logged and not rejected
    approved: Decimal
    capacity: Decimal

    @property
    def utilisation(self) -> Decimal | None:
        return _percent(self.hours, self.capacity)


@dataclass
class Utilisation:
    period: Period
    working_days: int
    hours_per_day: Decimal
    rows: list[UtilisationRow]

    @property
    def capacity(self) -> Decimal:
        """One person's capacity over the period."""
        return self.working_days * self.hours_per_day

    @property
    def hours(self) -> Decimal:
        return sum((row.hours for row in self.rows), ZERO)

    @property
    def utilisation(self) -> Decimal | None:
        """Everyone's hours against everyone's capacity."""
        return _percent(self.hours, self.capacity * len(self.rows))


def utilisation(*, user: Any, period: Period, today: date | None = None, export: bool = False) -> Utilisation:
    """Per engineer: the hours logged in the period (rejected hours left out) against their capacity,
    the period's working days × the working hours of a day. Capacity counts working days up to today
    only, so that a period still running is not measured against days yet to come. Two queries.

    A reader sees the hours they may see: a project manager's figures are the hours on their own
    projects, an executive's are everyone's."""
    today = today or timezone.localdate()
    days = working_days(period.start, min(period.end, today))
    hours_per_day = DeliverySettings.current().hours_per_day
    grouped = (
        _time(user, export).filter(work_date__gte=period.start, work_date__lte=period.end).exclude(status=TimeStatus.REJECTED)
        .order_by().values("user_id", "user__full_name", "user__username")
        .annotate(logged=Sum("hours"), approved=Sum("hours", filter=Q(status=TimeStatus.APPROVED)))
    )  # fmt: skip
    capacity = days * hours_per_day
    rows = [
        UtilisationRow(user_id=row["user_id"], name=row["user__full_name"] or row["user__username"],
                       hours=row["logged"] or ZERO, approved=row["approved"] or ZERO, capacity=capacity)
        for row in grouped
    ]  # fmt: skip
    rows.sort(key=lambda row: (-row.hours, row.name, row.user_id))
    return Utilisation(period=period, working_days=days, hours_per_day=hours_per_day, rows=rows)


# --- Delivery cost against contract value -------------------------------------------------------


@dataclass
class CostRow:
    project: Project
    hours: Decimal
    cost: Decimal
    contract_value: Decimal

    @property
    def share(self) -> Decimal | None:
        """The delivery cost as a percentage of the contract's value."""
        return _percent(self.cost, self.contract_value)


@dataclass
class Costs:
    period: Period
    rows: list[CostRow]
    count: int  # projects in all (rows holds the largest shares)
    hours: Decimal
    cost: Decimal
    contract_value: Decimal
    currency: str = field(default_factory=default_currency)

    @property
    def share(self) -> Decimal | None:
        return _percent(self.cost, self.contract_value)


def _active_in(projects: QuerySet[Project], period: Period) -> QuerySet[Project]:
    """Projects that were under way at some point of the period: started by its end, and running now
    or closed after it began. Cancelled projects are left out."""
    began = timezone.make_aware(datetime.combine(period.start, time.min))
    return projects.filter(start_on__lte=period.end).filter(Q(status__in=RUNNING) | Q(status=ProjectStatus.CLOSED, closed_at__gte=began))


def delivery_costs(*, user: Any, period: Period, rows: int | None = REPORT_ROWS, export: bool = False) -> Costs:
    """Per project under way in the period: the hours logged to date (rejected left out) × the project's
    cost per hour, against the contract's value incl. tax, the highest share first. Contracts in
    another currency than the default are left out. Two queries."""
    hours = (
        TimeEntry.objects.filter(project=OuterRef("pk")).exclude(status=TimeStatus.REJECTED).order_by()
        .values("project").annotate(total=Sum("hours")).values("total")
    )  # fmt: skip
    money: DecimalField = DecimalField(max_digits=20, decimal_places=4)
    projects = (
        _active_in(_projects(user, export), period).filter(contract__currency=default_currency())
        .annotate(logged=Coalesce(Subquery(hours, output_field=DecimalField(max_digits=12, decimal_places=2)), ZERO))
        .annotate(cost=ExpressionWrapper(F("logged") * F("hourly_cost"), output_field=money))
    )  # fmt: skip
    totals = projects.aggregate(count=Count("pk"), hours=Sum("logged"), value=Sum("contract__amount"),
                                cost=Sum(ExpressionWrapper(F("logged") * F("hourly_cost"), output_field=money)))  # fmt: skip
    ordered = (
        projects.select_related("customer", "contract", "manager")
        # In floating point: SQLite keeps whole amounts as integers, and would divide them as such.
        .annotate(share=Cast("cost", FloatField()) / NullIf(Cast("contract__amount", FloatField()), 0.0))
        .order_by(F("share").desc(nulls_last=True), "-cost", "number")
    )
    found = list(ordered[:rows] if rows is not None else ordered)
    result = [
        CostRow(project=p, hours=p.logged, cost=(p.logged * p.hourly_cost).quantize(Decimal("0.01")),
                contract_value=p.contract.amount)
        for p in found
    ]  # fmt: skip
    return Costs(period=period, rows=result, count=totals["count"], hours=totals["hours"] or ZERO,
                 cost=(totals["cost"] or ZERO).quantize(Decimal("0.01")), contract_value=totals["value"] or ZERO)  # fmt: skip


# --- Late projects -----------------------------------------------------------------------------


@dataclass
class LateRow:
    project: Project

    @property
    def slip_days(self) -> int:
        """Days the forecast end lies beyond the planned end (0 for a red project still on schedule)."""
        forecast = self.project.forecast_end_on
        return max((forecast - self.project.planned_end_on).days, 0) if forecast else 0


def late_projects(*, user: Any, rows: int | None = REPORT_ROWS, export: bool = False) -> list[LateRow]:
    """Running projects whose forecast end is past the planned end, or whose health is red; the worst
    slip first. One query."""
    slip = ExpressionWrapper(F("forecast_end_on") - F("planned_end_on"), output_field=DurationField())
    found = (
        _projects(user, export).filter(_late(), status__in=RUNNING).select_related("customer", "manager")
        .annotate(slip=slip).order_by(F("slip").desc(nulls_last=True), "planned_end_on", "number")
    )  # fmt: skip
    return [LateRow(project) for project in (found[:rows] if rows is not None else found)]
