"""Service requests: intake, routing, assignment, transfers between departments, the status
workflow, replies and notes. Every move is a handoff row and an event; the case owner stays fixed
unless changed on purpose."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import Channel, EventKind
from touchpoint.core.numbering import next_number
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.models import Position
from touchpoint.sales.models import InstalledItem
from touchpoint.service import sla
from touchpoint.service.models import (
    OPEN,
    Assignment,
    Category,
    CoverageStatus,
    Entitlement,
    Handoff,
    HandoffKind,
    MaintenanceContract,
    MessageKind,
    Queue,
    QueueKind,
    QueueMember,
    RequestMessage,
    RoutingRule,
    ServiceRequest,
    ServiceSettings,
    Severity,
    Status,
    StatusChange,
    Tier,
)
from touchpoint.service.services.flow import escalate, notify_about
from touchpoint.service.services.surveys import survey_send_after_resolve

REQUEST_CREATED = event_type("request.created", kind=EventKind.SERVICE, label=gettext_lazy("Service request logged"))
REQUEST_STATUS = event_type("request.status", kind=EventKind.SERVICE, label=gettext_lazy("Service request status changed"))
REQUEST_HANDOFF = event_type("request.handoff", kind=EventKind.HANDOFF, label=gettext_lazy("Service request handed off"))
REQUEST_BOUNCED = event_type("request.bounced", kind=EventKind.SERVICE, label=gettext_lazy("Service request bouncing"))
REQUEST_REPLIED = event_type("request.replied", kind=EventKind.SERVICE, label=gettext_lazy("Reply to the customer"))
REQUEST_CUSTOMER_WROTE = event_type("request.customer_message", kind=EventKind.SERVICE,
                                    label=gettext_lazy("The customer wrote on a service request"))  # fmt: skip
REQUEST_NOT_COVERED = event_type("request.not_covered", kind=EventKind.SERVICE,
                                 label=gettext_lazy("Service request not covered"))  # fmt: skip

# The workflow: which status may follow which. Reopening goes from resolved or closed back to work.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NEW: (Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.CLOSED),
    Status.TRIAGED: (Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED),
    Status.IN_PROGRESS: (Status.WAITING, Status.RESOLVED),
    Status.WAITING: (Status.IN_PROGRESS, Status.RESOLVED),
    Status.RESOLVED: (Status.CLOSED, Status.IN_PROGRESS),
    Status.CLOSED: (Status.IN_PROGRESS,),
}
# Work that a finance service hold stops (a P1 always goes ahead).
HELD_STATUSES = (Status.IN_PROGRESS,)


def _payload(request: ServiceRequest, **extra: Any) -> dict[str, Any]:
    return {"number": request.number, "subject": request.subject, **extra}


def locked(request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.select_for_update(of=("self",)).select_related("sla_policy", "queue").get(pk=request.pk)


# --- Entitlement ---------------------------------------------------------------------------------


def coverage_for(customer: Customer, item: InstalledItem | None, day: Any) -> MaintenanceContract | None:
    """The active contract (a paid one before the warranty) that covers the module on `day`; with no
    module named, any active contract of the customer."""
    contracts = MaintenanceContract.objects.filter(customer=customer, status=CoverageStatus.ACTIVE, starts_on__lte=day,
                                                   ends_on__gte=day)  # fmt: skip
    if item is not None:
        contracts = contracts.filter(items=item)
    return contracts.order_by("kind", "-ends_on").first()


def service_hold_reason(customer: Customer | None) -> str | None:
    """The finance hold's reason when the customer's non-critical service is on hold, else None."""
    if customer is None:
        return None
    from touchpoint.finance.models import CreditProfile

    held = CreditProfile.objects.filter(customer=customer, service_hold=True).values_list("service_hold_reason", flat=True).first()
    return None if held is None else (held or _("no reason given"))


# --- Routing and assignment ----------------------------------------------------------------------


def route(request: ServiceRequest) -> Queue | None:
    tier = request.customer.size_tier if request.customer is not None else ""
    for rule in RoutingRule.objects.filter(is_active=True, queue__is_active=True).select_related("queue"):
        if rule.category and rule.category != request.category:
            continue
        if rule.product_id and rule.product_id != request.product_id:
            continue
        if rule.customer_tier and rule.customer_tier != tier:
            continue
        if rule.channel and rule.channel != request.channel:
            continue
        return rule.queue
    return Queue.objects.filter(kind=QueueKind.L1, is_active=True).order_by("id").first()


def pick_agent(queue: Queue, request: ServiceRequest) -> Any:
    """The next agent of the queue who takes the request's product, by the queue's assignment rule."""
    if queue.assignment == Assignment.MANUAL:
        return None
    seats = QueueMember.objects.filter(queue=queue, is_active=True, user__is_active=True).select_related("user")
    if request.product_id:
        seats = seats.filter(Q(products__isnull=True) | Q(products=request.product_id)).distinct()
    seat: QueueMember | None
    if queue.assignment == Assignment.LEAST_LOADED:
        candidates = list(seats)
        loads = _queue_loads(queue, [c.user_id for c in candidates])
        far_past = datetime.min.replace(tzinfo=UTC)
        seat = min(candidates, key=lambda c: (loads.get(c.user_id, 0), c.last_assigned_at or far_past, c.pk), default=None)
        if seat is not None:
            loads[seat.user_id] = loads.get(seat.user_id, 0) + 1
            cache.set(_loads_key(queue), loads, LOADS_SECONDS)
    else:
        seat = seats.order_by("last_assigned_at", "id").first()
    if seat is None:
        return None
    QueueMember.objects.filter(pk=seat.pk).update(last_assigned_at=timezone.now())
    return seat.user


# Least-loaded assignment counts the open requests of the queue's people. The counts are kept for a
# minute and moved on with each assignment made from them, so that a burst of intake (a mailbox poll)
# counts once; work closed or moved by hand in that minute shows at the next count.
LOADS_SECONDS = 60


def _loads_key(queue: Queue) -> str:
    return f"service:queue-loads:{queue.pk}"


def _queue_loads(queue: Queue, user_ids: list[int]) -> dict[int, int]:
    loads: dict[int, int] | None = cache.get(_loads_key(queue))
    if loads is not None and set(user_ids) <= set(loads):
        return loads
    # From the open-requests index: a join with every request ever assigned would read years of closed ones.
    counted = dict(ServiceRequest.objects.filter(assignee_id__in=user_ids, status__in=OPEN).order_by()
                   .values("assignee_id").annotate(n=Count("*")).values_list("assignee_id", "n"))  # fmt: skip
    return {user_id: counted.get(user_id, 0) for user_id in user_ids}


def _handoff(request: ServiceRequest, *, kind: str, by: Any, reason: str, to_queue: Queue | None, to_user: Any,
             now: datetime) -> Handoff:  # fmt: skip
    """Move the request and write the row; a change of department counts a hop and may flag a bounce."""
    to_department_id = to_queue.department_id if to_queue is not None else request.department_id
    crossing = request.department_id is not None and to_department_id != request.department_id
    handoff = Handoff.objects.create(
        request=request, customer_id=request.customer_id, kind=kind, reason=reason[:500], by=by, at=now,
        from_user_id=request.assignee_id, from_queue_id=request.queue_id, from_department_id=request.department_id,
        to_user=to_user, to_queue=to_queue, to_department_id=to_department_id,
        seconds_in_from=int((now - request.department_since).total_seconds()) if crossing and request.department_since else None,
    )  # fmt: skip
    if crossing:
        request.hops += 1
    if to_department_id != request.department_id:
        request.department_since = now
    request.queue, request.assignee, request.department_id = to_queue, to_user, to_department_id
    request.last_action_at = now
    event_record(verb=REQUEST_HANDOFF, actor=by, customer_id=request.customer_id, target=request,
                 department_id=to_department_id,
                 payload=_payload(request, kind=kind, reason=reason, to_queue=str(to_queue or ""),
                                  to_user=str(to_user or ""), crossing=crossing))  # fmt: skip
    if to_user is not None and to_user != by:
        notify_about(to_user.pk, f"request:{request.pk}:handoff:{handoff.pk}",
                _("%(number)s is now with you: %(subject)s") % {"number": request.number, "subject": request.subject}, request)  # fmt: skip
    if crossing:
        _check_bounce(request, by, now)
    return handoff


def _check_bounce(request: ServiceRequest, by: Any, now: datetime) -> None:
    """Ping-pong (back to the department it just came from) or more hops than allowed flags a bounce."""
    if request.bounced:
        return
    moves = list(request.handoffs.exclude(from_department=None).exclude(from_department=F("to_department"))
                 .order_by("-at", "-id").values_list("from_department_id", "to_department_id")[:2])  # fmt: skip
    ping_pong = len(moves) == 2 and moves[0][1] == moves[1][0]
    limit = ServiceSettings.current().bounce_hops
    if not ping_pong and request.hops <= limit:
        return
    request.bounced = True
    why = _("it went back to the department it came from") if ping_pong else _("%(hops)s department hops") % {"hops": request.hops}
    event_record(verb=REQUEST_BOUNCED, actor=by, customer_id=request.customer_id, target=request,
                 payload=_payload(request, hops=request.hops, ping_pong=ping_pong))  # fmt: skip
    escalate(request, reason="bounce", by=by, note=why, now=now)


# --- Intake --------------------------------------------------------------------------------------


@transaction.atomic
def request_create(
    *,
    by: Any,
    customer: Customer | None,
    subject: str,
    channel: str,
    description: str = "",
    contact: Contact | None = None,
    requester_email: str = "",
    installed_item: InstalledItem | None = None,
    category: str = Category.FAULT,
    severity: str = Severity.P3,
    impact: str = "few",
    log_touchpoint: bool = True,
    files: list[UploadedFile] | None = None,
    message_id: str = "",
    sender: str = "",
    now: datetime | None = None,
) -> ServiceRequest:
    """Log a request from any channel: check it, find its coverage and SLA, route it, assign it.

    The intake is a touchpoint on the customer's timeline carrying the attachments, logged by whoever
    logs the request (for mail: the case owner, else the agent it lands with). The description is the
    request's first inbound message; `message_id` and `sender` say which mail it was. The message is
    left on the returned request as `intake_message` (None without a description).
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = _("Say in a few words what the request is about.")
    if channel not in Channel.values:
        errors["channel"] = _("Choose the channel the request came in on.")
    if category not in Category.values:
        errors["category"] = _("Choose a category.")
    if severity not in Severity.values:
        errors["severity"] = _("Choose a severity from P1 to P4.")
    if contact is not None and (customer is None or contact.customer_id != customer.pk):
        errors["contact"] = _("The contact must belong to this customer.")
    if installed_item is not None and (customer is None or installed_item.customer_id != customer.pk):
        errors["installed_item"] = _("The module must be in this customer's installed base.")
    if customer is None and not requester_email:
        errors["customer"] = _("Choose the customer.")
    if files and (customer is None or not log_touchpoint):
        errors["attachments"] = _("Attachments are kept on the customer's timeline: choose the customer first.")
    if errors:
        raise ValidationError(errors)

    request = ServiceRequest(
        number=next_number("SR", year=timezone.localdate(now).year), customer=customer, contact=contact,
        requester_email=requester_email or (contact.email if contact else ""), installed_item=installed_item,
        product_id=installed_item.product_id if installed_item else None,
        product_version_id=installed_item.version_id if installed_item else None,
        category=category, severity=severity, impact=impact, channel=channel, subject=subject[:200],
        description=(description or "")[:50_000], needs_triage=customer is None, created_by=by, last_action_at=now,
    )  # fmt: skip
    if customer is not None:
        coverage = coverage_for(customer, installed_item, timezone.localdate(now))
        request.coverage = coverage
        request.entitlement = (Entitlement.NOT_COVERED if coverage is None else
                               Entitlement.WARRANTY if coverage.kind == "warranty" else Entitlement.MAINTENANCE)  # fmt: skip
    tier = request.coverage.tier if request.coverage else Tier.BASIC
    sla.sla_start(request, sla.policy_for(tier, severity), now)
    request.save()
    StatusChange.objects.create(request=request, after=Status.NEW, by=by, at=now)

    queue = route(request)
    agent = pick_agent(queue, request) if queue is not None else None
    request.department_since = now
    _handoff(request, kind=HandoffKind.ROUTE, by=by, reason=_("Routed on intake"), to_queue=queue, to_user=agent, now=now)
    request.hops = 0  # routing on intake is the first stop, not a hop
    request.owner = _first_owner(by, agent, queue)
    request.save()

    event_record(verb=REQUEST_CREATED, actor=by, customer_id=request.customer_id, target=request, channel=channel,
                 payload=_payload(request, severity=severity, category=category, queue=str(queue or "")))  # fmt: skip
    if request.entitlement == Entitlement.NOT_COVERED and customer is not None:
        event_record(verb=REQUEST_NOT_COVERED, actor=by, customer_id=customer.pk, target=request, payload=_payload(request))
        notify_about(customer.owner_id, f"request:{request.pk}:not-covered",
                _("%(customer)s asked for service without cover: %(number)s") % {"customer": customer, "number": request.number},
                request)  # fmt: skip
    intake = None
    logger = by if by is not None else request.owner or request.assignee
    if log_touchpoint and customer is not None and logger is not None:
        from touchpoint.touchpoints.services import touchpoint_log

        mailed = channel == Channel.EMAIL and message_id
        intake = touchpoint_log(by=logger, customer=customer, channel=channel, direction="in",
                                subject=f"{request.number} {subject}"[:200], notes=description[:10_000],
                                contacts=[contact] if contact else [], files=files, occurred_at=now,
                                email_to=support_address() if mailed else "", email_message_id=message_id if mailed else "",
                                link_type="service.servicerequest", link_id=request.pk)  # fmt: skip
    elif files:
        raise ValidationError({"attachments": _("Nobody is there to keep the attachments for: assign the request first.")})
    request.intake_message = None
    if description:
        request.intake_message = RequestMessage.objects.create(
            request=request, customer=customer, kind=MessageKind.INBOUND, contact=contact, touchpoint=intake,
            sender=(sender or str(contact or requester_email))[:200], message_id=message_id, body=description[:100_000])  # fmt: skip
    return request


