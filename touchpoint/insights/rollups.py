"""Building the daily rollups from requests, handoffs and escalations.

A day is always recomputed whole: its rows in every rollup table are deleted and written again from
the source rows of that local day, with a handful of GROUP BY queries per run of consecutive days.
So running it twice changes nothing, and the incremental job gives the same rows as a full rebuild.

The incremental job finds the days touched since it last ran: handoffs and escalations are appended
(the watermark is the last id read, re-reading a margin of ids in case a slower transaction committed
a lower one late), requests change (the watermark is the last `updated_at` read); the touched days are
those a new or changed row falls on (logged, first answered, resolved).

Limits: a stay in a department counts on the day it ends (when the request moves on), so stays still
running are not in the medians; a request resolved again after a reopen counts on its last resolution
day.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum, Value
from django.db.models.expressions import Func
from django.db.models.fields import FloatField
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from touchpoint.insights import histogram
from touchpoint.insights.models import (
    AgentDay,
    DepartmentTimeDay,
    DurationDay,
    EscalationDay,
    HandoffDay,
    Measure,
    RequestDay,
    Watermark,
)
from touchpoint.service.models import Escalation, Handoff, ServiceRequest, Status

ROLLUPS = (HandoffDay, DepartmentTimeDay, RequestDay, DurationDay, EscalationDay, AgentDay)
DONE = (Status.RESOLVED, Status.CLOSED)
# Ids re-read behind the watermark: rows of a transaction that committed after a later one.
ID_MARGIN = 1000
# A full rebuild goes this many days at a time.
CHUNK_DAYS = 31
REQUEST_KEYS = ("channel", "category", "product_id", "severity")


class Seconds(Func):
    """Wall-clock seconds from `start` to `end` (two datetime expressions)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra_context)  # fmt: skip


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants a run of local days spans: from the first day's midnight up to the next day's after the last."""
    zone = timezone.get_current_timezone()
    return datetime.combine(start, time.min, zone), datetime.combine(end + timedelta(days=1), time.min, zone)


def runs(days: Iterable[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs, at most CHUNK_DAYS long."""
    ordered = sorted(set(days))
    if not ordered:
        return
    first = last = ordered[0]
    for day in ordered[1:]:
        if day == last + timedelta(days=1) and (day - first).days < CHUNK_DAYS:
            last = day
            continue
        yield first, last
        first = last = day
    yield first, last


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- One run of days ---------------------------------------------------------------------------------


def _handoffs(start: datetime, end: datetime) -> QuerySet[Handoff]:
    return (Handoff.objects.filter(at__gte=start, at__lt=end, from_department__isnull=False, to_department__isnull=False)
            .exclude(from_department=F("to_department")).order_by())  # fmt: skip


def _handoff_rows(start: datetime, end: datetime) -> list[HandoffDay]:
    rows = (_handoffs(start, end).annotate(day=TruncDate("at")).values("day", "from_department_id", "to_department_id")
            .annotate(n=Count("id"), total=Coalesce(Sum("seconds_in_from"), 0)))  # fmt: skip
    return [HandoffDay(day=_day(r["day"]), from_department_id=r["from_department_id"], to_department_id=r["to_department_id"],
                       count=r["n"], seconds=r["total"]) for r in rows]  # fmt: skip


def _time_rows(start: datetime, end: datetime) -> list[DepartmentTimeDay]:
    rows = (_handoffs(start, end).filter(seconds_in_from__isnull=False).annotate(day=TruncDate("at"))
            .annotate(bucket=histogram.bucket_expression("seconds_in_from"))
            .values("day", "from_department_id", "bucket").annotate(n=Count("id"), total=Sum("seconds_in_from")))  # fmt: skip
    found: dict[tuple[date, int], DepartmentTimeDay] = {}
    for r in rows:
        key = (_day(r["day"]), r["from_department_id"])
        row = found.setdefault(key, DepartmentTimeDay(day=key[0], department_id=key[1], buckets={}))
        row.count += r["n"]
        row.seconds += int(r["total"] or 0)
        histogram.add(row.buckets, {r["bucket"]: r["n"]})
    return list(found.values())


