from decimal import Decimal
from functools import cache
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model
from django.urls import NoReverseMatch, reverse

from touchpoint.core.events import event_label
from touchpoint.core.extensions import event_links
from touchpoint.core.models import Event

register = template.Library()


@register.filter
def event_title(event: Event) -> Any:
    return event_label(event)


@register.filter
def event_url(event: Event) -> str:
    name = event_links.get(event.target_type)
    if not name or event.target_id is None:
        return ""
    try:
        return reverse(name, args=[event.target_id])
    except NoReverseMatch:
        return ""


@register.filter
def choice_label(record: Model, field_name: str) -> Any:
    """What `record.get_<field_name>_display` shows, for rows in a loop.

    Django rebuilds the field's choice map, translating every label, on each get_FOO_display call;
    here the map is built once per field and only the shown label is translated.
    """
    field = record._meta.get_field(field_name)
    value = getattr(record, field.attname)  # type: ignore[union-attr]
    return _choice_labels(field).get(value, value)  # type: ignore[arg-type]


@cache
def _choice_labels(field: Field) -> dict[Any, Any]:
    return dict(field.flatchoices)


@register.simple_tag(takes_context=True)
def query_replace(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination, sorting links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def event_headline(event: Event) -> str:
    """The one line an event is known by: a document number and title, a subject, a name, or a branch;
    a stage move adds where it went."""
    payload = event.payload or {}
    if payload.get("number"):
        return " ".join(str(part) for part in (payload["number"], payload.get("title", "")) if part)
    if payload.get("title") and payload.get("from") and payload.get("to") and "from_code" in payload:
        return f"{payload['title']}: {payload['from']} → {payload['to']}"
    for key in ("subject", "name", "title", "branch", "merged", "username"):
        if payload.get(key):
            return str(payload[key])
    return ""


@register.simple_tag
def field_label(event: Event, change: dict[str, Any]) -> str:
    """A changed field's name in the reader's language (the payload keeps the writer's as a fallback)."""
    try:
        model = apps.get_model(event.target_type)
        return str(model._meta.get_field(change.get("field", "")).verbose_name)  # type: ignore[union-attr]
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return str(change.get("label", ""))


@register.filter
def amount(value: Any) -> str:
    """A money amount with thousands separators and two decimals (1,234,567.80), whatever the language."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(value):,.2f}"
    except (ArithmeticError, TypeError, ValueError):
        return ""


@register.simple_tag(takes_context=True)
def customer_badges(context: Any, customer: Any) -> list[dict[str, Any]]:
    """The badges registered for a customer (risk…), for `{% customer_badges customer as badges %}`."""
    from touchpoint.core.extensions import customer_badges as registry

    request = context.get("request")
    if request is None or customer is None:
        return []
    return registry.render_context(request, request.user.positions, customer=customer)
