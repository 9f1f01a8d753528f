"""The plan pages: tasks by phase, a task's form and status moves, milestones and their acceptance,
the acceptance certificate, the Gantt chart and the requirement coverage."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.delivery import access, selectors
from touchpoint.delivery.forms import AcceptForm, MilestoneForm, TaskForm, TaskStatusForm
from touchpoint.delivery.gantt import gantt
from touchpoint.delivery.models import Milestone, Task, TaskStatus
from touchpoint.delivery.services import plan as services
from touchpoint.delivery.views.common import colleagues, editable_project, form_errors, project_for, require, say_refused
from touchpoint.org.http import AuthedRequest


@login_required
@require_GET
def task_list(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    tasks = list(project.tasks.select_related("assignee", "phase").prefetch_related("depends_on").order_by("start_on", "order", "id"))
    by_phase: dict[Any, list[Task]] = {}
    for task in tasks:
        by_phase.setdefault(task.phase_id, []).append(task)
    phases = [{"phase": phase, "tasks": by_phase.get(phase.pk, [])} for phase in project.phases.order_by("order", "id")]
    if by_phase.get(None):
        phases.append({"phase": None, "tasks": by_phase[None]})
    can_edit = access.can_edit_project(request.user, project)
    return render(request, "delivery/tasks.html", {
        "project": project, "tab": "tasks", "phases": phases, "can_edit": can_edit, "today": timezone.localdate(),
        "statuses": TaskStatus.choices, "user_pk": request.user.pk,
        "milestone_form": MilestoneForm(project=project) if can_edit else None,
    })  # fmt: skip


def _task_values(form: TaskForm) -> dict[str, Any]:
    values = dict(form.cleaned_data)
    values.pop("version", None)
    if values.get("estimate_hours") is None:
        values["estimate_hours"] = 0
    return values


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request: AuthedRequest, pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    initial = {"start_on": timezone.localdate(), "end_on": timezone.localdate(), "phase": request.GET.get("phase")}
    form = TaskForm(request.POST or None, project=project, users=colleagues(), initial=initial)
    if request.method == "POST" and form.is_valid():
        values = _task_values(form)
        try:
            task = services.task_create(project=project, by=request.user, name=values["name"], start_on=values["start_on"],
                                        end_on=values["end_on"], phase=values["phase"], assignee=values["assignee"],
                                        estimate_hours=values["estimate_hours"], description=values["description"],
                                        depends_on=list(values["depends_on"]), requirement_keys=values["requirements"])  # fmt: skip
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Task “%(task)s” planned.") % {"task": task.name})
            return redirect("delivery:tasks", pk=project.pk)
    return render(request, "delivery/task_form.html", {"project": project, "form": form, "tab": "tasks", "task": None},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request: AuthedRequest, pk: int, task_pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    task = get_object_or_404(project.tasks, pk=task_pk)
    initial = {f: getattr(task, f) for f in services.TASK_FIELDS} | {
        "version": task.version, "depends_on": list(task.depends_on.values_list("pk", flat=True)),
        "requirements": list(task.requirement_links.values_list("requirement_key", flat=True)),
    }  # fmt: skip
    form = TaskForm(request.POST or None, project=project, users=colleagues(), task=task, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = _task_values(form)
        depends_on, keys = list(values.pop("depends_on")), values.pop("requirements")
        try:
            with transaction.atomic():
                services.task_update(task=task, by=request.user, expected_version=form.cleaned_data["version"] or task.version, **values)
                services.task_dependencies_set(task=task, depends_on=depends_on, by=request.user)
                services.task_requirements_set(task=task, requirement_keys=keys, by=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Task saved."))
            return redirect("delivery:tasks", pk=project.pk)
    return render(request, "delivery/task_form.html", {"project": project, "form": form, "tab": "tasks", "task": task},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def task_status(request: AuthedRequest, pk: int, task_pk: int) -> HttpResponse:
    project = project_for(request, pk)
    task = get_object_or_404(project.tasks.select_related("project"), pk=task_pk)
    require(access.can_work_on_task(request.user, task))
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            services.task_set_status(task=task, to=form.cleaned_data["to"], by=request.user)
        except ValidationError as error:
            say_refused(request, error)
    target = request.POST.get("next", "")
    if target == "my":
        return redirect("delivery:my_tasks")
    return redirect("delivery:tasks", pk=project.pk)


@login_required
@require_POST
def milestone_new(request: AuthedRequest, pk: int) -> HttpResponse:
    project = editable_project(request, pk)
    form = MilestoneForm(request.POST, project=project)
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            services.milestone_create(project=project, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            say_refused(request, error)
    return redirect("delivery:tasks", pk=project.pk)


@login_required
@require_http_methods(["GET", "POST"])
def milestone_accept(request: AuthedRequest, pk: int, milestone_pk: int) -> HttpResponse:
    """Record the customer's acceptance by hand (the usual way is uploading the signed certificate)."""
    project = editable_project(request, pk)
    milestone = get_object_or_404(Milestone, project=project, pk=milestone_pk)
    form = AcceptForm(request.POST or None, initial={"accepted_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_accept(milestone=milestone, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Milestone “%(name)s” accepted.") % {"name": milestone})
            return redirect("delivery:project_detail", pk=project.pk)
    return render(request, "delivery/milestone_accept.html", {"project": project, "milestone": milestone, "form": form,
                                                               "tab": "overview"}, status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_GET
def certificate(request: AuthedRequest, pk: int, milestone_pk: int) -> HttpResponse:
    """The acceptance certificate to print and have signed."""
    from touchpoint.delivery.certificates import acceptance_certificate_pdf

    project = project_for(request, pk)
    milestone = get_object_or_404(Milestone.objects.select_related("project__customer", "project__contract", "phase"),
                                  project=project, pk=milestone_pk)  # fmt: skip
    response = HttpResponse(acceptance_certificate_pdf(milestone), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="acceptance-{project.number}-{milestone.pk}.pdf"'
    return response


@login_required
@require_GET
def gantt_chart(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    return render(request, "delivery/gantt.html", {"project": project, "tab": "gantt", "chart": gantt(project)})


@login_required
@require_GET
def coverage(request: AuthedRequest, pk: int) -> HttpResponse:
    project = project_for(request, pk)
    rows = selectors.requirement_coverage(project)
    return render(request, "delivery/coverage.html", {
        "project": project, "tab": "coverage", "rows": rows,
        "delivered": sum(r.delivered for r in rows), "accepted": sum(r.accepted for r in rows),
        "untraced": sum(not r.tasks for r in rows),
    })  # fmt: skip
