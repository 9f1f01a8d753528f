"""The engineer's and the project manager's own pages: my tasks, my timesheet, my projects and
the hours waiting for approval."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core.forms import apply_validation_error
from touchpoint.delivery import access, selectors
from touchpoint.delivery.forms import DecideForm, TimeForm
from touchpoint.delivery.models import RUNNING, Task, TaskStatus, TimeEntry
from touchpoint.delivery.services.timesheets import time_decide, time_delete, time_log
from touchpoint.delivery.views.common import form_errors, require, say_refused
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may


@login_required
@require_GET
def my_tasks(request: AuthedRequest) -> HttpResponse:
    show_done = request.GET.get("done") == "1"
    tasks = list(selectors.my_tasks(request.user, include_done=show_done)[:200])
    return render(request, "delivery/my_tasks.html", {
        "tasks": tasks, "today": timezone.localdate(), "show_done": show_done, "statuses": TaskStatus.choices,
    })  # fmt: skip


def _loggable_tasks(request: AuthedRequest) -> object:
    """Open tasks of running projects the user is on (or manages)."""
    return (
        Task.objects.filter(project__status__in=RUNNING)
        .filter(project__members__user_id=request.user.pk)
        .exclude(status=TaskStatus.CANCELLED)
        .select_related("project")
        .order_by("project__number", "start_on", "order")
        .distinct()
    )


def _week(request: AuthedRequest) -> date:
    asked = parse_date(request.GET.get("week", "") or "") if len(request.GET.get("week", "")) <= 10 else None
    return selectors.week_of(asked or timezone.localdate())


@login_required
@require_http_methods(["GET", "POST"])
def my_timesheet(request: AuthedRequest) -> HttpResponse:
    require(may(request.user, "timesheet", "create"))
    week = _week(request)
    tasks = _loggable_tasks(request)
    form = TimeForm(request.POST or None, tasks=tasks, initial={"work_date": timezone.localdate(), "task": request.GET.get("task")})
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        task = values["task"]
        if not access.can_log_time(request.user, task.project):
            form.add_error("task", _("You are not on this project's team."))
        else:
            try:
                time_log(user=request.user, task=task, work_date=values["work_date"], hours=values["hours"], note=values["note"])
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("%(hours)s h logged on %(day)s.")
                                 % {"hours": values["hours"], "day": values["work_date"].isoformat()})  # fmt: skip
                return redirect(f"{request.path}?week={selectors.week_of(values['work_date']).isoformat()}")
    entries = (
        TimeEntry.objects.filter(user_id=request.user.pk, work_date__range=(week, week + timedelta(days=6)))
        .select_related("task", "project").order_by("work_date", "id")
    )  # fmt: skip
    return render(request, "delivery/my_timesheet.html", {
        "form": form, "sheet": selectors.timesheet_week(request.user, week), "entries": entries, "week": week,
        "previous": week - timedelta(days=7), "next": week + timedelta(days=7), "today": timezone.localdate(),
    }, status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def time_remove(request: AuthedRequest, entry_pk: int) -> HttpResponse:
    entry = get_object_or_404(TimeEntry.objects.select_related("project"), pk=entry_pk, user_id=request.user.pk)
    require(access.can_delete_time(request.user, entry))
    try:
        time_delete(entry=entry, by=request.user)
    except ValidationError as error:
        say_refused(request, error)
    return redirect(f"/my/timesheet/?week={selectors.week_of(entry.work_date).isoformat()}")


@login_required
@require_GET
def my_projects(request: AuthedRequest) -> HttpResponse:
    """The project manager's desk: their projects with health, milestones due, hours to approve."""
    require(may(request.user, "project", "view"))
    projects = list(selectors.project_list(request.user, status="running").filter(manager_id=request.user.pk)[:100])
    waiting = list(selectors.time_to_approve(request.user)[:300])
    return render(request, "delivery/my_projects.html", {
        "projects": projects, "milestones": list(selectors.milestones_due(request.user)[:50]), "waiting": waiting,
        "waiting_hours": sum((e.hours for e in waiting), start=0), "today": timezone.localdate(),
    })  # fmt: skip


@login_required
@require_POST
def time_approve(request: AuthedRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("entries") if i.isdecimal()][:500]
    form = DecideForm(request.POST, ids=ids)
    if not form.is_valid() or not ids:
        messages.error(request, form_errors(form) or _("Choose the hours to decide on."))
        return redirect("delivery:my_projects")
    entries = [e for e in TimeEntry.objects.filter(pk__in=form.cleaned_data["entries"]).select_related("project")
               if access.can_decide_time(request.user, e)]  # fmt: skip
    if not entries:
        messages.error(request, _("You may not decide on these hours."))
        return redirect("delivery:my_projects")
    approve = form.cleaned_data["approve"]
    try:
        decided = time_decide(entries=entries, by=request.user, approve=approve, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        say_refused(request, error)
    else:
        messages.success(request, (_("%(count)s entries approved.") if approve else _("%(count)s entries rejected.")) % {"count": decided})
    return redirect("delivery:my_projects")
