"""Invoices against payment milestones, credit notes (红字发票) that correct them, disputes.

A milestone that falls due is an invoice request until invoices cover its amount. Partial invoices
are allowed; a credit note takes back part of an invoice's open amount and reopens the request.

    milestone due ──issue──▶ invoiced (Σ net invoiced = amount) ──receipts──▶ paid
        ▲                                   │
        └────────── credit note ◀───────────┘

Rounding: the tax inside an amount is amount × rate / (100 + rate), rounded half up to the cent.
"""

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.money import HUNDRED, ZERO, default_tax_rate, money
from touchpoint.core.numbering import next_number
from touchpoint.finance.models import Invoice, InvoiceKind, InvoiceStatus, VatType
from touchpoint.sales.models import ContractStatus, MilestoneStatus, PaymentMilestone

INVOICE_ISSUED = event_type("invoice.issued", kind=EventKind.FINANCE, label=gettext_lazy("Invoice issued"))
CREDIT_NOTE_ISSUED = event_type("invoice.credit_note", kind=EventKind.FINANCE, label=gettext_lazy("Credit note issued"))
INVOICE_TAX_NUMBER = event_type(
    "invoice.tax_number", kind=EventKind.FINANCE, label=gettext_lazy("Tax invoice number recorded")
)
INVOICE_DISPUTED = event_type("invoice.disputed", kind=EventKind.FINANCE, label=gettext_lazy("Invoice disputed"))
INVOICE_DISPUTE_CLEARED = event_type(
    "invoice.dispute_cleared", kind=EventKind.FINANCE, label=gettext_lazy("Invoice dispute settled")
)
MAX_AMOUNT = Decimal("99999999999999.99")
# A tax invoice number (发票号码) is digits, sometimes with letters or a dash; never Chinese text.
TAX_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


def tax_within(amount: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a tax-inclusive amount."""
    return money(amount * rate / (HUNDRED + rate))


def net_invoiced(milestone_id: int) -> Decimal:
    """What the milestone's invoices add up to after their credit notes."""
    totals = Invoice.objects.filter(milestone_id=milestone_id, kind=InvoiceKind.INVOICE).aggregate(
        amount=Sum("amount"), credited=Sum("credited_amount")
    )
    return (totals["amount"] or ZERO) - (totals["credited"] or ZERO)


def milestone_remainder(milestone: PaymentMilestone) -> Decimal:
    """What may still be invoiced on the milestone."""
    return milestone.amount - net_invoiced(milestone.pk)


def invoice_status(invoice: Invoice) -> str:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return InvoiceStatus.ISSUED
    if invoice.open_amount > ZERO:
        return InvoiceStatus.OPEN if invoice.allocated_amount == ZERO else InvoiceStatus.PARTIAL
    if invoice.allocated_amount == ZERO:
        return InvoiceStatus.CREDITED
    return InvoiceStatus.PAID


def milestone_sync(milestone_id: int) -> str:
    """Bring the milestone's billing status in line with its invoices: due while something is left to
    invoice, invoiced once covered, paid once covered and collected."""
    milestone = PaymentMilestone.objects.get(pk=milestone_id)
    if milestone.status in (MilestoneStatus.PENDING, MilestoneStatus.CANCELLED):
        return milestone.status
    invoices = Invoice.objects.filter(milestone_id=milestone_id, kind=InvoiceKind.INVOICE)
    totals = invoices.aggregate(amount=Sum("amount"), credited=Sum("credited_amount"), open=Sum("open_amount"))
    invoiced = (totals["amount"] or ZERO) - (totals["credited"] or ZERO)
    if invoiced < milestone.amount:
        status = MilestoneStatus.DUE
    elif (totals["open"] or ZERO) > ZERO:
        status = MilestoneStatus.INVOICED
    else:
        status = MilestoneStatus.PAID
    if status != milestone.status:
        PaymentMilestone.objects.filter(pk=milestone_id).update(status=status)
    return status


def _check_tax_number(tax_number: str | None, *, exclude: int | None = None) -> str | None:
    tax_number = (tax_number or "").strip() or None
    if tax_number is None:
        return None
    if len(tax_number) > 30 or not TAX_NUMBER.fullmatch(tax_number):
        raise ValidationError({"tax_number": _("A tax invoice number is up to 30 letters and digits.")})
    clash = Invoice.objects.filter(tax_number=tax_number)
    if exclude:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"tax_number": _("Tax invoice number %(number)s is already on another invoice.")
                               % {"number": tax_number}})  # fmt: skip
    return tax_number


