"""Maintenance contracts: the warranty a signed handover starts, then paid renewals. A request is
covered when an active contract of its customer covers its installed module."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.core.money import amount_field, currency_field
from touchpoint.customers.models import Customer
from touchpoint.sales.models import Contract, InstalledItem
from touchpoint.service.models.sla import Tier


class CoverageKind(models.TextChoices):
    WARRANTY = "warranty", _("Warranty")
    MAINTENANCE = "maintenance", _("Maintenance contract")


class CoverageStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("maintenance contract status", "Active")
    EXPIRED = "expired", pgettext_lazy("maintenance contract status", "Expired")
    RENEWED = "renewed", pgettext_lazy("maintenance contract status", "Renewed")
    CANCELLED = "cancelled", pgettext_lazy("maintenance contract status", "Cancelled")


class MaintenanceContract(TimeStamped, Versioned):
    number = models.CharField(_("number"), max_length=30, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="maintenance_contracts")
    kind = models.CharField(_("kind"), max_length=12, choices=CoverageKind.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    status = models.CharField(_("status"), max_length=10, choices=CoverageStatus.choices, default=CoverageStatus.ACTIVE)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    price = amount_field(_("annual price"))
    currency = currency_field()
    items = models.ManyToManyField(InstalledItem, verbose_name=_("covered modules"), related_name="coverage")
    sites = models.CharField(_("covered sites"), max_length=300, blank=True)
    sales_contract = models.ForeignKey(
        Contract, verbose_name=_("sales contract"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The delivery handover a warranty comes from (kept as an id: delivery must not depend on service).
    handover_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    renewal_of = models.OneToOneField(
        "self", verbose_name=_("renews"), null=True, blank=True, on_delete=models.PROTECT, related_name="renewed_by"
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("maintenance contract")
        verbose_name_plural = _("maintenance contracts")
        ordering = ["-ends_on"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="coverage_period_order")]
        indexes = [models.Index(fields=["customer", "status", "ends_on"], name="coverage_customer")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_current(self) -> bool:
        return self.status == CoverageStatus.ACTIVE