def _request_rows(start: datetime, end: datetime) -> tuple[list[RequestDay], list[DurationDay]]:
    found: dict[tuple[Any, ...], RequestDay] = {}
    durations: dict[tuple[date, str, str], DurationDay] = {}

    def timed(values: dict[str, Any], measure: str) -> None:
        key = (_day(values["day"]), values["severity"], measure)
        one = durations.setdefault(key, DurationDay(day=key[0], severity=key[1], measure=measure, buckets={}))
        one.count += values["n"]
        one.seconds += round(max(0.0, float(values["total"] or 0)))
        histogram.add(one.buckets, {values["bucket"]: values["n"]})

    def row(values: dict[str, Any]) -> RequestDay:
        key = (_day(values["day"]), *(values[k] for k in REQUEST_KEYS))
        if key not in found:
            found[key] = RequestDay(day=key[0], channel=key[1], category=key[2], product_id=key[3], severity=key[4])
        return found[key]

    requests = ServiceRequest.objects.order_by()
    for r in (requests.filter(created_at__gte=start, created_at__lt=end).annotate(day=TruncDate("created_at"))
              .values("day", *REQUEST_KEYS).annotate(n=Count("id"))):  # fmt: skip
        row(r).opened += r["n"]
    answered = (requests.filter(responded_at__gte=start, responded_at__lt=end)
                .annotate(day=TruncDate("responded_at"), waited=Seconds(F("responded_at"), F("created_at")))
                .annotate(bucket=histogram.bucket_expression("waited"))
                .values("day", *REQUEST_KEYS, "bucket")
                .annotate(n=Count("id"), total=Sum("waited"), late=Count("id", filter=Q(response_breached=True))))  # fmt: skip
    for r in answered:
        one = row(r)
        one.responded += r["n"]
        one.response_seconds += round(max(0.0, float(r["total"] or 0)))
        one.response_breached += r["late"]
        timed(r, Measure.RESPONSE)
    breached = Q(response_breached=True) | Q(resolution_breached=True)
    resolved = (requests.filter(resolved_at__gte=start, resolved_at__lt=end, status__in=DONE)
                .annotate(day=TruncDate("resolved_at"), took=Seconds(F("resolved_at"), F("created_at")))
                .annotate(bucket=histogram.bucket_expression("took"))
                .values("day", *REQUEST_KEYS, "bucket")
                .annotate(n=Count("id"), total=Sum("took"), sum_hops=Coalesce(Sum("hops"), Value(0)),
                          n_bounced=Count("id", filter=Q(bounced=True)), n_breached=Count("id", filter=breached),
                          n_met=Count("id", filter=Q(sla_policy__isnull=False) & ~breached)))  # fmt: skip
    for r in resolved:
        one = row(r)
        one.resolved += r["n"]
        one.resolution_seconds += round(max(0.0, float(r["total"] or 0)))
        one.hops += r["sum_hops"]
        one.bounced += r["n_bounced"]
        one.sla_breached += r["n_breached"]
        one.sla_met += r["n_met"]
        timed(r, Measure.RESOLUTION)
    return list(found.values()), list(durations.values())


def _escalation_rows(start: datetime, end: datetime) -> list[EscalationDay]:
    rows = (Escalation.objects.filter(at__gte=start, at__lt=end).order_by().annotate(day=TruncDate("at"))
            .values("day", "request__department_id", "reason", "level").annotate(n=Count("id")))  # fmt: skip
    return [EscalationDay(day=_day(r["day"]), department_id=r["request__department_id"], reason=r["reason"], level=r["level"],
                          count=r["n"]) for r in rows]  # fmt: skip


def _agent_rows(start: datetime, end: datetime) -> list[AgentDay]:
    rows = (ServiceRequest.objects.filter(resolved_at__gte=start, resolved_at__lt=end, status__in=DONE, assignee__isnull=False)
            .order_by().annotate(day=TruncDate("resolved_at")).values("day", "assignee_id").annotate(n=Count("id")))  # fmt: skip
    return [AgentDay(day=_day(r["day"]), user_id=r["assignee_id"], resolved=r["n"]) for r in rows]


def recompute_run(first: date, last: date) -> int:
    """Rewrite every rollup row of the days from `first` to `last`; the number of rows written."""
    start, end = bounds(first, last)
    requests, durations = _request_rows(start, end)
    built: dict[Any, list[Any]] = {
        HandoffDay: _handoff_rows(start, end), DepartmentTimeDay: _time_rows(start, end), RequestDay: requests,
        DurationDay: durations, EscalationDay: _escalation_rows(start, end), AgentDay: _agent_rows(start, end),
    }  # fmt: skip
    written = 0
    with transaction.atomic():
        for model, rows in built.items():
            model.objects.filter(day__gte=first, day__lte=last).delete()
            model.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
    return written


