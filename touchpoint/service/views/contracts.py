"""The maintenance contract pages: the list with its filters, the contract with its coverage, requests,
renewal chain, reminders and plans; creating, editing, renewing and cancelling."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.core.versioning import StaleEdit
from touchpoint.customers.access import visible_customers
from touchpoint.customers.models import Customer
from touchpoint.org.http import AuthedRequest
from touchpoint.sales.models import InstalledItem
from touchpoint.service import access
from touchpoint.service.models import CoverageKind, CoverageStatus, MaintenanceContract, Tier
from touchpoint.service.services import contracts as services
from touchpoint.service.views.common import PAGE_SIZE, require

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LIST_FIELDS = ("customer",)


class ContractFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=60)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=[("", gettext_lazy("All")), *CoverageStatus.choices])
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All")), *CoverageKind.choices])
    tier = forms.ChoiceField(label=gettext_lazy("Tier"), required=False, choices=[("", gettext_lazy("All")), *Tier.choices])
    ending_within = forms.IntegerField(label=gettext_lazy("Ending within (days)"), required=False, min_value=0, max_value=3660)
    customer = forms.IntegerField(required=False, min_value=1, max_value=2**62, widget=forms.HiddenInput)


class ContractForm(StyledForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CoverageKind.choices, initial=CoverageKind.MAINTENANCE)
    tier = forms.ChoiceField(label=gettext_lazy("Tier"), choices=Tier.choices, initial=Tier.STANDARD)
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=DATE)
    price = forms.DecimalField(label=gettext_lazy("Annual price"), min_value=0, max_digits=14, decimal_places=2)
    items = forms.ModelMultipleChoiceField(label=gettext_lazy("Covered modules"), queryset=InstalledItem.objects.none(), required=False,
                                           widget=forms.CheckboxSelectMultiple)  # fmt: skip
    sites = forms.CharField(label=gettext_lazy("Covered sites"), required=False, max_length=300)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, customer: Customer, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        items = InstalledItem.objects.filter(customer=customer).exclude(status="retired").select_related("module", "version")
        self.fields["items"].queryset = items.order_by("product_id", "module_id")  # type: ignore[attr-defined]
        if editing:
            del self.fields["kind"]


class RenewForm(StyledForm):
    tier = forms.ChoiceField(label=gettext_lazy("Tier"), choices=Tier.choices)
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=DATE)
    price = forms.DecimalField(label=gettext_lazy("Annual price"), min_value=0, max_digits=14, decimal_places=2)


class CancelForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("Reason for cancelling"), max_length=500)


def contract_for(request: AuthedRequest, pk: int) -> MaintenanceContract:
    """The contract if the user may see it; 404 otherwise, whether or not it exists."""
    queryset = access.visible_contracts(request.user).select_related("customer", "sales_contract", "renewal_of")
    return get_object_or_404(queryset, pk=pk)


def editable_contract(request: AuthedRequest, pk: int) -> MaintenanceContract:
    contract = contract_for(request, pk)
    require(access.can_edit_contract(request.user, contract))
    return contract


def contract_rows(user: Any, values: dict[str, Any]) -> QuerySet[MaintenanceContract]:
    rows = access.visible_contracts(user).select_related(*LIST_FIELDS)
    for field in ("status", "kind", "tier"):
        if values.get(field):
            rows = rows.filter(**{field: values[field]})
    if values.get("ending_within") is not None:
        today = timezone.localdate()
        rows = rows.filter(status=CoverageStatus.ACTIVE, ends_on__gte=today, ends_on__lte=today + timedelta(days=values["ending_within"]))
    if values.get("customer"):
        rows = rows.filter(customer_id=values["customer"])
    if values.get("q"):
        q = values["q"].strip()
        rows = rows.filter(Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(customer__short_name__icontains=q))
    ordering = "ends_on" if values.get("ending_within") is not None else "-ends_on"
    return rows.order_by(ordering, "-id")


@login_required
@require_GET
def contract_list(request: AuthedRequest) -> HttpResponse:
    require(access.may_view_contracts(request.user))
    form = ContractFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    page = CappedPaginator(contract_rows(request.user, values), PAGE_SIZE, page=request.GET.get("page")).get_page(request.GET.get("page"))
    template = "service/contracts/list.html#results" if request.htmx else "service/contracts/list.html"
    return render(request, template, {"page": page, "form": form, "today": timezone.localdate(),
                                      "may_create": access.may_create_contracts(request.user)})  # fmt: skip


@login_required
@require_GET
def contract_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = contract_for(request, pk)
    chain: list[MaintenanceContract] = []
    previous = contract.renewal_of
    while previous is not None and len(chain) < 20:
        chain.append(previous)
        previous = MaintenanceContract.objects.filter(pk=previous.renewal_of_id).first() if previous.renewal_of_id else None
    context = {
        "contract": contract, "chain": chain,
        "renewal": MaintenanceContract.objects.filter(renewal_of=contract).first(),
        "items": contract.items.select_related("module", "version", "product").order_by("product_id", "module_id"),
        "requests": contract.requests.select_related("customer").order_by("-created_at")[:20],
        "reminders": contract.reminders.select_related("recipient", "opportunity").order_by("-days_before"),
        "plans": contract.plans.order_by("-is_active", "next_due_on"),
        "can_edit": access.can_edit_contract(request.user, contract), "may_plan": access.may_create_plans(request.user),
        "cancel_form": CancelForm(), "today": timezone.localdate(),
    }  # fmt: skip
    return render(request, "service/contracts/detail.html", context)


def _customer_for_new(request: AuthedRequest) -> Customer | None:
    raw = request.GET.get("customer") or request.POST.get("customer") or ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return visible_customers(request.user).filter(pk=int(raw)).first()


@login_required
@require_http_methods(["GET", "POST"])
def contract_new(request: AuthedRequest) -> HttpResponse:
    require(access.may_create_contracts(request.user))
    customer = _customer_for_new(request)
    if customer is None:
        query = (request.GET.get("q") or "").strip()[:60]
        found = visible_customers(request.user).filter(Q(name__icontains=query) | Q(short_name__icontains=query)) if query else None
        return render(request, "service/contracts/pick_customer.html", {"customers": found[:20] if found is not None else [],
                                                                        "query": query})  # fmt: skip
    form = ContractForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            contract = services.contract_create(by=request.user, customer=customer, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Maintenance contract %(number)s created.") % {"number": contract.number})
            return redirect("service:contract_detail", pk=contract.pk)
    return render(request, "service/contracts/form.html", {"form": form, "customer": customer}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def contract_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = editable_contract(request, pk)
    initial = {f: getattr(contract, f) for f in services.EDITABLE_FIELDS} | {"version": contract.version, "items": contract.items.all()}
    form = ContractForm(request.POST or None, initial=initial, customer=contract.customer, editing=True)
    stale = None
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version, items = values.pop("version") or 0, values.pop("items")
        try:
            services.contract_update(contract=contract, by=request.user, expected_version=version, items=items, **values)
        except StaleEdit as error:
            stale = error
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Maintenance contract saved."))
            return redirect("service:contract_detail", pk=contract.pk)
    return render(request, "service/contracts/form.html", {"form": form, "customer": contract.customer, "contract": contract,
                                                          "stale": stale}, status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def contract_renew(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = editable_contract(request, pk)
    starts_on, ends_on = services.renewal_period(contract)
    form = RenewForm(request.POST or None, initial={"tier": contract.tier, "price": contract.price, "starts_on": starts_on,
                                                    "ends_on": ends_on})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            renewal = services.contract_renew(contract=contract, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Renewed as %(number)s.") % {"number": renewal.number})
            return redirect("service:contract_detail", pk=renewal.pk)
    return render(request, "service/contracts/renew.html", {"form": form, "contract": contract}, status=400 if form.errors else 200)


@login_required
@require_POST
def contract_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = editable_contract(request, pk)
    form = CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why the contract is cancelled."))
        services.contract_cancel(contract=contract, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Maintenance contract cancelled."))
    return redirect("service:contract_detail", pk=contract.pk)


def customer_contracts_panel(request: AuthedRequest, customer: Customer) -> dict[str, Any] | None:
    """The customer 360's maintenance panel: the customer's contracts the reader may see, current first,
    each with the days left. Hidden when there is none."""
    if not access.may_view_contracts(request.user):
        return None
    rows = list(access.visible_contracts(request.user).filter(customer=customer).order_by("-ends_on", "-id")[:6])
    if not rows:
        return None
    return {"contracts": rows, "customer": customer, "today": timezone.localdate()}


urlpatterns: list[URLPattern] = [
    path("contracts/", contract_list, name="contract_list"),
    path("contracts/new/", contract_new, name="contract_new"),
    path("contracts/<int:pk>/", contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/renew/", contract_renew, name="contract_renew"),
    path("contracts/<int:pk>/cancel/", contract_cancel, name="contract_cancel"),
]
