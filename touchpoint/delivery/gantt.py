"""The Gantt chart of a project, laid out on the server: phases, tasks and milestones on a time axis,
a today line, late tasks and the critical chain marked. Read-only; three queries whatever the size.

Critical means no slack: counting back from the last day of the plan along the "depends on" chains,
the task's end cannot move without moving the end of the project.
"""

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from touchpoint.delivery.models import OPEN_TASK, Milestone, Project, TaskDependency, TaskStatus

MONTH_LABEL_DAYS = 10  # a month shown for fewer days than this has no room for its "YYYY-MM" label


@dataclass
class Bar:
    kind: str  # "phase" | "task" | "milestone"
    label: str
    start: date
    end: date
    left: float = 0.0  # percent of the axis
    width: float = 0.0
    status: str = ""
    status_label: str = ""
    assignee: str = ""
    late: bool = False
    critical: bool = False
    done: bool = False
    depth: int = 0
    pk: int = 0
    depends_on: list[int] = field(default_factory=list)


@dataclass
class Chart:
    start: date
    end: date
    rows: list[Bar]
    months: list[dict[str, Any]]
    today_left: float | None
    late_count: int  # open tasks past their end
    critical_count: int
    late_milestones: int = 0  # open milestones past their due date, drawn red as well


def _critical(tasks: Sequence[Mapping[str, Any]], edges: list[tuple[int, int]]) -> set[int]:
    """Task ids with no slack, by a backward pass over the dependency graph (acyclic by construction)."""
    by_id = {t["id"]: t for t in tasks if t["status"] != TaskStatus.CANCELLED}
    if not by_id:
        return set()
    dependents: dict[int, list[int]] = {i: [] for i in by_id}
    waits_on: dict[int, list[int]] = {i: [] for i in by_id}
    remaining = dict.fromkeys(by_id, 0)
    for task_id, depends_id in edges:
        if task_id in by_id and depends_id in by_id:
            dependents[depends_id].append(task_id)
            waits_on[task_id].append(depends_id)
            remaining[depends_id] += 1
    finish = max(t["end_on"] for t in by_id.values())
    latest_finish: dict[int, date] = {}
    ready = deque(i for i, n in remaining.items() if n == 0)
    while ready:
        node = ready.popleft()
        if dependents[node]:
            latest_finish[node] = min(
                latest_finish[d] - timedelta(days=(by_id[d]["end_on"] - by_id[d]["start_on"]).days + 1) for d in dependents[node]
            )
        else:
            latest_finish[node] = finish
        for depends_id in waits_on[node]:
            remaining[depends_id] -= 1
            if remaining[depends_id] == 0:
                ready.append(depends_id)
    return {i for i, lf in latest_finish.items() if lf <= by_id[i]["end_on"] and by_id[i]["status"] in OPEN_TASK}


