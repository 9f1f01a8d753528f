"""Complaints (投诉): their own record, raised from a request or directly, with an accountable
department, a root cause and a corrective action. A complaint closes only once the customer has
confirmed it, and every step is a row."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from touchpoint.core.models import Channel, TimeStamped, Versioned
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.models import Department
from touchpoint.service.models.requests import ServiceRequest


class ComplaintAbout(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")
    STAFF = "staff", _("Staff")
    DELIVERY = "delivery", _("Delivery")
    BILLING = "billing", _("Billing")


class ComplaintSeverity(models.TextChoices):
    LOW = "low", pgettext_lazy("complaint severity", "Low")
    MEDIUM = "medium", pgettext_lazy("complaint severity", "Medium")
    HIGH = "high", pgettext_lazy("complaint severity", "High")
    CRITICAL = "critical", pgettext_lazy("complaint severity", "Critical")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("complaint status", "Open")
    INVESTIGATING = "investigating", _("Investigating")
    ACTION_TAKEN = "action_taken", _("Action taken")
    CLOSED = "closed", _("Closed")


COMPLAINT_OPEN = (ComplaintStatus.OPEN, ComplaintStatus.INVESTIGATING, ComplaintStatus.ACTION_TAKEN)


class Complaint(TimeStamped, Versioned):
    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="complaints")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    about = models.CharField(_("about"), max_length=10, choices=ComplaintAbout.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("accountable department"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    severity = models.CharField(_("severity"), max_length=10, choices=ComplaintSeverity.choices,
                                default=ComplaintSeverity.MEDIUM)  # fmt: skip
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=20_000)
    root_cause = models.TextField(_("root cause"), max_length=10_000, blank=True)
    corrective_action = models.TextField(_("corrective action"), max_length=10_000, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    customer_informed = models.BooleanField(_("customer informed"), default=False)
    informed_at = models.DateTimeField(_("informed at"), null=True, blank=True)
    informed_via = models.CharField(_("informed by"), max_length=10, choices=Channel.choices, blank=True)
    # Who at the customer confirmed the complaint is settled, and when: closing needs both.
    confirmed_by = models.CharField(_("confirmed by"), max_length=100, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    raised_from = models.ForeignKey(
        ServiceRequest, verbose_name=_("raised from request"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="complaints",
    )  # fmt: skip
    requests = models.ManyToManyField(ServiceRequest, verbose_name=_("service requests"), blank=True,
                                      related_name="linked_complaints")  # fmt: skip
    touchpoints = models.ManyToManyField("touchpoints.Touchpoint", verbose_name=_("touchpoints"), blank=True,
                                         related_name="complaints")  # fmt: skip
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="complaint_customer"),
            models.Index(fields=["department", "status"], name="complaint_department"),
            models.Index(fields=["owner", "status"], name="complaint_owner", condition=Q(status__in=COMPLAINT_OPEN)),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in COMPLAINT_OPEN


class ComplaintStep(models.TextChoices):
    CREATED = "created", _("Complaint raised")
    STATUS = "status", _("Status changed")
    UPDATED = "updated", _("Updated")
    INFORMED = "informed", _("Customer informed")
    CONFIRMED = "confirmed", _("Closed with the customer's confirmation")
    REOPENED = "reopened", _("Reopened")


class ComplaintEvent(models.Model):
    """One step in a complaint's life, shown on the complaint."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=10, choices=ComplaintStep.choices)
    before = models.CharField(max_length=14, choices=ComplaintStatus.choices, blank=True)
    after = models.CharField(max_length=14, choices=ComplaintStatus.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.get_step_display()
