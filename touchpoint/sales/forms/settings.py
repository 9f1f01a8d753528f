"""Forms of the sales settings pages. They check input field by field; services/settings.py writes."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm, StyledModelForm, style_fields
from touchpoint.org.models import Position
from touchpoint.sales.models import (
    DeliveryEvent,
    MilestoneTrigger,
    Pipeline,
    Priority,
    RequirementArea,
    Stage,
    StageOutcome,
)
from touchpoint.sales.services.settings import MilestoneItemSpec, TemplateItemSpec

HUNDRED = Decimal(100)


class AreaForm(StyledModelForm):
    class Meta:
        model = RequirementArea
        fields = ["code", "name", "name_en"]
        help_texts = {"code": _("Short, unique, letters, digits and underscores; it cannot change later.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True


# --- Requirement templates ---------------------------------------------------------------------


class RequirementTemplateForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class TemplateItemForm(StyledForm):
    area = forms.ModelChoiceField(label=_("Area"), queryset=RequirementArea.objects.order_by("order", "id"))
    description = forms.CharField(label=_("Description"), max_length=2000, widget=forms.TextInput)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.SHOULD)


class BaseItemFormSet(forms.BaseFormSet):
    """Blank extra rows are skipped; rows ticked for removal are left out."""

    def kept_forms(self) -> list[forms.Form]:
        kept = []
        for form in self.forms:
            if not form.has_changed() or (self.can_delete and form.cleaned_data.get("DELETE")):
                continue
            kept.append(form)
        return kept


TemplateItemFormSet = forms.formset_factory(
    TemplateItemForm, formset=BaseItemFormSet, extra=3, can_delete=True, max_num=100, validate_max=True
)


def template_items(formset: Any) -> list[TemplateItemSpec]:
    return [TemplateItemSpec(area=f.cleaned_data["area"], description=f.cleaned_data["description"],
                             priority=f.cleaned_data["priority"]) for f in formset.kept_forms()]  # fmt: skip


# --- Pipelines ---------------------------------------------------------------------------------


class PipelineForm(StyledModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "name_en", "is_active", "is_default"]


class PipelineCreateForm(StyledModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "name_en"]


class StageForm(StyledModelForm):
    probability = forms.IntegerField(
        label=_("Default probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        model = Stage
        fields = ["code", "name", "name_en", "order", "probability", "outcome"]
        help_texts = {"code": _("Letters, digits and underscores; it cannot change later.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = StageOutcome.choices  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["code"].disabled = True

    def validate_unique(self) -> None:
        """The service reports a taken code on the field; the pipeline is not a form field here."""


# --- Payment milestone templates ---------------------------------------------------------------


class MilestoneTemplateForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    is_default = forms.BooleanField(label=_("Default template for new contracts"), required=False)


class MilestoneItemForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    percent = forms.DecimalField(
        label=_("Share (%)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HUNDRED)],
    )  # fmt: skip
    trigger = forms.ChoiceField(label=_("Trigger"), choices=MilestoneTrigger.choices, initial=MilestoneTrigger.SIGNING)
    trigger_event = forms.ChoiceField(
        label=_("Delivery event"), choices=[("", "—"), *DeliveryEvent.choices], required=False
    )
    offset_days = forms.IntegerField(label=_("Expected after signing (days)"), min_value=0, max_value=3650, initial=0)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("trigger") == MilestoneTrigger.DELIVERY_EVENT and not cleaned.get("trigger_event"):
            self.add_error("trigger_event", _("Pick the delivery event this milestone waits for."))
        elif cleaned.get("trigger") and cleaned.get("trigger") != MilestoneTrigger.DELIVERY_EVENT:
            cleaned["trigger_event"] = ""
        return cleaned


class BaseMilestoneFormSet(BaseItemFormSet):
    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        kept = self.kept_forms()
        if not kept:
            raise forms.ValidationError(_("Add at least one milestone."))
        total = sum((f.cleaned_data["percent"] for f in kept), Decimal(0))
        if total != HUNDRED:
            raise forms.ValidationError(
                _("The shares add up to %(total)s%%; they must add up to exactly 100%%.") % {"total": format(total.normalize(), "f")}
            )

    def total(self) -> Decimal:
        """The sum of the shares as typed, for the total row under the table."""
        total = Decimal(0)
        for form in self.forms:
            if self.can_delete and form["DELETE"].value():
                continue
            raw = form["percent"].value()
            try:
                total += Decimal(str(raw)) if raw not in (None, "") else Decimal(0)
            except ArithmeticError:
                continue
        return total


MilestoneItemFormSet = forms.formset_factory(
    MilestoneItemForm, formset=BaseMilestoneFormSet, extra=2, can_delete=True, max_num=20, validate_max=True
)


def milestone_items(formset: Any) -> list[MilestoneItemSpec]:
    return [
        MilestoneItemSpec(name=f.cleaned_data["name"], percent=f.cleaned_data["percent"], trigger=f.cleaned_data["trigger"],
                          trigger_event=f.cleaned_data.get("trigger_event") or "", offset_days=f.cleaned_data["offset_days"])
        for f in formset.kept_forms()
    ]  # fmt: skip


# --- Discount limits ---------------------------------------------------------------------------


class DiscountLimitsForm(StyledForm):
    """One field per position: the largest discount it may give without approval (blank: none)."""

    def __init__(self, *args: Any, current: dict[str, Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Position.choices:
            self.fields[value] = forms.DecimalField(
                label=label, required=False, max_digits=5, decimal_places=2, initial=current.get(value),
                validators=[MinValueValidator(Decimal(0)), MaxValueValidator(HUNDRED)],
                widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "100"}),
            )  # fmt: skip
        style_fields(self.fields)

    def limits(self) -> dict[str, Decimal | None]:
        return {value: self.cleaned_data.get(value) for value in Position.values}
