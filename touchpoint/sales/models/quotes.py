"""Quotes with versions, lines, discount limits per position, and discount approvals."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from touchpoint.core.models import TimeStamped
from touchpoint.core.money import ZERO, amount_field, currency_field, percent_field
from touchpoint.customers.models import Contact, Customer
from touchpoint.org.models import Position
from touchpoint.sales.models.catalogue import LicenceType, Module
from touchpoint.sales.models.pipeline import Opportunity
from touchpoint.sales.models.requirements import Requirement


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    SUPERSEDED = "superseded", _("Superseded by a revision")


class Quote(TimeStamped):
    # Q-2026-000123; a revision keeps the number and raises `revision`.
    number = models.CharField(_("number"), max_length=20)
    revision = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self", verbose_name=_("revises"), null=True, blank=True, on_delete=models.PROTECT, related_name="next_revision"
    )
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), on_delete=models.PROTECT, related_name="quotes")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="quotes")
    contact = models.ForeignKey(
        Contact, verbose_name=_("addressed to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    valid_until = models.DateField(_("valid until"))
    currency = currency_field()
    terms = models.TextField(_("terms"), max_length=5000, blank=True)
    # Totals, kept in step with the lines by the services.
    list_total = amount_field(_("list total"))
    net_total = amount_field(_("net total"))
    tax_total = amount_field(_("tax"))
    grand_total = amount_field(_("total"))
    discount_percent = percent_field(_("discount (%)"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected at"), null=True, blank=True)
    # An addendum prices a change to a signed contract (a change request from the project).
    amends = models.ForeignKey(
        "sales.Contract", verbose_name=_("addendum to contract"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="addenda",
    )  # fmt: skip

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision_unique")]
        indexes = [
            models.Index(fields=["opportunity", "-revision"], name="quote_opportunity"),
            models.Index(fields=["customer", "-created_at"], name="quote_customer"),
            models.Index(fields=["status", "valid_until"], name="quote_status_validity"),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.revision}"

    @property
    def is_editable(self) -> bool:
        return self.status == QuoteStatus.DRAFT


class LineKind(models.TextChoices):
    LICENCE = "licence", _("Licence")
    SERVICE = "service", _("Services (person-days)")
    MAINTENANCE = "maintenance", _("Annual maintenance")
    OTHER = "other", _("Other")


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices, default=LineKind.LICENCE)
    module = models.ForeignKey(
        Module, verbose_name=_("module"), null=True, blank=True, on_delete=models.PROTECT, related_name="quote_lines"
    )
    licence_type = models.CharField(_("licence type"), max_length=12, choices=LicenceType.choices, blank=True)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"), max_digits=10, decimal_places=2, default=1, validators=[MinValueValidator(ZERO)]
    )
    unit_price = amount_field(_("list price"))
    discount_percent = percent_field(_("discount (%)"))
    tax_rate = percent_field(_("tax rate (%)"))
    net_amount = amount_field(_("net"))
    tax_amount = amount_field(_("tax"))
    total = amount_field(_("total"))
    requirements = models.ManyToManyField(Requirement, verbose_name=_("requirements"), blank=True, related_name="quote_lines")

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "order", "id"]
        indexes = [models.Index(fields=["module", "quote"], name="quote_line_module")]

    def __str__(self) -> str:
        return self.description


class DiscountLimit(models.Model):
    """The largest discount off list a position may give without a sales manager's approval."""

    position = models.CharField(_("position"), max_length=32, choices=Position.choices, unique=True)
    max_discount_percent = percent_field(_("largest discount without approval (%)"))

    class Meta:
        verbose_name = _("discount limit")
        verbose_name_plural = _("discount limits")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.get_position_display()}: {self.max_discount_percent}%"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DiscountApproval(TimeStamped):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="approvals")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discount_percent = percent_field(_("discount (%)"))
    limit_percent = percent_field(_("requester's limit (%)"))
    reason = models.CharField(_("why this discount"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("discount approval")
        verbose_name_plural = _("discount approvals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="approval_status")]

    def __str__(self) -> str:
        return f"{self.quote} · {self.discount_percent}%"
