"""The event log: every meaningful change appends one row.

Apps declare their event types once with `event_type(...)`, then write with `event_record(...)`.
The timeline renders an event from its type's label and the payload, so events stay readable in
whichever language the reader uses.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise

from touchpoint.core.models import Event, EventKind


@dataclass(frozen=True)
class EventType:
    verb: str
    kind: str
    label: Promise | str


EVENT_TYPES: dict[str, EventType] = {}


def event_type(verb: str, *, kind: EventKind, label: Promise | str) -> str:
    EVENT_TYPES[verb] = EventType(verb=verb, kind=str(kind), label=label)
    return verb


def target_label(obj: models.Model) -> str:
    return obj._meta.label_lower


def event_record(
    *,
    verb: str,
    actor: Any,
    customer_id: int | None = None,
    target: models.Model | None = None,
    channel: str = "",
    department_id: int | None = None,
    payload: dict[str, Any] | None = None,
    occurred_at: Any = None,
) -> Event:
    """Append one event. The department defaults to the actor's own department."""
    kind = EVENT_TYPES[verb].kind
    if department_id is None and actor is not None:
        department_id = getattr(actor, "department_id", None)
    event = Event(
        verb=verb,
        kind=kind,
        actor=actor if actor is not None and actor.pk else None,
        customer_id=customer_id,
        department_id=department_id,
        channel=channel,
        target_type=target_label(target) if target is not None else "",
        target_id=target.pk if target is not None else None,
        payload=payload or {},
    )
    if occurred_at is not None:
        event.occurred_at = occurred_at
    event.save()
    return event


def event_label(event: Event) -> Promise | str:
    known = EVENT_TYPES.get(event.verb)
    return known.label if known else event.verb


def events_for_target(obj: models.Model) -> models.QuerySet[Event]:
    return Event.objects.filter(target_type=target_label(obj), target_id=obj.pk).order_by(
        "-occurred_at", "-id"
    )
