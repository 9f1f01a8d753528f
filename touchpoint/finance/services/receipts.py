"""Receipts (回款) and their allocation to invoices.

A receipt is money that arrived. Allocating sets part of it against an invoice, oldest first by
default or by hand; what is left stays visible as unallocated (a prepayment or an overpayment).
Allocations and receipts are reversed with a reason, never deleted.

Concurrency: a receipt row is locked first, then its invoices in id order, so two finance officers
allocating the same receipt (or paying the same invoice) are served one after the other, and the
second sees what the first left. The database refuses an over-allocation besides.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import EventKind
from touchpoint.core.money import ZERO
from touchpoint.core.numbering import next_number
from touchpoint.customers.models import Customer
from touchpoint.finance.models import Allocation, Invoice, InvoiceKind, Receipt, ReceiptMethod, ReceiptStatus
from touchpoint.finance.services.invoices import _check_amount, invoice_status, milestone_sync

RECEIPT_RECORDED = event_type("receipt.recorded", kind=EventKind.FINANCE, label=gettext_lazy("Receipt recorded"))
RECEIPT_ALLOCATED = event_type("receipt.allocated", kind=EventKind.FINANCE, label=gettext_lazy("Receipt allocated"))
ALLOCATION_REVERSED = event_type(
    "receipt.allocation_reversed", kind=EventKind.FINANCE, label=gettext_lazy("Allocation reversed")
)
RECEIPT_REVERSED = event_type("receipt.reversed", kind=EventKind.FINANCE, label=gettext_lazy("Receipt reversed"))


def _payload(receipt: Receipt, **extra: Any) -> dict[str, Any]:
    return {"number": receipt.number, "amount": str(receipt.amount), "currency": receipt.currency,
            "bank_reference": receipt.bank_reference, **extra}  # fmt: skip


@transaction.atomic
def receipt_record(
    *,
    customer: Customer,
    by: Any,
    amount: Any,
    received_on: date,
    currency: str = "",
    method: str = ReceiptMethod.BANK_TRANSFER,
    bank_reference: str = "",
    note: str = "",
    allocate: bool = True,
) -> Receipt:
    """Record money received from a customer and, unless told not to, allocate it oldest invoice first."""
    from touchpoint.core.money import default_currency

    amount = _check_amount(amount)
    if received_on is None:
        raise ValidationError({"received_on": _("Enter the date the money arrived.")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The receipt date cannot be in the future.")})
    if method not in ReceiptMethod.values:
        raise ValidationError({"method": _("Choose how the money was paid.")})
    currency = (currency or default_currency()).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": _("Enter a three-letter currency code such as CNY.")})
    receipt = Receipt(
        number=next_number("R"), customer=customer, received_on=received_on, amount=amount, currency=currency,
        method=method, bank_reference=(bank_reference or "").strip()[:60], note=(note or "").strip()[:500],
        created_by=by,
    )  # fmt: skip
    receipt._history_user = by  # type: ignore[attr-defined]
    receipt.save()
    event_record(verb=RECEIPT_RECORDED, actor=by, customer_id=customer.pk, target=receipt,
                 payload=_payload(receipt, received_on=received_on.isoformat(), method=method))  # fmt: skip
    if allocate:
        receipt_allocate_oldest_first(receipt=receipt, by=by)
        receipt.refresh_from_db()
    return receipt


def _locked_receipt(receipt: Receipt) -> Receipt:
    return Receipt.objects.select_for_update().get(pk=receipt.pk)


def _apply(receipt: Receipt, plan: list[tuple[Invoice, Decimal]], by: Any) -> list[Allocation]:
    """Write allocations for (locked invoice, amount) pairs already checked against the locked receipt."""
    if not plan:
        return []  # nothing to allocate: the receipt is left as it was, version included
    today = timezone.localdate()
    made = []
    for invoice, amount in plan:
        made.append(Allocation.objects.create(receipt=receipt, invoice=invoice, customer_id=receipt.customer_id,
                                              amount=amount, allocated_on=today, created_by=by))  # fmt: skip
        invoice.allocated_amount += amount
        invoice.open_amount -= amount
        invoice.status = invoice_status(invoice)
        invoice.version += 1
        invoice._history_user = by  # type: ignore[attr-defined]
        invoice.save(update_fields=["allocated_amount", "open_amount", "status", "version", "updated_at"])
        receipt.allocated_amount += amount
    receipt.version += 1
    receipt.save(update_fields=["allocated_amount", "version", "updated_at"])
    for milestone_id in sorted({invoice.milestone_id for invoice, _amount in plan}):
        milestone_sync(milestone_id)
    event_record(verb=RECEIPT_ALLOCATED, actor=by, customer_id=receipt.customer_id, target=receipt,
                 payload=_payload(receipt, allocations=[{"invoice": i.number, "amount": str(a)} for i, a in plan]))  # fmt: skip
    from touchpoint.finance.risk import customer_rescore

    customer_rescore(customer_id=receipt.customer_id)
    return made


def _check_receipt_open(receipt: Receipt) -> None:
    if receipt.status != ReceiptStatus.ACTIVE:
        raise ValidationError({"receipt": _("This receipt was reversed; nothing more can be allocated from it.")})


@transaction.atomic
def receipt_allocate(*, receipt: Receipt, by: Any, allocations: Iterable[tuple[Invoice, Any]]) -> list[Allocation]:
    """Allocate by hand: each (invoice, amount) within the invoice's open amount, all within the receipt."""
    receipt = _locked_receipt(receipt)
    _check_receipt_open(receipt)
    wanted: dict[int, Decimal] = {}
    for invoice, amount in allocations:
        try:
            value = _check_amount(amount)
        except ValidationError as error:  # said of one line of the allocation, not of the receipt's amount
            raise ValidationError({"allocations": error.message_dict["amount"]}) from None
        wanted[invoice.pk] = wanted.get(invoice.pk, ZERO) + value
    if not wanted:
        raise ValidationError({"allocations": _("Choose at least one invoice and an amount.")})
    invoices = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=wanted).order_by("pk")}
    errors: list[str] = []
    plan: list[tuple[Invoice, Decimal]] = []
    for invoice_id, amount in wanted.items():
        invoice = invoices[invoice_id]
        if invoice.customer_id != receipt.customer_id:
            errors.append(_("Invoice %(number)s belongs to another customer.") % {"number": invoice.number})
        elif invoice.kind != InvoiceKind.INVOICE:
            errors.append(_("%(number)s is a credit note; money is allocated to invoices.") % {"number": invoice.number})
        elif invoice.currency != receipt.currency:
            errors.append(_("Invoice %(number)s is in %(invoice)s but the receipt is in %(receipt)s.")
                          % {"number": invoice.number, "invoice": invoice.currency, "receipt": receipt.currency})  # fmt: skip
        elif amount > invoice.open_amount:
            errors.append(_("Invoice %(number)s has only %(open)s %(currency)s open; %(amount)s is too much.")
                          % {"number": invoice.number, "open": invoice.open_amount, "currency": invoice.currency,
                             "amount": amount})  # fmt: skip
        else:
            plan.append((invoice, amount))
    total = sum(wanted.values(), ZERO)
    unallocated = receipt.amount - receipt.allocated_amount
    if total > unallocated:
        errors.append(_("The allocations add up to %(total)s but only %(left)s %(currency)s of the receipt is "
                        "unallocated.") % {"total": total, "left": unallocated, "currency": receipt.currency})  # fmt: skip
    if errors:
        raise ValidationError({"allocations": errors})
    return _apply(receipt, plan, by)


