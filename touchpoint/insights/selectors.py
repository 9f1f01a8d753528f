"""Reads of the flow monitor: the live board of open requests, the requests needing attention, the
handoff flow between departments and the median time in each department.

The board reads only open requests (one GROUP BY over the open-request partial indexes, whatever
the number of closed ones), the flow and the medians only the daily rollups: no query here scans the
handoffs.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from touchpoint.insights import histogram
from touchpoint.insights.access import department_limit, open_requests
from touchpoint.insights.models import DepartmentTimeDay, HandoffDay
from touchpoint.org.models import Department
from touchpoint.service.models import Queue, ServiceRequest, SlaState

# The SLA states an open request can be in, in the order the board shows them.
BOARD_STATES = (SlaState.BREACHED, SlaState.WARNING, SlaState.OK, SlaState.PAUSED, SlaState.NONE)
ATTENTION_ROWS = 50
# The board refreshes every minute; readers within this many seconds of each other share one count.
BOARD_CACHE_SECONDS = 30


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: date
    end: date


@dataclass
class BoardLine:
    """One queue (or "no queue") of a department on the board."""

    queue_id: int | None
    name: str
    states: dict[str, int] = field(default_factory=dict)
    total: int = 0
    bounced: int = 0
    stuck: int = 0
    oldest: datetime | None = None

    def add(self, state: str, count: int, bounced: int, stuck: int, oldest: datetime | None) -> None:
        self.states[state] = self.states.get(state, 0) + count
        self.total += count
        self.bounced += bounced
        self.stuck += stuck
        if oldest is not None and (self.oldest is None or oldest < self.oldest):
            self.oldest = oldest

    def cells(self) -> list[int]:
        return [self.states.get(state, 0) for state in BOARD_STATES]


@dataclass
class BoardDepartment(BoardLine):
    lines: list[BoardLine] = field(default_factory=list)


@dataclass
class Board:
    departments: list[BoardDepartment]
    total: BoardLine
    attention: list[ServiceRequest]
    now: datetime


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}


def _board_counts(requests: Any) -> list[dict[str, Any]]:
    # COUNT(*) and the columns of the `request_board` index only: PostgreSQL answers from the index.
    return list(requests.order_by().values("department_id", "queue_id", "sla_state").annotate(
        n=Count("*"), n_bounced=Count("bounced", filter=Q(bounced=True)), n_stuck=Count("stuck", filter=Q(stuck=True)),
        oldest=Min("created_at")))  # fmt: skip


def _firm_counts(requests: Any, now: datetime) -> tuple[list[dict[str, Any]], datetime]:
    """The firm-wide counts, shared by every reader who sees them all for BOARD_CACHE_SECONDS at most, and
    computed afresh as soon as any request is saved (the key carries the latest change)."""
    latest = ServiceRequest.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    key = f"insights:board:{latest.isoformat() if latest else '-'}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    fresh = (_board_counts(requests), now)
    cache.set(key, fresh, BOARD_CACHE_SECONDS)
    return fresh


def flow_board(*, user: Any, now: datetime | None = None) -> Board:
    """Where every open request the reader may see sits: by department and queue, counts by SLA state,
    bounced and stuck counts and the oldest; then the bounced and stuck requests themselves, oldest first.
    Five queries: the latest change, the counts (firm-wide ones shared from the cache), the departments,
    the queues, the requests needing attention. `now` is when the counts were taken."""
    now = now or timezone.now()
    limit = department_limit(user)
    requests = open_requests(user, limit)
    if limit is None:
        rows, now = _firm_counts(requests, now)
    else:
        rows = _board_counts(requests)
    department_ids = {r["department_id"] for r in rows if r["department_id"] is not None}
    departments = {d.pk: d for d in Department.objects.filter(pk__in=department_ids)} if department_ids else {}
    queue_ids = {r["queue_id"] for r in rows if r["queue_id"] is not None}
    queues = _names(Queue, queue_ids)
    board: dict[int | None, BoardDepartment] = {}
    lines: dict[tuple[int | None, int | None], BoardLine] = {}
    total = BoardLine(queue_id=None, name="")
    for r in rows:
        dept_id = r["department_id"]
        dept = board.get(dept_id)
        if dept is None:
            found = departments.get(dept_id) if dept_id is not None else None
            dept = board[dept_id] = BoardDepartment(queue_id=None, name=str(found) if found else "")
        line = lines.get((dept_id, r["queue_id"]))
        if line is None:
            line = lines[(dept_id, r["queue_id"])] = BoardLine(queue_id=r["queue_id"], name=queues.get(r["queue_id"], ""))
            dept.lines.append(line)
        for one in (line, dept, total):
            one.add(r["sla_state"], r["n"], r["n_bounced"], r["n_stuck"], r["oldest"])
    order = {pk: (d.order, d.pk) for pk, d in departments.items()}
    ordered = sorted(board.items(), key=lambda item: order.get(item[0], (10**6, 0)) if item[0] is not None else (10**7, 0))
    for _pk, dept in ordered:
        dept.lines.sort(key=lambda line: (line.queue_id is None, line.name))
    attention = list(
        requests.filter(Q(bounced=True) | Q(stuck=True))
        .select_related("customer", "owner", "department", "queue")
        .order_by("created_at", "id")[:ATTENTION_ROWS]
    )
    return Board(departments=[dept for _pk, dept in ordered], total=total, attention=attention, now=now)


# --- The flow between departments, and the time spent in each -----------------------------------------


@dataclass(frozen=True)
class Flow:
    source_id: int
    target_id: int
    source: str
    target: str
    count: int
    seconds: int


@dataclass
class FlowChart:
    flows: list[Flow]
    departments: dict[int, str]

    @property
    def total(self) -> int:
        return sum(flow.count for flow in self.flows)

    @property
    def returns(self) -> int:
        """Handoffs along a pair that also flows the other way: the back-and-forth the chart shows as a loop."""
        pairs = {(f.source_id, f.target_id) for f in self.flows}
        return sum(f.count for f in self.flows if (f.target_id, f.source_id) in pairs)


def handoff_flow(*, user: Any, period: Period) -> FlowChart:
    """Handoffs between departments over the period, from the daily rollup. Two queries."""
    rows = HandoffDay.objects.filter(day__gte=period.start, day__lte=period.end)
    limit = department_limit(user)
    if limit is not None:
        rows = rows.filter(Q(from_department_id__in=limit) | Q(to_department_id__in=limit))
    summed = list(rows.order_by().values("from_department_id", "to_department_id").annotate(n=Sum("count"), s=Sum("seconds")))
    ids = {r["from_department_id"] for r in summed} | {r["to_department_id"] for r in summed}
    names = _names(Department, ids)
    flows = [Flow(source_id=r["from_department_id"], target_id=r["to_department_id"], source=names.get(r["from_department_id"], ""),
                  target=names.get(r["to_department_id"], ""), count=int(r["n"]), seconds=int(r["s"] or 0))
             for r in summed]  # fmt: skip
    flows.sort(key=lambda f: (-f.count, f.source, f.target))
    return FlowChart(flows=flows, departments=names)


@dataclass(frozen=True)
class DepartmentTime:
    department_id: int
    name: str
    stays: int
    median_seconds: float | None
    mean_seconds: float | None


def department_times(*, user: Any, period: Period) -> list[DepartmentTime]:
    """The median (from the summed histograms, within `histogram.RELATIVE_ERROR`) and mean length of the
    stays in each department that ended in the period. Two queries."""
    rows = DepartmentTimeDay.objects.filter(day__gte=period.start, day__lte=period.end)
    limit = department_limit(user)
    if limit is not None:
        rows = rows.filter(department_id__in=limit)
    buckets: dict[int, histogram.Buckets] = {}
    counts: dict[int, list[int]] = {}
    for department_id, count, seconds, one in rows.order_by().values_list("department_id", "count", "seconds", "buckets"):
        histogram.add(buckets.setdefault(department_id, {}), one)
        total = counts.setdefault(department_id, [0, 0])
        total[0] += count
        total[1] += seconds
    departments = {d.pk: d for d in Department.objects.filter(pk__in=buckets)} if buckets else {}
    found = [
        DepartmentTime(department_id=pk, name=str(departments[pk]) if pk in departments else "", stays=counts[pk][0],
                       median_seconds=histogram.quantile(buckets[pk]),
                       mean_seconds=counts[pk][1] / counts[pk][0] if counts[pk][0] else None)
        for pk in buckets
    ]  # fmt: skip
    found.sort(key=lambda t: (departments[t.department_id].order, t.department_id) if t.department_id in departments else (10**6, 0))
    return found
