"""The work around the plan: timesheets, risks and issues, change requests, weekly status reports."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.core.money import amount_field, currency_field
from touchpoint.delivery.models.plan import Task
from touchpoint.delivery.models.projects import Project


class TimeStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class TimeEntry(TimeStamped):
    """Hours one person spent on one task on one day."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="time_entries")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.PROTECT, related_name="time_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("engineer"), on_delete=models.PROTECT, related_name="time_entries")
    work_date = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal(24))],
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TimeStatus.choices, default=TimeStatus.SUBMITTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("timesheets")
        ordering = ["-work_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24), name="time_entry_hours_in_day"),
        ]
        indexes = [
            models.Index(fields=["user", "work_date"], name="time_user_day"),
            models.Index(fields=["project", "status", "work_date"], name="time_project_status"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.work_date} {self.hours}h"


class RiskKind(models.TextChoices):
    RISK = "risk", _("Risk")
    ISSUE = "issue", _("Issue")


class Level(models.TextChoices):
    LOW = "low", pgettext_lazy("level", "Low")
    MEDIUM = "medium", pgettext_lazy("level", "Medium")
    HIGH = "high", pgettext_lazy("level", "High")


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATING = "mitigating", _("Being handled")
    CLOSED = "closed", _("Closed")


class Risk(TimeStamped, Versioned):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=6, choices=RiskKind.choices, default=RiskKind.RISK)
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    impact = models.CharField(_("impact"), max_length=6, choices=Level.choices, default=Level.MEDIUM)
    likelihood = models.CharField(_("likelihood"), max_length=6, choices=Level.choices, default=Level.MEDIUM)
    mitigation = models.TextField(_("mitigation"), max_length=5000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("risk or issue")
        verbose_name_plural = _("risks and issues")
        ordering = ["project", "status", "-created_at"]
        indexes = [models.Index(fields=["project", "status"], name="risk_project_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != RiskStatus.CLOSED


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    QUOTED = "quoted", _("Quoted to the customer")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ChangeRequest(TimeStamped, Versioned):
    """A change of scope: its effort and price become a quote addendum in sales."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), max_length=5000)
    effort_days = models.DecimalField(
        _("effort (person-days)"), max_digits=7, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    schedule_days = models.PositiveSmallIntegerField(_("schedule impact (days)"), default=0)
    price = amount_field(_("price impact"))
    currency = currency_field()
    status = models.CharField(_("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    quote = models.OneToOneField(
        "sales.Quote", verbose_name=_("quote addendum"), null=True, blank=True, on_delete=models.PROTECT, related_name="change_request"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["project", "-created_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")


class StatusReport(TimeStamped, Versioned):
    """The weekly status report: drafted from the week's events, edited by the PM, mailed to the customer."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_reports")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField(_("week of"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("report"), max_length=20000)
    status = models.CharField(_("status"), max_length=6, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    sent_to = models.ForeignKey(
        "customers.Contact", verbose_name=_("sent to"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    touchpoint = models.ForeignKey("touchpoints.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("status report")
        verbose_name_plural = _("status reports")
        ordering = ["project", "-week_start"]
        constraints = [models.UniqueConstraint(fields=["project", "week_start"], name="status_report_one_per_week")]

    def __str__(self) -> str:
        return self.subject
