"""Forms of the requirement list inside an opportunity."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm, StyledModelForm, limit_choices
from touchpoint.customers.models import Contact
from touchpoint.sales.models import Module, Opportunity, Requirement, RequirementArea, RequirementTemplate


class RequirementForm(StyledModelForm):
    class Meta:
        model = Requirement
        fields = ["area", "description", "priority", "asked_by", "coverage", "custom_effort_days", "modules"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "modules": forms.SelectMultiple(attrs={"size": 4})}

    def __init__(self, *args: Any, opportunity: Opportunity, modules: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Retired modules and areas no longer in use stay listed so that a stale choice gets the
        # service's message instead of a generic "not one of the choices".
        limit_choices(
            self,
            area=RequirementArea.objects.order_by("order", "id"),
            asked_by=Contact.objects.filter(customer_id=opportunity.customer_id).order_by("name"),
            modules=modules if modules is not None else Module.objects.none(),
        )
        self.fields["custom_effort_days"].widget.attrs.update({"min": "0", "step": "0.5"})

    def clean_custom_effort_days(self) -> Any:
        value = self.cleaned_data.get("custom_effort_days")
        if value is not None and value < 0:
            raise forms.ValidationError(_("The effort cannot be negative."))
        return value


class TemplateChoiceForm(StyledForm):
    template = forms.ModelChoiceField(label=_("Template"), queryset=RequirementTemplate.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, template=RequirementTemplate.objects.filter(is_active=True).order_by("name"))


class CopyFromForm(StyledForm):
    source = forms.ModelChoiceField(label=_("Copy from opportunity"), queryset=Opportunity.objects.none())

    def __init__(self, *args: Any, sources: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, source=sources if sources is not None else Opportunity.objects.none())
        self.fields["source"].label_from_instance = lambda o: f"{o.customer.display_name} · {o.title} ({o.close_date:%Y-%m})"  # type: ignore[attr-defined]
