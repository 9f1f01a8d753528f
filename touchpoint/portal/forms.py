"""Forms of the portal. They parse and check shape; the services decide."""

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm
from touchpoint.customers.models import Customer
from touchpoint.org.models import User
from touchpoint.portal.models import Audience
from touchpoint.service.models import Category, Impact, Severity
from touchpoint.touchpoints.forms import MultipleFileField

TEXT = {"rows": 5}
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

# What a customer may say a request is; complaints have their own page.
PORTAL_CATEGORIES = [(value, label) for value, label in Category.choices if value != Category.COMPLAINT]
SEVERITY_HELP = {
    Severity.P1: _("P1 · trading is down"),
    Severity.P2: _("P2 · a main function fails"),
    Severity.P3: _("P3 · a problem with a workaround"),
    Severity.P4: _("P4 · a question or a small issue"),
}


class RequestForm(StyledForm):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    installed_item: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Product module"), queryset=None, required=False,  # type: ignore[arg-type]
        empty_label=_("Not sure / not about one module"),
    )  # fmt: skip
    category = forms.ChoiceField(label=_("Category"), choices=PORTAL_CATEGORIES)
    severity = forms.ChoiceField(label=_("Severity"), choices=list(SEVERITY_HELP.items()), initial=Severity.P3)
    impact = forms.ChoiceField(label=_("Who is affected"), choices=Impact.choices, initial=Impact.FEW)
    description = forms.CharField(label=_("Description"), max_length=50_000, widget=forms.Textarea(attrs=TEXT),
                                  help_text=_("What happened, when, and what you expected instead."))  # fmt: skip
    files = MultipleFileField(label=_("Attachments"), required=False)  # type: ignore[assignment]  # a field, not BaseForm.files

    def __init__(self, *args: Any, installed: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["installed_item"].queryset = installed  # type: ignore[attr-defined]
        self.fields["installed_item"].label_from_instance = lambda item: f"{item.product} · {item}"  # type: ignore[attr-defined]


class ReplyForm(StyledForm):
    body = forms.CharField(label=_("Your message"), max_length=50_000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label=_("Attachments"), required=False)  # type: ignore[assignment]


class ReopenForm(StyledForm):
    body = forms.CharField(label=_("What is still not working?"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))


class RatingForm(StyledForm):
    score = forms.TypedChoiceField(label=_("How satisfied are you?"), coerce=int,
                                   choices=[(n, str(n)) for n in range(5, 0, -1)], widget=forms.RadioSelect)  # fmt: skip
    comment = forms.CharField(label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class InviteForm(StyledForm):
    email = forms.EmailField(label=_("Email"), max_length=120)
    is_admin = forms.BooleanField(label=_("Customer admin (may invite colleagues)"), required=False)


class StaffInviteForm(InviteForm):
    contact: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False)  # type: ignore[arg-type]

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class AcceptForm(StyledForm):
    full_name = forms.CharField(label=_("Your name"), max_length=60)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return cleaned


class PortalPasswordResetForm(PasswordResetForm):
    """Password reset for customer users only: a staff address gets no mail from the portal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["class"] = "form-control"
        self.fields["email"].label = _("Email")

    def get_users(self, email: str) -> Any:
        return (user for user in super().get_users(email)
                if User.objects.filter(pk=user.pk, portal_account__is_active=True, department__isnull=True).exists())  # fmt: skip


class AnnouncementForm(StyledForm):
    title = forms.CharField(label=_("Announcement title"), max_length=160)
    body = forms.CharField(label=_("Text"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 8}))
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices, widget=forms.RadioSelect)
    customers = forms.ModelMultipleChoiceField(label=_("Customers"), queryset=Customer.objects.none(), required=False)
    published_from = forms.DateTimeField(label=_("Published from"), widget=DATETIME)
    published_to = forms.DateTimeField(label=_("Published until"), widget=DATETIME, required=False,
                                       help_text=_("Empty: no end."))  # fmt: skip

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customers"].queryset = customers  # type: ignore[attr-defined]