def gantt(project: Project, *, today: date | None = None) -> Chart:
    from django.utils.translation import get_language

    today = today or timezone.localdate()
    english = (get_language() or "").startswith("en")
    phases = list(project.phases.order_by("order", "id").values("id", "name", "name_en"))
    tasks = list(
        project.tasks.order_by("start_on", "order", "id").values(
            "id", "name", "phase_id", "start_on", "end_on", "status", "assignee__full_name", "assignee__username"
        )
    )
    edges = list(TaskDependency.objects.filter(task__project=project).values_list("task_id", "depends_on_id"))
    milestones = list(Milestone.objects.filter(project=project).order_by("due_on", "id"))
    critical = _critical(tasks, edges)
    waits: dict[int, list[int]] = {}
    for task_id, depends_id in edges:
        waits.setdefault(task_id, []).append(depends_id)

    dates = [project.start_on, project.planned_end_on] + [t["start_on"] for t in tasks] + [t["end_on"] for t in tasks]
    dates += [m.due_on for m in milestones]
    if project.is_running:
        dates.append(today)  # a late plan still shows where today is
    start = min(dates)
    end = max(dates)
    start = start - timedelta(days=start.weekday())  # from a Monday
    end = end + timedelta(days=6 - end.weekday())  # to a Sunday
    span = (end - start).days + 1

    def place(bar: Bar) -> Bar:
        bar.left = round(100 * (bar.start - start).days / span, 3)
        bar.width = round(max(100 * ((bar.end - bar.start).days + 1) / span, 0.4), 3)
        return bar

    status_labels = dict(TaskStatus.choices)
    rows: list[Bar] = []
    tasks_by_phase: dict[int | None, list[Mapping[str, Any]]] = {}
    for task in tasks:
        tasks_by_phase.setdefault(task["phase_id"], []).append(task)
    milestones_by_phase: dict[int | None, list[Milestone]] = {}
    for milestone in milestones:
        milestones_by_phase.setdefault(milestone.phase_id, []).append(milestone)
    late_count = 0
    late_milestones = 0

    def task_rows(items: list[Mapping[str, Any]]) -> None:
        nonlocal late_count
        for task in items:
            late = task["status"] in OPEN_TASK and task["end_on"] < today
            late_count += late
            rows.append(place(Bar(
                kind="task", label=task["name"], start=task["start_on"], end=task["end_on"], status=task["status"],
                status_label=str(status_labels.get(task["status"], "")),
                assignee=task["assignee__full_name"] or task["assignee__username"] or "", late=late,
                critical=task["id"] in critical, done=task["status"] == TaskStatus.DONE, depth=1, pk=task["id"],
                depends_on=waits.get(task["id"], []),
            )))  # fmt: skip

    def milestone_rows(items: list[Milestone]) -> None:
        nonlocal late_milestones
        for milestone in items:
            late = not milestone.is_accepted and milestone.due_on < today
            late_milestones += late
            rows.append(place(Bar(
                kind="milestone", label=str(milestone), start=milestone.due_on, end=milestone.due_on,
                status=milestone.status, status_label=milestone.get_status_display(), done=milestone.is_accepted,
                late=late, depth=1, pk=milestone.pk,
            )))  # fmt: skip

    for phase in phases:
        items = tasks_by_phase.get(phase["id"], [])
        own_milestones = milestones_by_phase.get(phase["id"], [])
        spans = [t["start_on"] for t in items] + [t["end_on"] for t in items] + [m.due_on for m in own_milestones]
        if spans:
            label = phase["name_en"] if english and phase["name_en"] else phase["name"]
            done = bool(items) and all(t["status"] in (TaskStatus.DONE, TaskStatus.CANCELLED) for t in items)
            rows.append(place(Bar(kind="phase", label=label, start=min(spans), end=max(spans), done=done, pk=phase["id"])))
        task_rows(items)
        milestone_rows(own_milestones)
    task_rows(tasks_by_phase.get(None, []))
    milestone_rows(milestones_by_phase.get(None, []))

    months = []
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        following = date(cursor.year + (cursor.month == 12), cursor.month % 12 + 1, 1)
        first, last = max(cursor, start), min(following - timedelta(days=1), end)
        width = round(100 * ((last - first).days + 1) / span, 3)
        # A month cut short at either end of the axis keeps its line but not its label, which would run
        # into the next month's ("2026-082026-09").
        shown = (last - first).days + 1 >= MONTH_LABEL_DAYS or span <= MONTH_LABEL_DAYS * 2
        months.append({"label": cursor.strftime("%Y-%m"), "left": round(100 * (first - start).days / span, 3),
                       "width": width, "show_label": shown})  # fmt: skip
        cursor = following
    today_left = round(100 * (today - start).days / span, 3) if start <= today <= end else None
    return Chart(start=start, end=end, rows=rows, months=months, today_left=today_left,
                 late_count=late_count, critical_count=len(critical), late_milestones=late_milestones)  # fmt: skip
