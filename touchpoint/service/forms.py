"""Forms of the maintenance centre's request pages: the list filter, intake and the actions on a request."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from touchpoint.core.forms import StyledForm
from touchpoint.core.models import Channel
from touchpoint.customers.models import Contact, Customer, SizeTier
from touchpoint.org.models import Department, User
from touchpoint.sales.models import InstalledItem, Product
from touchpoint.service.models import (
    Assignment,
    Category,
    Impact,
    Queue,
    QueueKind,
    ServiceRequest,
    Severity,
    SlaState,
    Status,
    Tier,
)
from touchpoint.service.services.requests import TRANSITIONS

# The models' labels share msgids with other apps ("New" is also a new lead); these carry their own context.
STATE_LABELS: dict[str, Any] = {
    SlaState.NONE: pgettext_lazy("SLA state", "No SLA"), SlaState.OK: pgettext_lazy("SLA state", "On time"),
    SlaState.WARNING: pgettext_lazy("SLA state", "At risk"), SlaState.BREACHED: pgettext_lazy("SLA state", "Breached"),
    SlaState.PAUSED: pgettext_lazy("SLA state", "Paused"), SlaState.MET: pgettext_lazy("SLA state", "Met"),
}  # fmt: skip
STATUS_LABELS: dict[str, Any] = {
    Status.NEW: pgettext_lazy("request status", "New"), Status.TRIAGED: pgettext_lazy("request status", "Triaged"),
    Status.IN_PROGRESS: pgettext_lazy("request status", "In progress"),
    Status.WAITING: pgettext_lazy("request status", "Waiting for customer"),
    Status.RESOLVED: pgettext_lazy("request status", "Resolved"), Status.CLOSED: pgettext_lazy("request status", "Closed"),
}  # fmt: skip


VIEW_CHOICES = [
    ("mine", _("My queue")), ("open", _("All open")), ("waiting", _("Waiting for customer")), ("resolved", _("Resolved")),
    ("all", _("All")),
]  # fmt: skip
SORT_CHOICES = [("due", _("SLA due")), ("created", _("Newest")), ("severity", _("Severity"))]
# Channels an agent logs a request from; the portal files its own.
INTAKE_CHANNELS = [c for c in Channel.choices if c[0] != Channel.PORTAL]


def _blank(choices: Any, label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


class RequestFilterForm(StyledForm):
    view = forms.ChoiceField(label=_("View"), choices=VIEW_CHOICES, required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Number, subject or customer"), "type": "search"}))  # fmt: skip
    status = forms.ChoiceField(label=_("Status"), choices=_blank(STATUS_LABELS.items()), required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=_blank(Severity.choices), required=False)
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.order_by("kind", "code"), required=False,
                                   empty_label="—")  # fmt: skip
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.order_by("order", "id"), required=False,
                                        empty_label="—")  # fmt: skip
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    category = forms.ChoiceField(label=_("Category"), choices=_blank(Category.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(Channel.choices), required=False)
    sla = forms.ChoiceField(label=_("SLA"), choices=_blank(STATE_LABELS.items()), required=False)
    bounced = forms.BooleanField(label=_("Bounced"), required=False)
    stuck = forms.BooleanField(label=_("Stuck"), required=False)
    triage = forms.BooleanField(label=_("Needs triage"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)


class _Versioned(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReplyForm(StyledForm):
    body = forms.CharField(label=_("Reply to the customer"), max_length=100_000, widget=forms.Textarea(attrs={"rows": 4}),
                           error_messages={"required": _("Write the reply.")})  # fmt: skip


class NoteForm(StyledForm):
    body = forms.CharField(label=_("Internal note"), max_length=100_000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write the note.")})  # fmt: skip


class TransferForm(_Versioned):
    queue = forms.ModelChoiceField(
        label=_("To queue"), queryset=Queue.objects.filter(is_active=True).select_related("department").order_by("kind", "code"),
        error_messages={"invalid_choice": _("Choose a queue that exists and is in use."),
                        "required": _("Choose the queue the request moves to.")},
    )  # fmt: skip
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             error_messages={"required": _("Say why the request moves: the next department reads it.")})  # fmt: skip


class AssignForm(_Versioned):
    user = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none(),
                                  error_messages={"invalid_choice": _("Choose an agent of the request's queue.")})  # fmt: skip
    reason = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, request: ServiceRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = User.objects.filter(is_active=True).order_by("full_name", "username")
        if request.queue_id is not None:
            members = members.filter(queue_seats__queue_id=request.queue_id, queue_seats__is_active=True)
        self.fields["user"].queryset = members  # type: ignore[attr-defined]


class OwnerForm(_Versioned):
    owner = forms.ModelChoiceField(
        label=_("New case owner"),
        queryset=User.objects.filter(is_active=True).order_by("full_name", "username"),
        error_messages={"invalid_choice": _("Choose an active person.")},
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, error_messages={"required": _("Say why the case owner changes.")})


class StatusForm(_Versioned):
    status = forms.ChoiceField(label=_("New status"), choices=[],
                               error_messages={"invalid_choice": _("This request cannot move to that status.")})  # fmt: skip
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    resolution = forms.CharField(label=_("Resolution"), max_length=10_000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, request: ServiceRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = STATUS_LABELS
        moves = TRANSITIONS.get(request.status, ())
        self.fields["status"].choices = [(s, labels[s]) for s in moves]  # type: ignore[attr-defined]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


MAX_FILES = 10


class IntakeForm(StyledForm):
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(),
        error_messages={"invalid_choice": _("Choose a customer you may log requests for."), "required": _("Choose the customer.")},
    )  # fmt: skip
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.none(), required=False,
                                     error_messages={"invalid_choice": _("The contact must belong to this customer.")})  # fmt: skip
    installed_item = forms.ModelChoiceField(
        label=_("Installed module"), queryset=InstalledItem.objects.none(), required=False,
        error_messages={"invalid_choice": _("The module must be in this customer's installed base.")},
    )  # fmt: skip
    channel = forms.ChoiceField(label=_("Channel"), choices=INTAKE_CHANNELS, initial=Channel.PHONE)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.FAULT)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.P3)
    impact = forms.ChoiceField(label=_("Impact"), choices=Impact.choices, initial=Impact.FEW)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=50_000, required=False, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, customers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.urls import reverse

        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["customer"].widget.attrs.update({
            "hx-get": reverse("service:request_new_fields"), "hx-trigger": "change", "hx-target": "#customer-fields",
            "hx-swap": "outerHTML",
        })  # fmt: skip
        chosen_id = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        chosen_id = str(getattr(chosen_id, "pk", chosen_id))
        customer_pk = int(chosen_id) if chosen_id.isdecimal() else 0
        # Contacts and modules of the chosen customer only (and only a customer the user may log for).
        self.fields["contact"].queryset = Contact.objects.filter(customer_id=customer_pk, customer__in=customers).order_by("name")  # type: ignore[attr-defined]
        self.fields["installed_item"].queryset = (  # type: ignore[attr-defined]
            InstalledItem.objects.filter(customer_id=customer_pk).select_related("product", "module", "version")
            .order_by("product__code", "module__code"))  # fmt: skip
        # The picker lists only the chosen customer; the search box fills in others.
        chosen = customers.filter(pk=customer_pk) if customer_pk else customers.none()
        self.fields["customer"].widget.choices = [("", "—"), *[(c.pk, c.display_name) for c in chosen]]  # type: ignore[attr-defined]

    def clean_attachments(self) -> list[Any]:
        from touchpoint.core.uploads import check_upload

        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("Attach at most %(count)s files.") % {"count": MAX_FILES})
        for upload in files:
            check_upload(upload)
        return list(files)


# --- Settings -------------------------------------------------------------------------------------------


class QueueForm(StyledForm):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=60)
    name_en = forms.CharField(label=_("English name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=QueueKind.choices)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.order_by("order", "id"))
    product = forms.ModelChoiceField(label=_("Product (L2 queues)"), queryset=Product.objects.order_by("code"), required=False,
                                     empty_label=_("Any product"))  # fmt: skip
    assignment = forms.ChoiceField(label=_("Assignment"), choices=Assignment.choices)
    lead = forms.ModelChoiceField(label=_("Queue lead"), queryset=User.objects.filter(is_active=True).order_by("full_name", "username"),
                                  required=False)  # fmt: skip
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class MemberForm(StyledForm):
    user = forms.ModelChoiceField(label=_("Agent"), queryset=User.objects.filter(is_active=True).order_by("full_name", "username"),
                                  error_messages={"invalid_choice": _("Choose an active person.")})  # fmt: skip
    products = forms.ModelMultipleChoiceField(label=_("Products (none: any)"), queryset=Product.objects.order_by("code"),
                                              required=False, widget=forms.SelectMultiple(attrs={"size": 3}))  # fmt: skip
    is_active = forms.BooleanField(label=_("Taking requests"), required=False, initial=True)


class RuleForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Any")), *Category.choices], required=False)
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.order_by("code"), required=False,
                                     empty_label=_("Any"))  # fmt: skip
    customer_tier = forms.ChoiceField(label=_("Customer tier"), choices=[("", _("Any")), *SizeTier.choices], required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False)
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.filter(is_active=True).order_by("kind", "code"),
                                   error_messages={"invalid_choice": _("Choose a queue that exists and is in use.")})  # fmt: skip
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class SlaGridForm(StyledForm):
    """One response, resolution and calendar field per tier and severity: `<tier>_<severity>_response`…"""

    UNITS = [("minutes", _("minutes")), ("hours", _("hours"))]

    unit = forms.ChoiceField(label=_("Targets in"), choices=UNITS, initial="minutes")

    def __init__(self, *args: Any, calendars: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tier, _tier_label in Tier.choices:
            for severity in Severity.values:
                cell = f"{tier}_{severity}"
                number = {"class": "form-control form-control-sm", "step": "any"}
                self.fields[f"{cell}_response"] = forms.DecimalField(
                    min_value=0, max_digits=8, decimal_places=2, label=_("First response"), widget=forms.NumberInput(attrs=number)
                )
                self.fields[f"{cell}_resolution"] = forms.DecimalField(
                    min_value=0, max_digits=8, decimal_places=2, label=_("Resolution"), widget=forms.NumberInput(attrs=number)
                )
                self.fields[f"{cell}_calendar"] = forms.ModelChoiceField(
                    queryset=calendars, label=_("Calendar"), widget=forms.Select(attrs={"class": "form-select form-select-sm"})
                )

    def cells(self) -> list[dict[str, Any]]:
        """Rows of the grid for the template: a tier with its four severities' fields."""
        return [
            {"tier": label, "cells": [{"severity": severity, "response": self[f"{tier}_{severity}_response"],
                                       "resolution": self[f"{tier}_{severity}_resolution"],
                                       "calendar": self[f"{tier}_{severity}_calendar"]} for severity in Severity.values]}
            for tier, label in Tier.choices
        ]  # fmt: skip

    def targets(self) -> dict[tuple[str, str], tuple[int, int, Any]]:
        scale = 60 if self.cleaned_data["unit"] == "hours" else 1
        data = self.cleaned_data
        return {
            (tier, severity): (round(data[f"{tier}_{severity}_response"] * scale),
                               round(data[f"{tier}_{severity}_resolution"] * scale), data[f"{tier}_{severity}_calendar"])
            for tier in Tier.values for severity in Severity.values
        }  # fmt: skip


