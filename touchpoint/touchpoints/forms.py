from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touchpoint.core.forms import StyledForm, VersionedModelForm, limit_choices
from touchpoint.core.models import Channel
from touchpoint.customers.models import Contact
from touchpoint.org.models import Department, User
from touchpoint.touchpoints.models import Direction, FollowUp, Touchpoint


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class TouchpointForm(StyledForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    occurred_at = forms.DateTimeField(label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    notes = forms.CharField(label=_("Notes"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.CharField(label=_("Outcome"), max_length=500, required=False)
    contacts = forms.ModelMultipleChoiceField(label=_("Contacts"), queryset=Contact.objects.none(), required=False,
                                              widget=forms.CheckboxSelectMultiple)  # fmt: skip
    participants = forms.ModelMultipleChoiceField(label=_("Colleagues who took part"), queryset=User.objects.none(),
                                                  required=False)  # fmt: skip
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none(), required=False)
    files = MultipleFileField(label=_("Attachments"), required=False,  # type: ignore[assignment]  # a field, not BaseForm.files
                              help_text=_("Scanned fax or letter, documents, images; checked for type and size."))  # fmt: skip
    followup_due_on = forms.DateField(label=_("Follow up on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    followup_assignee = forms.ModelChoiceField(label=_("Follow-up by"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, contacts: Any, users: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, contacts=contacts)
        limit_choices(self, participants=users)
        limit_choices(self, followup_assignee=users)
        limit_choices(self, department=departments)
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))

    def clean_followup_due_on(self) -> Any:
        due = self.cleaned_data.get("followup_due_on")
        if due and due < timezone.localdate():
            raise forms.ValidationError(_("A follow-up cannot be due in the past."))
        return due


class TouchpointEditForm(VersionedModelForm):
    class Meta:
        model = Touchpoint
        fields = ["channel", "direction", "occurred_at", "subject", "notes", "outcome"]
        widgets = {"occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                   "notes": forms.Textarea(attrs={"rows": 5})}  # fmt: skip


class AttachmentForm(StyledForm):
    file = forms.FileField(label=_("File"))


class EmailForm(StyledForm):
    contact = forms.ModelChoiceField(label=_("To"), queryset=Contact.objects.none())
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 10}))
    cc_self = forms.BooleanField(label=_("Send me a copy"), required=False)

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, contact=contacts)


class FollowUpForm(VersionedModelForm):
    class Meta:
        model = FollowUp
        fields = ["subject", "due_on", "notes", "contact"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, contact=contacts)
        if not self.instance.pk:
            self.fields["version"].required = False


class FollowUpCreateForm(FollowUpForm):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none())

    class Meta(FollowUpForm.Meta):
        fields = ["subject", "due_on", "assignee", "contact", "notes"]

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, assignee=users)


class ReassignFollowUpForm(StyledForm):
    assignee = forms.ModelChoiceField(label=_("Hand to"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, assignee=users)


class CompleteFollowUpForm(StyledForm):
    outcome = forms.CharField(label=_("Outcome"), max_length=500, required=False)