def _check_amount(amount: Any, field: str = "amount") -> Decimal:
    try:
        value = Decimal(str(amount))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({field: _("Enter an amount.")}) from None
    if not value.is_finite() or value <= ZERO:
        raise ValidationError({field: _("The amount must be above zero.")})
    if value > MAX_AMOUNT or money(value) != value:
        raise ValidationError({field: _("Enter an amount in yuan and fen, at most two decimals.")})
    return value


def _check_rate(rate: Any) -> Decimal:
    try:
        value = Decimal(str(rate))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({"tax_rate": _("Enter a tax rate.")}) from None
    if not value.is_finite() or not ZERO <= value < HUNDRED or value != value.quantize(Decimal("0.01")):
        raise ValidationError({"tax_rate": _("The tax rate must be between 0% and 100%, at most two decimals.")})
    return value


def _payload(invoice: Invoice, **extra: Any) -> dict[str, Any]:
    return {"number": invoice.number, "tax_number": invoice.tax_number or "", "amount": str(invoice.amount),
            "currency": invoice.currency, "contract": invoice.contract.number, **extra}  # fmt: skip


def _save_new(invoice: Invoice) -> None:
    """Insert in a savepoint so that a tax number taken meanwhile is a field error, not a broken transaction."""
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError as error:
        if "tax_number" in str(error) or "invoice_tax_number_unique" in str(error):
            raise ValidationError({"tax_number": _("Tax invoice number %(number)s is already on another invoice.")
                                   % {"number": invoice.tax_number}}) from None  # fmt: skip
        raise


@transaction.atomic
def invoice_issue(
    *,
    milestone: PaymentMilestone,
    by: Any,
    amount: Any = None,
    tax_number: str | None = None,
    vat_type: str = VatType.SPECIAL,
    tax_rate: Any = None,
    issued_on: date | None = None,
    currency: str = "",
    note: str = "",
) -> Invoice:
    """Issue an invoice on a due milestone, for its remainder unless a smaller amount is given."""
    from touchpoint.finance.services.credit import credit_profile_for

    milestone = PaymentMilestone.objects.select_for_update().select_related("contract").get(pk=milestone.pk)
    contract = milestone.contract
    if contract.status not in (ContractStatus.ACTIVE, ContractStatus.COMPLETED):
        raise ValidationError({"milestone": _("Only an active contract is invoiced.")})
    if milestone.status == MilestoneStatus.PENDING:
        raise ValidationError({"milestone": _("This payment milestone is not due yet.")})
    if milestone.status == MilestoneStatus.CANCELLED:
        raise ValidationError({"milestone": _("This payment milestone was cancelled.")})
    remainder = milestone_remainder(milestone)
    amount = remainder if amount in (None, "") else _check_amount(amount)
    if remainder <= ZERO:
        raise ValidationError({"amount": _("This milestone is already fully invoiced.")})
    if amount > remainder:
        raise ValidationError({"amount": _("The amount is more than the %(remainder)s %(currency)s left to invoice "
                                           "on this milestone.") % {"remainder": remainder, "currency": contract.currency}})  # fmt: skip
    if currency and currency != contract.currency:
        raise ValidationError({"currency": _("The contract is in %(currency)s; invoice it in %(currency)s.")
                               % {"currency": contract.currency}})  # fmt: skip
    if vat_type not in VatType.values:
        raise ValidationError({"vat_type": _("Choose special or ordinary VAT invoice.")})
    rate = _check_rate(default_tax_rate() if tax_rate in (None, "") else tax_rate)
    issued_on = issued_on or timezone.localdate()
    if issued_on > timezone.localdate():
        raise ValidationError({"issued_on": _("The issue date cannot be in the future.")})
    profile = credit_profile_for(contract.customer)
    invoice = Invoice(
        number=next_number("INV"), tax_number=_check_tax_number(tax_number), customer_id=contract.customer_id,
        contract=contract, milestone=milestone, owner_id=contract.owner_id, vat_type=vat_type, tax_rate=rate,
        amount=amount, tax_amount=tax_within(amount, rate), currency=contract.currency, issued_on=issued_on,
        due_on=issued_on + timedelta(days=profile.payment_terms_days), open_amount=amount,
        note=(note or "").strip()[:500], created_by=by,
    )  # fmt: skip
    invoice._history_user = by  # type: ignore[attr-defined]
    _save_new(invoice)
    milestone_sync(milestone.pk)
    event_record(verb=INVOICE_ISSUED, actor=by, customer_id=invoice.customer_id, target=invoice,
                 payload=_payload(invoice, milestone=milestone.name, due_on=invoice.due_on.isoformat()))  # fmt: skip
    return invoice


