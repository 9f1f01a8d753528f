"""Forms of the finance pages. They parse and bound what a person types; the services decide the rules."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from touchpoint.core.forms import StyledForm, StyledModelForm
from touchpoint.core.money import default_tax_rate, money
from touchpoint.finance.models import CreditPolicy, DunningLanguage, DunningLevel, Rating, ReceiptMethod, VatType

MAX_MONEY = Decimal("99999999999999.99")


def money_field(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, max_digits=16, decimal_places=2, max_value=MAX_MONEY,
                              widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}), **kwargs)  # fmt: skip


def date_field(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


def reason_field(label: Any = None, *, required: bool = True) -> forms.CharField:
    return forms.CharField(label=label or _("Reason"), max_length=500, required=required, widget=forms.TextInput())


class InvoiceForm(StyledForm):
    amount = money_field(_("Amount incl. tax"))
    vat_type = forms.ChoiceField(label=_("VAT type"), choices=VatType.choices)
    tax_rate = forms.DecimalField(label=_("Tax rate (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=99)
    tax_number = forms.CharField(label=_("Tax invoice number (发票号)"), max_length=30, required=False)
    issued_on = date_field(_("Issued on"))
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), max_length=500, required=False)

    def __init__(self, *args: Any, remainder: Decimal, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        # Sums read back from SQLite carry extra decimal places; the form shows yuan and fen.
        kwargs["initial"] = {"amount": money(remainder), "tax_rate": default_tax_rate(), "issued_on": timezone.localdate(),
                             "vat_type": VatType.SPECIAL, **kwargs["initial"]}  # fmt: skip
        super().__init__(*args, **kwargs)


class CreditNoteForm(StyledForm):
    amount = money_field(_("Amount to credit"))
    reason = reason_field(_("Why the invoice is corrected"))
    tax_number = forms.CharField(label=_("Tax number of the credit note"), max_length=30, required=False)


class DisputeForm(StyledForm):
    reason = reason_field(_("What the customer disputes"), required=False)


class TaxNumberForm(StyledForm):
    tax_number = forms.CharField(label=_("Tax invoice number (发票号)"), max_length=30)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReceiptForm(StyledForm):
    customer: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Customer"), queryset=None)  # type: ignore[arg-type]
    amount = money_field(_("Amount"))
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3, initial="CNY")
    received_on = date_field(_("Received on"))
    method = forms.ChoiceField(label=_("Method"), choices=ReceiptMethod.choices)
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=60, required=False)
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), max_length=500, required=False)
    allocate = forms.BooleanField(label=_("Allocate to the oldest open invoices"), required=False, initial=True)

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"received_on": timezone.localdate(), **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]


class ReasonForm(StyledForm):
    reason = reason_field()


class CreditTermsForm(StyledForm):
    credit_limit = money_field(_("Credit limit (0: none)"), min_value=0)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365)
    dunning_language = forms.ChoiceField(label=_("Reminder language"), choices=DunningLanguage.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RatingForm(StyledForm):
    rating = forms.ChoiceField(label=_("Rating"), choices=[("", _("As computed")), *Rating.choices], required=False)
    reason = reason_field()


class FlagForm(StyledForm):
    on = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = reason_field(required=False)


class CreditPolicyForm(StyledModelForm):
    class Meta:
        model = CreditPolicy
        fields = ["include_unpaid_invoices", "include_unbilled_contracts", "include_open_quotes", "warn_percent",
                  "block_overdue_days", "high_risk_score", "high_risk_requires_approval"]  # fmt: skip

    def clean_high_risk_score(self) -> int:
        score = self.cleaned_data["high_risk_score"]
        if not 1 <= score <= 100:
            raise forms.ValidationError(_("A risk score is between 1 and 100."))
        return int(score)

    def clean_block_overdue_days(self) -> int:
        days = self.cleaned_data["block_overdue_days"]
        if days > 3650:
            raise forms.ValidationError(_("Enter at most 3650 days (0 switches the rule off)."))
        return int(days)


class DunningLevelForm(StyledModelForm):
    class Meta:
        model = DunningLevel
        fields = ["name", "name_en", "days", "subject_zh", "body_zh", "subject_en", "body_en", "notify_rep",
                  "notify_finance", "notify_manager", "notify_executive", "is_active"]  # fmt: skip
        widgets = {"body_zh": forms.Textarea(attrs={"rows": 8}), "body_en": forms.Textarea(attrs={"rows": 8})}

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if not -60 <= days <= 720:
            raise forms.ValidationError(_("Choose a day between 60 days before and 720 days after the due date."))
        return int(days)
