"""What the maintenance centre's pages share: fetching a request through the access layer, the
refusal helpers, and who may change the service settings."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from touchpoint.org.http import AuthedRequest
from touchpoint.org.models import Position
from touchpoint.service.access import visible_requests
from touchpoint.service.models import ServiceRequest

PAGE_SIZE = 25
DETAIL_FIELDS = ("customer", "contact", "owner", "queue", "queue__department", "assignee", "department", "product",
                 "product_version", "installed_item", "installed_item__module", "coverage", "calendar", "sla_policy",
                 "scheduled_order", "campaign_target__campaign")  # fmt: skip


def request_for(request: AuthedRequest, pk: int) -> ServiceRequest:
    """The service request if the user may see it; 404 otherwise, whether or not it exists."""
    return get_object_or_404(visible_requests(request.user).select_related(*DETAIL_FIELDS), pk=pk)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def may_configure(user: Any) -> bool:
    """Queues, routing, SLA policies, calendars and the flow settings: admins and maintenance leads."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or {Position.ADMIN, Position.MAINTENANCE_LEAD} & set(user.positions))
