"""The handover to maintenance: what the maintenance centre must know about this customer's system."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.delivery.models.projects import Project


class HandoverStatus(models.TextChoices):
    DRAFT = "draft", _("Being filled in")
    SUBMITTED = "submitted", _("Awaiting signatures")
    SIGNED = "signed", _("Signed")


class Handover(TimeStamped, Versioned):
    project = models.OneToOneField(Project, on_delete=models.PROTECT, related_name="handover")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="handovers")
    status = models.CharField(_("status"), max_length=10, choices=HandoverStatus.choices, default=HandoverStatus.DRAFT)
    customisations = models.TextField(_("customisations and configuration notes"), max_length=20000, blank=True)
    interfaces = models.TextField(_("interfaces to exchange and clearing systems"), max_length=20000, blank=True)
    known_risks = models.TextField(_("known risks"), max_length=10000, blank=True)
    # Set when there are no open defects, so an empty defect list is a statement and not an omission.
    no_open_defects = models.BooleanField(_("no open defects"), default=False)
    warranty_start = models.DateField(_("warranty start"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    pm_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed for delivery by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    pm_signed_at = models.DateTimeField(_("signed for delivery at"), null=True, blank=True)
    lead_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signed for maintenance by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    lead_signed_at = models.DateTimeField(_("signed for maintenance at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="handover_customer")]

    def __str__(self) -> str:
        return str(self.project)

    @property
    def is_editable(self) -> bool:
        return self.status == HandoverStatus.DRAFT


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    DISASTER_RECOVERY = "dr", _("Disaster recovery")
    TEST = "test", _("Test")


class HandoverSystem(models.Model):
    """One installed module: its version, site and environment, and when it went live."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="systems")
    installed_item = models.ForeignKey("sales.InstalledItem", verbose_name=_("module"), on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        "sales.ProductVersion", verbose_name=_("installed version"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    site = models.CharField(_("site"), max_length=120)
    environment = models.CharField(_("environment"), max_length=10, choices=Environment.choices, default=Environment.PRODUCTION)
    go_live_on = models.DateField(_("go-live date"), null=True, blank=True)

    class Meta:
        verbose_name = _("installed system")
        verbose_name_plural = _("installed systems")
        ordering = ["handover", "id"]
        constraints = [
            models.UniqueConstraint(fields=["handover", "installed_item", "environment", "site"], name="handover_system_unique")
        ]

    def __str__(self) -> str:
        return f"{self.installed_item} @ {self.site} ({self.get_environment_display()})"


class DefectSeverity(models.TextChoices):
    P1 = "P1", _("P1: system down in trading hours")
    P2 = "P2", _("P2: major function impaired")
    P3 = "P3", _("P3: minor fault with a workaround")
    P4 = "P4", _("P4: cosmetic or question")


class HandoverDefect(models.Model):
    """A defect still open at handover; the service module turns each into a service request."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="defects")
    title = models.CharField(_("title"), max_length=160)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    severity = models.CharField(_("severity"), max_length=2, choices=DefectSeverity.choices, default=DefectSeverity.P3)
    # The service request it became, once the service module has taken it over.
    request_ref = models.CharField(_("service request"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("open defect")
        verbose_name_plural = _("open defects")
        ordering = ["handover", "severity", "id"]

    def __str__(self) -> str:
        return f"{self.severity} {self.title}"


class HandoverTraining(models.Model):
    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="trainings")
    topic = models.CharField(_("topic"), max_length=160)
    trainees = models.CharField(_("who was trained"), max_length=500)
    trained_on = models.DateField(_("date"))
    trainer = models.CharField(_("trainer"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["handover", "trained_on", "id"]

    def __str__(self) -> str:
        return f"{self.trained_on} {self.topic}"


class KeyContactRole(models.TextChoices):
    OPERATIONS = "operations", _("Operations")
    IT = "it", _("IT")


class HandoverContact(models.Model):
    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="key_contacts")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=KeyContactRole.choices)

    class Meta:
        verbose_name = _("key contact")
        verbose_name_plural = _("key contacts")
        ordering = ["handover", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["handover", "contact", "role"], name="handover_contact_unique")]

    def __str__(self) -> str:
        return f"{self.contact} ({self.get_role_display()})"
