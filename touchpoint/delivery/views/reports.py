"""The delivery management reports: one page of ECharts charts and tables over a period, and the
Excel/CSV export of its tables. The figures come from `touchpoint.delivery.reports`."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.forms import PeriodQueryForm
from touchpoint.delivery import access, reports
from touchpoint.delivery.models import Health, ProjectStatus
from touchpoint.delivery.views.common import form_errors, require
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may

TEMPLATE = "delivery/reports.html"
# Reports look at business years; anything outside is a typo, and far dates would overflow.
HEALTH_COLORS: dict[str, str] = {Health.GREEN: "#3aa76d", Health.AMBER: "#f5c342", Health.RED: "#e4573d"}
STATUS_COLORS: dict[str, str] = {
    ProjectStatus.PLANNING: "#8fb3f0", ProjectStatus.IN_PROGRESS: "#5b8def", ProjectStatus.ON_HOLD: "#f0913a",
    ProjectStatus.HANDOVER: "#9b7be0", ProjectStatus.CLOSED: "#8a939b", ProjectStatus.CANCELLED: "#c9ced3",
}  # fmt: skip
CHART_ROWS = 15


def bar_chart_height(bars: int) -> int:
    """Pixels for a horizontal bar chart: room for the legend and axis, then a band per bar."""
    return 70 + 28 * max(bars, 3)


class PeriodForm(PeriodQueryForm):
    """The period of the delivery reports."""

    def period(self, today: date) -> reports.Period:
        """The chosen period; an end left blank is today, a start left blank twelve months back."""
        data = self.cleaned_data if self.is_bound else {}
        end = data.get("end") or today
        start = data.get("start") or reports.default_period(end).start
        return reports.Period(start=start, end=end)


def _period(request: AuthedRequest) -> tuple[PeriodForm, reports.Period | None]:
    form = PeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    period = form.period(timezone.localdate())
    return PeriodForm(initial={"start": period.start, "end": period.end}), period


def _number(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


def _charts(counts: reports.ProjectCounts, on_time: reports.OnTime, usage: reports.Utilisation,
            costs: reports.Costs) -> dict[str, Any]:  # fmt: skip
    # Empty slices are left out of the pies: their labels would only crowd the others.
    statuses = [(s, label) for s, label in ProjectStatus.choices if counts.by_status.get(s)]
    healths = [(h, label) for h, label in Health.choices if counts.by_health.get(h)]
    people = usage.rows[:CHART_ROWS]
    costly = [row for row in costs.rows if row.cost][:CHART_ROWS]
    return {
        "status": {"pie": True, "categories": [str(label) for _s, label in statuses],
                   "colors": [STATUS_COLORS[s] for s, _label in statuses],
                   "series": [{"name": _("Projects"), "data": [counts.by_status[s] for s, _label in statuses]}]},
        "health": {"pie": True, "categories": [str(label) for _h, label in healths],
                   "colors": [HEALTH_COLORS[h] for h, _label in healths],
                   "series": [{"name": _("Running projects"), "data": [counts.by_health[h] for h, _label in healths]}]},
        # "rate_axis": the second axis is a rate, shown 0–100 % (delivery/report-axes.js).
        "on_time": {"rate_axis": 1, "categories": [f"{m.month:%Y-%m}" for m in on_time.months] if on_time.accepted else [],
                    "colors": ["#3aa76d", "#e4573d", "#5b8def"], "series": [
            {"name": _("Accepted on time"), "stack": "accepted", "data": [m.on_time for m in on_time.months]},
            {"name": _("Accepted late"), "stack": "accepted", "data": [m.late for m in on_time.months]},
            {"name": _("On-time rate (%)"), "type": "line", "axis": 1, "data": [_number(m.rate) for m in on_time.months]},
        ]},
        "utilisation": {"horizontal": True, "percent": True, "categories": [row.name for row in people], "series": [
            {"name": _("Utilisation (%)"), "data": [_number(row.utilisation) for row in people]},
        ]},
        # Stacked, so that each bar is the contract's value and its red part what delivering it has cost.
        "cost": {"horizontal": True, "categories": [f"{row.project.number} {row.project.name[:12]}" for row in costly],
                 "colors": ["#e4573d", "#b8cdf5"], "series": [
            {"name": _("Delivery cost"), "stack": "value", "data": [_number(row.cost) for row in costly]},
            {"name": _("Rest of the contract value"), "stack": "value",
             "data": [_number(max(row.contract_value - row.cost, Decimal(0))) for row in costly]},
        ]},
    }  # fmt: skip


@login_required
@require_GET
def project_reports(request: AuthedRequest) -> HttpResponse:
    require(may(request.user, "project", "view"))
    form, period = _period(request)
    context: dict[str, Any] = {"form": form, "period": period, "may_export": access.may_export_projects(request.user)}
    if period is None:
        return render(request, TEMPLATE, context, status=400)
    user = request.user
    counts = reports.project_counts(user=user)
    on_time = reports.on_time_milestones(user=user, period=period)
    usage = reports.utilisation(user=user, period=period)
    costs = reports.delivery_costs(user=user, period=period)
    late = reports.late_projects(user=user)
    charts = _charts(counts, on_time, usage, costs)
    context |= {
        "counts": counts, "on_time": on_time, "usage": usage, "usage_rows": usage.rows[: reports.REPORT_ROWS], "costs": costs,
        "late": late, "charts": charts,
        "heights": {key: bar_chart_height(len(charts[key]["categories"])) for key in ("utilisation", "cost")},
        "status_rows": [(label, counts.by_status[value]) for value, label in ProjectStatus.choices],
        "health_rows": [(label, counts.by_health[value]) for value, label in Health.choices],
    }  # fmt: skip
    return render(request, TEMPLATE, context)


# --- Export --------------------------------------------------------------------------------------

Table = tuple[list[str], list[list[Any]]]


def _late_table(user: Any, period: reports.Period) -> Table:
    header = [_("Number"), _("Project"), _("Customer"), _("Project manager"), _("Status"), _("Health"), _("Planned end"),
              _("Forecast end"), _("Days behind plan")]  # fmt: skip
    rows = []
    for row in reports.late_projects(user=user, rows=None, export=True):
        p = row.project
        rows.append([p.number, p.name, p.customer.name, str(p.manager or ""), p.get_status_display(), p.get_health_display(),
                     p.planned_end_on.isoformat(), p.forecast_end_on.isoformat() if p.forecast_end_on else "", row.slip_days])  # fmt: skip
    return header, rows


def _cost_table(user: Any, period: reports.Period) -> Table:
    costs = reports.delivery_costs(user=user, period=period, rows=None, export=True)
    header = [_("Number"), _("Project"), _("Customer"), _("Contract"), _("Hours"), _("Cost per hour"), _("Delivery cost"),
              _("Contract value"), _("Cost share (%)")]  # fmt: skip
    rows = [
        [row.project.number, row.project.name, row.project.customer.name, row.project.contract.number, _number(row.hours),
         _number(row.project.hourly_cost), _number(row.cost), _number(row.contract_value), _number(row.share)]
        for row in costs.rows
    ]  # fmt: skip
    return header, rows


def _utilisation_table(user: Any, period: reports.Period) -> Table:
    usage = reports.utilisation(user=user, period=period, export=True)
    header = [_("Engineer"), _("Hours logged"), _("Approved hours"), _("Working days"), _("Capacity (hours)"),
              _("Utilisation (%)")]  # fmt: skip
    rows = [
        [row.name, _number(row.hours), _number(row.approved), usage.working_days, _number(row.capacity), _number(row.utilisation)]
        for row in usage.rows
    ]
    return header, rows


EXPORTS: dict[str, Callable[[Any, reports.Period], Table]] = {
    "late": _late_table, "cost": _cost_table, "utilisation": _utilisation_table,
}  # fmt: skip


@login_required
@require_GET
def project_reports_export(request: AuthedRequest) -> HttpResponseBase:
    require(access.may_export_projects(request.user))
    table, file_format = request.GET.get("table", ""), request.GET.get("format", "xlsx")
    if table not in EXPORTS or file_format not in ("xlsx", "csv"):
        return HttpResponseBadRequest(_("Choose a table (late, cost or utilisation) and a format (xlsx or csv)."),
                                      content_type="text/plain; charset=utf-8")  # fmt: skip
    form, period = _period(request)
    if period is None:
        return HttpResponseBadRequest(form_errors(form), content_type="text/plain; charset=utf-8")
    header, rows = EXPORTS[table](request.user, period)
    stem = f"delivery-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if file_format == "csv":
        return csv_response(stem, header, rows)
    return xlsx_response(stem, header, rows)
