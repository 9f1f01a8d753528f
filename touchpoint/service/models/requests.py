"""Service requests (工单): one accountable owner, a queue and an assignee that move, the SLA clock,
and rows for every status change, message, handoff and escalation."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from touchpoint.core.models import BusinessCalendar, Channel, TimeStamped, Versioned
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.models import Department
from touchpoint.sales.models import InstalledItem, Product, ProductVersion
from touchpoint.service.models.contracts import MaintenanceContract
from touchpoint.service.models.queues import Queue
from touchpoint.service.models.sla import Severity, SlaPolicy, SlaState


class Category(models.TextChoices):
    FAULT = "fault", _("Fault")
    CONSULTATION = "consultation", _("Consultation")
    CHANGE = "change", _("Change request")
    UPGRADE = "upgrade", _("Upgrade")
    TRAINING = "training", _("Training")
    DATA_FIX = "data_fix", _("Data fix")
    COMPLAINT = "complaint", _("Complaint")


class Impact(models.TextChoices):
    ALL = "all", _("All users")
    MANY = "many", _("Many users")
    FEW = "few", _("A few users")
    NONE = "none", _("No user affected")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("service request status", "New")
    TRIAGED = "triaged", _("Triaged")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING)


class Entitlement(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance contract")
    WARRANTY = "warranty", _("Warranty")
    NOT_COVERED = "not_covered", _("Not covered")
    UNKNOWN = "unknown", _("Not checked yet")


class ServiceRequest(TimeStamped, Versioned):
    # Set by `request_create` on the request it returns: the first inbound message (not a field).
    intake_message: "RequestMessage | None"

    number = models.CharField(_("number"), max_length=20, unique=True)
    # Empty only while a mail from an unknown sender waits for triage.
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="service_requests"
    )
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requester_email = models.EmailField(_("requester email"), blank=True)
    installed_item = models.ForeignKey(
        InstalledItem, verbose_name=_("installed module"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    product_version = models.ForeignKey(
        ProductVersion, verbose_name=_("version"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("category"), max_length=14, choices=Category.choices, default=Category.FAULT)
    severity = models.CharField(_("severity"), max_length=2, choices=Severity.choices, default=Severity.P3)
    impact = models.CharField(_("impact"), max_length=6, choices=Impact.choices, default=Impact.FEW)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=50_000, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    needs_triage = models.BooleanField(_("needs triage"), default=False)

    entitlement = models.CharField(_("entitlement"), max_length=12, choices=Entitlement.choices, default=Entitlement.UNKNOWN)
    coverage = models.ForeignKey(
        MaintenanceContract, verbose_name=_("covered by"), null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )

    # The case owner stays accountable while the work moves between queues and departments.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("case owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="service_assigned",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department_since = models.DateTimeField(null=True, blank=True)

    # The SLA clock. The resolution clock stops while the request waits for the customer: the
    # business seconds spent so far are kept, and the deadline is worked out again on resuming.
    sla_policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sla_state = models.CharField(_("SLA"), max_length=10, choices=SlaState.choices, default=SlaState.NONE)
    response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    response_warn_at = models.DateTimeField(null=True, blank=True)
    clock_started_at = models.DateTimeField(null=True, blank=True)
    spent_seconds = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)

    # Flow: department hops, ping-pong, the last action (for stuck detection) and the escalation rung.
    hops = models.PositiveSmallIntegerField(_("department hops"), default=0)
    bounced = models.BooleanField(_("bounced"), default=False)
    stuck = models.BooleanField(_("stuck"), default=False)
    last_action_at = models.DateTimeField(_("last action"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    resolution = models.TextField(_("resolution"), max_length=10_000, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="request_customer"),
            models.Index(fields=["queue", "status", "resolution_due_at"], name="request_queue", condition=Q(status__in=OPEN)),
            models.Index(fields=["assignee", "status", "resolution_due_at"], name="request_assignee", condition=Q(status__in=OPEN)),
            models.Index(fields=["owner", "status"], name="request_owner", condition=Q(status__in=OPEN)),
            models.Index(fields=["resolution_warn_at"], name="request_sla_sweep", condition=Q(status__in=OPEN)),
            # The request lists: all open by due date or age, waiting longest first, recently resolved.
            models.Index(fields=["resolution_due_at", "id"], name="request_open_due", condition=Q(status__in=OPEN)),
            models.Index(fields=["-created_at", "-id"], name="request_open_created", condition=Q(status__in=OPEN)),
            models.Index(fields=["paused_at", "id"], name="request_waiting", condition=Q(status="waiting")),
            models.Index(fields=["-resolved_at", "-id"], name="request_closed_recent", condition=Q(status__in=("resolved", "closed"))),
            # Number prefix search ("SR-2026-…") on PostgreSQL; other databases ignore the operator class.
            models.Index(fields=["number"], name="request_number_prefix", opclasses=["text_pattern_ops"]),
            # The flow monitor's board: its counts come from this index alone on PostgreSQL (an index-only
            # scan of the open requests, bounced and stuck carried along), never from the table's rows.
            models.Index(fields=["department", "queue", "sla_state", "created_at"], name="request_board",
                         include=["bounced", "stuck"], condition=Q(status__in=OPEN)),
            models.Index(fields=["created_at", "id"], name="request_attention",
                         condition=Q(status__in=OPEN) & (Q(bounced=True) | Q(stuck=True))),
            models.Index(fields=["updated_at"], name="request_updated"),
            models.Index(fields=["created_at"], name="request_created"),
            models.Index(fields=["resolved_at"], name="request_resolved", condition=Q(resolved_at__isnull=False)),
            models.Index(fields=["responded_at"], name="request_responded", condition=Q(responded_at__isnull=False)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class StatusChange(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="status_changes")
    before = models.CharField(max_length=12, choices=Status.choices, blank=True)
    after = models.CharField(max_length=12, choices=Status.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.before or '·'} → {self.after}"


class MessageKind(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    REPLY = "reply", _("Reply to the customer")
    NOTE = "note", _("Internal note")


class RequestMessage(TimeStamped):
    """The conversation: customer mails and portal posts, agents' replies, and internal notes."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="messages")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sender = models.CharField(_("from"), max_length=200, blank=True)
    body = models.TextField(_("message"), max_length=100_000)
    message_id = models.CharField(max_length=250, blank=True, db_index=True)
    touchpoint = models.ForeignKey("touchpoints.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]


class HandoffKind(models.TextChoices):
    ROUTE = "route", _("Routed")
    ASSIGN = "assign", _("Assigned")
    TRANSFER = "transfer", _("Transferred")
    RETURN = "return", _("Sent back")
    OWNER = "owner", _("Case owner changed")


class Handoff(models.Model):
    """Every move of a request between people, queues or departments, with its reason."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="handoffs")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=HandoffKind.choices)
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    # Wall-clock seconds the request spent in the department it leaves (department moves only).
    seconds_in_from = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["at"], name="handoff_at"),
            models.Index(fields=["customer", "at"], name="handoff_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def crosses_departments(self) -> bool:
        return self.from_department_id != self.to_department_id


class EscalationReason(models.TextChoices):
    BOUNCE = "bounce", _("Bouncing between departments")
    STUCK = "stuck", _("No action")
    BREACH = "breach", _("SLA breached")
    MANUAL = "manual", _("Raised by hand")


class Escalation(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="escalations")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"))
    reason = models.CharField(_("reason"), max_length=8, choices=EscalationReason.choices)
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "level", "reason"], name="escalation_once_per_rung")]
        indexes = [models.Index(fields=["at"], name="escalation_at")]

    def __str__(self) -> str:
        return f"L{self.level} {self.get_reason_display()}"


class ServiceSettings(models.Model):
    """The thresholds the flow watch uses; one row."""

    bounce_hops = models.PositiveSmallIntegerField(
        _("hops before a request counts as bouncing"), default=3,
        help_text=_("Department changes; a return to the department it just left (A → B → A) always counts."),
    )  # fmt: skip
    stuck_percent = models.PositiveSmallIntegerField(
        _("stuck after (% of the resolution target without action)"), default=25,
    )  # fmt: skip
    stuck_minimum_minutes = models.PositiveIntegerField(_("stuck after at least (business minutes)"), default=120)
    executive = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("executive for the last escalation step"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")

    def __str__(self) -> str:
        return str(_("Service settings"))

    @classmethod
    def current(cls) -> "ServiceSettings":
        return cls.objects.get_or_create(pk=1)[0]
