"""Invoice requests (due milestones), issuing an invoice, the invoice list and page, credit notes, disputes."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.events import events_for_target
from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.finance import access, selectors
from touchpoint.finance.forms import CreditNoteForm, DisputeForm, InvoiceForm, TaxNumberForm
from touchpoint.finance.models import InvoiceKind, InvoiceStatus
from touchpoint.finance.services import invoices as services
from touchpoint.finance.views.common import PAGE_SIZE, invoice_for, require
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may


@login_required
@require_GET
def invoice_requests(request: AuthedRequest) -> HttpResponse:
    rows = selectors.invoice_requests(request.user)
    require(may(request.user, "invoice", "view") or may(request.user, "invoice", "create"))
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "finance/invoice_requests.html",
                  {"page": page, "may_issue": access.may_issue_invoices(request.user)})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def invoice_issue(request: AuthedRequest, milestone_pk: int) -> HttpResponse:
    milestone = get_object_or_404(selectors.invoice_requests(request.user), pk=milestone_pk)
    require(access.can_issue_invoice(request.user, milestone.contract))
    form = InvoiceForm(request.POST or None, remainder=milestone.remainder)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_issue(milestone=milestone, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
            return redirect("finance:invoice_detail", pk=invoice.pk)
    return render(request, "finance/invoice_issue.html", {"form": form, "milestone": milestone},
                  status=400 if form.errors else 200)  # fmt: skip


def _filtered(request: AuthedRequest, rows: Any) -> tuple[Any, dict[str, str]]:
    status = request.GET.get("status", "")
    if status in InvoiceStatus.values:
        rows = rows.filter(status=status)
    else:
        status = ""
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        rows = rows.filter(open_amount__gt=0, due_on__lt=timezone.localdate(), kind=InvoiceKind.INVOICE)
    q = request.GET.get("q", "").strip()[:60]
    if q:
        rows = rows.filter(Q(number__icontains=q) | Q(tax_number__icontains=q) | Q(customer__name__icontains=q)
                           | Q(contract__number__icontains=q))  # fmt: skip
    return rows, {"status": status, "overdue": "1" if overdue else "", "q": q}


@login_required
@require_GET
def invoice_list(request: AuthedRequest) -> HttpResponse:
    require(may(request.user, "invoice", "view"))
    rows, filters = _filtered(request, access.visible_invoices(request.user).select_related("customer", "owner", "contract"))
    page = CappedPaginator(rows.order_by("-issued_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "finance/invoice_list.html", {
        "page": page, **filters, "statuses": InvoiceStatus.choices, "today": timezone.localdate(),
        "may_export": may(request.user, "invoice", "export"),
    })  # fmt: skip


@login_required
@require_GET
def invoice_export(request: AuthedRequest) -> HttpResponseBase:
    require(may(request.user, "invoice", "export"))
    rows, _filters = _filtered(request, access.exportable_invoices(request.user).select_related("customer", "owner", "contract"))
    header = [_("Number"), _("Tax invoice number"), _("Kind"), _("Customer"), _("Contract"), _("Issued on"), _("Due on"),
              _("VAT type"), _("Tax rate (%)"), _("Amount incl. tax"), _("Of which tax"), _("Credited"),
              pgettext("amount received", "Received"),
              _("Open"), _("Currency"), _("Status"), _("Sales rep")]  # fmt: skip
    data = (
        [i.number, i.tax_number or "", i.get_kind_display(), i.customer.name, i.contract.number, i.issued_on.isoformat(),
         i.due_on.isoformat(), i.get_vat_type_display(), float(i.tax_rate), float(i.amount), float(i.tax_amount),
         float(i.credited_amount), float(i.allocated_amount), float(i.open_amount), i.currency, i.get_status_display(),
         str(i.owner)]
        for i in rows.order_by("-issued_on", "-id").iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "xlsx":
        return xlsx_response("invoices", header, data)
    return csv_response("invoices", header, data)


def _detail(request: AuthedRequest, invoice: Any, **extra: Any) -> HttpResponse:
    can_edit = access.can_edit_invoice(request.user, invoice)
    context = {
        "invoice": invoice,
        "allocations": list(invoice.allocations.select_related("receipt").order_by("id")),
        "credit_notes": list(invoice.credit_notes.order_by("id")),
        "events": list(events_for_target(invoice).select_related("actor")[:30]),
        "can_edit": can_edit,
        "today": timezone.localdate(),
        "credit_form": CreditNoteForm(initial={"amount": invoice.open_amount}),
        "dispute_form": DisputeForm(),
        "tax_form": TaxNumberForm(initial={"tax_number": invoice.tax_number, "version": invoice.version}),
        "may_record_receipt": access.may_record_receipts(request.user),
        **extra,
    }
    return render(request, "finance/invoice_detail.html", context, status=400 if extra else 200)


@login_required
@require_GET
def invoice_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, invoice_for(request, pk))


def _editable(request: AuthedRequest, pk: int) -> Any:
    invoice = invoice_for(request, pk)
    require(access.can_edit_invoice(request.user, invoice))
    return invoice


@login_required
@require_POST
def credit_note(request: AuthedRequest, pk: int) -> HttpResponse:
    invoice = _editable(request, pk)
    form = CreditNoteForm(request.POST)
    if form.is_valid():
        try:
            note = services.credit_note_issue(invoice=invoice, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
            return redirect("finance:invoice_detail", pk=invoice.pk)
    return _detail(request, invoice, credit_form=form, open_panel="credit")


@login_required
@require_POST
def invoice_dispute(request: AuthedRequest, pk: int) -> HttpResponse:
    invoice = _editable(request, pk)
    form = DisputeForm(request.POST)
    disputed = request.POST.get("disputed") == "1"
    if form.is_valid():
        try:
            services.invoice_dispute(invoice=invoice, by=request.user, disputed=disputed, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The invoice is marked disputed; reminders leave it alone.") if disputed
                             else _("The dispute is settled."))  # fmt: skip
            return redirect("finance:invoice_detail", pk=invoice.pk)
    return _detail(request, invoice, dispute_form=form, open_panel="dispute")


@login_required
@require_POST
def invoice_tax_number(request: AuthedRequest, pk: int) -> HttpResponse:
    invoice = _editable(request, pk)
    form = TaxNumberForm(request.POST)
    if form.is_valid():
        try:
            services.invoice_set_tax_number(invoice=invoice, by=request.user, tax_number=form.cleaned_data["tax_number"],
                                            expected_version=form.cleaned_data["version"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Tax invoice number saved."))
            return redirect("finance:invoice_detail", pk=invoice.pk)
    return _detail(request, invoice, tax_form=form, open_panel="tax")
