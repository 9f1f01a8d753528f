"""Complaint pages: the list with its filters, a new complaint (directly or from a request), and the
complaint page with its workflow actions and the requests and touchpoints linked to it."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import StyledForm, apply_validation_error
from touchpoint.core.models import Channel
from touchpoint.core.pagination import CappedPaginator
from touchpoint.core.search import is_searchable, search_filter
from touchpoint.core.versioning import StaleEdit
from touchpoint.customers.access import visible_contacts, visible_customers
from touchpoint.customers.models import Customer
from touchpoint.org.http import AuthedRequest
from touchpoint.org.models import Department, User
from touchpoint.org.policy import may, portal_scope
from touchpoint.service import access
from touchpoint.service.models import Complaint, ComplaintAbout, ComplaintSeverity, ComplaintStatus
from touchpoint.service.services import complaints as services
from touchpoint.touchpoints.access import visible_touchpoints
from touchpoint.touchpoints.models import Touchpoint

PAGE_SIZE = 25
LINKABLE_TOUCHPOINTS = 50  # the customer's latest touchpoints offered for linking
MAX_ID = 9_223_372_036_854_775_807
TEXT = forms.Textarea(attrs={"rows": 3})


def as_id(value: Any) -> int | None:
    """An id from the query string, or None for anything that is not one."""
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


def complaint_for(request: AuthedRequest, pk: int) -> Complaint:
    """The complaint if the user may see it; 404 otherwise, whether or not it exists."""
    queryset = access.visible_complaints(request.user).select_related("customer", "contact", "department", "owner", "raised_from")
    return get_object_or_404(queryset, pk=pk)


def workable_complaint(request: AuthedRequest, pk: int) -> Complaint:
    complaint = complaint_for(request, pk)
    if not access.can_work_complaint(request.user, complaint):
        raise PermissionDenied
    return complaint


def _departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("order", "id")


def _colleagues() -> QuerySet[User]:
    return User.objects.filter(is_active=True, memberships__isnull=False).distinct().order_by("full_name", "username")


# --- Forms ----------------------------------------------------------------------------------------


class ComplaintFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=60)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False,
        choices=[("", gettext_lazy("All")), ("open", gettext_lazy("Not closed")), *ComplaintStatus.choices],
    )  # fmt: skip
    about = forms.ChoiceField(label=gettext_lazy("About"), required=False,
                              choices=[("", gettext_lazy("All")), *ComplaintAbout.choices])  # fmt: skip
    department = forms.ModelChoiceField(label=gettext_lazy("Department"), required=False, queryset=Department.objects.none(),
                                        empty_label=gettext_lazy("All"))  # fmt: skip
    customer = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _departments()  # type: ignore[attr-defined]


class ComplaintForm(StyledForm):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    about = forms.ChoiceField(label=gettext_lazy("About"), choices=ComplaintAbout.choices)
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=ComplaintSeverity.choices, initial=ComplaintSeverity.MEDIUM)
    department = forms.ModelChoiceField(label=gettext_lazy("Accountable department"), required=False, queryset=Department.objects.none())
    contact = forms.ModelChoiceField(label=gettext_lazy("Contact"), required=False, queryset=Customer.objects.none())
    description = forms.CharField(label=gettext_lazy("Description"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, contacts: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _departments()  # type: ignore[attr-defined]
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class ComplaintEditForm(ComplaintForm):
    root_cause = forms.CharField(label=gettext_lazy("Root cause"), required=False, max_length=10_000, widget=TEXT)
    corrective_action = forms.CharField(label=gettext_lazy("Corrective action"), required=False, max_length=10_000, widget=TEXT)
    owner = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=User.objects.none())
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _colleagues()  # type: ignore[attr-defined]


class InformForm(StyledForm):
    via = forms.ChoiceField(label=gettext_lazy("How"), choices=Channel.choices, initial=Channel.PHONE)
    note = forms.CharField(label=gettext_lazy("What the customer was told"), required=False, max_length=300)


class ConfirmCloseForm(StyledForm):
    confirmed_by = forms.CharField(label=gettext_lazy("Confirmed by"), max_length=100)
    confirmed_at = forms.DateTimeField(label=gettext_lazy("Confirmed at"),
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))  # fmt: skip
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)


class ReopenForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("Why reopen"), max_length=500)


class LinkForm(StyledForm):
    """A request by its number, or one of the customer's latest touchpoints; the service checks the customer."""

    request = forms.CharField(label=gettext_lazy("Request number"), required=False, max_length=20)
    touchpoint = forms.ModelChoiceField(label=gettext_lazy("Recent touchpoint"), required=False, queryset=Touchpoint.objects.none(),
                                        empty_label=gettext_lazy("Choose a touchpoint"))  # fmt: skip

    def __init__(self, *args: Any, user: Any, complaint: Complaint, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        latest = (visible_touchpoints(user).filter(customer_id=complaint.customer_id).exclude(complaints=complaint)
                  .order_by("-occurred_at", "-id").values_list("pk", flat=True)[:LINKABLE_TOUCHPOINTS])  # fmt: skip
        field = self.fields["touchpoint"]
        field.queryset = Touchpoint.objects.filter(pk__in=list(latest)).order_by("-occurred_at", "-id")  # type: ignore[attr-defined]
        field.label_from_instance = lambda touchpoint: (  # type: ignore[attr-defined]
            f"{timezone.localtime(touchpoint.occurred_at):%Y-%m-%d %H:%M} · {touchpoint.get_channel_display()} · {touchpoint.subject}"
        )

    def clean_request(self) -> Any:
        number = self.cleaned_data["request"].strip()
        if not number:
            return None
        found = access.visible_requests(self.user).filter(number__iexact=number).first()
        if found is None:
            raise ValidationError(_("No request with the number %(number)s.") % {"number": number[:20]})
        return found

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and not cleaned.get("request") and not cleaned.get("touchpoint"):
            raise ValidationError(_("Enter a request number or choose a touchpoint."))
        return cleaned


class MoveForm(StyledForm):
    status = forms.ChoiceField(choices=[(ComplaintStatus.INVESTIGATING, ComplaintStatus.INVESTIGATING.label),
                                        (ComplaintStatus.ACTION_TAKEN, ComplaintStatus.ACTION_TAKEN.label)])  # fmt: skip


# --- Pages ----------------------------------------------------------------------------------------


@login_required
@require_GET
def complaint_list(request: AuthedRequest) -> HttpResponse:
    if portal_scope(request.user) is not None or not may(request.user, "complaint", "view"):
        raise PermissionDenied
    form = ComplaintFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    rows = access.visible_complaints(request.user).select_related("customer", "department", "owner")
    if values.get("status") == "open":
        rows = rows.exclude(status=ComplaintStatus.CLOSED)
    elif values.get("status"):
        rows = rows.filter(status=values["status"])
    if values.get("about"):
        rows = rows.filter(about=values["about"])
    if values.get("department"):
        rows = rows.filter(department=values["department"])
    if values.get("customer"):
        rows = rows.filter(customer_id=values["customer"])
    if values.get("q"):
        query = values["q"].strip()
        rows = rows.filter(number__iexact=query) if query.upper().startswith("CP-") else rows.filter(subject__icontains=query)
    paginator = CappedPaginator(rows.order_by("-created_at", "-id"), PAGE_SIZE, page=request.GET.get("page", 1))
    page = paginator.get_page(request.GET.get("page"))
    template = "service/complaints/list.html#results" if request.htmx else "service/complaints/list.html"
    return render(request, template, {"page": page, "form": form, "may_log": access.may_log_complaints(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request: AuthedRequest) -> HttpResponse:
    source = None
    if (request_id := as_id(request.GET.get("request"))) is not None:
        source = get_object_or_404(access.visible_requests(request.user).select_related("customer", "contact"), pk=request_id)
        customer = source.customer
    elif (customer_id := as_id(request.GET.get("customer"))) is not None:
        customer = get_object_or_404(visible_customers(request.user), pk=customer_id)
    else:
        return _pick_customer(request)
    if customer is None or not access.can_log_complaint_for(request.user, customer):
        raise PermissionDenied
    contacts = visible_contacts(request.user).filter(customer=customer).order_by("name")
    initial = {"subject": source.subject, "contact": source.contact_id, "about": ComplaintAbout.SERVICE} if source else {}
    form = ComplaintForm(request.POST or None, contacts=contacts, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_create(by=request.user, customer=customer, request=source, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Complaint %(number)s raised.") % {"number": complaint.number})
            return redirect("service:complaint_detail", pk=complaint.pk)
    return render(request, "service/complaints/new.html", {"form": form, "customer": customer, "source": source},
                  status=400 if form.errors else 200)  # fmt: skip


def _pick_customer(request: AuthedRequest) -> HttpResponse:
    if not access.may_log_complaints(request.user):
        raise PermissionDenied
    query = request.GET.get("q", "")[:60]
    customers = search_filter(visible_customers(request.user), query).order_by("name")[:20] if is_searchable(query) else []
    return render(request, "service/complaints/pick_customer.html", {"query": query, "customers": customers})


@login_required
@require_GET
def complaint_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    complaint = complaint_for(request, pk)
    return render(request, "service/complaints/detail.html", _detail_context(request, complaint))


def _detail_context(request: AuthedRequest, complaint: Complaint, **forms_given: Any) -> dict[str, Any]:
    can_work = access.can_work_complaint(request.user, complaint)
    context: dict[str, Any] = {
        "complaint": complaint, "can_work": can_work,
        "steps": complaint.steps.select_related("by").order_by("at", "id"),
        "requests": access.visible_requests(request.user).filter(linked_complaints=complaint).order_by("-created_at")[:20],
        "touchpoints": visible_touchpoints(request.user).filter(complaints=complaint).order_by("-occurred_at", "-id")[:20],
    }  # fmt: skip
    if can_work:
        contacts = visible_contacts(request.user).filter(customer_id=complaint.customer_id).order_by("name")
        context.update({
            "edit_form": ComplaintEditForm(contacts=contacts, initial={
                "subject": complaint.subject, "about": complaint.about, "severity": complaint.severity,
                "department": complaint.department_id, "contact": complaint.contact_id, "description": complaint.description,
                "root_cause": complaint.root_cause, "corrective_action": complaint.corrective_action,
                "owner": complaint.owner_id, "version": complaint.version}),
            "inform_form": InformForm(), "reopen_form": ReopenForm(),
            "close_form": ConfirmCloseForm(initial={"confirmed_at": timezone.localtime().replace(second=0, microsecond=0)}),
            "moves": services.TRANSITIONS.get(complaint.status, ()),
            "link_form": LinkForm(user=request.user, complaint=complaint),
        })  # fmt: skip
    context.update(forms_given)
    return context


def _refused(request: AuthedRequest, complaint: Complaint, name: str, form: forms.Form, stale: Any = None) -> HttpResponse:
    return render(request, "service/complaints/detail.html", _detail_context(request, complaint, **{name: form}, stale=stale), status=400)


@login_required
@require_POST
def complaint_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    complaint = workable_complaint(request, pk)
    contacts = visible_contacts(request.user).filter(customer_id=complaint.customer_id)
    form = ComplaintEditForm(request.POST, contacts=contacts)
    if form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version")
        try:
            services.complaint_update(complaint=complaint, by=request.user, expected_version=version, **values)
        except StaleEdit as stale:
            form.add_error(None, str(stale))
            return _refused(request, complaint, "edit_form", form, stale)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Complaint saved."))
            return redirect("service:complaint_detail", pk=complaint.pk)
    return _refused(request, complaint, "edit_form", form)


@login_required
@require_POST
def complaint_move(request: AuthedRequest, pk: int) -> HttpResponse:
    complaint = workable_complaint(request, pk)
    form = MoveForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose where the complaint goes next."))
        services.complaint_move(complaint=complaint, status=form.cleaned_data["status"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("service:complaint_detail", pk=complaint.pk)


def _step(request: AuthedRequest, complaint: Complaint, form: forms.Form, name: str, do: Callable[[dict[str, Any]], Any],
          done: str) -> HttpResponse:  # fmt: skip
    """One step of the workflow: validate the form, call the service, back to the complaint (or the page with the errors)."""
    if form.is_valid():
        try:
            do(form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, done)
            return redirect("service:complaint_detail", pk=complaint.pk)
    return _refused(request, complaint, name, form)


@login_required
@require_POST
def complaint_inform(request: AuthedRequest, pk: int) -> HttpResponse:
    complaint = workable_complaint(request, pk)
    return _step(request, complaint, InformForm(request.POST), "inform_form",
                 lambda data: services.complaint_inform_customer(complaint=complaint, by=request.user, **data),
                 _("Recorded that the customer was informed."))  # fmt: skip


@login_required
@require_POST
def complaint_close(request: AuthedRequest, pk: int) -> HttpResponse:
    complaint = workable_complaint(request, pk)
    return _step(request, complaint, ConfirmCloseForm(request.POST), "close_form",
                 lambda data: services.complaint_confirm_close(complaint=complaint, by=request.user, **data),
                 _("Complaint closed with the customer's confirmation."))  # fmt: skip


@login_required
@require_POST
def complaint_reopen(request: AuthedRequest, pk: int) -> HttpResponse:
    complaint = workable_complaint(request, pk)
    return _step(request, complaint, ReopenForm(request.POST), "reopen_form",
                 lambda data: services.complaint_reopen(complaint=complaint, by=request.user, reason=data["reason"]),
                 _("Complaint reopened."))  # fmt: skip


@login_required
@require_POST
def complaint_link(request: AuthedRequest, pk: int) -> HttpResponse:
    complaint = workable_complaint(request, pk)
    form = LinkForm(request.POST, user=request.user, complaint=complaint)
    return _step(request, complaint, form, "link_form", lambda data: services.complaint_link(complaint=complaint, by=request.user, **data),
                 _("Linked to the complaint."))  # fmt: skip


@login_required
@require_POST
def complaint_unlink(request: AuthedRequest, pk: int) -> HttpResponse:
    """Unlink one request or touchpoint, named by its id among those linked (anything else changes nothing)."""
    complaint = workable_complaint(request, pk)
    linked_request = complaint.requests.filter(pk=as_id(request.POST.get("request")) or 0).first()
    linked_touchpoint = complaint.touchpoints.filter(pk=as_id(request.POST.get("touchpoint")) or 0).first()
    try:
        services.complaint_unlink(complaint=complaint, by=request.user, request=linked_request, touchpoint=linked_touchpoint)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Unlinked from the complaint."))
    return redirect("service:complaint_detail", pk=complaint.pk)


urlpatterns: list[URLPattern] = [
    path("complaints/", complaint_list, name="complaint_list"),
    path("complaints/new/", complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/edit/", complaint_edit, name="complaint_edit"),
    path("complaints/<int:pk>/move/", complaint_move, name="complaint_move"),
    path("complaints/<int:pk>/inform/", complaint_inform, name="complaint_inform"),
    path("complaints/<int:pk>/close/", complaint_close, name="complaint_close"),
    path("complaints/<int:pk>/reopen/", complaint_reopen, name="complaint_reopen"),
    path("complaints/<int:pk>/link/", complaint_link, name="complaint_link"),
    path("complaints/<int:pk>/unlink/", complaint_unlink, name="complaint_unlink"),
]
