"""Receipts (回款): recording money received, allocating it to invoices, reversing."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.events import events_for_target
from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.customers.access import visible_customers
from touchpoint.finance import access, selectors
from touchpoint.finance.forms import ReasonForm, ReceiptForm
from touchpoint.finance.models import Allocation, ReceiptStatus
from touchpoint.finance.services import receipts as services
from touchpoint.finance.views.common import PAGE_SIZE, customer_for, receipt_for, refused, require
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may

CUSTOMER_MATCHES = 20


def _filtered(request: AuthedRequest, rows: Any) -> tuple[Any, dict[str, str]]:
    unallocated = request.GET.get("unallocated") == "1"
    if unallocated:
        rows = rows.filter(status=ReceiptStatus.ACTIVE, allocated_amount__lt=F("amount"))
    q = request.GET.get("q", "").strip()[:60]
    if q:
        rows = rows.filter(Q(number__icontains=q) | Q(bank_reference__icontains=q) | Q(customer__name__icontains=q))
    return rows, {"unallocated": "1" if unallocated else "", "q": q}


@login_required
@require_GET
def receipt_list(request: AuthedRequest) -> HttpResponse:
    require(may(request.user, "receipt", "view"))
    rows, filters = _filtered(request, access.visible_receipts(request.user).select_related("customer"))
    page = CappedPaginator(rows.order_by("-received_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "finance/receipt_list.html", {
        "page": page, **filters, "may_record": access.may_record_receipts(request.user),
        "may_export": may(request.user, "receipt", "export"),
    })  # fmt: skip


@login_required
@require_GET
def receipt_export(request: AuthedRequest) -> HttpResponseBase:
    require(may(request.user, "receipt", "export"))
    rows, _filters = _filtered(request, access.exportable_receipts(request.user).select_related("customer"))
    header = [_("Number"), _("Customer"), _("Received on"), _("Amount"), _("Currency"), _("Method"), _("Bank reference"),
              _("Allocated"), _("Unallocated"), _("Status")]  # fmt: skip
    data = (
        [r.number, r.customer.name, r.received_on.isoformat(), float(r.amount), r.currency, r.get_method_display(),
         r.bank_reference, float(r.allocated_amount), float(r.unallocated), r.get_status_display()]
        for r in rows.order_by("-received_on", "-id").iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "xlsx":
        return xlsx_response("receipts", header, data)
    return csv_response("receipts", header, data)


@login_required
@require_http_methods(["GET", "POST"])
def receipt_new(request: AuthedRequest) -> HttpResponse:
    """Pick the customer (a search when none is given), then record what arrived."""
    require(access.may_record_receipts(request.user))
    customer_id = request.GET.get("customer") or request.POST.get("customer") or ""
    if not customer_id.isdecimal():
        q = request.GET.get("q", "").strip()[:60]
        matches = list(visible_customers(request.user).filter(Q(name__icontains=q) | Q(short_name__icontains=q))
                       .order_by("name")[:CUSTOMER_MATCHES]) if q else []  # fmt: skip
        return render(request, "finance/receipt_customer.html", {"q": q, "matches": matches})
    customer = customer_for(request, int(customer_id))
    require(access.can_record_receipt(request.user, customer))
    customers = visible_customers(request.user).filter(pk=customer.pk)
    form = ReceiptForm(request.POST or None, customers=customers, initial={"customer": customer})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("customer")
        try:
            receipt = services.receipt_record(customer=customer, by=request.user, **data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Receipt %(number)s recorded; %(allocated)s allocated, %(left)s left to allocate.")
                             % {"number": receipt.number, "allocated": receipt.allocated_amount,
                                "left": receipt.amount - receipt.allocated_amount})  # fmt: skip
            return redirect("finance:receipt_detail", pk=receipt.pk)
    return render(request, "finance/receipt_form.html", {"form": form, "customer": customer},
                  status=400 if form.errors else 200)  # fmt: skip


def _detail_context(request: AuthedRequest, receipt: Any, **extra: Any) -> dict[str, Any]:
    can_edit = access.can_edit_receipt(request.user, receipt) and receipt.status == ReceiptStatus.ACTIVE
    allocations = list(receipt.allocations.select_related("invoice").order_by("id"))
    open_invoices = list(selectors.open_invoices_of(receipt)[:50]) if can_edit else []
    typed = extra.pop("wanted", {})
    for invoice in open_invoices:
        invoice.typed = typed.get(str(invoice.pk), "")  # type: ignore[attr-defined]
    return {
        "receipt": receipt, "allocations": allocations, "open_invoices": open_invoices, "can_edit": can_edit,
        "events": list(events_for_target(receipt).select_related("actor")[:30]), "reverse_form": ReasonForm(),
        **extra,
    }  # fmt: skip


@login_required
@require_GET
def receipt_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    receipt = receipt_for(request, pk)
    return render(request, "finance/receipt_detail.html", _detail_context(request, receipt))


def _editable(request: AuthedRequest, pk: int) -> Any:
    receipt = receipt_for(request, pk)
    require(access.can_edit_receipt(request.user, receipt))
    return receipt


def _wanted(request: AuthedRequest) -> tuple[list[tuple[int, Decimal]], dict[str, str], list[str]]:
    """The amounts typed against invoices (fields amount_<invoice id>); blank ones are skipped."""
    wanted: list[tuple[int, Decimal]] = []
    typed: dict[str, str] = {}
    errors: list[str] = []
    for name in request.POST:
        value = request.POST.get(name, "")
        if not name.startswith("amount_") or not name[7:].isdecimal() or not value.strip():
            continue
        typed[name[7:]] = value.strip()[:20]
        try:
            wanted.append((int(name[7:]), Decimal(value.strip().replace(",", ""))))
        except (InvalidOperation, ValueError):
            errors.append(_("“%(value)s” is not an amount.") % {"value": value.strip()[:20]})
    return wanted, typed, errors


@login_required
@require_POST
def receipt_allocate(request: AuthedRequest, pk: int) -> HttpResponse:
    receipt = _editable(request, pk)
    wanted, typed, errors = _wanted(request)
    invoices = {i.pk: i for i in selectors.open_invoices_of(receipt).filter(pk__in=[i for i, _a in wanted])}
    errors += [_("Invoice %(id)s is not an open invoice of this customer.") % {"id": i} for i, _a in wanted if i not in invoices]
    if not errors:
        try:
            made = services.receipt_allocate(receipt=receipt, by=request.user,
                                             allocations=[(invoices[i], amount) for i, amount in wanted])  # fmt: skip
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, ngettext("%(count)s allocation made.", "%(count)s allocations made.", len(made))
                             % {"count": len(made)})  # fmt: skip
            return redirect("finance:receipt_detail", pk=receipt.pk)
    messages.error(request, " ".join(errors))
    return render(request, "finance/receipt_detail.html", _detail_context(request, receipt, wanted=typed), status=400)


@login_required
@require_POST
def receipt_allocate_oldest(request: AuthedRequest, pk: int) -> HttpResponse:
    receipt = _editable(request, pk)
    try:
        made = services.receipt_allocate_oldest_first(receipt=receipt, by=request.user)
    except ValidationError as error:
        return refused(request, error, lambda: render(request, "finance/receipt_detail.html", _detail_context(request, receipt)))
    if made:
        messages.success(request, ngettext("%(count)s allocation made, oldest invoice first.",
                                           "%(count)s allocations made, oldest invoice first.", len(made))
                         % {"count": len(made)})  # fmt: skip
    else:
        messages.info(request, _("Nothing to allocate: no open invoice in this currency, or nothing left on the receipt."))
    return redirect("finance:receipt_detail", pk=receipt.pk)


@login_required
@require_POST
def receipt_reverse(request: AuthedRequest, pk: int) -> HttpResponse:
    receipt = _editable(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.receipt_reverse(receipt=receipt, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Receipt reversed; its allocations are undone."))
            return redirect("finance:receipt_detail", pk=receipt.pk)
    return render(request, "finance/receipt_detail.html", _detail_context(request, receipt, reverse_form=form), status=400)


@login_required
@require_POST
def allocation_reverse(request: AuthedRequest, pk: int) -> HttpResponse:
    allocation = get_object_or_404(Allocation.objects.filter(receipt__in=access.visible_receipts(request.user)), pk=pk)
    receipt = _editable(request, allocation.receipt_id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.allocation_reverse(allocation=allocation, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Allocation reversed."))
            return redirect("finance:receipt_detail", pk=receipt.pk)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return render(request, "finance/receipt_detail.html", _detail_context(request, receipt), status=400)
