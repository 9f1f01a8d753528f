"""Who may see and do what in the maintenance centre, one module per group of entities."""

from touchpoint.service.access.mail import *  # noqa: F403
from touchpoint.service.access.maintenance import *  # noqa: F403
from touchpoint.service.access.records import *  # noqa: F403
from touchpoint.service.access.requests import (
    REQUEST,
    can_assign_request,
    can_log_request_for,
    can_view_request,
    can_work_request,
    may_log_requests,
    seat_queue_ids,
    visible_requests,
)

__all__ = [
    "REQUEST",
    "can_assign_request",
    "can_log_request_for",
    "can_view_request",
    "can_work_request",
    "may_log_requests",
    "seat_queue_ids",
    "visible_requests",
]
