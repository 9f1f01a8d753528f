"""The maintenance centre's settings: queues and their agents, routing rules, the SLA grid, business
calendars and the flow watch's thresholds. Admins and maintenance leads only."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from touchpoint.core import calendar as calendars
from touchpoint.core.forms import apply_validation_error
from touchpoint.core.models import BusinessCalendar
from touchpoint.org.http import AuthedRequest
from touchpoint.service.forms import (
    CalendarDayForm,
    CalendarForm,
    MemberForm,
    QueueForm,
    RuleForm,
    ServiceSettingsForm,
    SlaGridForm,
)
from touchpoint.service.models import Queue, QueueMember, RoutingRule, ServiceSettings, SlaPolicy
from touchpoint.service.services import settings as services
from touchpoint.service.views.common import may_configure, require

CALENDAR_YEARS_AHEAD = 2


def _configurer(request: AuthedRequest) -> None:
    require(may_configure(request.user))


def _saved_or_errors(form: Any, save: Any) -> bool:
    """Call the service; put its refusal on the form. True when saved."""
    try:
        save()
    except ValidationError as error:
        apply_validation_error(form, error)
        return False
    return True


# --- Queues ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def queue_list(request: AuthedRequest) -> HttpResponse:
    _configurer(request)
    queues = Queue.objects.select_related("department", "product", "lead").prefetch_related("members__user").order_by(
        "department__order", "kind", "code")  # fmt: skip
    return render(request, "service/settings/queues.html", {"queues": queues, "section": "queues"})


@login_required
@require_http_methods(["GET", "POST"])
def queue_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _configurer(request)
    queue = get_object_or_404(Queue, pk=pk) if pk else None
    initial = {f: getattr(queue, f) for f in QueueForm.base_fields} if queue else {"is_active": True}
    form = QueueForm(request.POST or None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and _saved_or_errors(form, lambda: services.queue_save(queue=queue, by=request.user, **form.cleaned_data))
    ):
        messages.success(request, _("Queue saved."))
        return redirect("service:settings_queues")
    members = queue.members.select_related("user").prefetch_related("products").order_by("user__full_name") if queue else []
    return render(request, "service/settings/queue_edit.html", {
        "queue": queue, "form": form, "members": members, "member_form": MemberForm() if queue else None, "section": "queues",
    }, status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def queue_member(request: AuthedRequest, pk: int) -> HttpResponse:
    """Seat an agent in the queue, or change their seat."""
    _configurer(request)
    queue = get_object_or_404(Queue, pk=pk)
    form = MemberForm(request.POST)
    if form.is_valid() and _saved_or_errors(form, lambda: services.queue_member_set(
            queue=queue, by=request.user, user=form.cleaned_data["user"], products=list(form.cleaned_data["products"]),
            is_active=form.cleaned_data["is_active"])):  # fmt: skip
        messages.success(request, _("%(user)s's seat saved.") % {"user": form.cleaned_data["user"]})
        return redirect("service:settings_queue", pk=queue.pk)
    members = queue.members.select_related("user").prefetch_related("products").order_by("user__full_name")
    initial = {f: getattr(queue, f) for f in QueueForm.base_fields}
    return render(request, "service/settings/queue_edit.html", {
        "queue": queue, "form": QueueForm(initial=initial), "members": members, "member_form": form, "section": "queues",
    }, status=400)  # fmt: skip


@login_required
@require_POST
def queue_member_remove(request: AuthedRequest, pk: int, member_pk: int) -> HttpResponse:
    _configurer(request)
    member = get_object_or_404(QueueMember.objects.select_related("queue", "user"), queue_id=pk, pk=member_pk)
    services.queue_member_remove(member=member, by=request.user)
    messages.success(request, _("%(user)s no longer sits in this queue.") % {"user": member.user})
    return redirect("service:settings_queue", pk=pk)


# --- Routing rules -----------------------------------------------------------------------------------------


def _rule_values(form: RuleForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in services.RULE_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def rule_list(request: AuthedRequest) -> HttpResponse:
    _configurer(request)
    form = RuleForm(request.POST or None, initial={"is_active": True})
    if (
        request.method == "POST"
        and form.is_valid()
        and _saved_or_errors(form, lambda: services.routing_rule_save(rule=None, by=request.user, **_rule_values(form)))
    ):
        messages.success(request, _("Rule added at the end of the list."))
        return redirect("service:settings_routing")
    rules = RoutingRule.objects.select_related("queue", "product").order_by("order", "id")
    return render(request, "service/settings/routing.html", {"rules": rules, "form": form, "section": "routing"},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _configurer(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    form = RuleForm(request.POST or None, initial={f: getattr(rule, f) for f in services.RULE_FIELDS})
    if (
        request.method == "POST"
        and form.is_valid()
        and _saved_or_errors(form, lambda: services.routing_rule_save(rule=rule, by=request.user, **_rule_values(form)))
    ):
        messages.success(request, _("Rule saved."))
        return redirect("service:settings_routing")
    return render(request, "service/settings/rule_edit.html", {"rule": rule, "form": form, "section": "routing"},
                  status=400 if form.errors else 200)  # fmt: skip


@login_required
@require_POST
def rule_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    _configurer(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    services.routing_rule_delete(rule=rule, by=request.user)
    messages.success(request, _("Rule deleted."))
    return redirect("service:settings_routing")


@login_required
@require_POST
def rule_move(request: AuthedRequest, pk: int) -> HttpResponse:
    _configurer(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    services.routing_rule_move(rule=rule, by=request.user, up=request.POST.get("direction") != "down")
    return redirect("service:settings_routing")


# --- SLA policies --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sla_grid(request: AuthedRequest) -> HttpResponse:
    _configurer(request)
    choices = BusinessCalendar.objects.order_by("code")
    initial: dict[str, Any] = {"unit": "minutes"}
    for policy in SlaPolicy.objects.all():
        cell = f"{policy.tier}_{policy.severity}"
        initial |= {f"{cell}_response": policy.response_minutes, f"{cell}_resolution": policy.resolution_minutes,
                    f"{cell}_calendar": policy.calendar_id}  # fmt: skip
    form = SlaGridForm(request.POST or None, initial=initial, calendars=choices)
    if (
        request.method == "POST"
        and form.is_valid()
        and _saved_or_errors(form, lambda: services.sla_policies_save(by=request.user, targets=form.targets()))
    ):
        messages.success(request, _("SLA targets saved. Requests already logged keep their deadlines."))
        return redirect("service:settings_sla")
    return render(request, "service/settings/sla.html", {"form": form, "section": "sla"}, status=400 if form.errors else 200)


# --- Business calendars ----------------------------------------------------------------------------------------


@login_required
@require_GET
def calendar_list(request: AuthedRequest) -> HttpResponse:
    _configurer(request)
    year = timezone.localdate().year
    rows = [{"calendar": c, "uncovered": calendars.uncovered_years(c, range(year, year + CALENDAR_YEARS_AHEAD))}
            for c in BusinessCalendar.objects.order_by("code")]  # fmt: skip
    return render(request, "service/settings/calendars.html", {"rows": rows, "section": "calendars"})


def _calendar_page(request: AuthedRequest, calendar: BusinessCalendar, form: Any, day_form: Any, status: int = 200) -> HttpResponse:
    year = timezone.localdate().year
    days = calendar.days.filter(day__gte=timezone.localdate().replace(month=1, day=1)).order_by("day")
    return render(request, "service/settings/calendar_edit.html", {
        "calendar": calendar, "form": form, "day_form": day_form, "days": days, "section": "calendars",
        "uncovered": calendars.uncovered_years(calendar, range(year, year + CALENDAR_YEARS_AHEAD)),
    }, status=status)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _configurer(request)
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    form = CalendarForm(request.POST or None, initial={f: getattr(calendar, f) for f in CalendarForm.base_fields})
    if (
        request.method == "POST"
        and form.is_valid()
        and _saved_or_errors(form, lambda: calendars.calendar_update(calendar=calendar, by=request.user, **form.cleaned_data))
    ):
        messages.success(request, _("Calendar saved."))
        return redirect("service:settings_calendar", pk=calendar.pk)
    return _calendar_page(request, calendar, form, CalendarDayForm(initial={"working": "0"}), 400 if form.errors else 200)


@login_required
@require_POST
def calendar_day(request: AuthedRequest, pk: int) -> HttpResponse:
    """Override one day (closed, open, other hours), or clear the override."""
    _configurer(request)
    calendar = get_object_or_404(BusinessCalendar, pk=pk)
    if request.POST.get("clear"):
        form = CalendarDayForm({"day": request.POST.get("day", ""), "working": "0"})
        if form.is_valid():
            calendars.calendar_day_clear(calendar=calendar, by=request.user, day=form.cleaned_data["day"])
            messages.success(request, _("Override removed."))
        return redirect("service:settings_calendar", pk=calendar.pk)
    form = CalendarDayForm(request.POST)
    if form.is_valid() and _saved_or_errors(form, lambda: calendars.calendar_day_set(calendar=calendar, by=request.user,
                                                                                     **form.cleaned_data)):  # fmt: skip
        messages.success(request, _("Day saved."))
        return redirect("service:settings_calendar", pk=calendar.pk)
    hours = CalendarForm(initial={f: getattr(calendar, f) for f in CalendarForm.base_fields})
    return _calendar_page(request, calendar, hours, form, 400)


# --- The flow watch -------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def service_settings(request: AuthedRequest) -> HttpResponse:
    _configurer(request)
    current = ServiceSettings.current()
    form = ServiceSettingsForm(request.POST or None, initial={f: getattr(current, f) for f in ServiceSettingsForm.base_fields})
    if (
        request.method == "POST"
        and form.is_valid()
        and _saved_or_errors(form, lambda: services.service_settings_save(by=request.user, **form.cleaned_data))
    ):
        messages.success(request, _("Service settings saved."))
        return redirect("service:settings")
    return render(request, "service/settings/settings.html", {"form": form, "section": "settings"}, status=400 if form.errors else 200)


urlpatterns = [
    path("settings/", service_settings, name="settings"),
    path("settings/queues/", queue_list, name="settings_queues"),
    path("settings/queues/new/", queue_edit, name="settings_queue_new"),
    path("settings/queues/<int:pk>/", queue_edit, name="settings_queue"),
    path("settings/queues/<int:pk>/members/", queue_member, name="settings_queue_member"),
    path("settings/queues/<int:pk>/members/<int:member_pk>/remove/", queue_member_remove, name="settings_queue_member_remove"),
    path("settings/routing/", rule_list, name="settings_routing"),
    path("settings/routing/<int:pk>/", rule_edit, name="settings_rule"),
    path("settings/routing/<int:pk>/delete/", rule_delete, name="settings_rule_delete"),
    path("settings/routing/<int:pk>/move/", rule_move, name="settings_rule_move"),
    path("settings/sla/", sla_grid, name="settings_sla"),
    path("settings/calendars/", calendar_list, name="settings_calendars"),
    path("settings/calendars/<int:pk>/", calendar_edit, name="settings_calendar"),
    path("settings/calendars/<int:pk>/days/", calendar_day, name="settings_calendar_day"),
]
