"""What finance shows elsewhere: the 360's receivables panel and risk badge, workspace panels, the
timeline filter, and the daily job."""

from typing import Any

from django.db.models import Count, F, Q, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import (
    Panel,
    PeriodicJob,
    customer_badges,
    customer_panels,
    periodic_jobs,
    timeline_filters,
    workspace_panels,
)
from touchpoint.core.money import ZERO
from touchpoint.customers.models import Customer
from touchpoint.finance import access, reports, selectors
from touchpoint.finance.models import CreditPolicy, InvoiceKind, ReceiptStatus
from touchpoint.org.policy import S, may, scope_of
from touchpoint.sales.access import visible_contracts
from touchpoint.sales.models import ContractStatus

FINANCE = frozenset({"finance"})
READERS = frozenset({"finance", "executive", "sales_manager"})
REPS = frozenset({"sales_rep"})
ROWS = 8


def risk_badge(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    """Rating and risk score, for those who may read the customer's credit; one query."""
    profile = access.visible_credit_profiles(request.user).filter(customer_id=customer.pk).first()
    if profile is None:
        return None
    return {"profile": profile, "high": profile.risk_score >= CreditPolicy.current().high_risk_score}


def customer_receivables(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    user = request.user
    if not may(user, "invoice", "view") or not access.can_view_receivables(user, customer):
        return None
    today = timezone.localdate()
    invoices = access.visible_invoices(user).filter(customer=customer, kind=InvoiceKind.INVOICE)
    figures = invoices.aggregate(
        open=Sum("open_amount"), overdue=Sum("open_amount", filter=Q(due_on__lt=today)),
        count=Count("pk", filter=Q(open_amount__gt=0)),
    )  # fmt: skip
    unallocated = access.visible_receipts(user).filter(customer=customer, status=ReceiptStatus.ACTIVE).aggregate(
        s=Sum(F("amount") - F("allocated_amount"))
    )["s"]
    latest = list(invoices.filter(open_amount__gt=0).order_by("due_on", "pk")[:5])
    return {"customer": customer, "open": figures["open"] or ZERO, "overdue": figures["overdue"] or ZERO,
            "count": figures["count"], "unallocated": unallocated or ZERO, "invoices": latest, "today": today}  # fmt: skip


def invoice_requests_panel(request: HttpRequest) -> dict[str, Any] | None:
    rows = selectors.invoice_requests(request.user)
    return {"rows": list(rows[:ROWS])}


def overdue_panel(request: HttpRequest) -> dict[str, Any] | None:
    return {"rows": list(selectors.overdue_invoices(request.user)[:ROWS]), "today": timezone.localdate()}


def to_allocate_panel(request: HttpRequest) -> dict[str, Any] | None:
    return {"rows": list(selectors.receipts_to_allocate(request.user)[:ROWS])}


def held_contracts_panel(request: HttpRequest) -> dict[str, Any] | None:
    held = visible_contracts(request.user).filter(status=ContractStatus.PENDING_CHECKS).select_related("customer", "owner")
    rows = [c for c in held.order_by("-updated_at")[:50]
            if any(r.get("check") == "credit" and r.get("result") == "block" for r in c.check_results)]  # fmt: skip
    return {"rows": rows[:ROWS]} if rows else None


def receivables_summary(request: HttpRequest) -> dict[str, Any] | None:
    return {"headline": reports.headline(user=request.user)}


customer_badges.register(Panel("risk", _("Credit risk"), "finance/panels/risk_badge.html", risk_badge))
customer_panels.register(Panel("receivables", _("Receivables"), "finance/panels/customer_receivables.html",
                               customer_receivables, order=26))  # fmt: skip
workspace_panels.register(Panel("invoice_requests", _("Invoice requests"), "finance/panels/invoice_requests.html",
                                invoice_requests_panel, order=11, positions=FINANCE))  # fmt: skip
workspace_panels.register(Panel("credit_held", _("Contracts held by the credit check"), "finance/panels/held.html",
                                held_contracts_panel, order=12, positions=FINANCE))  # fmt: skip
workspace_panels.register(Panel("receipts_to_allocate", _("Receipts to allocate"), "finance/panels/to_allocate.html",
                                to_allocate_panel, order=13, positions=FINANCE))  # fmt: skip
workspace_panels.register(Panel("overdue_invoices", _("Overdue invoices"), "finance/panels/overdue.html",
                                overdue_panel, order=14, positions=FINANCE | REPS))  # fmt: skip
workspace_panels.register(Panel("receivables_summary", _("Receivables"), "finance/panels/summary.html",
                                receivables_summary, order=16, positions=READERS))  # fmt: skip


def _hide_unseen(user: Any, customer_ids: list[int]) -> Q | None:
    """Timeline events of invoices, receipts, credit and reminders for readers who may not see them."""
    scope = scope_of(user, "invoice", "view")
    if scope >= S.ALL:
        return None
    finance_rows = Q(target_type__startswith="finance.")
    if scope == S.NONE:
        return finance_rows
    seen = access.visible_invoices(user).filter(customer_id__in=customer_ids).values("customer_id")
    return finance_rows & ~Q(customer_id__in=seen)


timeline_filters["finance"] = _hide_unseen


def _enqueue_daily() -> Any:
    from touchpoint.finance.tasks import daily_receivables

    return daily_receivables.enqueue()


periodic_jobs["daily_receivables"] = PeriodicJob("daily_receivables", every_seconds=24 * 3600, enqueue=_enqueue_daily)