class CalendarForm(StyledForm):
    opens_at = forms.TimeField(label=_("Opens at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    closes_at = forms.TimeField(label=_("Closes at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    round_the_clock = forms.BooleanField(label=_("Round the clock (24×7)"), required=False)
    statutory = forms.BooleanField(label=_("Follows statutory holidays"), required=False)
    makeup_days = forms.BooleanField(label=_("Works make-up days (调休)"), required=False)


class CalendarDayForm(StyledForm):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    working = forms.TypedChoiceField(
        label=_("The day is"), choices=[("0", _("Closed all day")), ("1", _("Working day"))], coerce=lambda v: v == "1"
    )
    opens_at = forms.TimeField(
        label=_("Opens at (optional)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    closes_at = forms.TimeField(
        label=_("Closes at (optional)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    note = forms.CharField(label=_("Note"), max_length=80, required=False)


class ServiceSettingsForm(StyledForm):
    bounce_hops = forms.IntegerField(
        label=_("Hops before a request counts as bouncing"), min_value=1, max_value=20,
        help_text=_("Department changes; a return to the department it just left (A → B → A) always counts."),
    )  # fmt: skip
    stuck_percent = forms.IntegerField(label=_("Stuck after (% of the resolution target without action)"), min_value=1, max_value=100)
    stuck_minimum_minutes = forms.IntegerField(label=_("Stuck after at least (business minutes)"), min_value=15, max_value=43_200)
    executive = forms.ModelChoiceField(label=_("Executive for the last escalation step"), required=False,
                                       queryset=User.objects.filter(is_active=True).order_by("full_name", "username"),
                                       empty_label=_("The first executive"))  # fmt: skip
