"""Who may see and work service requests.

'Own' means a request the user owns as case owner, is assigned to, waits in a queue the user sits
in, or belongs to a customer the user owns or is on the account team of. Team and department scopes
follow the case owner. The maintenance centre sees and works every request; other departments work
what reaches their queues.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import portal_customers
from touchpoint.customers.access import account_customer_ids, can_view_customer
from touchpoint.org.policy import Rules, S, may, register_entity, row
from touchpoint.service.models import Queue, QueueMember, ServiceRequest

register_entity(
    "service_request",
    label=_("Service requests"),
    defaults={
        "sales_rep": row(view=S.OWN, create=S.OWN, edit=S.OWN),
        "sales_manager": row(view=S.ALL, create=S.ALL, edit=S.OWN, export=S.ALL),
        "project_manager": row(view=S.ALL, create=S.ALL, edit=S.OWN),
        "engineer": row(view=S.OWN, create=S.OWN, edit=S.OWN),
        # edit: work the request (reply, status, transfer); assign: pick who works it, change the case owner.
        "maintenance_agent": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL, assign=S.DEPARTMENT),
        "maintenance_lead": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL, assign=S.ALL),
        "finance": row(view=S.ALL, create=S.ALL, edit=S.OWN),
        "marketing": row(view=S.OWN),
        "executive": row(view=S.ALL, export=S.ALL),
        "admin": row(view=S.ALL, create=S.ALL, edit=S.ALL, export=S.ALL, assign=S.ALL),
    },
    actions=("view", "create", "edit", "export", "assign"),
)


def seat_queue_ids(user: Any) -> QuerySet:
    return QueueMember.objects.filter(user_id=user.pk, is_active=True).values("queue_id")


def _own_request(user: Any) -> Q:
    return (
        Q(owner_id=user.pk)
        | Q(assignee_id=user.pk)
        | Q(queue_id__in=seat_queue_ids(user))
        | Q(customer__owner_id=user.pk)
        | Q(customer_id__in=account_customer_ids(user))
    )


REQUEST = Rules("service_request", owner_path="owner", own=_own_request, portal_path="customer")


def visible_requests(user: Any) -> QuerySet[ServiceRequest]:
    return REQUEST.scoped(user, "view", ServiceRequest.objects.all())


def can_view_request(user: Any, request: ServiceRequest) -> bool:
    return REQUEST.allows(user, request, "view")


def can_work_request(user: Any, request: ServiceRequest) -> bool:
    """Reply, change the status, transfer to another queue."""
    return REQUEST.allows(user, request, "edit")


def can_assign_request(user: Any, request: ServiceRequest) -> bool:
    """Pick the agent, or change the case owner: a lead of the queue it waits in, or an assign scope."""
    if request.queue_id is not None and Queue.objects.filter(pk=request.queue_id, lead_id=user.pk).exists():
        return True
    return REQUEST.allows(user, request, "assign")


def may_log_requests(user: Any) -> bool:
    return may(user, "service_request", "create")


def can_log_request_for(user: Any, customer: Any) -> bool:
    portal = portal_customers(user)
    if portal is not None:  # a customer user logs requests for their own customer only
        return customer.pk in portal
    return may_log_requests(user) and can_view_customer(user, customer)
