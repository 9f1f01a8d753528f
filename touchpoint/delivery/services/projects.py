"""Every write to a project as a whole: opening it from a contract and a template, the team, the
customer-side contacts, the project manager, and its status.

    planning ──start──▶ in progress ◀──resume── on hold
        │                   │ hold ──────────────▲
        │                   ▼ (go-live accepted, handover opened)
        │                handing over ──(handover signed by both)──▶ closed
        └────────── cancel (any running status) ──────────────────▶ cancelled

While a project runs, everyone on its team sits on the customer's account team (a membership that
expires with the project). Closing or cancelling ends those memberships.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.notifications import notify as core_notify
from touchpoint.core.numbering import next_number
from touchpoint.customers.models import AccountRole, Contact, Customer
from touchpoint.customers.services import account_member_grant, account_members_expire, customer_service_handoff
from touchpoint.delivery.models import (
    RUNNING,
    CustomerRole,
    DeliverySettings,
    Milestone,
    Phase,
    Project,
    ProjectContact,
    ProjectMember,
    ProjectStatus,
    ProjectTemplate,
    Task,
    TeamRole,
)
from touchpoint.sales.models import Contract, ContractStatus, LineKind

PROJECT_CREATED = event_type("project.created", kind=EventKind.DELIVERY, label=gettext_lazy("Project opened"))
PROJECT_UPDATED = event_type("project.updated", kind=EventKind.DELIVERY, label=gettext_lazy("Project updated"))
PROJECT_MANAGER_SET = event_type(
    "project.manager_set", kind=EventKind.HANDOFF, label=gettext_lazy("Project manager assigned")
)
PROJECT_TEAM_CHANGED = event_type("project.team_changed", kind=EventKind.DELIVERY, label=gettext_lazy("Project team changed"))
PROJECT_STATUS_CHANGED = event_type(
    "project.status_changed", kind=EventKind.DELIVERY, label=gettext_lazy("Project status changed")
)

PROJECT_MOVES: dict[str, set[str]] = {
    ProjectStatus.PLANNING: {ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED},
    ProjectStatus.IN_PROGRESS: {ProjectStatus.ON_HOLD, ProjectStatus.HANDOVER, ProjectStatus.CANCELLED},
    ProjectStatus.ON_HOLD: {ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED},
    ProjectStatus.HANDOVER: {ProjectStatus.IN_PROGRESS, ProjectStatus.CLOSED},
    ProjectStatus.CLOSED: set(),
    ProjectStatus.CANCELLED: set(),
}
ACCOUNT_ROLE: dict[str, str] = {
    TeamRole.MANAGER: AccountRole.PROJECT_MANAGER,
    TeamRole.ENGINEER: AccountRole.ENGINEER,
    TeamRole.SALES: AccountRole.ACCOUNT_MANAGER,
    TeamRole.FINANCE: AccountRole.FINANCE,
}


def grant_key(project: Project) -> str:
    return f"project:{project.pk}"


def project_url(project: Project) -> str:
    return f"/projects/{project.pk}/"


def notify(recipient: Any, key: str, text: str, url: str) -> None:
    if recipient is None or not recipient.is_active:
        return
    core_notify(recipient.pk, key, text, url)


def payload(project: Project, **extra: Any) -> dict[str, Any]:
    return {"number": project.number, "name": project.name, **extra}


def locked(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


def require_running(project: Project) -> None:
    if not project.is_running:
        raise ValidationError(_("This project is %(status)s; its records are archived and read-only.")
                              % {"status": project.get_status_display()})  # fmt: skip


# --- Opening a project -------------------------------------------------------------------------------


def template_for(contract: Contract) -> ProjectTemplate | None:
    """The template of the product the contract sells most modules of; else the default template."""
    counts: dict[int, int] = {}
    if contract.quote_id is not None:
        for product_id in contract.quote.lines.filter(kind=LineKind.LICENCE, module__isnull=False).values_list(  # type: ignore[union-attr]
            "module__product_id", flat=True
        ):
            counts[product_id] = counts.get(product_id, 0) + 1
    for product_id, _count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        found = ProjectTemplate.objects.filter(is_active=True, products=product_id).order_by("-is_default", "id").first()
        if found is not None:
            return found
    return ProjectTemplate.objects.filter(is_active=True, is_default=True).order_by("id").first()


def _template_tasks(text: str) -> list[tuple[str, Decimal]]:
    """"name | hours" lines, the hours optional."""
    tasks = []
    for line in (text or "").splitlines():
        name, _sep, hours = line.partition("|")
        name = name.strip()
        if not name:
            continue
        try:
            estimate = Decimal(hours.strip() or 0)
        except InvalidOperation:
            estimate = Decimal(0)
        tasks.append((name[:160], max(estimate, Decimal(0))))
    return tasks


def _lay_out(project: Project, template: ProjectTemplate, start: date) -> date:
    """Phases one after another from `start`, each phase's tasks in a chain, a milestone at its end.
    Returns the last day of the plan."""
    day = start
    previous: Task | None = None
    order = 0
    for template_phase in template.phases.order_by("order", "id"):
        phase = Phase.objects.create(project=project, order=template_phase.order, name=template_phase.name,
                                     name_en=template_phase.name_en)
        length = max(int(template_phase.duration_days), 1)
        end = day + timedelta(days=length - 1)
        tasks = _template_tasks(template_phase.tasks) or [(template_phase.name, Decimal(0))]
        share = max(length // len(tasks), 1)
        for index, (name, estimate) in enumerate(tasks):
            task_start = min(day + timedelta(days=index * share), end)
            task_end = end if index == len(tasks) - 1 else min(task_start + timedelta(days=share - 1), end)
            order += 1
            task = Task.objects.create(project=project, customer_id=project.customer_id, phase=phase, order=order,
                                       name=name, start_on=task_start, end_on=task_end, estimate_hours=estimate)  # fmt: skip
            if previous is not None:
                task.depends_on.add(previous)
            previous = task
        if template_phase.milestone_name:
            Milestone.objects.create(project=project, customer_id=project.customer_id, phase=phase,
                                     name=template_phase.milestone_name, name_en=template_phase.milestone_name_en,
                                     due_on=end, delivery_event=template_phase.milestone_event)  # fmt: skip
        day = end + timedelta(days=1)
    return day - timedelta(days=1)


@transaction.atomic
def project_open(
    *,
    contract: Contract,
    by: Any,
    template: ProjectTemplate | None = None,
    name: str = "",
    start_on: date | None = None,
    manager: Any = None,
) -> Project:
    """Open the implementation project of an active contract, laid out from its template."""
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"contract": _("Only an active contract gets an implementation project.")})
    if Project.objects.filter(contract=contract).exclude(status=ProjectStatus.CANCELLED).exists():
        raise ValidationError({"contract": _("This contract already has a project.")})
    template = template or template_for(contract)
    start = start_on or contract.signed_on or timezone.localdate()
    settings = DeliverySettings.current()
    project = Project.objects.create(
        number=next_number("P"), name=(name or contract.title).strip()[:160], customer_id=contract.customer_id,
        contract=contract, template=template, start_on=start, planned_end_on=start, hourly_cost=settings.hourly_cost,
    )  # fmt: skip
    if template is not None:
        project.planned_end_on = max(_lay_out(project, template, start), start)
        project.save(update_fields=["planned_end_on"])
    event_record(verb=PROJECT_CREATED, actor=by, customer_id=project.customer_id, target=project,
                 payload=payload(project, contract=contract.number, template=str(template or "")))  # fmt: skip
    member_add(project=project, user=contract.owner, role=TeamRole.SALES, by=by)
    if manager is not None:
        project = project_set_manager(project=project, manager=manager, by=by, reason=_("Named when the project was opened."))
    from touchpoint.delivery.services.health import health_refresh

    health_refresh(project)
    return project


def open_for_activated_contract(contract: Contract, by: Any) -> Project | None:
    """The contract-activation hook: every newly signed contract gets its project; an addendum
    (a change to a contract that already has one) does not."""
    if contract.quote_id is not None and contract.quote.amends_id is not None:  # type: ignore[union-attr]
        return None
    if Project.objects.filter(contract=contract).exists():
        return None
    return project_open(contract=contract, by=by)


# --- Team ----------------------------------------------------------------------------------------------


def _grant(project: Project, user: Any, role: str, by: Any) -> None:
    if project.is_running:
        account_member_grant(customer=project.customer, user=user, role=ACCOUNT_ROLE[role],
                             expires_with=grant_key(project), by=by)  # fmt: skip


@transaction.atomic
def member_add(*, project: Project, user: Any, role: str, by: Any) -> ProjectMember:
    require_running(project)
    if role not in TeamRole.values:
        raise ValidationError({"role": _("Choose a role on the project.")})
    if not user.is_active:
        raise ValidationError({"user": _("This user is deactivated.")})
    member, created = ProjectMember.objects.get_or_create(project=project, user=user, defaults={"role": role})
    if not created and member.role != role and member.role != TeamRole.MANAGER:
        member.role = role
        member.save(update_fields=["role"])
    _grant(project, user, member.role, by)
    if created:
        event_record(verb=PROJECT_TEAM_CHANGED, actor=by, customer_id=project.customer_id, target=project,
                     payload=payload(project, added=str(user), role=role))  # fmt: skip
        if user.pk != getattr(by, "pk", None):
            notify(user, f"project:{project.pk}:member:{user.pk}",
                   _("You are on the team of project %(project)s.") % {"project": project}, project_url(project))  # fmt: skip
    return member


@transaction.atomic
def member_remove(*, project: Project, user: Any, by: Any) -> None:
    require_running(project)
    if user.pk == project.manager_id:
        raise ValidationError({"user": _("The project manager stays on the team; name another manager first.")})
    deleted, _rows = ProjectMember.objects.filter(project=project, user=user).delete()
    if deleted:
        _end_grant_of(project, user, by)
        event_record(verb=PROJECT_TEAM_CHANGED, actor=by, customer_id=project.customer_id, target=project,
                     payload=payload(project, removed=str(user)))  # fmt: skip


def _other_running_grant(project: Project, user_id: int) -> str | None:
    other = (
        ProjectMember.objects.filter(user_id=user_id, project__customer_id=project.customer_id, project__status__in=RUNNING)
        .exclude(project=project)
        .values_list("project_id", flat=True)
        .first()
    )
    return f"project:{other}" if other else None


def _end_grant_of(project: Project, user: Any, by: Any) -> None:
    other = _other_running_grant(project, user.pk)
    account_members_expire(expires_with=grant_key(project), by=by, user=user, keep={user.pk: other} if other else None)


def team_access_expire(project: Project, by: Any) -> list[str]:
    """The team's temporary access to the customer ends (handover signed, project cancelled).
    Someone who is also on another running project of the customer keeps it through that one."""
    keep = {}
    for user_id in ProjectMember.objects.filter(project=project).values_list("user_id", flat=True):
        other = _other_running_grant(project, user_id)
        if other:
            keep[user_id] = other
    return account_members_expire(expires_with=grant_key(project), by=by, keep=keep)


@transaction.atomic
def project_set_manager(*, project: Project, manager: Any, by: Any, reason: str = "") -> Project:
    """Name (or change) the project manager: a logged handoff. The PM answers for the customer's
    service while the project runs, unless the maintenance centre already does."""
    project = locked(project)
    require_running(project)
    if not manager.is_active:
        raise ValidationError({"manager": _("This user is deactivated.")})
    previous = project.manager
    if previous is not None and previous.pk == manager.pk:
        return project
    if previous is not None and not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the project changes hands.")})
    project.manager = manager
    project.version += 1
    project._history_user = by  # type: ignore[attr-defined]
    project.save(update_fields=["manager", "version", "updated_at"])
    if previous is not None:
        ProjectMember.objects.filter(project=project, user=previous, role=TeamRole.MANAGER).update(role=TeamRole.ENGINEER)
    ProjectMember.objects.update_or_create(project=project, user=manager, defaults={"role": TeamRole.MANAGER})
    _grant(project, manager, TeamRole.MANAGER, by)
    event_record(
        verb=PROJECT_MANAGER_SET, actor=by, customer_id=project.customer_id, target=project,
        department_id=manager.department_id,
        payload=payload(project, **{
            "from": str(previous or ""), "from_id": previous.pk if previous else None,
            "from_department": str(previous.department or "") if previous else "",
            "to": str(manager), "to_id": manager.pk, "to_department": str(manager.department or ""),
            "reason": (reason or "").strip()[:500],
        }),
    )  # fmt: skip
    customer = Customer.objects.select_related("service_department").get(pk=project.customer_id)
    if customer.service_owner_id is None or customer.service_owner_id == getattr(previous, "pk", None):
        customer_service_handoff(customer=customer, to_user=manager, to_department=manager.department, by=by,
                                 reason=_("Project %(project)s is being delivered.") % {"project": project.number})  # fmt: skip
    if manager.pk != getattr(by, "pk", None):
        notify(manager, f"project:{project.pk}:manager:{manager.pk}",
               _("You manage project %(project)s.") % {"project": project}, project_url(project))  # fmt: skip
    return project


@transaction.atomic
def contact_add(*, project: Project, contact: Contact, role: str, by: Any) -> ProjectContact:
    require_running(project)
    if contact.customer_id != project.customer_id:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    if role not in CustomerRole.values:
        raise ValidationError({"role": _("Choose the contact's role.")})
    link, _created = ProjectContact.objects.get_or_create(project=project, contact=contact, role=role)
    return link


@transaction.atomic
def contact_remove(*, link: ProjectContact, by: Any) -> None:
    require_running(link.project)
    link.delete()


# --- Edits and status ----------------------------------------------------------------------------------

PROJECT_FIELDS = ("name", "description", "start_on", "planned_end_on", "hourly_cost")


@transaction.atomic
def project_update(*, project: Project, by: Any, expected_version: int, **values: Any) -> Project:
    current = locked(project)
    require_running(current)
    if current.version != expected_version:
        raise ValidationError(_("Someone else changed this project meanwhile; reload it and make your change again."))
    changed = {}
    for field in PROJECT_FIELDS:
        if field in values and getattr(current, field) != values[field]:
            changed[field] = values[field]
            setattr(current, field, values[field])
    if current.planned_end_on < current.start_on:
        raise ValidationError({"planned_end_on": _("The end cannot be before the start.")})
    current.full_clean(exclude=["customer", "contract", "template", "manager"])
    if not changed:
        return current
    current.version += 1
    current._history_user = by  # type: ignore[attr-defined]
    current.save()
    event_record(verb=PROJECT_UPDATED, actor=by, customer_id=current.customer_id, target=current,
                 payload=payload(current, changed=sorted(changed)))  # fmt: skip
    from touchpoint.delivery.services.health import health_refresh

    health_refresh(current)
    return current


def move(project: Project, to: str) -> None:
    if to not in PROJECT_MOVES[project.status]:
        raise ValidationError({"status": _("A project that is “%(from)s” cannot become “%(to)s”.")
                               % {"from": project.get_status_display(), "to": ProjectStatus(to).label}})  # fmt: skip
    project.status = to


def ensure_started(project: Project, by: Any) -> None:
    """Work begun on a project still in planning (a task started, time logged, a milestone accepted)
    starts it."""
    if project.status == ProjectStatus.PLANNING:
        # Decided on the locked row: someone else's work may have started it since this copy was read.
        if locked(project).status == ProjectStatus.PLANNING:
            project_move(project=project, to=ProjectStatus.IN_PROGRESS, by=by)
        project.refresh_from_db(fields=["status", "version"])


@transaction.atomic
def project_move(*, project: Project, to: str, by: Any, reason: str = "") -> Project:
    """Start, hold, resume or cancel; closing happens only through the handover."""
    if to == ProjectStatus.CLOSED:
        raise ValidationError({"status": _("A project closes when both sign its handover.")})
    project = locked(project)
    before = project.status
    move(project, to)
    if to in (ProjectStatus.ON_HOLD, ProjectStatus.CANCELLED) and not (reason or "").strip():
        raise ValidationError({"reason": _("Say why.")})
    if to == ProjectStatus.CANCELLED:
        project.closed_at = timezone.now()
    project.version += 1
    project._history_user = by  # type: ignore[attr-defined]
    project.save()
    event_record(verb=PROJECT_STATUS_CHANGED, actor=by, customer_id=project.customer_id, target=project,
                 payload=payload(project, before=before, after=to, reason=(reason or "").strip()[:500]))  # fmt: skip
    if to == ProjectStatus.CANCELLED:
        team_access_expire(project, by)
        from touchpoint.delivery.services.documents import documents_archive

        documents_archive(project)
    return project