@transaction.atomic
def receipt_allocate_oldest_first(*, receipt: Receipt, by: Any) -> list[Allocation]:
    """Allocate what is unallocated to the customer's open, undisputed invoices in the same currency, oldest
    due first."""
    receipt = _locked_receipt(receipt)
    _check_receipt_open(receipt)
    left = receipt.amount - receipt.allocated_amount
    if left <= ZERO:
        return []
    candidates = list(
        # Disputed invoices wait: money is set against them by hand once the dispute is settled.
        Invoice.objects.filter(customer_id=receipt.customer_id, kind=InvoiceKind.INVOICE, currency=receipt.currency,
                               open_amount__gt=0, disputed=False).order_by("due_on", "pk").values_list("pk", flat=True)  # fmt: skip
    )
    locked = {i.pk: i for i in Invoice.objects.select_for_update().filter(pk__in=candidates).order_by("pk")}
    plan = []
    for invoice_id in candidates:
        invoice = locked[invoice_id]
        if left <= ZERO:
            break
        share = min(left, invoice.open_amount)
        if share > ZERO:
            plan.append((invoice, share))
            left -= share
    return _apply(receipt, plan, by)


def _undo(allocation: Allocation, by: Any, reason: str, receipt: Receipt) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=allocation.invoice_id)
    allocation.reversed_at, allocation.reversed_by, allocation.reversal_reason = timezone.now(), by, reason[:500]
    allocation.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    invoice.allocated_amount -= allocation.amount
    invoice.open_amount += allocation.amount
    invoice.status = invoice_status(invoice)
    invoice.version += 1
    invoice._history_user = by  # type: ignore[attr-defined]
    invoice.save(update_fields=["allocated_amount", "open_amount", "status", "version", "updated_at"])
    receipt.allocated_amount -= allocation.amount
    return invoice


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why it is reversed.")})
    return reason