@transaction.atomic
def credit_note_issue(
    *, invoice: Invoice, by: Any, amount: Any, reason: str, tax_number: str | None = None
) -> Invoice:
    """Correct an invoice with a credit note for part or all of what is still open on it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the invoice is corrected.")})
    invoice = Invoice.objects.select_for_update().select_related("contract").get(pk=invoice.pk)
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValidationError({"invoice": _("A credit note corrects an invoice, not another credit note.")})
    amount = _check_amount(amount)
    if amount > invoice.open_amount:
        raise ValidationError({"amount": _("Only the %(open)s %(currency)s still open can be credited; reverse the "
                                           "receipts allocated to it first.") % {"open": invoice.open_amount,
                                                                                 "currency": invoice.currency}})  # fmt: skip
    note = Invoice(
        number=next_number("CN"), tax_number=_check_tax_number(tax_number), kind=InvoiceKind.CREDIT_NOTE,
        credited_invoice=invoice, customer_id=invoice.customer_id, contract_id=invoice.contract_id,
        milestone_id=invoice.milestone_id, owner_id=invoice.owner_id, vat_type=invoice.vat_type,
        tax_rate=invoice.tax_rate, amount=amount, tax_amount=tax_within(amount, invoice.tax_rate),
        currency=invoice.currency, issued_on=timezone.localdate(), due_on=timezone.localdate(),
        status=InvoiceStatus.ISSUED, note=reason[:500], created_by=by,
    )  # fmt: skip
    note._history_user = by  # type: ignore[attr-defined]
    _save_new(note)
    invoice.credited_amount += amount
    invoice.open_amount -= amount
    invoice.status = invoice_status(invoice)
    invoice.version += 1
    invoice._history_user = by  # type: ignore[attr-defined]
    invoice.save()
    milestone_sync(invoice.milestone_id)
    event_record(verb=CREDIT_NOTE_ISSUED, actor=by, customer_id=invoice.customer_id, target=invoice,
                 payload=_payload(invoice, credit_note=note.number, credited=str(amount), reason=reason[:500]))  # fmt: skip
    return note


@transaction.atomic
def invoice_dispute(*, invoice: Invoice, by: Any, disputed: bool, reason: str = "") -> Invoice:
    """Mark an invoice disputed by the customer (dunning leaves it alone) or settle the dispute."""
    reason = (reason or "").strip()
    if disputed and not reason:
        raise ValidationError({"reason": _("Say what the customer disputes.")})
    invoice = Invoice.objects.select_for_update().select_related("contract").get(pk=invoice.pk)
    if invoice.kind != InvoiceKind.INVOICE:
        raise ValidationError({"invoice": _("Only an invoice can be disputed.")})
    if invoice.disputed == disputed:
        raise ValidationError({"disputed": _("The invoice is already disputed.") if disputed
                               else _("The invoice is not disputed.")})  # fmt: skip
    invoice.disputed, invoice.dispute_reason = disputed, reason[:500] if disputed else ""
    invoice.version += 1
    invoice._history_user = by  # type: ignore[attr-defined]
    invoice.save()
    event_record(verb=INVOICE_DISPUTED if disputed else INVOICE_DISPUTE_CLEARED, actor=by,
                 customer_id=invoice.customer_id, target=invoice, payload=_payload(invoice, reason=reason[:500]))  # fmt: skip
    from touchpoint.finance.risk import customer_rescore

    customer_rescore(customer_id=invoice.customer_id)
    return invoice


@transaction.atomic
def invoice_set_tax_number(*, invoice: Invoice, by: Any, tax_number: str, expected_version: int) -> Invoice:
    """Record the tax system's number once it is known (it often comes a day after our own number)."""
    invoice = Invoice.objects.select_for_update().select_related("contract").get(pk=invoice.pk)
    if invoice.version != expected_version:
        raise ValidationError({"version": _("Someone else changed this invoice meanwhile. Reload and try again.")})
    checked = _check_tax_number(tax_number, exclude=invoice.pk)
    if checked is None:
        raise ValidationError({"tax_number": _("Enter the tax invoice number.")})
    previous, invoice.tax_number = invoice.tax_number, checked
    invoice.version += 1
    invoice._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:
        raise ValidationError({"tax_number": _("Tax invoice number %(number)s is already on another invoice.")
                               % {"number": checked}}) from None  # fmt: skip
    event_record(verb=INVOICE_TAX_NUMBER, actor=by, customer_id=invoice.customer_id, target=invoice,
                 payload=_payload(invoice, previous=previous or ""))  # fmt: skip
    return invoice
