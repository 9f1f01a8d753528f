"""Contracts with payment milestones, their documents, and the installed base they create."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.core.money import amount_field, currency_field, percent_field
from touchpoint.customers.models import Contact, Customer
from touchpoint.sales.models.catalogue import Module, Product, ProductVersion
from touchpoint.sales.models.pipeline import Opportunity
from touchpoint.sales.models.quotes import Quote


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_CHECKS = "pending", _("Pending checks")
    ACTIVE = "active", pgettext_lazy("contract status", "Active")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


class Contract(TimeStamped, Versioned):
    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts")
    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="contracts",
    )  # fmt: skip
    quote = models.OneToOneField(
        Quote, verbose_name=_("quote"), null=True, blank=True, on_delete=models.PROTECT, related_name="contract"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=160)
    status = models.CharField(_("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_by_contact = models.ForeignKey(
        Contact, verbose_name=_("signed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Amounts including tax, and the tax within them.
    amount = amount_field(_("amount incl. tax"))
    tax_amount = amount_field(_("of which tax"))
    currency = currency_field()
    terms = models.TextField(_("terms"), max_length=20000, blank=True)
    # The requirement list as it stood when the contract was made: the scope delivery is held to.
    scope = models.JSONField(_("scope"), default=list, blank=True)
    # The pre-confirmation checks' answers, as last run: [{"check", "result", "message"}].
    check_results = models.JSONField(default=list, blank=True, editable=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="contract_customer"),
            models.Index(fields=["status", "-signed_on"], name="contract_status"),
            models.Index(fields=["owner", "status"], name="contract_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class MilestoneTrigger(models.TextChoices):
    SIGNING = "signing", _("At signing")
    DATE = "date", _("On a date")
    DELIVERY_EVENT = "event", _("On a delivery event")


class DeliveryEvent(models.TextChoices):
    """Delivery events a payment milestone can wait for; the delivery module fires them."""

    INSTALLATION_ACCEPTED = "installation_accepted", _("Installation accepted")
    DELIVERY_ACCEPTED = "delivery_accepted", _("Delivery acceptance")
    GO_LIVE = "go_live", _("Go-live")
    WARRANTY_ENDED = "warranty_ended", _("End of warranty")


class MilestoneStatus(models.TextChoices):
    PENDING = "pending", _("Not due yet")
    DUE = "due", _("Due")
    INVOICED = "invoiced", _("Invoiced")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentMilestone(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=80)
    percent = percent_field(_("share (%)"))
    amount = amount_field(_("amount"))
    trigger = models.CharField(_("trigger"), max_length=8, choices=MilestoneTrigger.choices)
    trigger_event = models.CharField(_("delivery event"), max_length=24, choices=DeliveryEvent.choices, blank=True)
    expected_date = models.DateField(_("expected date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.PENDING)
    due_at = models.DateTimeField(_("due since"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment milestone")
        verbose_name_plural = _("payment milestones")
        ordering = ["contract", "order", "id"]
        indexes = [
            models.Index(fields=["status", "expected_date"], name="milestone_status_date"),
            models.Index(fields=["customer", "status"], name="milestone_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.percent}%)"


class MilestoneTemplate(models.Model):
    name = models.CharField(_("name"), max_length=80)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("milestone template")
        verbose_name_plural = _("milestone templates")
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return self.name


class MilestoneTemplateItem(models.Model):
    template = models.ForeignKey(MilestoneTemplate, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=80)
    percent = percent_field(_("share (%)"))
    trigger = models.CharField(_("trigger"), max_length=8, choices=MilestoneTrigger.choices)
    trigger_event = models.CharField(_("delivery event"), max_length=24, choices=DeliveryEvent.choices, blank=True)
    # Expected date = signing date + this many days (a first guess the rep can change).
    offset_days = models.PositiveIntegerField(_("expected after signing (days)"), default=0)

    class Meta:
        verbose_name = _("template milestone")
        verbose_name_plural = _("template milestones")
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.percent}%)"


class InstalledStatus(models.TextChoices):
    PURCHASED = "purchased", _("Purchased")
    INSTALLED = "installed", _("Installed")
    RETIRED = "retired", _("Retired")


class InstalledItem(TimeStamped):
    """A module a customer bought, at a version: the installed base service requests refer to."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="installed_base")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    module = models.ForeignKey(Module, verbose_name=_("module"), on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        ProductVersion, verbose_name=_("version"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="installed_items")
    status = models.CharField(_("status"), max_length=10, choices=InstalledStatus.choices, default=InstalledStatus.PURCHASED)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("installed item")
        verbose_name_plural = _("installed base")
        ordering = ["customer", "product", "module"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "module"], name="installed_item_unique")
        ]
        indexes = [models.Index(fields=["customer", "status"], name="installed_customer")]

    def __str__(self) -> str:
        return f"{self.module} {self.version.number if self.version else ''}".strip()


def contract_document_path(instance: "ContractDocument", filename: str) -> str:
    import uuid
    from pathlib import PurePath

    return f"contracts/{instance.contract_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class ContractDocument(TimeStamped):
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="documents")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to=contract_document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name
