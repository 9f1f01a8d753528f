"""Durations on the flow monitor and the reports: ages of open requests, times in a department."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def span(seconds: float | None) -> str:
    """A wall-clock duration, at most two units: "3 d 4 h", "5 h 12 min", "40 min"."""
    if seconds is None:
        return "—"
    minutes = max(0, int(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


@register.filter
def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago `moment` was."""
    if moment is None:
        return "—"
    return span(((now or timezone.now()) - moment).total_seconds())


@register.filter
def div_hours(seconds: int | None, count: int | None) -> str:
    """Total seconds over a count, as hours with one decimal."""
    if not seconds or not count:
        return "—"
    return f"{seconds / count / 3600:.1f}"