def support_address() -> str:
    """The support mailbox's own address, in lower case."""
    from email.utils import parseaddr

    return (settings.SERVICE_MAIL_ADDRESS or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]).lower()


def _first_owner(by: Any, agent: Any, queue: Queue | None) -> Any:
    """The case owner: the maintenance person who logs it, else the agent it lands with, else the queue's lead."""
    positions: set[str] = set(getattr(by, "positions", set())) if by is not None else set()
    if {Position.MAINTENANCE_AGENT, Position.MAINTENANCE_LEAD} & set(positions):
        return by
    return agent or (queue.lead if queue is not None else None)


# --- Moving the work -----------------------------------------------------------------------------


@transaction.atomic
def request_transfer(*, request: ServiceRequest, by: Any, queue: Queue | None, reason: str, user: Any = None,
                     now: datetime | None = None) -> Handoff:  # fmt: skip
    now = now or timezone.now()
    current = locked(request)
    if not current.is_open:
        raise ValidationError(_("This request is %(status)s; reopen it to move it.") % {"status": current.get_status_display()})
    if queue is None or not Queue.objects.filter(pk=queue.pk, is_active=True).exists():
        raise ValidationError({"queue": _("Choose a queue that exists and is in use.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the request moves: the next department reads it.")})
    if queue.pk == current.queue_id and (user is None or user.pk == current.assignee_id):
        raise ValidationError({"queue": _("The request is already in this queue.")})
    if user is not None and not QueueMember.objects.filter(queue=queue, user=user, is_active=True).exists():
        raise ValidationError({"user": _("This person does not take requests from that queue.")})
    agent = user if user is not None else pick_agent(queue, current)
    previous = (current.handoffs.exclude(from_department=None).exclude(from_department=F("to_department"))
                .order_by("-at", "-id").values_list("from_department_id", flat=True).first())  # fmt: skip
    kind = HandoffKind.RETURN if previous is not None and previous == queue.department_id != current.department_id else HandoffKind.TRANSFER
    handoff = _handoff(current, kind=kind, by=by, reason=reason.strip(), to_queue=queue, to_user=agent, now=now)
    current.stuck = False
    current.version += 1
    current.save()
    request.refresh_from_db()
    return handoff


