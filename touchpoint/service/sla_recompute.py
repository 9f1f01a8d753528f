"""Recomputing the SLA deadlines and states of open requests after a calendar or policy change.

The deadlines of a request are worked out the way `touchpoint.service.sla` works them, from what the
request keeps:
- the first-response deadline and warning from the moment it was logged (its first status row);
- the resolution deadline and warning from the moment its clock last started, less the business
  seconds already spent (`sla_start` when it never paused, `sla_resume` after a pause);
- a paused request keeps no resolution deadline.
The breach flags are then worked out again for `now` (a later deadline clears a breach the sweep had
flagged; a request paused keeps its resolution flag), and the state follows from `state_at`.

Batched: requests are read in chunks by id and only the rows whose values change are written, with
`bulk_update`; so a second run writes nothing.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from touchpoint.core.calendar import schedule_of
from touchpoint.core.models import BusinessCalendar
from touchpoint.service.models import OPEN, ServiceRequest, StatusChange
from touchpoint.service.sla import WARN_SHARE, state_at

CHUNK = 2000
FIELDS = ("calendar", "response_due_at", "response_warn_at", "resolution_due_at", "resolution_warn_at", "response_breached",
          "resolution_breached", "sla_state")  # fmt: skip


def _chunks(requests: QuerySet[ServiceRequest]) -> Iterator[list[Any]]:
    logged = (StatusChange.objects.filter(request_id=OuterRef("pk")).order_by().values("request_id")
              .annotate(first=Min("at")).values("first"))  # fmt: skip
    last_id = 0
    while True:
        chunk = list(
            requests.filter(pk__gt=last_id).select_related("sla_policy__calendar").annotate(logged_at=Subquery(logged))
            .order_by("pk")[:CHUNK]
        )  # fmt: skip
        if not chunk:
            return
        last_id = chunk[-1].pk
        yield chunk


def recompute_one(request: Any, now: datetime) -> bool:
    """Work out the request's deadlines, flags and state again (in memory); True when any changed."""
    policy = request.sla_policy
    before = tuple(getattr(request, f"{name}_id" if name == "calendar" else name) for name in FIELDS)
    request.calendar = policy.calendar
    schedule = schedule_of(policy.calendar)
    logged: datetime = getattr(request, "logged_at", None) or request.created_at
    response, resolution = policy.response_minutes * 60, policy.resolution_minutes * 60
    request.response_due_at = schedule.add_business(logged, response)
    request.response_warn_at = schedule.add_business(logged, int(response * WARN_SHARE))
    if request.paused_at is None and request.clock_started_at is not None:
        start, spent = request.clock_started_at, request.spent_seconds
        request.resolution_due_at = schedule.add_business(start, max(0, resolution - spent))
        request.resolution_warn_at = schedule.add_business(start, max(0, int(resolution * WARN_SHARE) - spent))
        request.resolution_breached = request.resolution_due_at is not None and now >= request.resolution_due_at
    else:
        request.resolution_due_at = request.resolution_warn_at = None
    due = request.response_due_at
    if request.responded_at is not None:
        request.response_breached = due is not None and request.responded_at > due
    else:
        request.response_breached = due is not None and now >= due
    request.sla_state = state_at(request, now)
    after = tuple(getattr(request, f"{name}_id" if name == "calendar" else name) for name in FIELDS)
    return before != after


def _write(changed: list[Any]) -> None:
    """One UPDATE per row, sent as a batch (`executemany`, pipelined on PostgreSQL): far cheaper than the
    CASE expressions of `bulk_update` on thousands of rows. Values go through each field's own preparation."""
    fields: list[Any] = [ServiceRequest._meta.get_field(name) for name in FIELDS]
    table = connection.ops.quote_name(ServiceRequest._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(field.column)} = %s" for field in fields)
    rows = [[field.get_db_prep_save(getattr(request, field.attname), connection) for field in fields] + [request.pk]
            for request in changed]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608


def sla_recompute(*, requests: QuerySet[ServiceRequest] | None = None, calendar: BusinessCalendar | None = None,
                  now: datetime | None = None) -> dict[str, int]:  # fmt: skip
    """Recompute the open requests with an SLA (all, or those of `requests`, or those whose policy counts
    in `calendar`). Returns how many were read and how many changed."""
    now = now or timezone.now()
    chosen = (requests if requests is not None else ServiceRequest.objects.all()).filter(status__in=OPEN, sla_policy__isnull=False)
    if calendar is not None:
        chosen = chosen.filter(sla_policy__calendar=calendar)
    counts = {"read": 0, "changed": 0}
    for chunk in _chunks(chosen):
        changed = [request for request in chunk if recompute_one(request, now)]
        counts["read"] += len(chunk)
        if changed:
            _write(changed)
            counts["changed"] += len(changed)
    return counts
