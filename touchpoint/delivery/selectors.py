"""Reads of delivery. Every list starts from the access layer."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from touchpoint.delivery.access import visible_projects, visible_time
from touchpoint.delivery.models import (
    OPEN_TASK,
    RUNNING,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectMember,
    Task,
    TaskRequirement,
    TaskStatus,
    TimeEntry,
    TimeStatus,
)


def project_list(user: Any, *, status: str = "", health: str = "", manager_id: int | None = None, mine: bool = False,
                 q: str = "", customer_id: int | None = None) -> QuerySet[Project]:  # fmt: skip
    """The projects the user may see, filtered; "running" as a status means any not yet archived."""
    projects = visible_projects(user).select_related("customer", "manager", "contract")
    if status == "running":
        projects = projects.filter(status__in=RUNNING)
    elif status:
        projects = projects.filter(status=status)
    if health:
        projects = projects.filter(health=health)
    if manager_id:
        projects = projects.filter(manager_id=manager_id)
    if mine:
        # Two indexed id lookups beat an OR across a join that then needs DISTINCT (and a DISTINCT count).
        ids = set(Project.objects.filter(manager_id=user.pk).values_list("pk", flat=True))
        ids.update(ProjectMember.objects.filter(user_id=user.pk).values_list("project_id", flat=True))
        projects = projects.filter(pk__in=ids)
    if customer_id:
        projects = projects.filter(customer_id=customer_id)
    q = (q or "").strip()
    if q:
        projects = projects.filter(Q(number__icontains=q) | Q(name__icontains=q) | Q(customer__name__icontains=q))
    return projects.order_by("-start_on", "-id")


def my_tasks(user: Any, *, include_done: bool = False) -> QuerySet[Task]:
    """The user's tasks on running projects, soonest end first (served by the open-task index)."""
    tasks = Task.objects.filter(assignee_id=user.pk, project__status__in=RUNNING)
    if not include_done:
        tasks = tasks.filter(status__in=OPEN_TASK)
    return tasks.select_related("project", "project__customer", "phase").order_by("end_on", "id")


def milestones_due(user: Any, *, within_days: int = 30) -> QuerySet[Milestone]:
    """Open milestones of the PM's projects due within the window (or already late)."""
    horizon = timezone.localdate() + timedelta(days=within_days)
    return (
        Milestone.objects.filter(project__manager_id=user.pk, project__status__in=RUNNING, status=MilestoneStatus.OPEN,
                                 due_on__lte=horizon)
        .select_related("project", "project__customer")
        .order_by("due_on", "id")
    )  # fmt: skip


def time_to_approve(user: Any) -> QuerySet[TimeEntry]:
    """Submitted hours on the projects the user manages, other people's only."""
    return (
        visible_time(user)
        .filter(project__manager_id=user.pk, status=TimeStatus.SUBMITTED)
        .exclude(user_id=user.pk)
        .select_related("user", "task", "project")
        .order_by("work_date", "user_id", "id")
    )


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class TimesheetRow:
    task: Task
    hours: list[Decimal]
    total: Decimal


@dataclass
class Timesheet:
    week_start: date
    days: list[date]
    rows: list[TimesheetRow] = field(default_factory=list)
    day_totals: list[Decimal] = field(default_factory=list)
    total: Decimal = Decimal(0)


def timesheet_week(user: Any, week_start: date) -> Timesheet:
    """The user's hours of one week, one row per task, one column per day (rejected hours left out)."""
    days = [week_start + timedelta(days=i) for i in range(7)]
    entries = (
        TimeEntry.objects.filter(user_id=user.pk, work_date__range=(days[0], days[-1]))
        .exclude(status=TimeStatus.REJECTED)
        .values("task_id", "work_date")
        .annotate(hours=Sum("hours"))
    )
    by_task: dict[int, dict[date, Decimal]] = {}
    for row in entries:
        by_task.setdefault(row["task_id"], {})[row["work_date"]] = row["hours"]
    tasks = {t.pk: t for t in Task.objects.filter(pk__in=by_task).select_related("project")}
    sheet = Timesheet(week_start=week_start, days=days)
    for task_id, hours_by_day in sorted(by_task.items(), key=lambda item: (tasks[item[0]].project.number, item[0])):
        hours = [hours_by_day.get(day, Decimal(0)) for day in days]
        sheet.rows.append(TimesheetRow(task=tasks[task_id], hours=hours, total=sum(hours, Decimal(0))))
    sheet.day_totals = [sum((r.hours[i] for r in sheet.rows), Decimal(0)) for i in range(7)]
    sheet.total = sum(sheet.day_totals, Decimal(0))
    return sheet


@dataclass
class CoverageRow:
    key: int
    area: str
    description: str
    priority: str
    tasks: list[Task]
    delivered: bool
    accepted: bool

    def get_priority_display(self) -> str:
        """The priority as the contract's requirements show it ("Must have"), in the reader's language."""
        from touchpoint.sales.models import Priority

        return str(dict(Priority.choices).get(self.priority, self.priority))


def requirement_coverage(project: Project) -> list[CoverageRow]:
    """The contract's requirement snapshot against the tasks that deliver it and their acceptance:
    delivered when all its tasks are done, accepted when the milestones of their phases are accepted."""
    links: dict[int, list[Task]] = {}
    for link in TaskRequirement.objects.filter(project=project).select_related("task__phase"):
        links.setdefault(link.requirement_key, []).append(link.task)
    accepted_phases = set(
        project.milestones.filter(status=MilestoneStatus.ACCEPTED, phase__isnull=False).values_list("phase_id", flat=True)
    )
    rows = []
    for entry in project.contract.scope or []:
        if not isinstance(entry, dict) or "id" not in entry:
            continue
        tasks = [t for t in links.get(int(entry["id"]), []) if t.status != TaskStatus.CANCELLED]
        delivered = bool(tasks) and all(t.status == TaskStatus.DONE for t in tasks)
        accepted = delivered and all(t.phase_id in accepted_phases for t in tasks)
        rows.append(CoverageRow(key=int(entry["id"]), area=str(entry.get("area_name", "")), description=str(entry.get("description", "")),
                                priority=str(entry.get("priority", "")), tasks=tasks, delivered=delivered, accepted=accepted))  # fmt: skip
    return rows


def project_figures(project: Project) -> dict[str, Any]:
    """The headline figures of a project page: progress, hours, cost against the contract."""
    tasks = project.tasks.aggregate(
        total=Count("id", filter=~Q(status=TaskStatus.CANCELLED)),
        done=Count("id", filter=Q(status=TaskStatus.DONE)),
        overdue=Count("id", filter=Q(status__in=OPEN_TASK, end_on__lt=timezone.localdate())),
        estimate=Sum("estimate_hours", filter=~Q(status=TaskStatus.CANCELLED)),
    )
    hours = project.time_entries.exclude(status=TimeStatus.REJECTED).aggregate(total=Sum("hours"))["total"] or Decimal(0)
    cost = (hours * project.hourly_cost).quantize(Decimal("0.01"))
    return {
        "tasks_total": tasks["total"], "tasks_done": tasks["done"], "tasks_overdue": tasks["overdue"],
        "progress": round(100 * tasks["done"] / tasks["total"]) if tasks["total"] else 0,
        "estimate_hours": tasks["estimate"] or Decimal(0), "hours": hours, "cost": cost,
        "contract_amount": project.contract.amount,
        "cost_share": round(100 * cost / project.contract.amount, 1) if project.contract.amount else None,
    }  # fmt: skip