@transaction.atomic
def request_assign(*, request: ServiceRequest, by: Any, user: Any, reason: str = "", now: datetime | None = None) -> Handoff:
    now = now or timezone.now()
    current = locked(request)
    if not current.is_open:
        raise ValidationError(_("This request is %(status)s; reopen it to move it.") % {"status": current.get_status_display()})
    if user is None or not user.is_active:
        raise ValidationError({"user": _("Choose an active person.")})
    if current.assignee_id == user.pk:
        raise ValidationError({"user": _("The request is already with this person.")})
    if current.queue_id and not QueueMember.objects.filter(queue_id=current.queue_id, user=user).exists():
        raise ValidationError({"user": _("This person does not take requests from the request's queue.")})
    handoff = _handoff(current, kind=HandoffKind.ASSIGN, by=by, reason=(reason or "").strip() or _("Assigned"),
                       to_queue=current.queue, to_user=user, now=now)  # fmt: skip
    current.version += 1
    current.save()
    request.refresh_from_db()
    return handoff


@transaction.atomic
def request_set_owner(*, request: ServiceRequest, by: Any, owner: Any, reason: str, now: datetime | None = None) -> Handoff:
    """Change the accountable case owner; logged like any handoff, the work stays where it is."""
    now = now or timezone.now()
    current = locked(request)
    if owner is None or not owner.is_active:
        raise ValidationError({"owner": _("Choose an active person.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the case owner changes.")})
    handoff = Handoff.objects.create(
        request=current, customer_id=current.customer_id, kind=HandoffKind.OWNER, reason=reason.strip()[:500], by=by, at=now,
        from_user_id=current.owner_id, to_user=owner, from_queue_id=current.queue_id, to_queue_id=current.queue_id,
        from_department_id=current.department_id, to_department_id=current.department_id,
    )  # fmt: skip
    current.owner, current.last_action_at = owner, now
    current.version += 1
    current.save()
    event_record(verb=REQUEST_HANDOFF, actor=by, customer_id=current.customer_id, target=current,
                 payload=_payload(current, kind=HandoffKind.OWNER, to_user=str(owner), reason=reason))  # fmt: skip
    notify_about(owner.pk, f"request:{current.pk}:owner:{handoff.pk}",
            _("You are now the case owner of %(number)s") % {"number": current.number}, current)  # fmt: skip
    request.refresh_from_db()
    return handoff


