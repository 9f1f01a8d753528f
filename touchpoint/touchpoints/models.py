"""Interactions on every channel, their attachments, and follow-ups."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchpoint.core.models import Channel, SoftDeletable, TimeStamped, Versioned
from touchpoint.customers.models import Contact, Customer


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class Touchpoint(TimeStamped, SoftDeletable, Versioned):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="touchpoints")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    occurred_at = models.DateTimeField(_("date and time"), default=timezone.now)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), max_length=20000, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    department = models.ForeignKey(
        "org.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="logged_touchpoints"
    )
    contacts = models.ManyToManyField(Contact, verbose_name=_("contacts"), blank=True, related_name="touchpoints")
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants"), blank=True, related_name="touchpoints_attended"
    )
    # A work item of a later module (opportunity, project, service request): "sales.opportunity", 42.
    link_type = models.CharField(max_length=64, blank=True)
    link_id = models.BigIntegerField(null=True, blank=True)
    email_to = models.CharField(_("recipient"), max_length=300, blank=True)
    email_message_id = models.CharField(max_length=250, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="touchpoint_customer_time"),
            models.Index(fields=["logged_by", "-occurred_at"], name="touchpoint_logger_time"),
            models.Index(fields=["link_type", "link_id"], name="touchpoint_link"),
        ]

    def __str__(self) -> str:
        return self.subject


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name never contains what the uploader typed.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(TimeStamped, SoftDeletable):
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.PROTECT, related_name="attachments")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUp(TimeStamped, SoftDeletable, Versioned):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="followups")
    touchpoint = models.ForeignKey(
        Touchpoint, verbose_name=_("touchpoint"), null=True, blank=True, on_delete=models.PROTECT, related_name="followups"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="followups"
    )
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    due_on = models.DateField(_("due date"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="followups"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "reminded_at"])

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="followup_assignee_due"),
            models.Index(fields=["customer", "status", "due_on"], name="followup_customer_due"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_overdue(self) -> bool:
        return self.status == FollowUpStatus.OPEN and self.due_on < timezone.localdate()
