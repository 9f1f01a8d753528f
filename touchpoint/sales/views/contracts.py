"""Contract pages: the order-processing list, drafting from an accepted quote, the contract with its
payment milestones, checks, documents and the steps of its life."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.extensions import contract_actions, record_action_links
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.customers.access import visible_contacts
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may
from touchpoint.sales import access
from touchpoint.sales.forms.contracts import ContractForm, DocumentForm, MilestoneFormSet, TerminateForm
from touchpoint.sales.models import Contract, ContractStatus, MilestoneStatus, MilestoneTemplate, QuoteStatus
from touchpoint.sales.services import contracts as services
from touchpoint.sales.views.quotes import quote_for

PAGE_SIZE = 25


def contract_for(request: AuthedRequest, pk: int) -> Contract:
    """The contract if the user may see it; 404 otherwise, whether or not it exists."""
    queryset = access.visible_contracts(request.user).select_related("customer", "owner", "quote", "opportunity")
    return get_object_or_404(queryset, pk=pk)


def _editable(request: AuthedRequest, contract: Contract) -> Contract:
    if not access.can_edit_contract(request.user, contract):
        raise PermissionDenied
    return contract


@login_required
@require_GET
def contract_list(request: AuthedRequest) -> HttpResponse:
    """The order-processing view: every visible contract with its amount, status and milestone status."""
    contracts = access.visible_contracts(request.user).select_related("customer", "owner").annotate(
        milestones_due=Count("milestones", filter=Q(milestones__status=MilestoneStatus.DUE)),
        milestones_paid=Count("milestones", filter=Q(milestones__status=MilestoneStatus.PAID)),
        milestones_total=Count("milestones", filter=~Q(milestones__status=MilestoneStatus.CANCELLED)),
        due_amount=Sum("milestones__amount", filter=Q(milestones__status=MilestoneStatus.DUE)),
    )
    status = request.GET.get("status", "")
    if status in ContractStatus.values:
        contracts = contracts.filter(status=status)
    else:
        status = ""
    q = request.GET.get("q", "").strip()[:60]
    if q:
        contracts = contracts.filter(Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(title__icontains=q))
    page = CappedPaginator(contracts.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sales/contracts/contract_list.html",
                  {"page": page, "status": status, "q": q, "statuses": ContractStatus.choices,
                   "may_export": may(request.user, "contract", "export")})  # fmt: skip


@login_required
@require_GET
def contract_export(request: AuthedRequest) -> HttpResponseBase:
    """The order-processing list as CSV or Excel: the contracts the user may export, with milestone status."""
    if not may(request.user, "contract", "export"):
        raise PermissionDenied
    contracts = access.exportable_contracts(request.user).select_related("customer", "owner").annotate(
        milestones_due=Count("milestones", filter=Q(milestones__status=MilestoneStatus.DUE)),
        milestones_paid=Count("milestones", filter=Q(milestones__status=MilestoneStatus.PAID)),
        due_amount=Sum("milestones__amount", filter=Q(milestones__status=MilestoneStatus.DUE)),
    ).order_by("-created_at", "-id")
    header = [_("Number"), _("Customer"), _("Title"), _("Status"), _("Signed on"), _("Amount"), _("Of which tax"),
              _("Currency"), _("Milestones due"), _("Milestones paid"), _("Due now"), _("Sales rep")]  # fmt: skip
    rows = (
        [c.number, c.customer.name, c.title, c.get_status_display(), c.signed_on.isoformat() if c.signed_on else "",
         float(c.amount), float(c.tax_amount), c.currency, c.milestones_due, c.milestones_paid,
         float(c.due_amount or 0), str(c.owner)]
        for c in contracts.iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "xlsx":
        return xlsx_response("contracts", header, rows)
    return csv_response("contracts", header, rows)


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: AuthedRequest, quote_pk: int) -> HttpResponse:
    quote = quote_for(request, quote_pk)
    if quote.status != QuoteStatus.ACCEPTED or not access.can_create_contract(request.user, quote.opportunity):
        raise PermissionDenied
    contacts = visible_contacts(request.user).filter(customer_id=quote.customer_id)
    templates = MilestoneTemplate.objects.order_by("-is_default", "name")
    form = ContractForm(request.POST or None, contacts=contacts, templates=templates,
                        initial={"title": quote.opportunity.title, "signed_by_contact": quote.contact_id,
                                 "terms": quote.terms, "template": templates.first()})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = services.contract_from_quote(
                quote=quote, by=request.user, title=data["title"], signed_on=data["signed_on"], terms=data["terms"],
                template=data["template"],
            )  # fmt: skip
            if data["signed_by_contact"] and data["signed_by_contact"].pk != contract.signed_by_contact_id:
                services.contract_update(contract=contract, by=request.user, expected_version=contract.version,
                                         signed_by_contact=data["signed_by_contact"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Contract %(number)s drafted.") % {"number": contract.number})
            return redirect("sales:contract_detail", pk=contract.pk)
    return render(request, "sales/contracts/contract_form.html", {"form": form, "quote": quote},
                  status=400 if form.errors else 200)  # fmt: skip


def _milestone_initial(contract: Contract) -> list[dict[str, Any]]:
    return [
        {"name": m.name, "percent": m.percent, "trigger": m.trigger, "trigger_event": m.trigger_event,
         "expected_date": m.expected_date}
        for m in contract.milestones.order_by("order", "id")
    ]  # fmt: skip


def _detail_context(request: AuthedRequest, contract: Contract, **extra: Any) -> dict[str, Any]:
    can_edit = access.can_edit_contract(request.user, contract)
    draft = contract.status in (ContractStatus.DRAFT, ContractStatus.PENDING_CHECKS)
    contacts = visible_contacts(request.user).filter(customer_id=contract.customer_id)
    context = {
        "contract": contract,
        "actions": record_action_links(contract_actions, request.user, contract),
        "milestones": list(contract.milestones.order_by("order", "id")),
        "installed": list(contract.installed_items.select_related("module", "version").order_by("module__code")),
        "documents": list(contract.documents.order_by("id")),
        "can_edit": can_edit,
        "draft": draft,
        "milestone_formset": MilestoneFormSet(initial=_milestone_initial(contract), prefix="m"),
        "heading_form": ContractForm(contacts=contacts, initial={
            "title": contract.title, "signed_on": contract.signed_on,
            "signed_by_contact": contract.signed_by_contact_id, "terms": contract.terms,
        }),  # fmt: skip
        "terminate_form": TerminateForm(),
        "document_form": DocumentForm(),
        "blocked": [r for r in contract.check_results if r.get("result") == "block"],
        "warned": [r for r in contract.check_results if r.get("result") == "warn"],
    }
    context.update(extra)
    return context


@login_required
@require_GET
def contract_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return render(request, "sales/contracts/contract_detail.html", _detail_context(request, contract_for(request, pk)))


@login_required
@require_POST
def contract_heading(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = _editable(request, contract_for(request, pk))
    form = ContractForm(request.POST, contacts=visible_contacts(request.user).filter(customer_id=contract.customer_id))
    if form.is_valid():
        try:
            services.contract_update(contract=contract, by=request.user, expected_version=int(request.POST.get("version", 0)),
                                     **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Contract saved."))
            return redirect("sales:contract_detail", pk=contract.pk)
    return render(request, "sales/contracts/contract_detail.html",
                  _detail_context(request, contract_for(request, pk), heading_form=form), status=400)  # fmt: skip


@login_required
@require_POST
def contract_milestones(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = _editable(request, contract_for(request, pk))
    formset = MilestoneFormSet(request.POST, prefix="m")
    if formset.is_valid():
        plan = [form.cleaned_data for form in formset.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]  # fmt: skip
        try:
            services.contract_milestones_set(contract=contract, by=request.user, milestones=plan)
        except ValidationError as error:
            plan_errors = error.message_dict.get("milestones", error.messages)
        else:
            messages.success(request, _("Payment milestones saved."))
            return redirect("sales:contract_detail", pk=contract.pk)
    else:
        plan_errors = [str(error) for error in formset.non_form_errors()]
    return render(request, "sales/contracts/contract_detail.html",
                  _detail_context(request, contract, milestone_formset=formset, plan_errors=plan_errors), status=400)  # fmt: skip


def _step(request: AuthedRequest, pk: int, run: Any, done: str) -> HttpResponse:
    contract = _editable(request, contract_for(request, pk))
    try:
        result = run(contract)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return render(request, "sales/contracts/contract_detail.html",
                      _detail_context(request, contract_for(request, pk)), status=400)  # fmt: skip
    if isinstance(result, Contract) and result.status == ContractStatus.PENDING_CHECKS:
        messages.warning(request, _("The contract is held by a check; see the reasons below."))
    else:
        messages.success(request, done)
    return redirect("sales:contract_detail", pk=contract.pk)


@login_required
@require_POST
def contract_confirm(request: AuthedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, lambda c: services.contract_confirm(contract=c, by=request.user),
                 _("The contract is active; what was bought is in the customer's installed base."))  # fmt: skip


@login_required
@require_POST
def contract_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    return _step(request, pk, lambda c: services.contract_complete(contract=c, by=request.user), _("Contract completed."))


@login_required
@require_POST
def contract_terminate(request: AuthedRequest, pk: int) -> HttpResponse:
    form = TerminateForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _step(request, pk, lambda c: services.contract_terminate(contract=c, by=request.user, reason=reason),
                 _("Contract terminated."))  # fmt: skip


@login_required
@require_POST
def document_add(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = _editable(request, contract_for(request, pk))
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.contract_document_add(contract=contract, upload=form.cleaned_data["file"], by=request.user)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("Document added."))
            return redirect("sales:contract_detail", pk=contract.pk)
    return render(request, "sales/contracts/contract_detail.html",
                  _detail_context(request, contract, document_form=form), status=400)  # fmt: skip


@login_required
@require_GET
def document_download(request: AuthedRequest, pk: int, document_pk: int) -> FileResponse:
    contract = contract_for(request, pk)
    document = get_object_or_404(contract.documents, pk=document_pk)
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
