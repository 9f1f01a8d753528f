"""Forms of the contract pages: drafting from a quote, the heading, the milestone plan, documents."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm
from touchpoint.customers.models import Contact
from touchpoint.sales.forms.quotes import percent_form_field
from touchpoint.sales.models import DeliveryEvent, MilestoneTrigger


class ContractForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=160)
    signed_on = forms.DateField(label=_("Signed on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    signed_by_contact = forms.ModelChoiceField(label=_("Signed by"), queryset=Contact.objects.none(), required=False)
    terms = forms.CharField(label=_("Terms"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, contacts: Any, templates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["signed_by_contact"].queryset = contacts  # type: ignore[attr-defined]
        if templates is not None:
            self.fields["template"] = forms.ModelChoiceField(
                label=_("Payment milestones from"), queryset=templates, empty_label=None
            )
            self.fields["template"].widget.attrs["class"] = "form-select"


class MilestoneForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    percent = percent_form_field(_("Share (%)"))
    trigger = forms.ChoiceField(label=_("Trigger"), choices=MilestoneTrigger.choices)
    trigger_event = forms.ChoiceField(label=_("Delivery event"), choices=[("", "—"), *DeliveryEvent.choices], required=False)
    expected_date = forms.DateField(label=_("Expected date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=1, can_delete=True, max_num=12, validate_max=True)


class TerminateForm(StyledForm):
    reason = forms.CharField(label=_("Why the contract ends"), max_length=500)


class DocumentForm(StyledForm):
    file = forms.FileField(label=_("Signed scan or document"))
