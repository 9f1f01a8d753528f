"""Watching the flow: SLA warnings and breaches, stuck requests, and the escalation ladder.

The ladder has three rungs: the case owner's lead (their team's lead, else the queue's lead), then
the head of the department the request sits in, then the executive named in the service settings.
Each rung is reached once per reason; every escalation is a row, an event and a notification.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.calendar import schedule_of
from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.notifications import notify
from touchpoint.org.models import Department, Membership, Position, Team
from touchpoint.service.models import OPEN, Escalation, EscalationReason, ServiceRequest, ServiceSettings, SlaState
from touchpoint.service.sla import state_at

REQUEST_ESCALATED = event_type("request.escalated", kind=EventKind.SERVICE, label=gettext_lazy("Service request escalated"))
REQUEST_SLA = event_type("request.sla", kind=EventKind.SERVICE, label=gettext_lazy("SLA warning or breach"))
TOP_RUNG = 3


def owner_lead_id(request: ServiceRequest) -> int | None:
    if request.owner_id is not None:
        lead = Team.objects.filter(members=request.owner_id).exclude(lead=None).exclude(lead_id=request.owner_id)
        lead_id = lead.order_by("id").values_list("lead_id", flat=True).first()
        if lead_id is not None:
            return int(lead_id)
    return request.queue.lead_id if request.queue_id is not None and request.queue is not None else None


def department_head_id(request: ServiceRequest) -> int | None:
    if request.department_id is None:
        return None
    head = Department.objects.filter(pk=request.department_id).values_list("head_id", flat=True).first()
    return int(head) if head is not None else None


def executive_id() -> int | None:
    chosen = ServiceSettings.current().executive_id
    if chosen is not None:
        return int(chosen)
    first = (Membership.objects.filter(position=Position.EXECUTIVE, user__is_active=True)
             .order_by("user_id").values_list("user_id", flat=True).first())  # fmt: skip
    return int(first) if first is not None else None


def rung_recipient(request: ServiceRequest, level: int) -> int | None:
    if level == 1:
        return owner_lead_id(request)
    if level == 2:
        return department_head_id(request) or owner_lead_id(request)
    return executive_id()


def notify_about(user_id: int | None, key: str, text: str, request: ServiceRequest) -> None:
    """An in-app notification linking to the request, once per key (sweeps may run twice)."""
    notify(user_id, key, text, f"/service/requests/{request.pk}/")


def escalate(request: ServiceRequest, *, reason: str, by: Any, note: str = "", now: datetime | None = None,
             level: int | None = None) -> Escalation | None:  # fmt: skip
    """Raise the request one rung (or to `level`) for `reason`; None when that rung was reached already."""
    now = now or timezone.now()
    level = min(TOP_RUNG, level or request.escalation_level + 1)
    if Escalation.objects.filter(request=request, level=level, reason=reason).exists():
        return None
    to_user_id = rung_recipient(request, level)
    escalation = Escalation.objects.create(request=request, customer_id=request.customer_id, level=level, reason=reason,
                                           to_user_id=to_user_id, note=note[:500], by=by, at=now)  # fmt: skip
    ServiceRequest.objects.filter(pk=request.pk, escalation_level__lt=level).update(escalation_level=level)
    request.escalation_level = max(request.escalation_level, level)
    label = EscalationReason(reason).label
    event_record(verb=REQUEST_ESCALATED, actor=by, customer_id=request.customer_id, target=request,
                 payload={"number": request.number, "level": level, "reason": reason, "note": note})  # fmt: skip
    text = _("Escalated to you (level %(level)s, %(why)s): %(number)s %(subject)s") % {
        "level": level, "why": label, "number": request.number, "subject": request.subject}
    notify_about(to_user_id, f"request:{request.pk}:escalation:{escalation.pk}", text, request)
    if request.owner_id != to_user_id:
        notify_about(request.owner_id, f"request:{request.pk}:escalation:{escalation.pk}:owner",
                _("%(number)s was escalated (level %(level)s, %(why)s)") % {"number": request.number, "level": level, "why": label},
                request)  # fmt: skip
    return escalation


def stuck_after_seconds(request: ServiceRequest, settings: ServiceSettings) -> int:
    """Business seconds without action after which a request counts as stuck: a share of its
    resolution target, never less than the minimum."""
    minimum = settings.stuck_minimum_minutes * 60
    if request.sla_policy is None:
        return minimum
    return max(minimum, request.sla_policy.resolution_minutes * 60 * settings.stuck_percent // 100)


def flow_sweep(now: datetime | None = None) -> dict[str, int]:
    """The periodic watch: SLA warnings and breaches, then stuck requests. Safe to run twice."""
    now = now or timezone.now()
    counts = {"warned": 0, "breached": 0, "stuck": 0, "escalated": 0}
    _sla_sweep(now, counts)
    _stuck_sweep(now, counts)
    return counts


def _sla_sweep(now: datetime, counts: dict[str, int]) -> None:
    due = (ServiceRequest.objects.filter(status__in=OPEN, sla_state__in=(SlaState.OK, SlaState.WARNING))
           .filter(Q(resolution_warn_at__lte=now) | Q(responded_at=None, response_warn_at__lte=now))
           .select_related("sla_policy", "queue"))  # fmt: skip
    for request in due.iterator(chunk_size=500):
        state = state_at(request, now)
        if state == request.sla_state:
            continue
        with transaction.atomic():
            fields: dict[str, object] = {"sla_state": state}
            if state == SlaState.BREACHED:
                if request.responded_at is None and request.response_due_at and now >= request.response_due_at:
                    fields["response_breached"] = True
                if request.resolution_due_at and now >= request.resolution_due_at:
                    fields["resolution_breached"] = True
            ServiceRequest.objects.filter(pk=request.pk).update(**fields)
            event_record(verb=REQUEST_SLA, actor=None, customer_id=request.customer_id, target=request,
                         payload={"number": request.number, "state": state})  # fmt: skip
            if state == SlaState.WARNING:
                counts["warned"] += 1
                notify_about(request.owner_id, f"request:{request.pk}:sla-warning",
                        _("%(number)s has used 75%% of its SLA time") % {"number": request.number}, request)
                notify_about(request.assignee_id, f"request:{request.pk}:sla-warning",
                        _("%(number)s has used 75%% of its SLA time") % {"number": request.number}, request)
            elif state == SlaState.BREACHED:
                counts["breached"] += 1
                text = _("%(number)s has breached its SLA") % {"number": request.number}
                notify_about(request.owner_id, f"request:{request.pk}:sla-breach", text, request)
                notify_about(request.assignee_id, f"request:{request.pk}:sla-breach", text, request)
                if escalate(request, reason=EscalationReason.BREACH, by=None, now=now, level=1):
                    counts["escalated"] += 1


def _stuck_sweep(now: datetime, counts: dict[str, int]) -> None:
    settings = ServiceSettings.current()
    # Wall-clock time is never shorter than business time: a cheap first cut on the index.
    quiet_since = now - timedelta(minutes=settings.stuck_minimum_minutes)
    candidates = (ServiceRequest.objects.filter(status__in=OPEN, last_action_at__lte=quiet_since)
                  .exclude(status="waiting").select_related("sla_policy", "calendar", "queue"))  # fmt: skip
    for request in candidates.iterator(chunk_size=500):
        if request.calendar is None or request.last_action_at is None:
            continue
        idle = schedule_of(request.calendar).business_seconds(request.last_action_at, now)
        threshold = stuck_after_seconds(request, settings)
        if idle < threshold:
            continue
        rung = min(TOP_RUNG, idle // threshold)
        with transaction.atomic():
            if not request.stuck:
                ServiceRequest.objects.filter(pk=request.pk).update(stuck=True)
                counts["stuck"] += 1
            for level in range(1, int(rung) + 1):
                hours = round(idle / 3600, 1)
                if escalate(request, reason=EscalationReason.STUCK, by=None, now=now, level=level,
                            note=_("no action for %(hours)s business hours") % {"hours": hours}):  # fmt: skip
                    counts["escalated"] += 1
