"""The live SLA badge: what is left (or how far past) of the business time to the next deadline."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from touchpoint.core.calendar import schedule_of
from touchpoint.service.forms import STATE_LABELS, STATUS_LABELS
from touchpoint.service.models import ServiceRequest, SlaState
from touchpoint.service.sla import state_at

register = template.Library()

COLOURS = {
    SlaState.OK: "text-bg-success", SlaState.WARNING: "text-bg-warning", SlaState.BREACHED: "text-bg-danger",
    SlaState.PAUSED: "text-bg-secondary", SlaState.MET: "text-bg-light border border-success text-success-emphasis",
    SlaState.NONE: "text-bg-light border",
}  # fmt: skip


@register.filter
def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@register.filter
def sla_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def business_duration(seconds: int) -> str:
    minutes = max(0, seconds) // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": minutes}


def next_deadline(request: ServiceRequest) -> tuple[str, datetime | None]:
    """The deadline the clock runs against now: the first response until it is given, then the resolution."""
    if request.responded_at is None and request.response_due_at is not None:
        return "response", request.response_due_at
    return "resolution", request.resolution_due_at


def sla_facts(request: ServiceRequest, now: datetime | None = None) -> dict[str, Any]:
    """State, which deadline, and the business seconds left (negative when overdue)."""
    now = now or timezone.now()
    state = state_at(request, now)
    which, due = next_deadline(request)
    left: int | None = None
    if state in (SlaState.OK, SlaState.WARNING, SlaState.BREACHED) and request.is_open and due is not None:
        if request.calendar is not None:
            schedule = schedule_of(request.calendar)
            left = schedule.business_seconds(now, due) if due > now else -schedule.business_seconds(due, now)
        else:
            left = int((due - now).total_seconds())
    return {"state": state, "which": which, "due": due, "left": left}


@register.simple_tag
def sla_badge(request: ServiceRequest, now: datetime | None = None) -> SafeString:
    facts = sla_facts(request, now)
    state, left, due = facts["state"], facts["left"], facts["due"]
    if left is not None:
        duration = business_duration(abs(left))
        if facts["which"] == "response":
            text = _("Response overdue %(time)s") % {"time": duration} if left <= 0 else _("Response in %(time)s") % {"time": duration}
        else:
            text = _("Overdue %(time)s") % {"time": duration} if left <= 0 else _("Resolve in %(time)s") % {"time": duration}
        if left <= 0:
            state = SlaState.BREACHED
    else:
        text = sla_label(state)
    title = _("Due %(at)s (business time)") % {"at": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")} if due else ""
    return format_html('<span class="badge sla-badge {}" data-sla="{}" title="{}">{}</span>', COLOURS.get(state, "text-bg-light"),
                       state, title, text)  # fmt: skip


@register.filter
def duration_hours(seconds: int | None) -> str:
    """Seconds as hours with one decimal (time spent in a department)."""
    return f"{(seconds or 0) / 3600:.1f}"


@register.filter
def category_label(value: str) -> str:
    """A routing rule's category (a plain column) in the reader's language."""
    from touchpoint.service.models import Category

    return str(dict(Category.choices).get(value, value))


@register.filter
def size_tier_label(value: str) -> str:
    from touchpoint.customers.models import SizeTier

    return str(dict(SizeTier.choices).get(value, value))