# --- The workflow --------------------------------------------------------------------------------


@transaction.atomic
def request_set_status(*, request: ServiceRequest, by: Any, status: str, note: str = "", resolution: str = "",
                       now: datetime | None = None) -> ServiceRequest:  # fmt: skip
    now = now or timezone.now()
    current = locked(request)
    before = current.status
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status not in TRANSITIONS.get(before, ()):
        raise ValidationError({"status": _("A request that is %(before)s cannot become %(after)s.")
                               % {"before": current.get_status_display(), "after": Status(status).label}})  # fmt: skip
    if status in HELD_STATUSES and current.severity != Severity.P1:
        held = service_hold_reason(current.customer)
        if held is not None:
            raise ValidationError({"status": _("Finance has put this customer's service on hold (%(reason)s): only P1 work "
                                               "goes ahead until the hold is lifted.") % {"reason": held}})  # fmt: skip
    if before == Status.NEW and status == Status.CLOSED and not (note or "").strip():
        raise ValidationError({"note": _("Say why the request is closed without work (a duplicate, spam, logged by mistake).")})
    if status == Status.RESOLVED and not (resolution or current.resolution).strip():
        raise ValidationError({"resolution": _("Say how the request was resolved.")})
    if current.customer_id is None and status not in (Status.CLOSED,):
        raise ValidationError({"customer": _("Match the request to a customer first.")})

    _status_move(current, status, by=by, note=note, resolution=resolution, now=now)
    request.refresh_from_db()
    return request


