"""Every write to the plan: phases, tasks and their dependencies, the requirements tasks deliver,
milestones and their acceptance.

A task moves todo → in progress → done (or blocked, or cancelled); a task cannot start before the
tasks it depends on are done, and dependencies never form a cycle. Accepting a milestone fires its
delivery event on the contract, so the payment milestones waiting for it fall due and finance sees
the invoice request.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.delivery.models import (
    Milestone,
    MilestoneStatus,
    Phase,
    Project,
    ProjectMember,
    Task,
    TaskDependency,
    TaskRequirement,
    TaskStatus,
    TeamRole,
)
from touchpoint.delivery.services.health import health_refresh
from touchpoint.delivery.services.projects import ensure_started, member_add, notify, payload, project_url, require_running
from touchpoint.sales.models import DeliveryEvent

TASK_CREATED = event_type("project.task_created", kind=EventKind.DELIVERY, label=gettext_lazy("Task planned"))
TASK_CHANGED = event_type("project.task_changed", kind=EventKind.DELIVERY, label=gettext_lazy("Task changed"))
TASK_STATUS = event_type("project.task_status", kind=EventKind.DELIVERY, label=gettext_lazy("Task status changed"))
MILESTONE_ACCEPTED = event_type(
    "project.milestone_accepted", kind=EventKind.DELIVERY, label=gettext_lazy("Project milestone accepted")
)

TASK_MOVES: dict[str, set[str]] = {
    TaskStatus.TODO: {TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.BLOCKED, TaskStatus.CANCELLED},
    TaskStatus.IN_PROGRESS: {TaskStatus.DONE, TaskStatus.BLOCKED, TaskStatus.TODO, TaskStatus.CANCELLED},
    TaskStatus.BLOCKED: {TaskStatus.IN_PROGRESS, TaskStatus.TODO, TaskStatus.CANCELLED},
    TaskStatus.DONE: {TaskStatus.IN_PROGRESS},
    TaskStatus.CANCELLED: {TaskStatus.TODO},
}


def check_dates(start: date | None, end: date | None, *, field: str = "end_on") -> None:
    if start is None:
        raise ValidationError({"start_on": _("Enter a start date.")})
    if end is None:
        raise ValidationError({field: _("Enter an end date.")})
    if end < start:
        raise ValidationError({field: _("The end cannot be before the start.")})


# --- Phases ----------------------------------------------------------------------------------------------


@transaction.atomic
def phase_add(*, project: Project, by: Any, name: str, name_en: str = "") -> Phase:
    require_running(project)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the phase a name.")})
    order = (project.phases.aggregate(top=Max("order"))["top"] or 0) + 1
    return Phase.objects.create(project=project, order=order, name=name[:80], name_en=(name_en or "").strip()[:80])


@transaction.atomic
def phase_rename(*, phase: Phase, by: Any, name: str, name_en: str = "") -> Phase:
    require_running(phase.project)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the phase a name.")})
    phase.name, phase.name_en = name[:80], (name_en or "").strip()[:80]
    phase.save(update_fields=["name", "name_en"])
    return phase


# --- Tasks -----------------------------------------------------------------------------------------------


def _check_assignee(project: Project, assignee: Any, by: Any) -> None:
    """An assignee joins the team as an engineer if they are not on it yet."""
    if assignee is None:
        return
    if not assignee.is_active:
        raise ValidationError({"assignee": _("This user is deactivated.")})
    if not ProjectMember.objects.filter(project=project, user=assignee).exists():
        member_add(project=project, user=assignee, role=TeamRole.ENGINEER, by=by)


def _check_phase(project: Project, phase: Phase | None) -> None:
    if phase is not None and phase.project_id != project.pk:
        raise ValidationError({"phase": _("The phase must belong to this project.")})


def _check_estimate(estimate: Any) -> Decimal:
    try:
        value = Decimal(estimate if estimate not in (None, "") else 0)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError({"estimate_hours": _("Enter the estimate in hours.")}) from None
    if value < 0 or value > Decimal("99999"):
        raise ValidationError({"estimate_hours": _("The estimate must be between 0 and 99,999 hours.")})
    return value.quantize(Decimal("0.1"))


def _notify_assignee(task: Task, by: Any) -> None:
    if task.assignee_id and task.assignee_id != getattr(by, "pk", None):
        notify(task.assignee, f"task:{task.pk}:assigned:{task.assignee_id}",
               _("Task assigned to you: %(task)s (%(project)s)") % {"task": task.name, "project": task.project.number},
               project_url(task.project) + "tasks/")  # fmt: skip


@transaction.atomic
def task_create(
    *,
    project: Project,
    by: Any,
    name: str,
    start_on: date | None,
    end_on: date | None,
    phase: Phase | None = None,
    assignee: Any = None,
    estimate_hours: Any = 0,
    description: str = "",
    depends_on: Iterable[Task] = (),
    requirement_keys: Iterable[int] = (),
) -> Task:
    require_running(project)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the task a name.")})
    check_dates(start_on, end_on)
    assert start_on is not None and end_on is not None
    _check_phase(project, phase)
    estimate = _check_estimate(estimate_hours)
    _check_assignee(project, assignee, by)
    order = (project.tasks.aggregate(top=Max("order"))["top"] or 0) + 1
    task = Task.objects.create(
        project=project, customer_id=project.customer_id, phase=phase, order=order, name=name[:160],
        description=(description or "")[:5000], assignee=assignee, start_on=start_on, end_on=end_on, estimate_hours=estimate,
    )  # fmt: skip
    if depends_on:
        task_dependencies_set(task=task, depends_on=depends_on, by=by)
    if requirement_keys:
        task_requirements_set(task=task, requirement_keys=requirement_keys, by=by)
    event_record(verb=TASK_CREATED, actor=by, customer_id=project.customer_id, target=project,
                 payload=payload(project, task=task.name, task_id=task.pk, assignee=str(assignee or "")))  # fmt: skip
    _notify_assignee(task, by)
    health_refresh(project)
    return task


TASK_FIELDS = ("name", "description", "phase", "assignee", "start_on", "end_on", "estimate_hours")


@transaction.atomic
def task_update(*, task: Task, by: Any, expected_version: int, **values: Any) -> Task:
    current = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
    project = current.project
    require_running(project)
    if current.version != expected_version:
        raise ValidationError(_("Someone else changed this task meanwhile; reload it and make your change again."))
    if "name" in values:
        values["name"] = (values["name"] or "").strip()[:160]
        if not values["name"]:
            raise ValidationError({"name": _("Give the task a name.")})
    if "estimate_hours" in values:
        values["estimate_hours"] = _check_estimate(values["estimate_hours"])
    if "phase" in values:
        _check_phase(project, values["phase"])
    check_dates(values.get("start_on", current.start_on), values.get("end_on", current.end_on))
    reassigned = "assignee" in values and getattr(values["assignee"], "pk", None) != current.assignee_id
    if reassigned:
        _check_assignee(project, values["assignee"], by)
    changed = []
    for field in TASK_FIELDS:
        if field in values and getattr(current, field) != values[field]:
            setattr(current, field, values[field])
            changed.append(field)
    if not changed:
        return current
    current.version += 1
    current.save()
    event_record(verb=TASK_CHANGED, actor=by, customer_id=project.customer_id, target=project,
                 payload=payload(project, task=current.name, task_id=current.pk, changed=changed))  # fmt: skip
    if reassigned:
        _notify_assignee(current, by)
    health_refresh(project)
    return current


@transaction.atomic
def task_set_status(*, task: Task, to: str, by: Any) -> Task:
    current = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
    require_running(current.project)
    if to not in TASK_MOVES.get(current.status, set()):
        label = TaskStatus(to).label if to in TaskStatus.values else to
        raise ValidationError({"status": _("A task that is “%(from)s” cannot become “%(to)s”.")
                               % {"from": current.get_status_display(), "to": label}})  # fmt: skip
    if to in (TaskStatus.IN_PROGRESS, TaskStatus.DONE):
        waiting = [t.name for t in current.depends_on.exclude(status__in=(TaskStatus.DONE, TaskStatus.CANCELLED))]
        if waiting:
            raise ValidationError({"status": _("This task waits for: %(tasks)s.") % {"tasks": "、".join(waiting)}})
    if to in (TaskStatus.IN_PROGRESS, TaskStatus.DONE):
        ensure_started(current.project, by)
    before = current.status
    current.status = to
    current.done_on = timezone.localdate() if to == TaskStatus.DONE else None
    current.version += 1
    current.save(update_fields=["status", "done_on", "version", "updated_at"])
    event_record(verb=TASK_STATUS, actor=by, customer_id=current.customer_id, target=current.project,
                 payload=payload(current.project, task=current.name, task_id=current.pk, before=before, after=to))  # fmt: skip
    health_refresh(current.project)
    return current


def _reaches(start_ids: set[int], target_id: int, project_id: int) -> bool:
    """Whether `target_id` is reachable from `start_ids` along "depends on" edges (one query for the
    project's whole dependency graph)."""
    edges: dict[int, list[int]] = {}
    for task_id, depends_id in TaskDependency.objects.filter(task__project_id=project_id).values_list("task_id", "depends_on_id"):
        edges.setdefault(task_id, []).append(depends_id)
    seen: set[int] = set()
    stack = list(start_ids)
    while stack:
        node = stack.pop()
        if node == target_id:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(edges.get(node, ()))
    return False


@transaction.atomic
def task_dependencies_set(*, task: Task, depends_on: Iterable[Task], by: Any) -> list[Task]:
    """Replace what the task waits for. A task never waits for itself, for another project's task,
    or (through a chain) for a task that waits for it."""
    # Lock the project's plan so that two concurrent edits cannot close a cycle between them, and
    # read its status under that lock rather than from the caller's copy.
    require_running(Project.objects.select_for_update().get(pk=task.project_id))
    wanted = {t.pk: t for t in depends_on}
    if task.pk in wanted:
        raise ValidationError({"depends_on": _("A task cannot depend on itself.")})
    if any(t.project_id != task.project_id for t in wanted.values()):
        raise ValidationError({"depends_on": _("A task can only depend on tasks of the same project.")})
    existing = set(TaskDependency.objects.filter(task=task).values_list("depends_on_id", flat=True))
    added = set(wanted) - existing
    if added and _reaches(added, task.pk, task.project_id):
        names = "、".join(wanted[i].name for i in sorted(added))
        raise ValidationError({"depends_on": _("That would make a circle: %(tasks)s already waits for “%(task)s”.")
                               % {"tasks": names, "task": task.name}})  # fmt: skip
    TaskDependency.objects.filter(task=task).exclude(depends_on_id__in=wanted).delete()
    TaskDependency.objects.bulk_create([TaskDependency(task=task, depends_on_id=i) for i in sorted(added)])
    return list(wanted.values())


@transaction.atomic
def task_requirements_set(*, task: Task, requirement_keys: Iterable[int], by: Any) -> list[int]:
    """Which of the contract's requirements (snapshot ids) the task delivers."""
    project = Project.objects.select_related("contract").get(pk=task.project_id)
    require_running(project)
    known = {int(entry["id"]) for entry in project.contract.scope or [] if isinstance(entry, dict) and "id" in entry}
    try:
        keys = {int(k) for k in requirement_keys}
    except (TypeError, ValueError):
        raise ValidationError({"requirements": _("Only the contract's requirements can be linked.")}) from None
    unknown = keys - known
    if unknown:
        raise ValidationError({"requirements": _("Only the contract's requirements can be linked.")})
    TaskRequirement.objects.filter(task=task).exclude(requirement_key__in=keys).delete()
    present = set(TaskRequirement.objects.filter(task=task).values_list("requirement_key", flat=True))
    TaskRequirement.objects.bulk_create(
        [TaskRequirement(project_id=task.project_id, task=task, requirement_key=k) for k in sorted(keys - present)]
    )
    return sorted(keys)


# --- Milestones ------------------------------------------------------------------------------------------


@transaction.atomic
def milestone_create(
    *, project: Project, by: Any, name: str, due_on: date | None, delivery_event: str = "", phase: Phase | None = None,
    name_en: str = "",
) -> Milestone:
    require_running(project)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the milestone a name.")})
    if due_on is None:
        raise ValidationError({"due_on": _("Enter the date it is due.")})
    if delivery_event and delivery_event not in DeliveryEvent.values:
        raise ValidationError({"delivery_event": _("Unknown delivery event.")})
    _check_phase(project, phase)
    milestone = Milestone.objects.create(
        project=project, customer_id=project.customer_id, phase=phase, name=name[:80], name_en=(name_en or "").strip()[:80],
        due_on=due_on, delivery_event=delivery_event,
    )  # fmt: skip
    health_refresh(project)
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, by: Any, **values: Any) -> Milestone:
    current = Milestone.objects.select_for_update().select_related("project").get(pk=milestone.pk)
    require_running(current.project)
    if current.is_accepted:
        raise ValidationError(_("An accepted milestone cannot be changed."))
    if "name" in values and not (values["name"] or "").strip():
        raise ValidationError({"name": _("Give the milestone a name.")})
    if "due_on" in values and values["due_on"] is None:
        raise ValidationError({"due_on": _("Enter the date it is due.")})
    if values.get("delivery_event") and values["delivery_event"] not in DeliveryEvent.values:
        raise ValidationError({"delivery_event": _("Unknown delivery event.")})
    for field in ("name", "name_en", "due_on", "delivery_event", "phase"):
        if field in values:
            setattr(current, field, values[field])
    current.save()
    health_refresh(current.project)
    return current


