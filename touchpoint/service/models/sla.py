"""SLA policies: first-response and resolution targets by coverage tier and severity, counted in a
business calendar."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from touchpoint.core.models import BusinessCalendar


class Severity(models.TextChoices):
    P1 = "P1", _("P1 · system down in trading hours")
    P2 = "P2", _("P2 · major function impaired")
    P3 = "P3", _("P3 · minor fault or workaround exists")
    P4 = "P4", _("P4 · question or cosmetic")


class Tier(models.TextChoices):
    """The service level a maintenance contract or the warranty buys."""

    PREMIUM = "premium", _("Premium")
    STANDARD = "standard", _("Standard")
    BASIC = "basic", _("Basic")


class SlaState(models.TextChoices):
    NONE = "none", _("No SLA")
    OK = "ok", _("On time")
    WARNING = "warning", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", pgettext_lazy("SLA state", "Met")


class SlaPolicy(models.Model):
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    severity = models.CharField(_("severity"), max_length=2, choices=Severity.choices)
    response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["tier", "severity"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "severity"], name="sla_policy_once"),
            models.CheckConstraint(condition=models.Q(response_minutes__gt=0, resolution_minutes__gt=models.F("response_minutes")),
                                   name="sla_response_before_resolution"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.severity}"