def _status_move(current: ServiceRequest, status: str, *, by: Any, note: str, now: datetime, resolution: str = "") -> None:
    """Apply an allowed status change to a locked request: the SLA clock, the row, the event."""
    before = current.status
    if status == Status.WAITING:
        sla.sla_pause(current, now)
    elif before == Status.WAITING and status == Status.IN_PROGRESS:
        sla.sla_resume(current, now)
    elif status == Status.RESOLVED:
        sla.sla_stop(current, now)
        current.resolved_at, current.resolution = now, (resolution or current.resolution).strip()[:10_000]
    elif status == Status.CLOSED:
        if before != Status.RESOLVED:
            sla.sla_stop(current, now)
        current.closed_at = now
    if before in (Status.RESOLVED, Status.CLOSED) and status == Status.IN_PROGRESS:
        current.reopened += 1
        current.resolved_at = current.closed_at = None
        sla.sla_reopen(current, now)
    if before == Status.NEW and status in (Status.TRIAGED, Status.IN_PROGRESS):
        current.needs_triage = False
    current.status = status
    current.sla_state = sla.state_at(current, now) if current.is_open else current.sla_state
    current.last_action_at, current.stuck = now, False
    current.version += 1
    current.save()
    StatusChange.objects.create(request=current, before=before, after=status, note=(note or "")[:500], by=by, at=now)
    event_record(verb=REQUEST_STATUS, actor=by, customer_id=current.customer_id, target=current,
                 payload=_payload(current, before=before, after=status, note=note))  # fmt: skip
    if current.owner_id and current.owner_id != getattr(by, "pk", None) and status in (Status.RESOLVED, Status.IN_PROGRESS):
        notify_about(current.owner_id, f"request:{current.pk}:status:{status}:{current.version}",
                _("%(number)s is now %(status)s") % {"number": current.number, "status": Status(status).label}, current)  # fmt: skip
    if status == Status.RESOLVED:  # the contact's CSAT survey, once the resolution is committed
        request_id = current.pk
        transaction.on_commit(lambda: survey_send_after_resolve(request_id=request_id, by=by))


