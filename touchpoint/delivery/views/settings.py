"""Delivery settings: project templates and the cost and health settings."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.delivery.models import DeliverySettings, ProjectTemplate
from touchpoint.delivery.services.templates import delivery_settings_save, template_save
from touchpoint.delivery.views.common import require
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may
from touchpoint.sales.models import DeliveryEvent, Product


def may_configure(user: Any) -> bool:
    """Templates and settings: whoever may open projects for every contract (delivery heads, admins)."""
    from touchpoint.org.policy import S, scope_of

    return scope_of(user, "project", "create") >= S.ALL and may(user, "project", "assign")


class TemplateForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    name_en = forms.CharField(label=gettext_lazy("English name"), max_length=60)
    products = forms.ModelMultipleChoiceField(label=gettext_lazy("Used for products"), queryset=Product.objects.order_by("code"),
                                              required=False)  # fmt: skip
    is_default = forms.BooleanField(label=gettext_lazy("Default template"), required=False)
    is_active = forms.BooleanField(label=gettext_lazy("In use"), required=False, initial=True)


class PhaseForm(StyledForm):
    name = forms.CharField(label=gettext_lazy("Phase"), max_length=60, required=False)
    name_en = forms.CharField(label=gettext_lazy("English name"), max_length=60, required=False)
    duration_days = forms.IntegerField(label=gettext_lazy("Days"), min_value=1, max_value=730, required=False)
    milestone_name = forms.CharField(label=gettext_lazy("Closing milestone"), max_length=80, required=False)
    milestone_name_en = forms.CharField(label=gettext_lazy("Milestone (English)"), max_length=80, required=False)
    milestone_event = forms.ChoiceField(label=gettext_lazy("Makes payment due"), required=False,
                                        choices=[("", "—"), *DeliveryEvent.choices])  # fmt: skip
    tasks = forms.CharField(label=gettext_lazy("Tasks (one per line, “name | hours”)"), required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (cleaned.get("name") or "").strip() and not cleaned.get("duration_days"):
            self.add_error("duration_days", _("Enter the duration in days."))
        return cleaned


PhaseFormSet = forms.formset_factory(PhaseForm, extra=2, max_num=30, validate_max=True)


class SettingsForm(StyledForm):
    hourly_cost = forms.DecimalField(label=gettext_lazy("Delivery cost per hour"), min_value=0, max_digits=14, decimal_places=2)
    hours_per_day = forms.DecimalField(label=gettext_lazy("Working hours per day"), min_value=1, max_value=24, decimal_places=2)
    red_slip_days = forms.IntegerField(label=gettext_lazy("Days of slip that put a project off track"), min_value=1, max_value=365)
    red_overdue_tasks = forms.IntegerField(label=gettext_lazy("Overdue tasks that put a project off track"), min_value=1, max_value=1000)


@login_required
@require_GET
def template_list(request: AuthedRequest) -> HttpResponse:
    require(may_configure(request.user))
    templates = ProjectTemplate.objects.prefetch_related("products", "phases").order_by("-is_default", "name")
    return render(request, "delivery/settings_templates.html", {"templates": templates})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    require(may_configure(request.user))
    template = get_object_or_404(ProjectTemplate, pk=pk) if pk else None
    initial: dict[str, Any] = {"is_active": True}
    phases_initial: list[dict[str, Any]] = []
    if template is not None:
        initial = {"name": template.name, "name_en": template.name_en, "is_default": template.is_default,
                   "is_active": template.is_active, "products": list(template.products.all())}  # fmt: skip
        phases_initial = [{f: getattr(p, f) for f in PhaseForm.base_fields} for p in template.phases.order_by("order", "id")]
    form = TemplateForm(request.POST or None, initial=initial)
    phases = PhaseFormSet(request.POST or None, initial=phases_initial, prefix="phase")
    if request.method == "POST" and form.is_valid() and phases.is_valid():
        try:
            values = {**form.cleaned_data, "products": list(form.cleaned_data["products"])}
            saved = template_save(template=template, by=request.user, phases=[p for p in phases.cleaned_data if p], **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": saved})
            return redirect("delivery:settings_templates")
    return render(request, "delivery/settings_template.html", {"form": form, "phases": phases, "template": template},
                  status=400 if form.errors or phases.total_error_count() else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def delivery_settings(request: AuthedRequest) -> HttpResponse:
    require(may_configure(request.user))
    current = DeliverySettings.current()
    form = SettingsForm(request.POST or None, initial={f: getattr(current, f) for f in SettingsForm.base_fields})
    if request.method == "POST" and form.is_valid():
        try:
            delivery_settings_save(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Delivery settings saved."))
            return redirect("delivery:settings")
    return render(request, "delivery/settings.html", {"form": form}, status=400 if form.errors else 200)