@transaction.atomic
def milestone_accept(*, milestone: Milestone, by: Any, accepted_on: date | None = None, note: str = "") -> Milestone:
    """The customer accepted the milestone: record it and fire its delivery event on the contract, so
    that the payment milestones waiting for it fall due (finance's invoice requests)."""
    from touchpoint.sales.services.contracts import delivery_event_fire

    current = Milestone.objects.select_for_update().select_related("project__contract").get(pk=milestone.pk)
    project = current.project
    require_running(project)
    if current.is_accepted:
        raise ValidationError({"status": _("This milestone was already accepted on %(day)s.")
                               % {"day": current.accepted_on.isoformat() if current.accepted_on else ""}})  # fmt: skip
    accepted_on = accepted_on or timezone.localdate()
    if accepted_on > timezone.localdate():
        raise ValidationError({"accepted_on": _("The acceptance date cannot be in the future.")})
    ensure_started(project, by)
    current.status = MilestoneStatus.ACCEPTED
    current.accepted_on, current.accepted_at, current.accepted_by = accepted_on, timezone.now(), by
    current.save(update_fields=["status", "accepted_on", "accepted_at", "accepted_by", "updated_at"])
    due = []
    if current.delivery_event and project.contract.status == "active":
        due = delivery_event_fire(contract=project.contract, event=current.delivery_event, by=by)
        current.payments_due.add(*due)
    event_record(
        verb=MILESTONE_ACCEPTED, actor=by, customer_id=project.customer_id, target=project,
        payload=payload(project, milestone=current.name, milestone_en=current.name_en, milestone_id=current.pk,
                        accepted_on=accepted_on.isoformat(),
                        payments_due=[m.name for m in due], note=(note or "")[:300]),
    )  # fmt: skip
    if current.delivery_event == DeliveryEvent.GO_LIVE and project.status == "in_progress":
        from touchpoint.delivery.services.handover import handover_open

        handover_open(project=project, by=by)
    health_refresh(project)
    return current