def thread_ids(request: ServiceRequest) -> tuple[str, str]:
    """(In-Reply-To, References) for the next mail on the request: the customer's last mail (else
    the last mail of the thread), and the thread's first ids and its most recent ones."""
    rows = list(request.messages.exclude(message_id="").order_by("created_at", "id").values_list("kind", "message_id"))
    if not rows:
        return "", ""
    inbound = [mid for kind, mid in rows if kind == MessageKind.INBOUND]
    ids = [mid for _kind, mid in rows]
    # RFC 5322 keeps the first id and the latest ones when References grows long.
    kept = ids if len(ids) <= 10 else [ids[0], *ids[-9:]]
    return (inbound or ids)[-1], " ".join(kept)


def mail_subject(request: ServiceRequest, subject: str = "") -> str:
    """A subject carrying the [SR-…] token, so that a reply finds its request even without headers."""
    return f"[{request.number}] {subject or request.subject}"[:200]


@transaction.atomic
def request_reply(*, request: ServiceRequest, by: Any, body: str, now: datetime | None = None) -> RequestMessage:
    """A reply to the customer: mailed to the contact when there is an address (threaded into the
    request's conversation, answers going to the support mailbox), logged as a touchpoint, and the
    first one stops the first-response clock."""
    now = now or timezone.now()
    current = locked(request)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the reply.")})
    if current.customer_id is None:
        raise ValidationError({"customer": _("Match the request to a customer first.")})
    touchpoint = None
    if current.contact is not None and current.contact.email and not current.contact.do_not_contact:
        from django.conf import settings

        from touchpoint.touchpoints.services import email_send

        in_reply_to, references = thread_ids(current)
        support = settings.SERVICE_MAIL_ADDRESS
        touchpoint = email_send(by=by, contact=current.contact, subject=mail_subject(current), body=body,
                                link_type="service.servicerequest", link_id=current.pk,
                                reply_to=[support] if support else None, in_reply_to=in_reply_to, references=references)  # fmt: skip
    message = RequestMessage.objects.create(request=current, customer_id=current.customer_id, kind=MessageKind.REPLY, author=by,
                                            sender=str(by), body=body[:100_000], touchpoint=touchpoint,
                                            message_id=touchpoint.email_message_id if touchpoint else "")  # fmt: skip
    sla.sla_responded(current, now)
    current.sla_state = sla.state_at(current, now)
    current.last_action_at, current.stuck = now, False
    current.save()
    event_record(verb=REQUEST_REPLIED, actor=by, customer_id=current.customer_id, target=current, payload=_payload(current))
    return message


