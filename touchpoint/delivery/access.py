"""Who may see and do what in delivery: projects (with their plan, risks, documents and reports),
timesheets and handovers.

'Own' means:
- a project: its project manager, anyone on the team of a project that is still running, and the
  customer's owner and account team. Team and department scopes follow the project manager;
- a time entry: the person who logged it, and the manager of its project;
- a handover: as its project.

Once a project is handed over or closed its team's 'own' reach ends, and so does the account-team
membership the project gave them: an engineer then no longer sees the customer's records.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.customers.access import account_customer_ids
from touchpoint.delivery.models import RUNNING, Handover, Project, ProjectMember, TimeEntry
from touchpoint.org.models import Position
from touchpoint.org.policy import Rules, S, may, register_entity, row

register_entity(
    "project",
    label=_("Projects"),
    defaults={
        "sales_rep": row(view=S.OWN),
        "sales_manager": row(view=S.ALL, export=S.ALL),
        # create: open a project for a contract; edit: the plan, team, risks, documents, reports;
        # assign: name the project manager.
        "project_manager": row(view=S.ALL, create=S.ALL, edit=S.OWN, export=S.ALL, assign=S.DEPARTMENT),
        "engineer": row(view=S.OWN),
        "maintenance_agent": row(view=S.ALL),
        "maintenance_lead": row(view=S.ALL, export=S.ALL),
        "finance": row(view=S.ALL, export=S.ALL),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL, assign=S.ALL),
    },
    actions=("view", "create", "edit", "export", "assign"),
)
register_entity(
    "timesheet",
    label=_("Timesheets"),
    defaults={
        # create: log one's own time; edit: approve or reject.
        "engineer": row(view=S.OWN, create=S.OWN),
        "project_manager": row(view=S.OWN, create=S.OWN, edit=S.OWN, export=S.OWN),
        "finance": row(view=S.ALL, export=S.ALL),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL),
    },
    actions=("view", "create", "edit", "export"),
)
register_entity(
    "handover",
    label=_("Handovers"),
    defaults={
        "sales_rep": row(view=S.OWN),
        "sales_manager": row(view=S.ALL),
        "project_manager": row(view=S.ALL, edit=S.OWN),
        "engineer": row(view=S.OWN),
        "maintenance_agent": row(view=S.ALL),
        # edit: sign for the maintenance centre, or send it back.
        "maintenance_lead": row(view=S.ALL, edit=S.ALL),
        "finance": row(view=S.ALL),
        "executive": row(view=S.ALL),
        "admin": row(view=S.ALL, edit=S.ALL),
    },
    actions=("view", "edit"),
)


def running_project_ids(user: Any) -> QuerySet:
    """Projects the user is on while they run (the team's reach), as a subquery."""
    return ProjectMember.objects.filter(user_id=user.pk, project__status__in=RUNNING).values("project_id")


def _own_project(user: Any) -> Q:
    return (
        Q(manager_id=user.pk)
        | Q(pk__in=running_project_ids(user))
        | Q(customer__owner_id=user.pk)
        | Q(customer_id__in=account_customer_ids(user))
    )


def _own_time(user: Any) -> Q:
    return Q(user_id=user.pk) | Q(project__manager_id=user.pk)


def _own_handover(user: Any) -> Q:
    return (
        Q(project__manager_id=user.pk)
        | Q(project_id__in=running_project_ids(user))
        | Q(customer__owner_id=user.pk)
        | Q(customer_id__in=account_customer_ids(user))
    )


PROJECT = Rules("project", owner_path="manager", own=_own_project)
TIMESHEET = Rules("timesheet", owner_path="user", own=_own_time)
HANDOVER = Rules("handover", owner_path="project__manager", own=_own_handover)


def visible_projects(user: Any) -> QuerySet[Project]:
    return PROJECT.scoped(user, "view", Project.objects.all())


def exportable_projects(user: Any) -> QuerySet[Project]:
    return PROJECT.scoped(user, "export", Project.objects.all())


def can_view_project(user: Any, project: Project) -> bool:
    return PROJECT.allows(user, project, "view")


def can_edit_project(user: Any, project: Project) -> bool:
    """Change the plan, the team, risks, documents and reports; nothing changes once it is archived."""
    return project.is_running and PROJECT.allows(user, project, "edit")


def can_assign_project(user: Any, project: Project) -> bool:
    """Name or change the project manager. A project nobody manages yet (just opened by a contract)
    may be taken by anyone with an assign scope."""
    if not project.is_running:
        return False
    if project.manager_id is None:
        return may(user, "project", "assign")
    return PROJECT.allows(user, project, "assign")


def may_create_projects(user: Any) -> bool:
    return may(user, "project", "create")


def may_export_projects(user: Any) -> bool:
    return may(user, "project", "export")


def can_work_on_task(user: Any, task: Any) -> bool:
    """Move a task along (start, finish, block): its assignee, or whoever may edit the plan."""
    if not task.project.is_running:
        return False
    return (task.assignee_id is not None and task.assignee_id == user.pk) or can_edit_project(user, task.project)


def visible_time(user: Any) -> QuerySet[TimeEntry]:
    return TIMESHEET.scoped(user, "view", TimeEntry.objects.all())


def exportable_time(user: Any) -> QuerySet[TimeEntry]:
    return TIMESHEET.scoped(user, "export", TimeEntry.objects.all())


def can_log_time(user: Any, project: Project) -> bool:
    """Log one's own hours on a running project one is on (or manages)."""
    if not project.is_running or not may(user, "timesheet", "create"):
        return False
    return project.manager_id == user.pk or ProjectMember.objects.filter(project=project, user_id=user.pk).exists()


def can_decide_time(user: Any, entry: TimeEntry) -> bool:
    """Approve or reject hours: the project's manager (or an admin); nobody approves their own."""
    return entry.user_id != user.pk and TIMESHEET.allows(user, entry, "edit")


def can_delete_time(user: Any, entry: TimeEntry) -> bool:
    return entry.user_id == user.pk and entry.status != "approved" and entry.project.is_running


def visible_handovers(user: Any) -> QuerySet[Handover]:
    return HANDOVER.scoped(user, "view", Handover.objects.all())


def can_view_handover(user: Any, handover: Handover) -> bool:
    return HANDOVER.allows(user, handover, "view")


def can_fill_handover(user: Any, handover: Handover) -> bool:
    """Fill in and submit: whoever may edit the project, while the handover is a draft."""
    return handover.is_editable and can_edit_project(user, handover.project)


def is_maintenance_lead(user: Any) -> bool:
    return Position.MAINTENANCE_LEAD in getattr(user, "positions", set())


def can_sign_handover(user: Any, handover: Handover) -> bool:
    """Sign as the project's manager, or as a maintenance lead; each once."""
    if handover.status != "submitted" or not user.is_authenticated or not user.is_active:
        return False
    if user.pk == handover.project.manager_id and handover.pm_signed_by_id is None:
        return True
    return is_maintenance_lead(user) and handover.lead_signed_by_id is None and HANDOVER.allows(user, handover, "edit")