def recompute_days(days: Iterable[date]) -> dict[str, int]:
    counts = {"days": 0, "rows": 0}
    for first, last in runs(days):
        counts["days"] += (last - first).days + 1
        counts["rows"] += recompute_run(first, last)
    return counts


# --- Incremental and full ----------------------------------------------------------------------------


def _local_days(queryset: QuerySet[Any], *fields: str) -> set[date]:
    days: set[date] = set()
    for name in fields:
        found = queryset.filter(**{f"{name}__isnull": False}).order_by().annotate(d=TruncDate(name)).values_list("d", flat=True)
        days.update(_day(d) for d in found.distinct())
    return days


def _watermark(key: str) -> Watermark:
    mark, _created = Watermark.objects.select_for_update().get_or_create(key=key)
    return mark


def rollup_incremental(now: datetime | None = None) -> dict[str, int]:
    """Recompute the days touched since the last run. Safe to run twice, and concurrently (one waits)."""
    now = now or timezone.now()
    touched: set[date] = set()
    with transaction.atomic():
        handoffs, escalations, requests = _watermark("handoff"), _watermark("escalation"), _watermark("request")
        new_handoffs = Handoff.objects.filter(id__gt=max(0, handoffs.last_id - ID_MARGIN))
        touched |= _local_days(new_handoffs, "at")
        new_escalations = Escalation.objects.filter(id__gt=max(0, escalations.last_id - ID_MARGIN))
        touched |= _local_days(new_escalations, "at")
        changed = ServiceRequest.objects.all()
        if requests.last_at is not None:
            changed = changed.filter(updated_at__gte=requests.last_at)
        touched |= _local_days(changed, "created_at", "responded_at", "resolved_at")
        handoffs.last_id = Handoff.objects.aggregate(top=Max("id"))["top"] or 0
        escalations.last_id = Escalation.objects.aggregate(top=Max("id"))["top"] or 0
        # A margin for a request saved by a transaction that began before `now` and commits after it.
        requests.last_at = now - timedelta(minutes=5)
        for mark in (handoffs, escalations, requests):
            mark.save()
        counts = recompute_days(touched)
    return counts


def first_day() -> date | None:
    """The first day anything happened: the oldest request, handoff or escalation (each an indexed read)."""
    found = [
        ServiceRequest.objects.order_by("created_at").values_list("created_at", flat=True).first(),
        Handoff.objects.order_by("at").values_list("at", flat=True).first(),
        Escalation.objects.order_by("at").values_list("at", flat=True).first(),
    ]
    moments = [moment for moment in found if moment is not None]
    return timezone.localdate(min(moments)) if moments else None


def rollup_rebuild(*, since: date | None = None, until: date | None = None, report: Any = None) -> dict[str, int]:
    """Throw away and recompute every rollup row from `since` (default: the first request's day) to today."""
    now = timezone.now()
    until = until or timezone.localdate(now)
    start = since or first_day()
    counts = {"days": 0, "rows": 0}
    if start is None:
        with transaction.atomic():
            for model in ROLLUPS:
                model.objects.all().delete()
        return counts
    with transaction.atomic():
        for model in ROLLUPS:
            model.objects.filter(day__gte=start).delete() if since else model.objects.all().delete()
        day = start
        while day <= until:
            last = min(until, day + timedelta(days=CHUNK_DAYS - 1))
            counts["days"] += (last - day).days + 1
            counts["rows"] += recompute_run(day, last)
            if report:
                report(f"{day:%Y-%m-%d} – {last:%Y-%m-%d}: {counts['rows']} rows so far")
            day = last + timedelta(days=1)
        for key, source in (("handoff", Handoff), ("escalation", Escalation)):
            Watermark.objects.update_or_create(key=key, defaults={"last_id": source.objects.aggregate(top=Max("id"))["top"] or 0})
        Watermark.objects.update_or_create(key="request", defaults={"last_at": now - timedelta(minutes=5)})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in ROLLUPS:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return counts
