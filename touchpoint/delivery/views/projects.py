"""The project list and export, the project page, its edit, team, customer contacts, status moves and site visits."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.events import events_for_target
from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.pagination import CappedPaginator
from touchpoint.customers.models import Contact
from touchpoint.delivery import access, selectors
from touchpoint.delivery.forms import ContactRoleForm, ManagerForm, MemberForm, MoveForm, ProjectFilterForm, ProjectForm, VisitForm
from touchpoint.delivery.models import Project, ProjectContact, ProjectStatus
from touchpoint.delivery.services import projects as services
from touchpoint.delivery.services.timesheets import SITE_VISIT, site_visit_log, time_log
from touchpoint.delivery.views.common import PAGE_SIZE, colleagues, editable_project, form_errors, project_for, require, say_refused
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may

SITE_VISITS = 10


def _filtered(request: AuthedRequest, export: bool = False) -> tuple[Any, ProjectFilterForm]:
    form = ProjectFilterForm(request.GET or None)
    values = form.cleaned_data if form.is_valid() else {}
    rows = selectors.project_list(request.user, status=values.get("status", ""), health=values.get("health", ""),
                                  mine=bool(values.get("mine")), q=values.get("q", ""))  # fmt: skip
    if export:
        rows = rows.filter(pk__in=access.exportable_projects(request.user).values("pk"))
    return rows, form


@login_required
@require_GET
def project_list(request: AuthedRequest) -> HttpResponse:
    require(may(request.user, "project", "view"))
    rows, form = _filtered(request)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "delivery/project_list.html", {
        "page": page, "form": form, "today": timezone.localdate(), "may_export": access.may_export_projects(request.user),
    })  # fmt: skip


@login_required
@require_GET
def project_export(request: AuthedRequest) -> HttpResponseBase:
    require(access.may_export_projects(request.user))
    rows, _form = _filtered(request, export=True)
    header = [_("Number"), _("Project"), _("Customer"), _("Contract"), _("Project manager"), _("Status"), _("Health"),
              _("Start"), _("Planned end"), _("Forecast end")]  # fmt: skip
    data = (
        [p.number, p.name, p.customer.name, p.contract.number, str(p.manager or ""), p.get_status_display(),
         p.get_health_display(), p.start_on.isoformat(), p.planned_end_on.isoformat(),
         p.forecast_end_on.isoformat() if p.forecast_end_on else ""]
        for p in rows.iterator(chunk_size=2000)
    )  # fmt: skip
    if request.GET.get("format") == "xlsx":
        return xlsx_response("projects", header, data)
    return csv_response("projects", header, data)


def _contacts(project: Any) -> Any:
    return Contact.objects.filter(customer_id=project.customer_id).order_by("name")


@login_required
@require_GET
def project_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    can_edit = access.can_edit_project(request.user, project)
    can_assign = access.can_assign_project(request.user, project)
    users = colleagues()
    milestones = list(project.milestones.select_related("phase").order_by("due_on", "id"))
    context = {
        "project": project, "tab": "overview", "can_edit": can_edit, "can_assign": can_assign,
        "figures": selectors.project_figures(project),
        "members": list(project.members.select_related("user", "user__department").order_by("role", "id")),
        "contacts": list(project.customer_contacts.select_related("contact").order_by("role", "id")),
        "milestones": milestones,
        "open_milestones": sum(not m.is_accepted for m in milestones),
        "events": list(events_for_target(project).select_related("actor")[:15]),
        "moves": [to for to in services.PROJECT_MOVES[project.status] if to not in (ProjectStatus.CLOSED, ProjectStatus.HANDOVER)],
        "manager_form": ManagerForm(users=users, initial={"user": project.manager_id}) if can_assign else None,
        "member_form": MemberForm(users=users) if can_edit else None,
        "contact_form": ContactRoleForm(contacts=_contacts(project)) if can_edit else None,
        "can_log_time": access.can_log_time(request.user, project),
        "today": timezone.localdate(),
        "visits": _site_visits(request.user, project),
    }  # fmt: skip
    return render(request, "delivery/project_detail.html", context)


def _site_visits(user: Any, project: Project) -> list[Any]:
    """The latest visits to the customer's site logged from this project, among the touchpoints the reader may see."""
    from touchpoint.touchpoints.access import visible_touchpoints

    visits = visible_touchpoints(user).filter(link_type=SITE_VISIT, link_id=project.pk).select_related("logged_by")
    return list(visits.prefetch_related("contacts").order_by("-occurred_at", "-id")[:SITE_VISITS])


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    initial = {f: getattr(project, f) for f in services.PROJECT_FIELDS} | {"version": project.version}
    form = ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version")
        try:
            services.project_update(project=project, by=request.user, expected_version=version, **values)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Project saved."))
            return redirect("delivery:project_detail", pk=project.pk)
    return render(request, "delivery/project_edit.html", {"project": project, "form": form, "tab": "overview"},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def project_manager(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    require(access.can_assign_project(request.user, project))
    form = ManagerForm(request.POST, users=colleagues())
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("delivery:project_detail", pk=project.pk)
    try:
        services.project_set_manager(project=project, manager=form.cleaned_data["user"], by=request.user,
                                     reason=form.cleaned_data["reason"])  # fmt: skip
    except ValidationError as error:
        say_refused(request, error)
    else:
        messages.success(request, _("%(user)s manages the project.") % {"user": form.cleaned_data["user"]})
    return redirect("delivery:project_detail", pk=project.pk)


@login_required
@require_POST
def member_add(request: AuthedRequest, pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    form = MemberForm(request.POST, users=colleagues())
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            services.member_add(project=project, user=form.cleaned_data["user"], role=form.cleaned_data["role"], by=request.user)
        except ValidationError as error:
            say_refused(request, error)
    return redirect("delivery:project_detail", pk=project.pk)


@login_required
@require_POST
def member_remove(request: AuthedRequest, pk: int, user_pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    member = get_object_or_404(project.members.select_related("user"), user_id=user_pk)
    try:
        services.member_remove(project=project, user=member.user, by=request.user)
    except ValidationError as error:
        say_refused(request, error)
    return redirect("delivery:project_detail", pk=project.pk)


@login_required
@require_POST
def contact_add(request: AuthedRequest, pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    form = ContactRoleForm(request.POST, contacts=_contacts(project))
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            services.contact_add(project=project, contact=form.cleaned_data["contact"], role=form.cleaned_data["role"], by=request.user)
        except ValidationError as error:
            say_refused(request, error)
    return redirect("delivery:project_detail", pk=project.pk)


@login_required
@require_POST
def contact_remove(request: AuthedRequest, pk: int, link_pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    link = get_object_or_404(ProjectContact, project=project, pk=link_pk)
    try:
        services.contact_remove(link=link, by=request.user)
    except ValidationError as error:
        say_refused(request, error)
    return redirect("delivery:project_detail", pk=project.pk)


@login_required
@require_POST
def project_move(request: AuthedRequest, pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("delivery:project_detail", pk=project.pk)
    to = form.cleaned_data["to"]
    try:
        if to == ProjectStatus.HANDOVER:
            from touchpoint.delivery.services.handover import handover_open

            handover_open(project=project, by=request.user)
            return redirect("delivery:handover", pk=project.pk)
        services.project_move(project=project, to=to, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        say_refused(request, error)
    else:
        messages.success(request, _("The project is now “%(status)s”.") % {"status": ProjectStatus(to).label})
    return redirect("delivery:project_detail", pk=project.pk)


@login_required
@require_http_methods(["GET", "POST"])
def site_visit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Log a visit to the customer's site: a face-to-face touchpoint, and the hours on a task if given."""
    project = project_for(request, pk)
    require(access.can_log_time(request.user, project))
    tasks = project.tasks.select_related("project").order_by("start_on", "order")
    initial = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0, tzinfo=None)}
    form = VisitForm(request.POST or None, contacts=_contacts(project), tasks=tasks, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            from django.db import transaction

            with transaction.atomic():
                site_visit_log(project=project, by=request.user, occurred_at=values["occurred_at"], subject=values["subject"],
                               notes=values["notes"], contacts=list(values["contacts"]), participants=[request.user])  # fmt: skip
                if values.get("hours"):
                    time_log(user=request.user, task=values["task"], work_date=timezone.localtime(values["occurred_at"]).date(),
                             hours=values["hours"], note=values["subject"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Site visit logged on the customer's timeline."))
            return redirect("delivery:project_detail", pk=project.pk)
    return render(request, "delivery/site_visit.html", {"project": project, "form": form, "tab": "overview"},
                  status=400 if form.errors else 200)  # fmt: skip
