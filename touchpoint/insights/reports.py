"""The service reports: volume, SLA compliance, response and resolution times, backlog ageing, bounces
and hops, time in each department, stuck requests and escalations, per-agent workload, complaints by
root cause and department, and the CSAT and NPS trends.

Figures over a period come from the daily rollups (a fixed handful of aggregate queries, whatever the
number of requests); figures about now (the backlog, the stuck count, the open workload) from the
reader's open requests. A reader narrowed to some departments (see `touchpoint.insights.access`) gets
the rollups that carry a department narrowed to them and no firm-wide series.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from touchpoint.insights import histogram
from touchpoint.insights.access import department_limit, open_requests
from touchpoint.insights.models import AgentDay, DurationDay, EscalationDay, Measure, RequestDay
from touchpoint.insights.rollups import bounds
from touchpoint.insights.selectors import Period
from touchpoint.org.models import Department, User
from touchpoint.sales.models import Product
from touchpoint.service.models import Complaint, Severity, Survey, SurveyKind

REPORT_ROWS = 50
# Backlog ageing: open requests by days since they were logged.
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 1), (1, 3), (3, 7), (7, 14), (14, 30), (30, None))
NPS_PROMOTER, NPS_DETRACTOR = 9, 6


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _month(value: Any) -> date:
    day = value.date() if isinstance(value, datetime) else value
    return day.replace(day=1)


def months_of(period: Period) -> list[date]:
    months, month = [], period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


# --- Volume, SLA, hops -------------------------------------------------------------------------------


@dataclass
class Totals:
    opened: int = 0
    responded: int = 0
    response_seconds: int = 0
    response_breached: int = 0
    resolved: int = 0
    resolution_seconds: int = 0
    sla_met: int = 0
    sla_breached: int = 0
    hops: int = 0
    bounced: int = 0

    def add(self, row: dict[str, Any]) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + int(row.get(name) or 0))

    @property
    def compliance(self) -> float | None:
        return percent(self.sla_met, self.sla_met + self.sla_breached)

    @property
    def bounce_rate(self) -> float | None:
        return percent(self.bounced, self.resolved)

    @property
    def mean_hops(self) -> float | None:
        return round(self.hops / self.resolved, 2) if self.resolved else None


@dataclass
class Volume:
    totals: Totals
    by_channel: dict[str, Totals]
    by_category: dict[str, Totals]
    by_severity: dict[str, Totals]
    by_product: list[tuple[str, Totals]]
    months: list[tuple[date, Totals]]


SUMS = ("opened", "responded", "response_seconds", "response_breached", "resolved", "resolution_seconds", "sla_met",
        "sla_breached", "hops", "bounced")  # fmt: skip


def volume(*, user: Any, period: Period) -> Volume:
    """Requests logged, answered and resolved in the period, by channel, category, severity, product and
    month. Three queries (the keys, the months, the product names)."""
    rows = RequestDay.objects.filter(day__gte=period.start, day__lte=period.end).order_by()
    if department_limit(user) is not None:
        rows = rows.none()
    sums = {name: Sum(name) for name in SUMS}
    totals = Totals()
    by: dict[str, dict[Any, Totals]] = {"channel": {}, "category": {}, "severity": {}, "product_id": {}}
    for row in rows.values("channel", "category", "severity", "product_id").annotate(**sums):
        totals.add(row)
        for key, found in by.items():
            found.setdefault(row[key], Totals()).add(row)
    months = {month: Totals() for month in months_of(period)}
    for row in rows.annotate(month=TruncMonth("day")).values("month").annotate(**sums):
        months.setdefault(_month(row["month"]), Totals()).add(row)
    product_ids = [pk for pk in by["product_id"] if pk is not None]
    names = {p.pk: str(p) for p in Product.objects.filter(pk__in=product_ids)} if product_ids else {}
    products = sorted(((names.get(pk, "") if pk else "", one) for pk, one in by["product_id"].items()),
                      key=lambda item: -item[1].opened)  # fmt: skip
    return Volume(totals=totals, by_channel=by["channel"], by_category=by["category"], by_severity=by["severity"],
                  by_product=products, months=sorted(months.items()))  # fmt: skip


@dataclass(frozen=True)
class Timing:
    severity: str
    responses: int
    response_median: float | None
    response_mean: float | None
    resolutions: int
    resolution_median: float | None
    resolution_mean: float | None


def timings(*, user: Any, period: Period) -> list[Timing]:
    """First-response and resolution times by severity (wall-clock from logging): medians from the summed
    histograms, means from the sums. One query."""
    rows = DurationDay.objects.filter(day__gte=period.start, day__lte=period.end)
    if department_limit(user) is not None:
        rows = rows.none()
    found: dict[tuple[str, str], list[Any]] = {}
    for severity, measure, count, seconds, buckets in rows.order_by().values_list("severity", "measure", "count", "seconds",
                                                                                   "buckets"):  # fmt: skip
        one = found.setdefault((severity, measure), [0, 0, {}])
        one[0] += count
        one[1] += seconds
        histogram.add(one[2], buckets)
    result = []
    for severity in [*Severity.values, ""]:
        response = found.get((severity, Measure.RESPONSE), [0, 0, {}]) if severity else _all(found, Measure.RESPONSE)
        resolution = found.get((severity, Measure.RESOLUTION), [0, 0, {}]) if severity else _all(found, Measure.RESOLUTION)
        result.append(Timing(
            severity=severity, responses=response[0], response_median=histogram.quantile(response[2]),
            response_mean=response[1] / response[0] if response[0] else None, resolutions=resolution[0],
            resolution_median=histogram.quantile(resolution[2]),
            resolution_mean=resolution[1] / resolution[0] if resolution[0] else None,
        ))  # fmt: skip
    return result


def _all(found: dict[tuple[str, str], list[Any]], measure: str) -> list[Any]:
    total: list[Any] = [0, 0, {}]
    for (_severity, kind), one in found.items():
        if kind == measure:
            total[0] += one[0]
            total[1] += one[1]
            histogram.add(total[2], one[2])
    return total


# --- Now: the backlog, stuck requests, workload ----------------------------------------------------------


@dataclass
class Backlog:
    ages: list[tuple[tuple[int, int | None], int]]
    open: int
    stuck: int
    bounced: int


def backlog(*, user: Any, now: datetime | None = None) -> Backlog:
    """Open requests by age since they were logged, and how many are stuck or bounced. One query."""
    now = now or timezone.now()
    counts: dict[str, Any] = {"open": Count("id"), "stuck": Count("id", filter=Q(stuck=True)),
                              "bounced": Count("id", filter=Q(bounced=True))}  # fmt: skip
    for index, (low, high) in enumerate(AGE_BUCKETS):
        window = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            window &= Q(created_at__gt=now - timedelta(days=high))
        counts[f"age{index}"] = Count("id", filter=window)
    found = open_requests(user).order_by().aggregate(**counts)
    return Backlog(ages=[(bucket, found[f"age{i}"]) for i, bucket in enumerate(AGE_BUCKETS)], open=found["open"],
                   stuck=found["stuck"], bounced=found["bounced"])  # fmt: skip


@dataclass(frozen=True)
class AgentLoad:
    user_id: int
    name: str
    open: int
    resolved: int


def workload(*, user: Any, period: Period, rows: int | None = REPORT_ROWS) -> list[AgentLoad]:
    """Per agent: open requests assigned now, and requests resolved in the period. Three queries."""
    open_by = dict(open_requests(user).filter(assignee__isnull=False).order_by().values_list("assignee_id")
                   .annotate(n=Count("id")).values_list("assignee_id", "n"))  # fmt: skip
    resolved_rows = AgentDay.objects.filter(day__gte=period.start, day__lte=period.end)
    limit = department_limit(user)
    if limit is not None:
        resolved_rows = resolved_rows.filter(user__memberships__department_id__in=limit).distinct()
    resolved_by = dict(resolved_rows.order_by().values("user_id").annotate(n=Sum("resolved")).values_list("user_id", "n"))
    ids = sorted(set(open_by) | set(resolved_by), key=lambda pk: (-open_by.get(pk, 0), -resolved_by.get(pk, 0), pk))
    if rows is not None:
        ids = ids[:rows]
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)} if ids else {}
    return [AgentLoad(user_id=pk, name=names.get(pk, ""), open=open_by.get(pk, 0), resolved=int(resolved_by.get(pk, 0)))
            for pk in ids]  # fmt: skip


# --- Escalations, complaints, surveys ------------------------------------------------------------------


@dataclass
class Escalations:
    by_reason: dict[str, int]
    by_level: dict[int, int]
    by_department: list[tuple[str, int]]
    total: int = 0


def escalations(*, user: Any, period: Period) -> Escalations:
    """Escalations raised in the period by reason, rung and department. Two queries."""
    rows = EscalationDay.objects.filter(day__gte=period.start, day__lte=period.end)
    limit = department_limit(user)
    if limit is not None:
        rows = rows.filter(department_id__in=limit)
    found = Escalations(by_reason={}, by_level={}, by_department=[])
    per_department: dict[int | None, int] = {}
    summed = rows.order_by().values("reason", "level", "department_id").annotate(n=Sum("count"))
    for reason, level, department_id, count in summed.values_list("reason", "level", "department_id", "n"):
        found.by_reason[reason] = found.by_reason.get(reason, 0) + count
        found.by_level[level] = found.by_level.get(level, 0) + count
        per_department[department_id] = per_department.get(department_id, 0) + count
        found.total += count
    names = {d.pk: str(d) for d in Department.objects.filter(pk__in=[pk for pk in per_department if pk])} if per_department else {}
    found.by_department = sorted(((names.get(pk, "") if pk else "", n) for pk, n in per_department.items()), key=lambda x: -x[1])
    return found


@dataclass
class Complaints:
    by_about: dict[str, int]
    by_department: list[tuple[str, int]]
    matrix: dict[tuple[str, str], int] = field(default_factory=dict)
    total: int = 0


def complaints(*, user: Any, period: Period) -> Complaints:
    """Complaints raised in the period, by root cause ("about") and by the department it is about. Two queries."""
    start, end = _instants(period)
    rows = Complaint.objects.filter(created_at__gte=start, created_at__lt=end)
    limit = department_limit(user)
    if limit is not None:
        rows = rows.filter(department_id__in=limit)
    found = Complaints(by_about={}, by_department=[])
    per_department: dict[int | None, int] = {}
    pairs = list(rows.order_by().values("about", "department_id").annotate(n=Count("id")).values_list("about", "department_id", "n"))
    names = {d.pk: str(d) for d in Department.objects.filter(pk__in=[p[1] for p in pairs if p[1]])} if pairs else {}
    for about, department_id, count in pairs:
        found.by_about[about] = found.by_about.get(about, 0) + count
        per_department[department_id] = per_department.get(department_id, 0) + count
        found.matrix[(about, names.get(department_id, "") if department_id else "")] = count
        found.total += count
    found.by_department = sorted(((names.get(pk, "") if pk else "", n) for pk, n in per_department.items()), key=lambda x: -x[1])
    return found


@dataclass(frozen=True)
class SurveyMonth:
    month: date
    csat_answers: int
    csat_mean: float | None
    nps_answers: int
    nps: float | None


def survey_trends(*, user: Any, period: Period) -> list[SurveyMonth]:
    """CSAT (mean score) and NPS (promoters − detractors, in %) by month of answer. One query."""
    start, end = _instants(period)
    rows = Survey.objects.filter(answered_at__gte=start, answered_at__lt=end, score__isnull=False)
    limit = department_limit(user)
    if limit is not None:
        rows = rows.filter(request__department_id__in=limit)
    empty: dict[str, Any] = {"csat_n": 0, "csat": None, "nps_n": 0, "promoters": 0, "detractors": 0}
    found: dict[date, dict[str, Any]] = {month: dict(empty) for month in months_of(period)}
    data = (rows.order_by().annotate(month=TruncMonth("answered_at")).values("month", "kind")
            .annotate(n=Count("id"), mean=Avg("score"), promoters=Count("id", filter=Q(score__gte=NPS_PROMOTER)),
                      detractors=Count("id", filter=Q(score__lte=NPS_DETRACTOR))))  # fmt: skip
    for row in data:
        one = found.setdefault(_month(row["month"]), dict(empty))
        if row["kind"] == SurveyKind.CSAT:
            one["csat_n"], one["csat"] = row["n"], round(float(row["mean"]), 2)
        else:
            one["nps_n"], one["promoters"], one["detractors"] = row["n"], row["promoters"], row["detractors"]
    return [SurveyMonth(month=month, csat_answers=one["csat_n"], csat_mean=one["csat"], nps_answers=one["nps_n"],
                        nps=round(100 * (one["promoters"] - one["detractors"]) / one["nps_n"], 1) if one["nps_n"] else None)
            for month, one in sorted(found.items())]  # fmt: skip


def _instants(period: Period) -> tuple[datetime, datetime]:
    return bounds(period.start, period.end)
