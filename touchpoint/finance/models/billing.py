"""Invoices (and credit notes), receipts (回款) and the allocations that tie them together.

The amounts kept on each row (`allocated_amount`, `credited_amount`, `open_amount`) are written only
by the services, in the same transaction as the rows they sum, and the database refuses any state
that breaks the money invariants (an open amount below zero, a receipt allocated beyond its amount).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from touchpoint.core.models import TimeStamped, Versioned
from touchpoint.core.money import amount_field, currency_field, percent_field
from touchpoint.customers.models import Customer

HALF_FEN = Decimal("0.005")


class VatType(models.TextChoices):
    SPECIAL = "special", _("Special VAT invoice (专用发票)")
    ORDINARY = "ordinary", _("Ordinary VAT invoice (普通发票)")


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", pgettext_lazy("invoice kind", "Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note (红字发票)")


class InvoiceStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("invoice status", "Unpaid")
    PARTIAL = "partial", _("Partly paid")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    CREDITED = "credited", _("Fully credited")
    ISSUED = "issued", _("Issued")  # a credit note: it is never paid, it corrects


class Invoice(TimeStamped, Versioned):
    # INV-2026-000123 for an invoice, CN-2026-000123 for a credit note.
    number = models.CharField(_("number"), max_length=20, unique=True)
    # The number the tax system gives (发票号); unique where given.
    tax_number = models.CharField(_("tax invoice number"), max_length=30, null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    credited_invoice = models.ForeignKey(
        "self", verbose_name=_("corrects invoice"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="credit_notes",
    )  # fmt: skip
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices")
    contract = models.ForeignKey("sales.Contract", verbose_name=_("contract"), on_delete=models.PROTECT, related_name="invoices")
    milestone = models.ForeignKey(
        "sales.PaymentMilestone", verbose_name=_("payment milestone"), on_delete=models.PROTECT, related_name="invoices"
    )
    # The contract's sales rep when the invoice was issued: collections are reported by rep.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), on_delete=models.PROTECT, related_name="+")
    vat_type = models.CharField(_("VAT type"), max_length=10, choices=VatType.choices, default=VatType.SPECIAL)
    tax_rate = percent_field(_("tax rate (%)"))
    amount = amount_field(_("amount incl. tax"))
    tax_amount = amount_field(_("of which tax"))
    currency = currency_field()
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    credited_amount = amount_field(_("credited"))
    allocated_amount = amount_field(_("received"))
    open_amount = amount_field(_("open"))
    status = models.CharField(_("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    disputed = models.BooleanField(_("disputed"), default=False)
    dispute_reason = models.CharField(_("dispute reason"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = pgettext_lazy("invoice kind", "invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tax_number"], condition=Q(tax_number__isnull=False),
                                    name="invoice_tax_number_unique"),  # fmt: skip
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(condition=Q(open_amount__gte=0), name="invoice_open_not_negative"),
            # A band of half a fen rather than equality: SQLite compares decimals as floating point.
            models.CheckConstraint(
                condition=Q(
                    open_amount__gte=F("amount") - F("credited_amount") - F("allocated_amount") - Value(HALF_FEN),
                    open_amount__lte=F("amount") - F("credited_amount") - F("allocated_amount") + Value(HALF_FEN),
                )
                | Q(kind="credit_note"),
                name="invoice_open_is_the_rest",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-issued_on"], name="invoice_customer"),
            models.Index(fields=["contract"], name="invoice_contract"),
            models.Index(fields=["milestone"], name="invoice_milestone"),
            models.Index(fields=["owner", "-issued_on"], name="invoice_owner"),
            models.Index(fields=["status", "due_on"], name="invoice_status_due"),
            # Ageing, DSO and dunning read open invoices only: a covering partial index on PostgreSQL.
            models.Index(fields=["due_on"], include=["customer", "owner", "open_amount", "currency"],
                         condition=Q(open_amount__gt=0, kind="invoice"), name="invoice_open_due"),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE


class ReceiptMethod(models.TextChoices):
    BANK_TRANSFER = "transfer", _("Bank transfer")
    ACCEPTANCE_BILL = "bill", _("Bank acceptance bill (承兑汇票)")
    OTHER = "other", pgettext_lazy("receipt method", "Other")


class ReceiptStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("receipt status", "Recorded")
    REVERSED = "reversed", _("Reversed")


class Receipt(TimeStamped, Versioned):
    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField(_("received on"))
    amount = amount_field(_("amount"))
    currency = currency_field()
    method = models.CharField(_("method"), max_length=10, choices=ReceiptMethod.choices, default=ReceiptMethod.BANK_TRANSFER)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    allocated_amount = amount_field(_("allocated"))
    status = models.CharField(_("status"), max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.ACTIVE)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reversed by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    reversal_reason = models.CharField(_("reversal reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
            models.CheckConstraint(condition=Q(allocated_amount__lte=F("amount")), name="receipt_not_overallocated"),
        ]
        indexes = [
            models.Index(fields=["customer", "-received_on"], name="receipt_customer"),
            models.Index(fields=["received_on"], name="receipt_received_on"),
            models.Index(fields=["bank_reference"], name="receipt_bank_reference"),
            # Receipts with money still to allocate: finance's work list.
            models.Index(fields=["received_on"], condition=Q(status="active", allocated_amount__lt=F("amount")),
                         name="receipt_unallocated"),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def unallocated(self) -> object:
        return self.amount - self.allocated_amount if self.status == ReceiptStatus.ACTIVE else 0


class Allocation(models.Model):
    """Part of a receipt set against an invoice. Reversed allocations stay, marked, as history."""

    receipt = models.ForeignKey(Receipt, verbose_name=_("receipt"), on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="allocations")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    amount = amount_field(_("amount"))
    allocated_on = models.DateField(_("allocated on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reversal_reason = models.CharField(_("reversal reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")]
        indexes = [
            models.Index(fields=["receipt"], name="allocation_receipt"),
            models.Index(fields=["invoice"], name="allocation_invoice"),
            models.Index(fields=["customer", "allocated_on"], name="allocation_customer_day"),
            models.Index(fields=["allocated_on"], name="allocation_day"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id} → {self.invoice_id}: {self.amount}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None
