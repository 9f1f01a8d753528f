"""Reads of the maintenance centre's request pages. Every list starts from the access layer.

The agent queue must answer from an index with 200,000 open requests in the system: every view
filters on the open-status partial indexes and sorts on a column those indexes carry, and pages are
read as "this page plus one row" instead of counting the whole set.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from touchpoint.service.access import seat_queue_ids, visible_inbound_mails, visible_requests
from touchpoint.service.models import (
    OPEN,
    Handoff,
    InboundMail,
    MailboxState,
    RequestMessage,
    ServiceRequest,
    Status,
    StatusChange,
)

VIEWS = ("mine", "open", "waiting", "resolved", "all")
SORTS = ("due", "created", "severity")
# What each row shows: the people and the customer joined in; the small settings tables (queues,
# departments, calendars, SLA policies) read by id afterwards. Joining all seven costs PostgreSQL more
# time planning the query (about 20 ms over this many indexes) than running it.
ROW_FIELDS = ("customer", "owner", "assignee")
ROW_SETTINGS = ("queue", "department", "calendar", "sla_policy")


@dataclass(frozen=True)
class RequestQuery:
    """What the request list asks for: a view, filters, a search and a sort (all optional)."""

    view: str = "mine"
    status: str = ""
    severity: str = ""
    queue_id: int | None = None
    department_id: int | None = None
    customer_id: int | None = None
    category: str = ""
    channel: str = ""
    sla_state: str = ""
    bounced: bool = False
    stuck: bool = False
    needs_triage: bool = False
    q: str = ""
    sort: str = "due"


def _view(requests: QuerySet[ServiceRequest], user: Any, view: str) -> QuerySet[ServiceRequest]:
    if view == "mine":
        # Mine, and nobody's yet in a queue I sit in: each arm is served by its own open-request index.
        return requests.filter(Q(assignee_id=user.pk) | Q(assignee__isnull=True, queue_id__in=seat_queue_ids(user)),
                               status__in=OPEN)  # fmt: skip
    if view == "open":
        return requests.filter(status__in=OPEN)
    if view == "waiting":
        return requests.filter(status=Status.WAITING)
    if view == "resolved":
        return requests.filter(status__in=(Status.RESOLVED, Status.CLOSED))
    return requests


def _search(requests: QuerySet[ServiceRequest], q: str) -> QuerySet[ServiceRequest]:
    q = q.strip()[:100]
    if not q:
        return requests
    if q.upper().startswith("SR-"):
        return requests.filter(number__startswith=q.upper())
    return requests.filter(Q(number__iexact=q) | Q(subject__icontains=q) | Q(customer__name__icontains=q)
                           | Q(customer__short_name__icontains=q))  # fmt: skip


def _sorted(requests: QuerySet[ServiceRequest], view: str, sort: str) -> QuerySet[ServiceRequest]:
    if sort == "created":
        return requests.order_by("-created_at", "-id")
    if sort == "severity":
        return requests.order_by("severity", F("resolution_due_at").asc(nulls_last=True), "id")
    if view == "resolved":
        return requests.order_by("-resolved_at", "-id")
    if view == "waiting":
        # The clock is paused: the longest wait for the customer comes first.
        return requests.order_by("paused_at", "id")
    # Paused requests have no resolution deadline: they go last.
    return requests.order_by(F("resolution_due_at").asc(nulls_last=True), "id")


def request_list(*, user: Any, query: RequestQuery | None = None, base: QuerySet[ServiceRequest] | None = None,
                 ) -> QuerySet[ServiceRequest]:  # fmt: skip
    """The requests the user may see, narrowed by the query, with what each row shows joined in."""
    query = query or RequestQuery()
    requests = base if base is not None else visible_requests(user)
    requests = _view(requests, user, query.view if query.view in VIEWS else "mine")
    exact = {
        "status": query.status, "severity": query.severity, "queue_id": query.queue_id, "department_id": query.department_id,
        "customer_id": query.customer_id, "category": query.category, "channel": query.channel, "sla_state": query.sla_state,
    }  # fmt: skip
    requests = requests.filter(**{name: value for name, value in exact.items() if value})
    flags = {"bounced": query.bounced, "stuck": query.stuck, "needs_triage": query.needs_triage}
    requests = requests.filter(**{name: True for name, wanted in flags.items() if wanted})
    requests = _search(requests, query.q)
    return (_sorted(requests, query.view, query.sort if query.sort in SORTS else "due")
            .select_related(*ROW_FIELDS).prefetch_related(*ROW_SETTINGS))  # fmt: skip


@dataclass
class PeekPage:
    """One page of a list read as "this page plus one row": no COUNT over a large set."""

    rows: list[Any]
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


MAX_PAGE = 2000


def peek_page(rows: QuerySet[Any], *, page: Any, per_page: int) -> PeekPage:
    number = int(page) if str(page).isdecimal() and 0 < int(page) <= MAX_PAGE else 1
    start = (number - 1) * per_page
    found = list(rows[start : start + per_page + 1])
    return PeekPage(rows=found[:per_page], number=number, per_page=per_page, has_next=len(found) > per_page)


# --- The request page ------------------------------------------------------------------------------

LINK_TYPE = "service.servicerequest"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a request's combined history: a status change, a handoff or an escalation."""

    at: Any
    kind: str
    row: Any


