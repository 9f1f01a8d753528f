"""The risks and issues log, change requests and the weekly status reports of a project."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.customers.models import Contact
from touchpoint.delivery import access
from touchpoint.delivery.forms import ChangeForm, ReportForm, RiskForm, SendForm
from touchpoint.delivery.models import ChangeRequest, RiskStatus, StatusReport
from touchpoint.delivery.services import changes, risks, status_reports
from touchpoint.delivery.views.common import colleagues, editable_project, project_for, say_refused
from touchpoint.org.http import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def risk_list(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    form = RiskForm(request.POST or None, users=colleagues()) if can_edit else None
    if request.method == "POST":
        project = editable_project(request, pk)
        assert form is not None
        if form.is_valid():
            values = dict(form.cleaned_data)
            values.pop("version", None)
            values.pop("status", None)
            try:
                risks.risk_raise(project=project, by=request.user, **values)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Entered in the log."))
                return redirect("delivery:risks", pk=project.pk)
    entries = project.risks.select_related("owner", "raised_by").order_by("status", "-created_at")
    return render(request, "delivery/risks.html", {
        "project": project, "tab": "risks", "entries": entries, "form": form, "can_edit": can_edit,
        "open_count": project.risks.exclude(status=RiskStatus.CLOSED).count(),
    }, status=400 if form is not None and form.errors else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def risk_edit(request: AuthedRequest, pk: int, risk_pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    risk = get_object_or_404(project.risks, pk=risk_pk)
    initial = {f: getattr(risk, f) for f in risks.RISK_FIELDS} | {"version": risk.version}
    form = RiskForm(request.POST or None, users=colleagues(), initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version") or risk.version
        try:
            risks.risk_update(risk=risk, by=request.user, expected_version=version, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("delivery:risks", pk=project.pk)
    return render(request, "delivery/risk_form.html", {"project": project, "tab": "risks", "form": form, "risk": risk},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def change_list(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    form = ChangeForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        project = editable_project(request, pk)
        assert form is not None
        if form.is_valid():
            try:
                change = changes.change_request_raise(project=project, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Change request %(number)s raised.") % {"number": change.number})
                return redirect("delivery:changes", pk=project.pk)
    rows = project.change_requests.select_related("quote", "requested_by").order_by("-created_at")
    status = 400 if form is not None and form.errors else 200
    return render(request, "delivery/changes.html", {"project": project, "tab": "changes", "rows": rows, "form": form,
                                                      "can_edit": can_edit}, status=status)  # fmt: skip


@login_required
@require_POST
def change_action(request: AuthedRequest, pk: int, change_pk: int, action: str) -> HttpResponse:
    project = editable_project(request, pk)
    change = get_object_or_404(ChangeRequest, project=project, pk=change_pk)
    try:
        if action == "quote":
            quote = changes.change_request_quote(change=change, by=request.user)
            messages.success(request, _("Quote addendum %(number)s drafted for the sales rep.") % {"number": quote.number})
        elif action in ("approve", "reject"):
            changes.change_request_decide(change=change, by=request.user, approve=action == "approve")
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as error:
        say_refused(request, error)
    return redirect("delivery:changes", pk=project.pk)


@login_required
@require_GET
def report_list(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    reports = project.status_reports.select_related("sent_to", "author").order_by("-week_start")
    return render(request, "delivery/reports_weekly.html", {"project": project, "tab": "weekly", "reports": reports,
                                                             "can_edit": access.can_edit_project(request.user, project)})  # fmt: skip


@login_required
@require_POST
def report_draft(request: AuthedRequest, pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    try:
        report = status_reports.status_report_draft(project=project, by=request.user)
    except ValidationError as error:
        say_refused(request, error)
        return redirect("delivery:weekly", pk=project.pk)
    return redirect("delivery:report_edit", pk=project.pk, report_pk=report.pk)


def _recipients(project: object) -> object:
    return Contact.objects.filter(customer_id=project.customer_id, do_not_contact=False).exclude(email="").order_by("name")  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: AuthedRequest, pk: int, report_pk: int) -> HttpResponse:
    project = project_for(request, pk)
    report = get_object_or_404(StatusReport, project=project, pk=report_pk)
    can_edit = access.can_edit_project(request.user, project) and report.status == "draft"
    form = ReportForm(request.POST or None, initial={"subject": report.subject, "body": report.body, "version": report.version})
    lead = project.customer_contacts.filter(role__in=("project_lead", "sponsor")).values_list("contact_id", flat=True).first()
    send_form = SendForm(contacts=_recipients(project), initial={"contact": lead})
    if request.method == "POST":
        project = editable_project(request, pk)
        if form.is_valid():
            try:
                status_reports.status_report_update(report=report, by=request.user, expected_version=form.cleaned_data["version"],
                                                    subject=form.cleaned_data["subject"], body=form.cleaned_data["body"])  # fmt: skip
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Report saved."))
                return redirect("delivery:report_edit", pk=project.pk, report_pk=report.pk)
    return render(request, "delivery/report_edit.html", {
        "project": project, "tab": "weekly", "report": report, "form": form, "send_form": send_form, "can_edit": can_edit,
    }, status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def report_send(request: AuthedRequest, pk: int, report_pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    report = get_object_or_404(StatusReport, project=project, pk=report_pk)
    form = SendForm(request.POST, contacts=_recipients(project))
    if not form.is_valid():
        messages.error(request, _("Choose a contact with an email address."))
    else:
        try:
            status_reports.status_report_send(report=report, contact=form.cleaned_data["contact"], by=request.user)
        except ValidationError as error:
            say_refused(request, error)
        else:
            messages.success(request, _("Report sent to %(contact)s and logged on the timeline.")
                             % {"contact": form.cleaned_data["contact"]})  # fmt: skip
    return redirect("delivery:report_edit", pk=project.pk, report_pk=report.pk)
