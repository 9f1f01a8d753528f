"""Forms of the quote pages: the heading, a line, and the approval and sending steps."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm
from touchpoint.core.money import HUNDRED, ZERO
from touchpoint.customers.models import Contact
from touchpoint.sales.models import LicenceType, LineKind, Module, Requirement


def money_field(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, min_value=ZERO, max_digits=16, decimal_places=2, **kwargs)


def percent_form_field(label: Any, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, min_value=ZERO, max_value=HUNDRED, max_digits=5,
                              decimal_places=2)  # fmt: skip


class QuoteHeadingForm(StyledForm):
    contact = forms.ModelChoiceField(label=_("Addressed to"), queryset=Contact.objects.none(), required=False)
    valid_until = forms.DateField(label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"}))
    terms = forms.CharField(label=_("Terms"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class QuoteLineForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=LineKind.choices)
    module = forms.ModelChoiceField(label=_("Module"), queryset=Module.objects.none(), required=False)
    licence_type = forms.ChoiceField(label=_("Licence type"), choices=[("", "—"), *LicenceType.choices], required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2,
                                  initial=1)  # fmt: skip
    unit_price = money_field(_("List price"), required=False, help_text=_("Empty takes the module's list price."))
    discount_percent = percent_form_field(_("Discount (%)"))
    tax_rate = percent_form_field(_("Tax rate (%)"), required=False)
    requirements = forms.ModelMultipleChoiceField(
        label=_("Covers requirements"), queryset=Requirement.objects.none(), required=False
    )

    def __init__(self, *args: Any, modules: Any, requirements: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = modules  # type: ignore[attr-defined]
        self.fields["requirements"].queryset = requirements  # type: ignore[attr-defined]
        self.fields["discount_percent"].initial = 0


class QuoteLineEditForm(StyledForm):
    description = forms.CharField(label=_("Description"), max_length=200)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2)
    unit_price = money_field(_("List price"))
    discount_percent = percent_form_field(_("Discount (%)"))
    tax_rate = percent_form_field(_("Tax rate (%)"))


class SubmitForm(StyledForm):
    reason = forms.CharField(label=_("Why this discount"), max_length=500, required=False)


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class SendForm(StyledForm):
    contact = forms.ModelChoiceField(label=_("To"), queryset=Contact.objects.none())
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class DeclineForm(StyledForm):
    reason = forms.CharField(label=_("Why the customer declined"), max_length=500)