def request_history(request: ServiceRequest) -> list[HistoryEntry]:
    """Status changes, handoffs and escalations of the request, newest first (three queries)."""
    statuses = StatusChange.objects.filter(request=request).select_related("by")
    handoffs = Handoff.objects.filter(request=request).select_related(
        "by", "from_user", "to_user", "from_queue", "to_queue", "from_department", "to_department"
    )
    escalations = request.escalations.select_related("by", "to_user")
    entries = [HistoryEntry(s.at, "status", s) for s in statuses]
    entries += [HistoryEntry(h.at, "handoff", h) for h in handoffs]
    entries += [HistoryEntry(e.at, "escalation", e) for e in escalations]
    return sorted(entries, key=lambda entry: (entry.at, entry.kind), reverse=True)


def request_conversation(user: Any, request: ServiceRequest) -> tuple[list[RequestMessage], list[Any]]:
    """The messages in order, each with the attachments of its touchpoint, and the request's other
    attachments (logged with the request itself)."""
    from touchpoint.touchpoints.models import Attachment

    messages = list(request.messages.select_related("author", "contact").order_by("created_at", "id"))
    attachments = list(
        Attachment.objects.filter(touchpoint__link_type=LINK_TYPE, touchpoint__link_id=request.pk, customer_id=request.customer_id)
        .only("pk", "original_name", "size", "touchpoint_id", "created_at").order_by("id")
    )  # fmt: skip
    by_touchpoint: dict[int, list[Any]] = {}
    for attachment in attachments:
        by_touchpoint.setdefault(attachment.touchpoint_id, []).append(attachment)
    claimed: set[int] = set()
    for message in messages:
        message.files = by_touchpoint.get(message.touchpoint_id or 0, [])  # type: ignore[attr-defined]
        claimed.add(message.touchpoint_id or 0)
    loose = [a for a in attachments if a.touchpoint_id not in claimed]
    return messages, loose


def request_attachment(request: ServiceRequest, pk: int) -> Any:
    """An attachment of a touchpoint tied to this request, or None."""
    from touchpoint.touchpoints.models import Attachment

    return Attachment.objects.filter(pk=pk, touchpoint__link_type=LINK_TYPE, touchpoint__link_id=request.pk,
                                     customer_id=request.customer_id).first()  # fmt: skip


# --- The support mailbox ---------------------------------------------------------------------------------

