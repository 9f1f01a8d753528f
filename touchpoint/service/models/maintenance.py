"""Around the maintenance contract: the renewal reminders sent to sales, routine maintenance plans
(巡检计划) with the service orders they schedule, and upgrade campaigns (升级活动) with one target per
affected customer."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.customers.models import Customer
from touchpoint.sales.models import InstalledItem, Opportunity, Product, ProductVersion
from touchpoint.service.models.contracts import MaintenanceContract
from touchpoint.service.models.requests import ServiceRequest


class ReminderStage(models.IntegerChoices):
    DAYS_90 = 90, _("90 days before the end")
    DAYS_60 = 60, _("60 days before the end")
    DAYS_30 = 30, _("30 days before the end")


class RenewalReminder(models.Model):
    """One reminder per contract and stage: the row is what makes the daily run send it only once."""

    contract = models.ForeignKey(MaintenanceContract, on_delete=models.CASCADE, related_name="reminders")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    days_before = models.PositiveSmallIntegerField(_("days before the end"), choices=ReminderStage.choices)
    sent_at = models.DateTimeField(_("sent at"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("renewal opportunity"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("renewal reminder")
        verbose_name_plural = _("renewal reminders")
        ordering = ["contract", "-days_before"]
        constraints = [models.UniqueConstraint(fields=["contract", "days_before"], name="renewal_reminder_once")]

    def __str__(self) -> str:
        return f"{self.contract} −{self.days_before}"


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class MaintenancePlan(TimeStamped, Versioned):
    """Routine inspections under a contract: every period an order with the checklist is scheduled."""

    contract = models.ForeignKey(MaintenanceContract, verbose_name=_("maintenance contract"), on_delete=models.PROTECT,
                                 related_name="plans")  # fmt: skip
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="maintenance_plans")
    name = models.CharField(_("name"), max_length=120)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.QUARTERLY)
    checklist = models.JSONField(_("checklist"), default=list, help_text=_("One check per line."))
    next_due_on = models.DateField(_("next due"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("maintenance plan")
        verbose_name_plural = _("maintenance plans")
        ordering = ["next_due_on", "id"]
        indexes = [models.Index(fields=["is_active", "next_due_on"], name="plan_due")]

    def __str__(self) -> str:
        return self.name


class CheckResult(models.TextChoices):
    OK = "ok", pgettext_lazy("inspection result", "OK")
    ISSUE = "issue", pgettext_lazy("inspection result", "Issue")
    NOT_APPLICABLE = "na", pgettext_lazy("inspection result", "Not applicable")


class ScheduledOrder(TimeStamped, Versioned):
    """One inspection of a plan, due on a date, worked as a service request. `results` keeps the
    checklist as it was when the order was made: [{"line", "result", "note"}]."""

    plan = models.ForeignKey(MaintenancePlan, verbose_name=_("maintenance plan"), on_delete=models.PROTECT, related_name="orders")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"))
    request = models.OneToOneField(ServiceRequest, verbose_name=_("service request"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="scheduled_order")  # fmt: skip
    results = models.JSONField(_("checklist results"), default=list)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("scheduled service order")
        verbose_name_plural = _("scheduled service orders")
        ordering = ["-due_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["plan", "due_on"], name="scheduled_order_once_per_period")]

    def __str__(self) -> str:
        return f"{self.plan} {self.due_on:%Y-%m-%d}"


class CampaignReason(models.TextChoices):
    NEW_VERSION = "new_version", _("New version")
    REGULATION = "regulation", _("Regulation change")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("upgrade campaign status", "Draft")
    LAUNCHED = "launched", pgettext_lazy("upgrade campaign status", "Launched")
    CLOSED = "closed", pgettext_lazy("upgrade campaign status", "Closed")


class UpgradeCampaign(TimeStamped, Versioned):
    number = models.CharField(_("number"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=160)
    reason = models.CharField(_("reason"), max_length=12, choices=CampaignReason.choices, default=CampaignReason.NEW_VERSION)
    description = models.TextField(_("description"), max_length=10_000, blank=True)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    from_versions = models.ManyToManyField(ProductVersion, verbose_name=_("from versions"), related_name="+", blank=True)
    target_version = models.ForeignKey(ProductVersion, verbose_name=_("target version"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("upgrade campaign")
        verbose_name_plural = _("upgrade campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class TargetStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("upgrade target status", "Pending")
    SCHEDULED = "scheduled", pgettext_lazy("upgrade target status", "Scheduled")
    DONE = "done", pgettext_lazy("upgrade target status", "Done")
    SKIPPED = "skipped", pgettext_lazy("upgrade target status", "Skipped")


class CampaignTarget(TimeStamped):
    """One affected customer of a campaign, with its installed modules and the upgrade request."""

    campaign = models.ForeignKey(UpgradeCampaign, on_delete=models.CASCADE, related_name="targets")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    items = models.ManyToManyField(InstalledItem, verbose_name=_("installed modules"), related_name="+")
    request = models.OneToOneField(ServiceRequest, verbose_name=_("service request"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="campaign_target")  # fmt: skip
    status = models.CharField(_("status"), max_length=10, choices=TargetStatus.choices, default=TargetStatus.PENDING)
    skip_reason = models.CharField(_("reason for skipping"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        ordering = ["campaign", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_target_once_per_customer")]
        indexes = [models.Index(fields=["campaign", "status"], name="campaign_target_status")]

    def __str__(self) -> str:
        return f"{self.campaign.number} {self.customer}"