@transaction.atomic
def allocation_reverse(*, allocation: Allocation, by: Any, reason: str) -> Allocation:
    """Take one allocation back: the invoice is open again by its amount, the receipt unallocated by it."""
    reason = _reason(reason)
    receipt = Receipt.objects.select_for_update().get(pk=allocation.receipt_id)
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.is_reversed:
        raise ValidationError({"allocation": _("This allocation was already reversed.")})
    invoice = _undo(allocation, by, reason, receipt)
    receipt.version += 1
    receipt.save(update_fields=["allocated_amount", "version", "updated_at"])
    milestone_sync(invoice.milestone_id)
    event_record(verb=ALLOCATION_REVERSED, actor=by, customer_id=receipt.customer_id, target=receipt,
                 payload=_payload(receipt, invoice=invoice.number, reversed=str(allocation.amount), reason=reason[:500]))  # fmt: skip
    from touchpoint.finance.risk import customer_rescore

    customer_rescore(customer_id=receipt.customer_id)
    return allocation


@transaction.atomic
def receipt_reverse(*, receipt: Receipt, by: Any, reason: str) -> Receipt:
    """The money did not arrive after all (a bounced bill, a wrong entry): undo every allocation of it."""
    reason = _reason(reason)
    receipt = _locked_receipt(receipt)
    if receipt.status == ReceiptStatus.REVERSED:
        raise ValidationError({"receipt": _("This receipt was already reversed; a reversal cannot be reversed.")})
    milestones = set()
    for allocation in receipt.allocations.select_for_update().filter(reversed_at__isnull=True).order_by("invoice_id"):
        milestones.add(_undo(allocation, by, reason, receipt).milestone_id)
    receipt.status = ReceiptStatus.REVERSED
    receipt.reversed_at, receipt.reversed_by, receipt.reversal_reason = timezone.now(), by, reason[:500]
    receipt.version += 1
    receipt._history_user = by  # type: ignore[attr-defined]
    receipt.save()
    for milestone_id in sorted(milestones):
        milestone_sync(milestone_id)
    event_record(verb=RECEIPT_REVERSED, actor=by, customer_id=receipt.customer_id, target=receipt,
                 payload=_payload(receipt, reason=reason[:500]))  # fmt: skip
    from touchpoint.finance.risk import customer_rescore

    customer_rescore(customer_id=receipt.customer_id)
    return receipt