@transaction.atomic
def request_customer_message(
    *,
    request: ServiceRequest,
    body: str,
    channel: str,
    by: Any = None,
    contact: Contact | None = None,
    files: Any = (),
    message_id: str = "",
    sender: str = "",
    now: datetime | None = None,
) -> RequestMessage:
    """The customer writes on their request (by mail, in the portal, through the API).

    The message is kept with a touchpoint on its channel (and the files on that touchpoint); a
    request waiting for the customer resumes its SLA clock, a resolved one is reopened, and the
    people working it are told. A closed request takes no more messages: the customer opens a new
    one. The same `message_id` recorded twice returns the first message."""
    now = now or timezone.now()
    current = (ServiceRequest.objects.select_for_update(of=("self",))
               .select_related("sla_policy", "queue", "customer", "owner", "assignee").get(pk=request.pk))  # fmt: skip
    body = (body or "").strip()
    files = list(files or ())
    if message_id:
        existing = current.messages.filter(message_id=message_id, kind=MessageKind.INBOUND).first()
        if existing is not None:
            return existing
    errors: dict[str, str] = {}
    if not body and not files:
        errors["body"] = _("Write the message.")
    if channel not in Channel.values:
        errors["channel"] = _("Choose the channel the message came in on.")
    if contact is not None and current.customer_id is not None and contact.customer_id != current.customer_id:
        errors["contact"] = _("The contact must belong to the request's customer.")
    if current.status == Status.CLOSED:
        errors["body"] = _("%(number)s is closed; please open a new request.") % {"number": current.number}
    # Files live on a touchpoint, and a touchpoint needs a customer and someone to log it.
    logger = by or current.owner or current.assignee
    if files and (current.customer is None or logger is None):
        errors["files"] = _("Files can be kept once the request is matched to a customer.")
    if errors:
        raise ValidationError(errors)

    touchpoint = None
    if current.customer is not None and logger is not None:
        from touchpoint.touchpoints.services import touchpoint_log

        touchpoint = touchpoint_log(by=logger, customer=current.customer, channel=channel, direction="in",
                                    subject=f"{current.number} {current.subject}"[:200], notes=body[:10_000],
                                    contacts=[contact] if contact else [], files=files, occurred_at=now,
                                    link_type="service.servicerequest", link_id=current.pk,
                                    email_message_id=message_id if channel == Channel.EMAIL else "")  # fmt: skip
    message = RequestMessage.objects.create(
        request=current, customer_id=current.customer_id, kind=MessageKind.INBOUND, contact=contact, touchpoint=touchpoint,
        sender=(sender or str(contact or by or current.requester_email))[:200], body=body[:100_000], message_id=message_id[:250],
    )  # fmt: skip
    before = current.status
    if before == Status.WAITING:
        _status_move(current, Status.IN_PROGRESS, by=by, note=_("The customer answered"), now=now)
    elif before == Status.RESOLVED:
        _status_move(current, Status.IN_PROGRESS, by=by, note=_("Reopened: the customer wrote after the resolution"), now=now)
    event_record(verb=REQUEST_CUSTOMER_WROTE, actor=by, customer_id=current.customer_id, target=current, channel=channel,
                 department_id=current.department_id, payload=_payload(current, message=message.pk))  # fmt: skip
    for user_id in {current.assignee_id, current.owner_id} - {None, getattr(by, "pk", None)}:
        notify_about(user_id, f"request:{current.pk}:message:{message.pk}",
                     _("%(number)s: the customer wrote") % {"number": current.number}, current)  # fmt: skip
    if current.status != before:
        request.refresh_from_db()
    return message


@transaction.atomic
def request_note(*, request: ServiceRequest, by: Any, body: str, now: datetime | None = None) -> RequestMessage:
    now = now or timezone.now()
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    message = RequestMessage.objects.create(request=request, customer_id=request.customer_id, kind=MessageKind.NOTE, author=by,
                                            sender=str(by), body=body[:100_000])  # fmt: skip
    ServiceRequest.objects.filter(pk=request.pk).update(last_action_at=now, stuck=False)
    return message
