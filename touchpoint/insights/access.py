"""Who may open the flow monitor and the service reports.

The pages are a policy entity of their own ("service_insights"): the maintenance lead and the
executive see them by default, and an admin may open them to other positions in the policy table.
A department head sees them too, for the requests their department works. What the pages count
always comes from the reader's visible requests (`touchpoint.service.access.visible_requests`);
the firm-wide rollups (the flow chart, the medians, the report series) only to those whose scope
over requests is the whole firm, and otherwise narrowed to their departments where the rollup
carries a department.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.org.models import Department, Membership
from touchpoint.org.policy import S, may, register_entity, row, scope_of
from touchpoint.service.access import visible_requests
from touchpoint.service.models import OPEN, ServiceRequest

ENTITY = "service_insights"

register_entity(
    ENTITY,
    label=_("Flow monitor and service reports"),
    defaults={
        "maintenance_lead": row(view=S.ALL, export=S.ALL),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(view=S.ALL, export=S.ALL),
    },
    actions=("view", "export"),
)


def headed_department_ids(user: Any) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    if not hasattr(user, "_insights_headed"):
        user._insights_headed = list(Department.objects.filter(head_id=user.pk).values_list("pk", flat=True))
    return list(user._insights_headed)


def may_view_insights(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (may(user, ENTITY, "view") or bool(headed_department_ids(user)))


def may_export_insights(user: Any) -> bool:
    return may_view_insights(user) and (may(user, ENTITY, "export") or bool(headed_department_ids(user)))


def department_limit(user: Any) -> list[int] | None:
    """None: the reader sees the firm's figures; else the departments the pages are narrowed to: those the
    reader heads, and with a narrower scope in the policy table the departments they work in."""
    scope = scope_of(user, ENTITY, "view")
    if user.is_superuser or (scope >= S.ALL and scope_of(user, "service_request", "view") >= S.ALL):
        return None
    limit = set(headed_department_ids(user))
    if scope > S.NONE:
        limit.update(Membership.objects.filter(user_id=user.pk).values_list("department_id", flat=True))
    return sorted(limit)


# The default of `open_requests`: work the limit out.
UNKNOWN: Any = object()


def open_requests(user: Any, limit: Any = UNKNOWN) -> QuerySet[ServiceRequest]:
    """The open requests the board shows: the reader's visible ones, within their departments when narrowed
    (`limit`: the reader's `department_limit`, when the caller has it already)."""
    requests = visible_requests(user).filter(status__in=OPEN)
    if limit is UNKNOWN:
        limit = department_limit(user)
    return requests if limit is None else requests.filter(department_id__in=limit)
