"""Words the customer reads for statuses: plainer than the staff's, and their own catalogue entries."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

REQUEST_STATUS = {
    "new": _("Request received"), "triaged": _("Being assigned"), "in_progress": _("Being worked on"),
    "waiting": _("Waiting for your answer"), "resolved": _("Solved, please confirm"), "closed": _("Request closed"),
}  # fmt: skip
CONTRACT_STATUS = {"active": _("In force"), "expired": _("Ended"), "renewed": _("Renewed"), "cancelled": _("Contract cancelled")}
COMPLAINT_STATUS = {
    "open": _("Complaint received"), "investigating": _("Under investigation"), "action_taken": _("Action taken"),
    "closed": _("Complaint closed"),
}  # fmt: skip


@register.filter
def request_status(value: str) -> str:
    return str(REQUEST_STATUS.get(value, value))


@register.filter
def contract_status(value: str) -> str:
    return str(CONTRACT_STATUS.get(value, value))


@register.filter
def complaint_status(value: str) -> str:
    return str(COMPLAINT_STATUS.get(value, value))
