"""Reads of finance's work lists: invoice requests, overdue invoices, receipts to allocate."""

from datetime import date
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from touchpoint.core.money import ZERO
from touchpoint.finance.access import visible_invoices, visible_receipts
from touchpoint.finance.models import Invoice, InvoiceKind, Receipt, ReceiptStatus
from touchpoint.org.policy import may
from touchpoint.sales.access import visible_contracts
from touchpoint.sales.models import MilestoneStatus, PaymentMilestone

MONEY: DecimalField = DecimalField(max_digits=16, decimal_places=2)


def _net_invoiced() -> Any:
    per_milestone = (
        Invoice.objects.filter(milestone_id=OuterRef("pk"), kind=InvoiceKind.INVOICE).order_by().values("milestone_id")
        .annotate(net=Sum(F("amount") - F("credited_amount"))).values("net")
    )  # fmt: skip
    return Coalesce(Subquery(per_milestone, output_field=MONEY), Value(ZERO, output_field=MONEY))


def invoice_requests(user: Any) -> QuerySet[PaymentMilestone]:
    """Due payment milestones with something left to invoice, of contracts the user may see, for
    users who may issue invoices or read them; oldest due first. Each row carries `invoiced` and `remainder`."""
    if not (may(user, "invoice", "create") or may(user, "invoice", "view")):
        return PaymentMilestone.objects.none()
    return (
        PaymentMilestone.objects.filter(status=MilestoneStatus.DUE, contract__in=visible_contracts(user).values("pk"))
        .select_related("contract", "contract__customer", "contract__owner")
        .annotate(invoiced=_net_invoiced())
        .annotate(remainder=ExpressionWrapper(F("amount") - F("invoiced"), output_field=MONEY))
        .filter(remainder__gt=0)
        .order_by("due_at", "pk")
    )  # fmt: skip


def overdue_invoices(user: Any, *, today: date | None = None) -> QuerySet[Invoice]:
    today = today or timezone.localdate()
    return (
        visible_invoices(user).filter(kind=InvoiceKind.INVOICE, open_amount__gt=0, due_on__lt=today)
        .select_related("customer", "owner").order_by("due_on", "pk")
    )  # fmt: skip


def receipts_to_allocate(user: Any) -> QuerySet[Receipt]:
    return (
        visible_receipts(user).filter(status=ReceiptStatus.ACTIVE, allocated_amount__lt=F("amount"))
        .select_related("customer").order_by("received_on", "pk")
    )  # fmt: skip


def open_invoices_of(receipt: Receipt) -> QuerySet[Invoice]:
    """The invoices a receipt may be allocated to: the customer's open invoices in its currency, oldest due first."""
    return Invoice.objects.filter(customer_id=receipt.customer_id, kind=InvoiceKind.INVOICE, currency=receipt.currency,
                                  open_amount__gt=0).order_by("due_on", "pk")  # fmt: skip
