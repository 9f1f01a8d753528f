"""What delivery shows elsewhere: the 360's projects panel, and the engineer's, PM's and maintenance lead's workspace panels."""

from typing import Any

from django.db.models import Count, Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import Panel, customer_panels, workspace_panels
from touchpoint.customers.models import Customer
from touchpoint.delivery import access, selectors
from touchpoint.delivery.models import OPEN_TASK, RUNNING, Handover, HandoverStatus
from touchpoint.org.policy import may

ENGINEERS = frozenset({"engineer", "project_manager"})
MANAGERS = frozenset({"project_manager"})
LEADS = frozenset({"maintenance_lead"})
ROWS = 8


def customer_projects(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    """Every project of the customer the reader may see, running first, each with its handover."""
    user = request.user
    if not may(user, "project", "view"):
        return None
    projects = list(
        access.visible_projects(user).filter(customer=customer).select_related("manager")
        .annotate(open_tasks=Count("tasks", filter=Q(tasks__status__in=OPEN_TASK)))
        .order_by("-start_on", "-id")[:10]
    )  # fmt: skip
    if not projects:
        return None
    handovers = {h.project_id: h for h in Handover.objects.filter(project__in=projects)}
    for project in projects:
        project.handover_record = handovers.get(project.pk)  # type: ignore[attr-defined]
    return {"projects": projects, "customer": customer, "running": sum(p.status in RUNNING for p in projects)}


def my_tasks_panel(request: HttpRequest) -> dict[str, Any] | None:
    tasks = list(selectors.my_tasks(request.user)[:ROWS])
    return {"tasks": tasks, "today": timezone.localdate()}


def my_projects_panel(request: HttpRequest) -> dict[str, Any] | None:
    projects = list(selectors.project_list(request.user, status="running").filter(manager_id=request.user.pk)[:ROWS])
    waiting = selectors.time_to_approve(request.user).aggregate(entries=Count("id"), hours=Sum("hours"))
    return {"projects": projects, "waiting": waiting, "milestones": list(selectors.milestones_due(request.user, within_days=14)[:5]),
            "today": timezone.localdate()}  # fmt: skip


def handovers_to_sign_panel(request: HttpRequest) -> dict[str, Any] | None:
    """Submitted handovers that wait for the maintenance centre's signature, the oldest submission first."""
    waiting = (
        access.visible_handovers(request.user)
        .filter(status=HandoverStatus.SUBMITTED, lead_signed_by__isnull=True)
        .select_related("project", "project__manager", "customer", "pm_signed_by")
        .order_by("submitted_at", "id")
    )
    return {"handovers": list(waiting[:ROWS]), "count": waiting.count()}


customer_panels.register(Panel("projects", _("Projects"), "delivery/panels/customer_projects.html", customer_projects, order=28))
workspace_panels.register(Panel("my_tasks", _("My tasks"), "delivery/panels/my_tasks.html", my_tasks_panel,
                                order=20, positions=ENGINEERS))  # fmt: skip
workspace_panels.register(Panel("my_projects", _("My projects"), "delivery/panels/my_projects.html", my_projects_panel,
                                order=21, positions=MANAGERS))  # fmt: skip
workspace_panels.register(Panel("handovers_to_sign", _("Handovers awaiting my signature"), "delivery/panels/handovers_to_sign.html",
                                handovers_to_sign_panel, order=19, positions=LEADS))  # fmt: skip
