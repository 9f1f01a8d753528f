"""Forms of the delivery pages. They parse and check shape; the services decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from touchpoint.core.forms import StyledForm
from touchpoint.delivery.models import (
    CustomerRole,
    DefectSeverity,
    DocumentKind,
    Environment,
    Health,
    KeyContactRole,
    Level,
    ProjectStatus,
    RiskKind,
    RiskStatus,
    TaskStatus,
    TeamRole,
)
from touchpoint.sales.models import DeliveryEvent

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = {"rows": 3}


class ProjectFilterForm(StyledForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=60)
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All")), ("running", _("Running")), *ProjectStatus.choices],
    )  # fmt: skip
    health = forms.ChoiceField(label=_("Health"), required=False, choices=[("", _("All")), *Health.choices])
    mine = forms.BooleanField(label=_("My projects"), required=False)


class ProjectForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=160)
    start_on = forms.DateField(label=_("Start"), widget=DATE)
    planned_end_on = forms.DateField(label=_("Planned end"), widget=DATE)
    hourly_cost = forms.DecimalField(label=_("Delivery cost per hour"), min_value=0, max_digits=14, decimal_places=2)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs=TEXT))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_on"), cleaned.get("planned_end_on")
        if start and end and end < start:
            self.add_error("planned_end_on", _("The end cannot be before the start."))
        return cleaned


class UserChoiceForm(StyledForm):
    """Choose a colleague (the choices are set by the view from the users the user may pick)."""

    user = forms.ModelChoiceField(label=_("Colleague"), queryset=None)  # type: ignore[arg-type,var-annotated]

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]


class ManagerForm(UserChoiceForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class MemberForm(UserChoiceForm):
    role = forms.ChoiceField(label=_("Role"), choices=[c for c in TeamRole.choices if c[0] != TeamRole.MANAGER])


class ContactRoleForm(StyledForm):
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None)  # type: ignore[arg-type,var-annotated]
    role = forms.ChoiceField(label=_("Role"), choices=CustomerRole.choices)

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class MoveForm(StyledForm):
    to = forms.ChoiceField(choices=ProjectStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class TaskForm(StyledForm):
    name = forms.CharField(label=_("Task"), max_length=160)
    phase = forms.ModelChoiceField(label=_("Phase"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    assignee = forms.ModelChoiceField(label=pgettext_lazy("task", "Assignee"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    start_on = forms.DateField(label=_("Start"), widget=DATE)
    end_on = forms.DateField(label=_("End"), widget=DATE)
    estimate_hours = forms.DecimalField(label=_("Estimate (hours)"), min_value=0, max_value=99999, decimal_places=1, required=False)
    depends_on = forms.ModelMultipleChoiceField(label=_("Depends on"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    requirements = forms.TypedMultipleChoiceField(label=_("Delivers requirements"), coerce=int, required=False, choices=[])
    description = forms.CharField(label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs=TEXT))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, project: Any, users: Any, task: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = project.phases.order_by("order", "id")  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = users  # type: ignore[attr-defined]
        others = project.tasks.order_by("start_on", "order", "id")
        if task is not None:
            others = others.exclude(pk=task.pk)
        self.fields["depends_on"].queryset = others  # type: ignore[attr-defined]
        self.fields["depends_on"].widget.attrs["size"] = 6
        choices = [(int(e["id"]), f"{e.get('area_name', '')} · {str(e.get('description', ''))[:60]}")
                   for e in project.contract.scope or [] if isinstance(e, dict) and "id" in e]  # fmt: skip
        self.fields["requirements"].choices = choices  # type: ignore[attr-defined]
        self.fields["requirements"].widget.choices = choices  # type: ignore[attr-defined]
        self.fields["requirements"].widget.attrs["size"] = min(max(len(choices), 2), 6)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start_on"), cleaned.get("end_on")
        if start and end and end < start:
            self.add_error("end_on", _("The end cannot be before the start."))
        return cleaned


class TaskStatusForm(StyledForm):
    to = forms.ChoiceField(choices=TaskStatus.choices)


class MilestoneForm(StyledForm):
    name = forms.CharField(label=_("Milestone"), max_length=80)
    name_en = forms.CharField(label=_("English name"), max_length=80, required=False)
    due_on = forms.DateField(label=pgettext_lazy("date", "Due"), widget=DATE)
    phase = forms.ModelChoiceField(label=_("Phase"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    delivery_event = forms.ChoiceField(label=_("Makes payment due"), required=False,
                                       choices=[("", _("No payment milestone")), *DeliveryEvent.choices])  # fmt: skip

    def __init__(self, *args: Any, project: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = project.phases.order_by("order", "id")  # type: ignore[attr-defined]


class AcceptForm(StyledForm):
    accepted_on = forms.DateField(label=_("Accepted on"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class TimeForm(StyledForm):
    task = forms.ModelChoiceField(label=_("Task"), queryset=None)  # type: ignore[arg-type,var-annotated]
    work_date = forms.DateField(label=_("Date"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), min_value=0.25, max_value=24, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, tasks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = tasks  # type: ignore[attr-defined]
        self.fields["task"].label_from_instance = lambda t: f"{t.project.number} · {t.name}"  # type: ignore[attr-defined]


class DecideForm(StyledForm):
    entries = forms.TypedMultipleChoiceField(coerce=int, choices=[], widget=forms.MultipleHiddenInput)
    approve = forms.BooleanField(required=False)
    reason = forms.CharField(label=_("Reason for rejecting"), required=False, max_length=300)

    def __init__(self, *args: Any, ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = [(i, i) for i in ids]  # type: ignore[attr-defined]


class VisitForm(StyledForm):
    occurred_at = forms.DateTimeField(label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    subject = forms.CharField(label=_("Purpose of the visit"), max_length=200)
    contacts = forms.ModelMultipleChoiceField(label=_("Met"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs=TEXT))
    hours = forms.DecimalField(label=_("Hours on site (logged to the task)"), required=False, min_value=0.25, max_value=24,
                               decimal_places=2)  # fmt: skip
    task = forms.ModelChoiceField(label=_("Task"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]

    def __init__(self, *args: Any, contacts: Any, tasks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = contacts  # type: ignore[attr-defined]
        self.fields["task"].queryset = tasks  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("hours") and not cleaned.get("task"):
            self.add_error("task", _("Choose the task the hours go to."))
        return cleaned


class RiskForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=RiskKind.choices)
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=160)
    impact = forms.ChoiceField(label=_("Impact"), choices=Level.choices, initial=Level.MEDIUM)
    likelihood = forms.ChoiceField(label=_("Likelihood"), choices=Level.choices, initial=Level.MEDIUM)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    due_on = forms.DateField(label=pgettext_lazy("date", "Due"), widget=DATE, required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs=TEXT))
    mitigation = forms.CharField(label=_("Mitigation"), required=False, max_length=5000, widget=forms.Textarea(attrs=TEXT))
    status = forms.ChoiceField(label=_("Status"), choices=RiskStatus.choices, initial=RiskStatus.OPEN)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, users: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = users  # type: ignore[attr-defined]


class ChangeForm(StyledForm):
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=160)
    description = forms.CharField(label=_("What changes"), max_length=5000, widget=forms.Textarea(attrs=TEXT))
    effort_days = forms.DecimalField(label=_("Effort (person-days)"), min_value=0, max_value=99999, decimal_places=1)
    schedule_days = forms.IntegerField(label=_("Schedule impact (days)"), min_value=0, max_value=3650, initial=0)
    price = forms.DecimalField(label=_("Price impact"), required=False, min_value=0, max_digits=14, decimal_places=2,
                               help_text=_("Empty: effort × the product's day rate."))  # fmt: skip


class ReportForm(StyledForm):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Report"), max_length=20000, widget=forms.Textarea(attrs={"rows": 18}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SendForm(StyledForm):
    contact = forms.ModelChoiceField(label=_("Send to"), queryset=None)  # type: ignore[arg-type,var-annotated]

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]
        self.fields["contact"].label_from_instance = lambda c: f"{c.name} <{c.email}>" if c.email else c.name  # type: ignore[attr-defined]


class DocumentForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=160, required=False)
    milestone = forms.ModelChoiceField(label=_("Accepts milestone"), queryset=None, required=False,  # type: ignore[arg-type,var-annotated]
                                       help_text=_("For a signed acceptance certificate: uploading it accepts the milestone."))  # fmt: skip
    shared_with_customer = forms.BooleanField(label=_("Share with the customer"), required=False)
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, milestones: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestone"].queryset = milestones  # type: ignore[attr-defined]


class VersionForm(StyledForm):
    file = forms.FileField(label=_("New version"))
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)


class HandoverForm(StyledForm):
    customisations = forms.CharField(label=_("Customisations and configuration notes"), required=False, max_length=20000,
                                     widget=forms.Textarea(attrs={"rows": 5}))  # fmt: skip
    interfaces = forms.CharField(label=_("Interfaces to exchange and clearing systems"), required=False, max_length=20000,
                                 widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip
    known_risks = forms.CharField(label=_("Known risks"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    no_open_defects = forms.BooleanField(label=_("No open defects"), required=False)
    warranty_start = forms.DateField(label=_("Warranty start"), widget=DATE, required=False)
    warranty_end = forms.DateField(label=_("Warranty end"), widget=DATE, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SystemForm(StyledForm):
    installed_item = forms.ModelChoiceField(label=_("Module"), queryset=None)  # type: ignore[arg-type,var-annotated]
    version = forms.ModelChoiceField(label=_("Installed version"), queryset=None, required=False)  # type: ignore[arg-type,var-annotated]
    site = forms.CharField(label=_("Site"), max_length=120)
    environment = forms.ChoiceField(label=_("Environment"), choices=Environment.choices)
    go_live_on = forms.DateField(label=_("Go-live date"), widget=DATE, required=False)

    def __init__(self, *args: Any, items: Any, versions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["installed_item"].queryset = items  # type: ignore[attr-defined]
        self.fields["version"].queryset = versions  # type: ignore[attr-defined]
        self.fields["version"].label_from_instance = lambda v: f"{v.product} {v.number}"  # type: ignore[attr-defined]


class DefectForm(StyledForm):
    title = forms.CharField(label=_("Defect"), max_length=160)
    severity = forms.ChoiceField(label=_("Severity"), choices=DefectSeverity.choices, initial=DefectSeverity.P3)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class TrainingForm(StyledForm):
    topic = forms.CharField(label=_("Topic"), max_length=160)
    trainees = forms.CharField(label=_("Who was trained"), max_length=500)
    trained_on = forms.DateField(label=_("Date"), widget=DATE)
    trainer = forms.CharField(label=pgettext_lazy("training", "Trainer"), max_length=60, required=False)


class KeyContactForm(ContactRoleForm):
    role = forms.ChoiceField(label=_("Role"), choices=KeyContactRole.choices)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("Reason"), max_length=500)
