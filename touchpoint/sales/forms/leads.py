"""Forms for leads: entry and edit, the list filters, assign/qualify/disqualify, import and the public enquiry form."""

import csv
import io
import time
from datetime import timedelta
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm, VersionedModelForm, limit_choices
from touchpoint.core.uploads import check_upload
from touchpoint.customers.models import Contact, Customer, CustomerType
from touchpoint.org.models import User
from touchpoint.sales.models import Lead, LeadSource, LeadStatus
from touchpoint.sales.services.leads import IMPORT_ROW_LIMIT, LEAD_FIELDS, field_label, lead_values_check

LEAD_FORM_FIELDS = list(LEAD_FIELDS)
IMPORT_MAX_BYTES = 5 * 1024 * 1024
ENQUIRY_SALT = "sales.enquiry.started"
ENQUIRY_MIN_SECONDS = 3
ENQUIRY_MAX_AGE = 24 * 3600


def set_choices(form: forms.BaseForm, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class LeadForm(VersionedModelForm):
    class Meta:
        model = Lead
        fields = LEAD_FORM_FIELDS
        widgets = {"interest": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        self.fields["credit_code"].widget.attrs["maxlength"] = 18
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        # Email checks (and the phone/credit code checks) are the service's, so that every entry
        # point gives the same message; the model's EmailField would add a second one.
        self.fields["email"] = forms.CharField(label=self.fields["email"].label, required=False, max_length=120)
        self.fields["email"].widget.attrs.update({"class": "form-control", "inputmode": "email"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        values = {name: data.get(name, "") or "" for name in LEAD_FIELDS}
        try:
            lead_values_check(values)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name in self.fields and name not in self.errors:
                    for message in messages:
                        self.add_error(name, message)
        return data


OWNER_NONE = "none"


class LeadFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Open leads")), ("all", _("Any status")), *LeadStatus.choices]
    )
    source = forms.ChoiceField(label=_("Source"), required=False, choices=[("", _("Any source")), *LeadSource.choices])
    owner = forms.ChoiceField(label=_("Owner"), required=False)

    def __init__(self, *args: Any, owners: Any = None, show_unassigned: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("Any owner")), ("me", _("Mine"))]
        if show_unassigned:
            choices.append((OWNER_NONE, _("Unassigned")))
        choices += [(str(user.pk), str(user)) for user in (owners if owners is not None else [])]
        set_choices(self, "owner", choices)


class AssignForm(StyledForm):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args: Any, owners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=owners if owners is not None else User.objects.none())


class DisqualifyForm(StyledForm):
    reason = forms.CharField(label=_("Reason for disqualifying"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


NEW = "new"


class QualifyForm(StyledForm):
    """Which customer and contact the lead becomes (a match, or new ones) and the opportunity it opens."""

    customer = forms.ChoiceField(label=_("Customer"), widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    customer_type = forms.ChoiceField(label=_("Type of the new customer"), required=False, choices=CustomerType.choices,
                                      initial=CustomerType.SECURITIES)  # fmt: skip
    contact = forms.ChoiceField(label=_("Contact"), widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    title = forms.CharField(label=_("Opportunity title"), max_length=120)
    amount = forms.DecimalField(label=_("Expected amount (CNY)"), min_value=0, max_digits=14, decimal_places=2, initial=0)
    close_date = forms.DateField(label=_("Expected close date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    owner = forms.ModelChoiceField(label=_("Opportunity owner"), queryset=User.objects.none())

    def __init__(self, *args: Any, customers: list[Customer], contacts: list[Contact], owners: Any, lead: Lead,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.customer_rows = {str(c.pk): c for c in customers}
        self.contact_rows = {str(c.pk): c for c in contacts}
        set_choices(self, "customer", [
            *[(pk, f"{c.name} · {c.credit_code or '—'}") for pk, c in self.customer_rows.items()],
            (NEW, _("Create a new customer from the lead")),
        ])
        no_contact = _("Create a new contact from the lead") if lead.contact_name else _("No contact")
        set_choices(self, "contact", [
            *[(pk, f"{c.name} · {c.customer.display_name}") for pk, c in self.contact_rows.items()],
            (NEW, no_contact),
        ])
        self.fields["customer"].initial = next(iter(self.customer_rows), NEW)
        self.fields["contact"].initial = NEW
        self.fields["title"].initial = lead.interest[:60].splitlines()[0] if lead.interest.strip() else lead.company_name
        self.fields["close_date"].initial = timezone.localdate() + timedelta(days=90)
        limit_choices(self, owner=owners)
        self.fields["owner"].initial = lead.owner_id

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        customer = self.customer_rows.get(data.get("customer") or "")
        contact = self.contact_rows.get(data.get("contact") or "")
        if contact is not None and customer is not None and contact.customer_id != customer.pk:
            self.add_error("contact", _("This contact works at another customer; pick the matching customer or a new contact."))
        if contact is not None and customer is None and data.get("customer") == NEW:
            self.add_error("contact", _("An existing contact belongs to an existing customer; pick that customer."))
        data["customer_record"], data["contact_record"] = customer, contact
        return data


# --- Import --------------------------------------------------------------------------------


def column_aliases() -> dict[str, str]:
    """Header text → field, in both languages and as the plain field name."""
    aliases = {}
    for name in LEAD_FIELDS:
        aliases[name] = name
        for language in ("en", "zh-hans"):
            with translation.override(language):
                aliases[field_label(name).strip().lower()] = name
    return aliases


def template_header() -> list[str]:
    return [field_label(name) for name in LEAD_FIELDS]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into Excel arrives as 13812345678.0
    return str(value).strip()


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _read_xlsx(upload: Any) -> list[list[str]]:
    from openpyxl import load_workbook  # read only on import, not at start-up

    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as error:  # a damaged or disguised workbook: say so, never a 500
        raise ValidationError(_("The Excel file cannot be read; save it again as .xlsx.")) from error
    sheet = workbook.worksheets[0]
    rows = []
    for index, row in enumerate(sheet.iter_rows(values_only=True)):
        if index > IMPORT_ROW_LIMIT + 1:
            break
        rows.append([_text(cell) for cell in row])
    workbook.close()
    return rows


class LeadImportForm(StyledForm):
    file = forms.FileField(label=_("CSV or Excel file"), help_text=_("Up to 2,000 rows; use the template's columns."))

    def clean_file(self) -> list[dict[str, str]]:
        upload = self.cleaned_data["file"]
        checked = check_upload(upload)
        extension = checked.name.rsplit(".", 1)[-1].lower()
        if extension not in ("csv", "xlsx"):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        if checked.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("The file is larger than 5 MB."))
        table = _read_csv(upload.read()) if extension == "csv" else _read_xlsx(upload)
        table = [row for row in table if any(_text(cell) for cell in row)]
        if not table:
            raise ValidationError(_("The file is empty."))
        aliases = column_aliases()
        header = [aliases.get(_text(cell).lower(), "") for cell in table[0]]
        if "company_name" not in header:
            raise ValidationError(_("The first row must hold the column names of the template, including the company."))
        if len(table) - 1 > IMPORT_ROW_LIMIT:
            raise ValidationError(_("At most %(limit)d rows per file.") % {"limit": IMPORT_ROW_LIMIT})
        rows = []
        for line in table[1:]:
            row = {name: _text(cell) for name, cell in zip(header, line, strict=False) if name}
            rows.append(row)
        return rows


# --- The public enquiry form -------------------------------------------------------------


def enquiry_token() -> str:
    return signing.dumps(time.time(), salt=ENQUIRY_SALT)


def seconds_since(token: str) -> float | None:
    """How long ago the form was handed out, or None if the token is forged or too old."""
    try:
        started = float(signing.loads(token, salt=ENQUIRY_SALT, max_age=ENQUIRY_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return time.time() - started


class EnquiryForm(StyledForm):
    company_name = forms.CharField(label=_("Company"), max_length=100)
    contact_name = forms.CharField(label=_("Your name"), max_length=40)
    phone = forms.CharField(label=_("Phone"), max_length=24, required=False)
    email = forms.CharField(label=_("Email"), max_length=120, required=False)
    interest = forms.CharField(label=_("What do you need?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    # A field people never see; bots fill every field they find.
    website = forms.CharField(required=False, max_length=200, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["email"].widget.attrs.update({"inputmode": "email", "autocomplete": "email"})
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["company_name"].widget.attrs["autocomplete"] = "organization"
        if not self.is_bound:
            self.initial["started"] = enquiry_token()

    @property
    def looks_like_a_bot(self) -> bool:
        """Filled the hidden field, or submitted faster than a person can type."""
        if self.data.get("website"):
            return True
        elapsed = seconds_since(self.data.get("started", ""))
        return elapsed is not None and elapsed < ENQUIRY_MIN_SECONDS

    def clean_started(self) -> str:
        token = self.cleaned_data["started"]
        if seconds_since(token) is None:
            raise ValidationError(_("This form has expired. Please check your entries and send it again."))
        return token
