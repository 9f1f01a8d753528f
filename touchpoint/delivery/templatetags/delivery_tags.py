"""Template helpers of the delivery pages."""

from typing import Any

from django import template

from touchpoint.core.models import Event
from touchpoint.delivery.models.plan import bilingual

register = template.Library()


@register.filter
def delivery_event_detail(event: Event) -> Any:
    """What an event on the project's feed is about: the task, milestone (in the reader's language), risk, document…"""
    data = event.payload or {}
    if data.get("task"):
        return data["task"]
    if data.get("milestone"):
        return bilingual(str(data["milestone"]), str(data.get("milestone_en") or ""))
    for key in ("risk", "document", "to"):
        if data.get(key):
            return data[key]
    return ""
