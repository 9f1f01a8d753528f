"""Project health (red, amber, green) from the schedule slip, overdue tasks and milestones, and open risks.

Health is stored on the project so that lists and dashboards read one column; every write that can
move it (tasks, milestones, risks, dates) refreshes it, and the scheduler refreshes every running
project daily, as days passing make tasks overdue.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from touchpoint.delivery.models import (
    OPEN_TASK,
    RUNNING,
    DeliverySettings,
    Health,
    Level,
    MilestoneStatus,
    Project,
    RiskKind,
    RiskStatus,
)


@dataclass
class Verdict:
    health: str
    forecast_end_on: date | None
    reasons: list[dict[str, Any]] = field(default_factory=list)


def health_compute(project: Project, *, today: date | None = None, settings: DeliverySettings | None = None) -> Verdict:
    today = today or timezone.localdate()
    settings = settings or DeliverySettings.current()
    tasks = project.tasks.aggregate(
        last_open=Max("end_on", filter=Q(status__in=OPEN_TASK)),
        overdue=Count("id", filter=Q(status__in=OPEN_TASK, end_on__lt=today)),
    )
    late_milestones = project.milestones.filter(status=MilestoneStatus.OPEN, due_on__lt=today).count()
    risks = project.risks.exclude(status=RiskStatus.CLOSED).aggregate(
        high_issues=Count("id", filter=Q(kind=RiskKind.ISSUE, impact=Level.HIGH)),
        high_risks=Count("id", filter=Q(kind=RiskKind.RISK, impact=Level.HIGH)),
    )
    forecast = tasks["last_open"]
    if forecast is not None and tasks["overdue"]:
        forecast = max(forecast, today)
    slip = max((forecast - project.planned_end_on).days, 0) if forecast else 0
    reasons: list[dict[str, Any]] = []
    if slip:
        reasons.append({"code": "slip", "days": slip})
    if tasks["overdue"]:
        reasons.append({"code": "overdue_tasks", "count": tasks["overdue"]})
    if late_milestones:
        reasons.append({"code": "late_milestones", "count": late_milestones})
    if risks["high_issues"]:
        reasons.append({"code": "high_issues", "count": risks["high_issues"]})
    if risks["high_risks"]:
        reasons.append({"code": "high_risks", "count": risks["high_risks"]})
    red = slip >= settings.red_slip_days or tasks["overdue"] >= settings.red_overdue_tasks or risks["high_issues"] > 0
    health = Health.RED if red else Health.AMBER if reasons else Health.GREEN
    return Verdict(health=health, forecast_end_on=forecast, reasons=reasons)


def health_refresh(project: Project, *, today: date | None = None, settings: DeliverySettings | None = None) -> Verdict:
    """Recompute and store one project's health (a running project's; an archived one keeps its last)."""
    verdict = health_compute(project, today=today, settings=settings)
    if project.status in RUNNING:
        Project.objects.filter(pk=project.pk).update(
            health=verdict.health, health_reasons=verdict.reasons, forecast_end_on=verdict.forecast_end_on,
            health_at=timezone.now(),
        )  # fmt: skip
        project.health, project.health_reasons, project.forecast_end_on = verdict.health, verdict.reasons, verdict.forecast_end_on
    return verdict


def health_refresh_all(*, today: date | None = None) -> int:
    """Every running project, for the daily job. Returns how many changed colour."""
    settings = DeliverySettings.current()
    changed = 0
    for project in Project.objects.filter(status__in=RUNNING).only("id", "planned_end_on", "status", "health").iterator(chunk_size=500):
        before = project.health
        changed += health_refresh(project, today=today, settings=settings).health != before
    return changed
