"""Routine maintenance and upgrade pages: plans with their scheduled orders and the checklist form;
upgrade campaigns with the preview of affected customers, the launch and the progress view."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.core.versioning import StaleEdit
from touchpoint.org.http import AuthedRequest
from touchpoint.sales.access import visible_products
from touchpoint.sales.models import Product, ProductVersion
from touchpoint.service import access
from touchpoint.service.models import (
    CampaignReason,
    CampaignStatus,
    CheckResult,
    Frequency,
    MaintenancePlan,
    TargetStatus,
    UpgradeCampaign,
)
from touchpoint.service.services import campaigns as campaign_services
from touchpoint.service.services import plans as plan_services
from touchpoint.service.views.common import PAGE_SIZE, require

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    frequency = forms.ChoiceField(label=gettext_lazy("Frequency"), choices=Frequency.choices, initial=Frequency.QUARTERLY)
    next_due_on = forms.DateField(label=gettext_lazy("Next due"), widget=DATE)
    checklist = forms.CharField(label=gettext_lazy("Inspection checklist"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}),
                                help_text=gettext_lazy("One check per line."))  # fmt: skip
    is_active = forms.BooleanField(label=pgettext_lazy("maintenance plan", "Active"), required=False, initial=True)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class CampaignForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=160)
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=CampaignReason.choices)
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), queryset=Product.objects.none())
    from_versions = forms.ModelMultipleChoiceField(
        label=gettext_lazy("From versions"), queryset=ProductVersion.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=gettext_lazy("None chosen: every version but the target."),
    )  # fmt: skip
    target_version = forms.ModelChoiceField(label=gettext_lazy("Target version"), queryset=ProductVersion.objects.none())
    due_on = forms.DateField(label=gettext_lazy("Upgrade by"), widget=DATE)
    description = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=10_000,
                                  widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args: Any, user: Any, product: Product | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = visible_products(user).order_by("code")  # type: ignore[attr-defined]
        versions = ProductVersion.objects.filter(product=product).select_related("product").order_by("-released_on") if product else None
        for name in ("from_versions", "target_version"):
            self.fields[name].queryset = versions if versions is not None else ProductVersion.objects.none()  # type: ignore[attr-defined]
            self.fields[name].label_from_instance = lambda version: version.number  # type: ignore[attr-defined]


class TargetForm(StyledForm):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=TargetStatus.choices)
    reason = forms.CharField(label=gettext_lazy("Reason for skipping"), required=False, max_length=500)


# --- Plans ---------------------------------------------------------------------------------------


def plan_for(request: AuthedRequest, pk: int) -> MaintenancePlan:
    return get_object_or_404(access.visible_plans(request.user).select_related("contract", "customer"), pk=pk)


@login_required
@require_GET
def plan_list(request: AuthedRequest) -> HttpResponse:
    require(access.may_view_plans(request.user))
    rows = access.visible_plans(request.user).select_related("contract", "customer").order_by("-is_active", "next_due_on", "id")
    if request.GET.get("active") == "1":
        rows = rows.filter(is_active=True)
    page = CappedPaginator(rows, PAGE_SIZE, page=request.GET.get("page")).get_page(request.GET.get("page"))
    return render(request, "service/maintenance/plan_list.html", {"page": page})


@login_required
@require_GET
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = plan_for(request, pk)
    orders = plan.orders.select_related("request", "completed_by").order_by("-due_on")[:24]
    return render(request, "service/maintenance/plan_detail.html", {
        "plan": plan, "orders": orders, "can_edit": access.can_edit_plan(request.user, plan)})  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: AuthedRequest) -> HttpResponse:
    require(access.may_create_plans(request.user))
    raw = request.GET.get("contract") or request.POST.get("contract") or ""
    contracts = access.visible_contracts(request.user).select_related("customer")
    contract = contracts.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() and len(raw) < 18 else None
    if contract is None:
        messages.info(request, _("Open the contract the inspections come under, then choose “New plan”."))
        return redirect("service:contract_list")
    form = PlanForm(request.POST or None, initial={"next_due_on": contract.starts_on})
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k not in ("version", "is_active")}
        try:
            plan = plan_services.plan_create(by=request.user, contract=contract, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Maintenance plan created."))
            return redirect("service:plan_detail", pk=plan.pk)
    return render(request, "service/maintenance/plan_form.html", {"form": form, "contract": contract}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = plan_for(request, pk)
    require(access.can_edit_plan(request.user, plan))
    initial = {"name": plan.name, "frequency": plan.frequency, "next_due_on": plan.next_due_on, "is_active": plan.is_active,
               "checklist": "\n".join(plan.checklist), "version": plan.version}  # fmt: skip
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version") or 0
        try:
            plan_services.plan_update(plan=plan, by=request.user, expected_version=version, **values)
        except StaleEdit as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Maintenance plan saved."))
            return redirect("service:plan_detail", pk=plan.pk)
    return render(request, "service/maintenance/plan_form.html", {"form": form, "contract": plan.contract, "plan": plan},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def order_checklist(request: AuthedRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(access.visible_orders(request.user).select_related("plan__contract", "request", "customer"), pk=pk)
    can_record = order.completed_at is None and access.can_record_checklist(request.user, order)
    errors: dict[str, list[str]] = {}
    lines = order.results
    if request.method == "POST":
        require(can_record)
        given = [{"result": request.POST.get(f"result-{n}", "")[:10], "note": request.POST.get(f"note-{n}", "")[:500]}
                 for n in range(1, len(order.results) + 1)]  # fmt: skip
        try:
            plan_services.order_record_checklist(order=order, by=request.user, results=given, complete="complete" in request.POST)
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            lines = [{"line": line["line"], **answer} for line, answer in zip(order.results, given, strict=True)]
        else:
            messages.success(request, _("Inspection recorded."))
            return redirect("service:order_checklist", pk=order.pk)
    rows = [{"number": n, **line, "error": " ".join(errors.get(f"results.{n}", []))} for n, line in enumerate(lines, start=1)]
    return render(request, "service/maintenance/order.html", {
        "order": order, "rows": rows, "results": CheckResult.choices, "can_record": can_record,
        "errors": [m for k, v in errors.items() if not k.startswith("results.") for m in v],
    }, status=400 if errors else 200)  # fmt: skip


# --- Campaigns -----------------------------------------------------------------------------------


def campaign_for(request: AuthedRequest, pk: int) -> UpgradeCampaign:
    return get_object_or_404(access.visible_campaigns(request.user).select_related("product", "target_version", "created_by"), pk=pk)


def managed_campaign(request: AuthedRequest, pk: int) -> UpgradeCampaign:
    campaign = campaign_for(request, pk)
    require(access.can_manage_campaign(request.user, campaign))
    return campaign


@login_required
@require_GET
def campaign_list(request: AuthedRequest) -> HttpResponse:
    require(access.may_view_campaigns(request.user))
    rows = access.visible_campaigns(request.user).select_related("product", "target_version").order_by("-created_at", "-id")
    status = request.GET.get("status", "")
    if status in CampaignStatus.values:
        rows = rows.filter(status=status)
    page = CappedPaginator(rows, PAGE_SIZE, page=request.GET.get("page")).get_page(request.GET.get("page"))
    return render(request, "service/maintenance/campaign_list.html", {
        "page": page, "statuses": CampaignStatus.choices, "status": status,
        "may_manage": access.may_manage_campaigns(request.user)})  # fmt: skip


def _chosen_product(request: AuthedRequest) -> Product | None:
    raw = request.POST.get("product") or request.GET.get("product") or ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return visible_products(request.user).filter(pk=int(raw)).first()


def _preview(form: CampaignForm) -> list[dict[str, Any]] | None:
    """The customers the campaign would reach, from the product and versions chosen so far (the
    name and the date may still be empty)."""
    form.is_valid()
    product, target = form.cleaned_data.get("product"), form.cleaned_data.get("target_version")
    if product is None or target is None:
        return None
    items = campaign_services.affected_items(product=product, from_versions=list(form.cleaned_data.get("from_versions") or []),
                                             target_version=target)  # fmt: skip
    customers: dict[int, dict[str, Any]] = {}
    for item in items.select_related("customer", "module", "version").order_by("customer__name", "pk")[:2000]:
        row = customers.setdefault(item.customer_id, {"customer": item.customer, "items": []})
        row["items"].append(item)
    return list(customers.values())


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: AuthedRequest) -> HttpResponse:
    require(access.may_manage_campaigns(request.user))
    product = _chosen_product(request)
    data = request.POST if request.method == "POST" else (request.GET if "target_version" in request.GET else None)
    form = CampaignForm(data, user=request.user, product=product, initial={"product": product})
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_services.campaign_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Campaign %(number)s saved as a draft: check the customers, then launch it.")
                             % {"number": campaign.number})  # fmt: skip
            return redirect("service:campaign_detail", pk=campaign.pk)
    preview = _preview(form) if form.is_bound else None
    template = (
        "service/maintenance/campaign_new.html#preview"
        if request.htmx and request.method == "GET"
        else "service/maintenance/campaign_new.html"
    )
    return render(request, template, {"form": form, "product": product, "preview": preview},
                  status=400 if request.method == "POST" and form.errors else 200)  # fmt: skip


@login_required
@require_GET
def campaign_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    campaign = campaign_for(request, pk)
    targets = campaign.targets.select_related("customer", "request").prefetch_related("items__module", "items__version")
    status = request.GET.get("status", "")
    if status in TargetStatus.values:
        targets = targets.filter(status=status)
    return render(request, "service/maintenance/campaign_detail.html", {
        "campaign": campaign, "progress": campaign_services.campaign_progress(campaign), "status": status,
        "targets": targets.order_by("customer__name", "pk")[:500], "from_versions": campaign.from_versions.order_by("-released_on"),
        "can_manage": access.can_manage_campaign(request.user, campaign), "statuses": TargetStatus.choices,
    })  # fmt: skip


@login_required
@require_POST
def campaign_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    campaign = managed_campaign(request, pk)
    try:
        if action == "launch":
            made = campaign_services.campaign_launch(campaign=campaign, by=request.user)
            messages.success(request, _("Launched: %(count)s upgrade requests opened.") % {"count": made})
        elif action == "close":
            campaign_services.campaign_close(campaign=campaign, by=request.user)
            messages.success(request, _("Campaign closed."))
        elif action == "refresh":
            targets = campaign_services.campaign_select_targets(campaign=campaign, by=request.user)
            messages.success(request, _("%(count)s customers affected.") % {"count": len(targets)})
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("service:campaign_detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_target(request: AuthedRequest, pk: int, target_pk: int) -> HttpResponse:
    campaign = managed_campaign(request, pk)
    target = get_object_or_404(campaign.targets.all(), pk=target_pk)
    form = TargetForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a status."))
        campaign_services.campaign_target_update(target=target, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(customer)s: saved.") % {"customer": target.customer})
    return redirect("service:campaign_detail", pk=campaign.pk)


urlpatterns: list[URLPattern] = [
    path("plans/", plan_list, name="plan_list"),
    path("plans/new/", plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plan_edit, name="plan_edit"),
    path("inspections/<int:pk>/", order_checklist, name="order_checklist"),
    path("campaigns/", campaign_list, name="campaign_list"),
    path("campaigns/new/", campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/targets/<int:target_pk>/", campaign_target, name="campaign_target"),
    path("campaigns/<int:pk>/<slug:action>/", campaign_action, name="campaign_action"),
]
