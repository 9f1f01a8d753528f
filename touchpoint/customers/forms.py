from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm, VersionedModelForm, limit_choices
from touchpoint.customers.models import (
    PROVINCES,
    AccountRole,
    Contact,
    Customer,
    CustomerStatus,
    CustomerType,
    SizeTier,
    Tag,
)
from touchpoint.org.models import User

CUSTOMER_FORM_FIELDS = [
    "name", "short_name", "credit_code", "customer_type", "status", "province", "city", "size_tier",
    "parent", "source", "tags", "notes",
]  # fmt: skip


class CustomerForm(VersionedModelForm):
    class Meta:
        model = Customer
        fields = CUSTOMER_FORM_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "tags": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, parents: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
        limit_choices(self, parent=parents if parents is not None else Customer.objects.none())
        limit_choices(self, tags=Tag.objects.all())
        self.fields["credit_code"].widget.attrs["maxlength"] = 18


class ContactForm(VersionedModelForm):
    confirm_duplicates = forms.BooleanField(
        required=False, label=_("These are different people: save anyway"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Contact
        fields = [
            "name", "title", "department_name", "decision_role", "mobile", "landline", "email", "email_alt",
            "wechat_id", "preferred_channel", "do_not_contact", "status", "left_on", "notes",
        ]  # fmt: skip
        widgets = {"notes": forms.Textarea(attrs={"rows": 3}), "left_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["version"].required = False
            del self.fields["status"]
            del self.fields["left_on"]
        else:
            del self.fields["confirm_duplicates"]


class CustomerFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *CustomerStatus.choices])
    customer_type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("Any type")), *CustomerType.choices])
    province = forms.ChoiceField(label=_("Region"), required=False, choices=[("", _("Any region"))] + [(p, p) for p in PROVINCES])
    size_tier = forms.ChoiceField(label=_("Size"), required=False, choices=[("", _("Any size")), *SizeTier.choices])
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("Any owner"))
    tag = forms.ModelChoiceField(label=_("Tag"), required=False, queryset=Tag.objects.all(), empty_label=_("Any tag"))
    sort = forms.ChoiceField(
        label=_("Sort"), required=False,
        choices=[("name", _("Name A→Z")), ("-name", _("Name Z→A")), ("-updated", _("Recently updated")),
                 ("-last_touch", _("Recently contacted")), ("last_touch", _("Longest without contact"))],
    )  # fmt: skip

    def __init__(self, *args: Any, owners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=owners if owners is not None else User.objects.none())


class ReassignForm(StyledForm):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.TextInput)

    def __init__(self, *args: Any, owners: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=owners if owners is not None else User.objects.none())


class AccountMemberForm(StyledForm):
    user = forms.ModelChoiceField(label=_("Colleague"), queryset=User.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=AccountRole.choices)

    def __init__(self, *args: Any, users: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, user=users if users is not None else User.objects.none())


class SavedFilterForm(StyledForm):
    name = forms.CharField(label=_("Name this filter"), max_length=40)


class MergeForm(StyledForm):
    duplicate = forms.ModelChoiceField(label=_("Duplicate to merge into this contact"), queryset=Contact.objects.none())

    def __init__(self, *args: Any, candidates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, duplicate=candidates if candidates is not None else Contact.objects.none())


class CustomerMergeForm(StyledForm):
    duplicate = forms.ModelChoiceField(label=_("Customer to merge into this one"), queryset=Customer.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500, help_text=_("A merger, an acquisition, or the same company entered twice."))

    def __init__(self, *args: Any, candidates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, duplicate=candidates if candidates is not None else Customer.objects.none())
