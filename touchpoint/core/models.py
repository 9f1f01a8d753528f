"""Shared kernel models: base classes every app uses, the event log and in-app notifications."""

from datetime import time
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class LiveManager(models.Manager):
    """Hides soft-deleted rows; `all_objects` still sees them (recycle bin, restore)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeletable(models.Model):
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: ClassVar[models.Manager[Any]] = LiveManager()
    all_objects: ClassVar[models.Manager[Any]] = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def mark_deleted(self, by: Any) -> None:
        """Move the row to the recycle bin (the services decide whether it may go and log it)."""
        self._set_deleted(timezone.now(), by)

    def mark_restored(self, by: Any) -> None:
        self._set_deleted(None, None, history_user=by)

    def _set_deleted(self, at: Any, by: Any, history_user: Any = None) -> None:
        self.deleted_at = at
        self.deleted_by = by
        self._history_user = history_user or by
        self.save(update_fields=["deleted_at", "deleted_by", "updated_at"])


class Versioned(models.Model):
    """Optimistic concurrency: every accepted edit bumps the version."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class Channel(models.TextChoices):
    """Every channel a customer reaches the company on, or the company reaches them."""

    PHONE = "phone", _("Phone")
    FAX = "fax", _("Fax")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    PORTAL = "portal", _("Portal")
    MEETING = "meeting", _("Face-to-face meeting")
    WECHAT = "wechat", _("WeChat")
    OTHER = "other", _("Other")


class EventKind(models.TextChoices):
    TOUCHPOINT = "touchpoint", _("Touchpoint")
    STRUCTURE = "structure", _("Customer structure")
    CHANGE = "change", _("Record change")
    HANDOFF = "handoff", _("Handoff")
    FOLLOWUP = "followup", _("Follow-up")
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    FINANCE = "finance", _("Finance")
    DELIVERY = "delivery", _("Delivery")
    SYSTEM = "system", _("System")


class Event(models.Model):
    """One append-only row per meaningful change: who, when, what, customer, department, channel.

    The customer 360 timeline, the audit view, notifications and analytics all read this table.
    Foreign keys carry no database constraint so that the log never blocks or cascades.
    """

    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    verb = models.CharField(_("event"), max_length=64)
    kind = models.CharField(_("type"), max_length=16, choices=EventKind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True, choices=Channel.choices)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="event_customer_time"),
            models.Index(fields=["target_type", "target_id"], name="event_target"),
            models.Index(fields=["actor", "-occurred_at"], name="event_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} @ {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The log is append-only: an existing row is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Events are append-only")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Deduplication key: a periodic job that runs twice must not notify twice.
    key = models.CharField(max_length=120)
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_inbox")]

    def __str__(self) -> str:
        return self.text


class BilingualName(models.Model):
    """A configurable label kept in Chinese and English (stages, requirement areas, products)."""

    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class DocumentSequence(models.Model):
    """The last number handed out per document kind and year (quotes, contracts, invoices)."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="document_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class BusinessCalendar(BilingualName):
    """Working hours and days that SLA clocks count in (see `core.calendar`)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    opens_at = models.TimeField(_("opens at"), default=time(8, 30))
    closes_at = models.TimeField(_("closes at"), default=time(17, 0))
    round_the_clock = models.BooleanField(_("round the clock (24×7)"), default=False)
    statutory = models.BooleanField(
        _("follows statutory holidays"), default=True,
        help_text=_("Chinese public holidays are closed; without this only weekends are."),
    )  # fmt: skip
    makeup_days = models.BooleanField(
        _("works make-up days (调休)"), default=True,
        help_text=_("Weekend days the State Council makes working days count as working days."),
    )  # fmt: skip
    # Bumped by every change to the calendar or its days: schedules are cached by it.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.CheckConstraint(condition=models.Q(round_the_clock=True) | models.Q(closes_at__gt=models.F("opens_at")),
                                   name="calendar_opens_before_close"),
        ]  # fmt: skip


class CalendarDay(models.Model):
    """An admin's override of one day of a calendar: closed, open, or open with other hours."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("day"))
    working = models.BooleanField(_("working day"))
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="calendar_day_once")]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {'+' if self.working else '-'}"