# What an operator asks of the mailbox log: what came in, what was left aside, what needs a look.
MAIL_GROUPS: dict[str, tuple[str, ...]] = {
    "taken": ("created", "threaded"),
    "ignored": ("bounce", "auto_reply", "own", "flood", "duplicate"),
    "problems": ("failed", "rejected"),
}
MAIL_ROW_FIELDS = ("id", "created_at", "mailbox", "uid", "uidvalidity", "message_id", "sender", "subject", "sent_at", "size",
                   "outcome", "reason", "raw", "processed_at", "request__id", "request__number", "request__customer_id")  # fmt: skip
MAIL_RECENT_DAYS = 7
# Received-date filters outside these days are refused: nothing older was ever fetched, and the ends
# of the calendar cannot be turned into aware datetimes.
MAIL_EARLIEST_DAY, MAIL_LATEST_DAY = date(2000, 1, 1), date(2099, 12, 31)


@dataclass(frozen=True)
class MailQuery:
    """The mailbox log's filters: an outcome group, words of the sender or subject, and received dates
    (local days, both ends included)."""

    group: str = ""
    q: str = ""
    since: date | None = None
    until: date | None = None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def mail_filter(mails: QuerySet[InboundMail], query: MailQuery) -> QuerySet[InboundMail]:
    """Narrow mails by the query (the page and the API share it). A search in angle brackets is a
    Message-ID; anything else is looked for in the sender and the subject."""
    if query.group in MAIL_GROUPS:
        mails = mails.filter(outcome__in=MAIL_GROUPS[query.group])
    text = query.q.strip()[:100]
    if len(text) > 2 and text.startswith("<") and text.endswith(">"):
        mails = mails.filter(message_id=text)
    elif text:
        mails = mails.filter(Q(sender__icontains=text) | Q(subject__icontains=text))
    if query.since is not None:
        mails = mails.filter(created_at__gte=_local_midnight(query.since))
    if query.until is not None:
        mails = mails.filter(created_at__lt=_local_midnight(query.until + timedelta(days=1)))
    return mails


def inbound_mail_list(*, user: Any, query: MailQuery | None = None) -> QuerySet[InboundMail]:
    """The mails the user may see, newest first, narrowed by the query. The mail's HTML stays unread.

    Newest first is by id, which follows the fetch order and is served by the primary key, so the
    first page of a large log is read from its end without a sort."""
    mails = mail_filter(visible_inbound_mails(user), query or MailQuery())
    return mails.select_related("request").only(*MAIL_ROW_FIELDS).order_by("-id")


@dataclass(frozen=True)
class MailboxOverview:
    """The state of each mailbox the worker reads, and how much of the last days' mail needs a look."""

    states: list[MailboxState]
    problems: int
    ignored: int
    days: int


def mailbox_overview(*, now: datetime | None = None) -> MailboxOverview:
    """Two queries: the mailbox states, and the problem and ignored mails of the last days (from the
    outcome index)."""
    since = (now or timezone.now()) - timedelta(days=MAIL_RECENT_DAYS)
    states = list(MailboxState.objects.order_by("mailbox")[:20])
    counted = InboundMail.objects.filter(created_at__gte=since, outcome__in=MAIL_GROUPS["problems"] + MAIL_GROUPS["ignored"]).aggregate(
        problems=Count("id", filter=Q(outcome__in=MAIL_GROUPS["problems"])),
        ignored=Count("id", filter=Q(outcome__in=MAIL_GROUPS["ignored"])),
    )  # fmt: skip
    return MailboxOverview(states=states, problems=counted["problems"], ignored=counted["ignored"], days=MAIL_RECENT_DAYS)


def request_inbound_mails(request: ServiceRequest, *, limit: int = 20) -> list[InboundMail]:
    """The mails that went to this request, newest first (one query)."""
    fields = ("id", "created_at", "sender", "subject", "outcome", "reason", "request_id")
    return list(InboundMail.objects.filter(request=request).only(*fields).order_by("-id")[:limit])
