"""The flow monitor and the service reports: pages of ECharts charts and tables, the htmx board refresh,
and the Excel/CSV export of the report tables. The figures come from `selectors` and `reports`."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from touchpoint.core.exports import csv_response, xlsx_response
from touchpoint.core.models import Channel
from touchpoint.insights import reports, selectors
from touchpoint.insights.access import may_export_insights, may_view_insights
from touchpoint.insights.forms import period_from
from touchpoint.insights.selectors import BOARD_STATES, FlowChart, Period
from touchpoint.org.http import AuthedRequest
from touchpoint.service.models import Category, EscalationReason, Severity, SlaState
from touchpoint.service.models.complaints import ComplaintAbout

FLOW_TEMPLATE = "insights/flow.html"
REPORTS_TEMPLATE = "insights/service_reports.html"
FLOW_DAYS, REPORT_DAYS = 30, 365
STATE_COLOURS = {
    SlaState.BREACHED: "#e4573d", SlaState.WARNING: "#f5c342", SlaState.OK: "#3aa76d", SlaState.PAUSED: "#8a939b",
    SlaState.NONE: "#c9ced3",
}  # fmt: skip
AGE_COLOURS = ["#3aa76d", "#8bc34a", "#f5c342", "#f0913a", "#e4573d", "#a4262c"]


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def sankey(chart: FlowChart) -> dict[str, Any]:
    """The ECharts Sankey of a flow chart. ECharts draws no cycle, and handoffs go both ways between two
    departments: each department is drawn twice, as the source "Dept →" on the left and the target
    "→ Dept" on the right, so that every link goes left to right."""
    sources = sorted({f.source for f in chart.flows})
    targets = sorted({f.target for f in chart.flows})
    return {
        "nodes": [{"name": f"{name} →", "side": "source"} for name in sources]
        + [{"name": f"→ {name}", "side": "target"} for name in targets],
        "links": [{"source": f"{f.source} →", "target": f"→ {f.target}", "value": f.count,
                   "hours": _hours(f.seconds / f.count if f.count else None)} for f in chart.flows],
        "label": _("handoffs"),
    }  # fmt: skip


@login_required
@require_GET
def flow(request: AuthedRequest) -> HttpResponse:
    require(may_view_insights(request.user))
    board = selectors.flow_board(user=request.user)
    context: dict[str, Any] = {"board": board, "states": [SlaState(state) for state in BOARD_STATES]}
    if request.htmx:
        return render(request, f"{FLOW_TEMPLATE}#board", context)
    form, period = period_from(request.GET, timezone.localdate(), FLOW_DAYS)
    context |= {"form": form, "period": period}
    if period is None:
        return render(request, FLOW_TEMPLATE, context, status=400)
    chart = selectors.handoff_flow(user=request.user, period=period)
    times = selectors.department_times(user=request.user, period=period)
    context |= {
        "chart": chart, "times": times,
        "charts": {
            "sankey": sankey(chart),
            "times": {"horizontal": True, "percent": True, "categories": [t.name for t in times], "series": [
                {"name": _("Median (hours)"), "data": [_hours(t.median_seconds) for t in times]},
                {"name": _("Mean (hours)"), "data": [_hours(t.mean_seconds) for t in times]},
            ]},
        },
        "times_height": 70 + 40 * max(len(times), 3),
    }  # fmt: skip
    return render(request, FLOW_TEMPLATE, context)


# --- Service reports ---------------------------------------------------------------------------------


def _labels(choices: Any, counts: dict[str, Any]) -> list[tuple[str, Any]]:
    known = [(str(label), counts[value]) for value, label in choices if value in counts]
    return known + [(value or "—", one) for value, one in counts.items() if value not in dict(choices)]


def _report_context(user: Any, period: Period) -> dict[str, Any]:
    volume = reports.volume(user=user, period=period)
    timings = reports.timings(user=user, period=period)
    backlog = reports.backlog(user=user)
    escalations = reports.escalations(user=user, period=period)
    workload = reports.workload(user=user, period=period)
    times = selectors.department_times(user=user, period=period)
    complaints = reports.complaints(user=user, period=period)
    surveys = reports.survey_trends(user=user, period=period)
    channels = _labels(Channel.choices, volume.by_channel)
    categories = _labels(Category.choices, volume.by_category)
    severities = _labels(Severity.choices, volume.by_severity)
    products = [(name, t) for name, t in volume.by_product if t.opened][: reports.REPORT_ROWS]
    reasons = [(str(label), escalations.by_reason.get(value, 0)) for value, label in EscalationReason.choices]
    abouts = [(str(label), complaints.by_about.get(value, 0)) for value, label in ComplaintAbout.choices]
    months = [f"{month:%Y-%m}" for month, _totals in volume.months]
    age_labels = [_age_label(low, high) for (low, high), _n in backlog.ages]
    charts: dict[str, Any] = {
        "months": {"rate_axis": 1, "categories": months if volume.totals.opened or volume.totals.resolved else [],
                   "colors": ["#5b8def", "#3aa76d", "#e4573d"], "series": [
            {"name": _("Logged"), "data": [t.opened for _m, t in volume.months]},
            {"name": _("Resolved"), "data": [t.resolved for _m, t in volume.months]},
            {"name": _("SLA met (%)"), "type": "line", "axis": 1, "data": [t.compliance for _m, t in volume.months]},
        ]},
        "channel": {"pie": True, "categories": [label for label, t in channels if t.opened],
                    "series": [{"name": _("Requests"), "data": [t.opened for _l, t in channels if t.opened]}]},
        "category": {"pie": True, "categories": [label for label, t in categories if t.opened],
                     "series": [{"name": _("Requests"), "data": [t.opened for _l, t in categories if t.opened]}]},
        "product": {"horizontal": True, "categories": [name or _("No product") for name, _t in products[:15]],
                    "series": [{"name": _("Requests"), "data": [t.opened for _n, t in products[:15]]}]},
        "timing": {"categories": [t.severity for t in timings if t.severity and (t.responses or t.resolutions)], "series": [
            {"name": _("First response, median (hours)"),
             "data": [_hours(t.response_median) for t in timings if t.severity and (t.responses or t.resolutions)]},
            {"name": _("Resolution, median (hours)"),
             "data": [_hours(t.resolution_median) for t in timings if t.severity and (t.responses or t.resolutions)]},
        ]},
        "ageing": {"categories": age_labels if backlog.open else [], "colors": ["#f0913a"],
                   "series": [{"name": _("Open requests"), "data": [n for _b, n in backlog.ages]}]},
        "times": {"horizontal": True, "percent": True, "categories": [t.name for t in times],
                  "series": [{"name": _("Median (hours)"), "data": [_hours(t.median_seconds) for t in times]}]},
        "escalations": {"pie": True, "categories": [label for label, n in reasons if n],
                        "series": [{"name": _("Escalations"), "data": [n for _l, n in reasons if n]}]},
        "workload": {"horizontal": True, "categories": [row.name for row in workload[:15]], "series": [
            {"name": _("Open, assigned"), "data": [row.open for row in workload[:15]]},
            {"name": _("Resolved in the period"), "data": [row.resolved for row in workload[:15]]},
        ]},
        "complaints": {"pie": True, "categories": [label for label, n in abouts if n],
                       "series": [{"name": _("Complaints"), "data": [n for _l, n in abouts if n]}]},
        "surveys": {"categories": [f"{m.month:%Y-%m}" for m in surveys] if any(m.csat_answers or m.nps_answers for m in surveys)
                    else [], "series": [
            {"name": _("CSAT (mean, 1–5)"), "type": "line", "data": [m.csat_mean for m in surveys]},
            {"name": _("NPS"), "type": "line", "axis": 1, "data": [m.nps for m in surveys]},
        ]},
    }  # fmt: skip
    return {
        "volume": volume, "timings": timings, "backlog": backlog, "escalations": escalations, "workload": workload,
        "times": times, "complaints": complaints, "surveys": surveys, "channels": channels, "categories": categories,
        "severities": severities, "products": products, "reasons": reasons, "abouts": abouts,
        "ages": list(zip(age_labels, [n for _b, n in backlog.ages], strict=True)), "charts": charts,
        "heights": {key: 70 + 28 * max(len(charts[key]["categories"]), 3) for key in ("product", "times", "workload")},
    }  # fmt: skip


def _age_label(low: int, high: int | None) -> str:
    if high is None:
        return _("over %(days)s days") % {"days": low}
    if low == 0:
        return _("under a day")
    return _("%(low)s–%(high)s days") % {"low": low, "high": high}


@login_required
@require_GET
def service_reports(request: AuthedRequest) -> HttpResponse:
    require(may_view_insights(request.user))
    form, period = period_from(request.GET, timezone.localdate(), REPORT_DAYS)
    context: dict[str, Any] = {"form": form, "period": period, "may_export": may_export_insights(request.user)}
    if period is None:
        return render(request, REPORTS_TEMPLATE, context, status=400)
    context |= _report_context(request.user, period)
    return render(request, REPORTS_TEMPLATE, context)


# --- Export ------------------------------------------------------------------------------------------

Table = tuple[list[str], list[list[Any]]]


def _volume_table(user: Any, period: Period) -> Table:
    volume = reports.volume(user=user, period=period)
    header = [_("Month"), _("Logged"), _("First responses"), _("Resolved"), _("SLA met"), _("SLA breached"), _("SLA met (%)"),
              _("Bounced"), _("Bounce rate (%)"), _("Mean hops")]  # fmt: skip
    rows = [[f"{month:%Y-%m}", t.opened, t.responded, t.resolved, t.sla_met, t.sla_breached, t.compliance, t.bounced,
             t.bounce_rate, t.mean_hops] for month, t in volume.months]  # fmt: skip
    return header, rows


def _breakdown_table(user: Any, period: Period) -> Table:
    volume = reports.volume(user=user, period=period)
    header = [_("Dimension"), _("Value"), _("Logged"), _("Resolved"), _("SLA met (%)"), _("Bounce rate (%)")]
    rows: list[list[Any]] = []
    for dimension, pairs in ((_("Channel"), _labels(Channel.choices, volume.by_channel)),
                             (_("Category"), _labels(Category.choices, volume.by_category)),
                             (_("Severity"), _labels(Severity.choices, volume.by_severity)),
                             (_("Product"), [(n or _("No product"), t) for n, t in volume.by_product])):  # fmt: skip
        rows += [[dimension, label, t.opened, t.resolved, t.compliance, t.bounce_rate] for label, t in pairs]
    return header, rows


def _timing_table(user: Any, period: Period) -> Table:
    header = [_("Severity"), _("First responses"), _("Median first response (hours)"), _("Mean first response (hours)"),
              _("Resolutions"), _("Median resolution (hours)"), _("Mean resolution (hours)")]  # fmt: skip
    rows = [[t.severity or _("All"), t.responses, _hours(t.response_median), _hours(t.response_mean), t.resolutions,
             _hours(t.resolution_median), _hours(t.resolution_mean)] for t in reports.timings(user=user, period=period)]  # fmt: skip
    return header, rows


def _department_table(user: Any, period: Period) -> Table:
    header = [_("Department"), _("Stays ended"), _("Median (hours)"), _("Mean (hours)")]
    rows = [[t.name, t.stays, _hours(t.median_seconds), _hours(t.mean_seconds)]
            for t in selectors.department_times(user=user, period=period)]  # fmt: skip
    return header, rows


def _workload_table(user: Any, period: Period) -> Table:
    header = [_("Agent"), _("Open, assigned"), _("Resolved in the period")]
    return header, [[row.name, row.open, row.resolved] for row in reports.workload(user=user, period=period, rows=None)]


EXPORTS: dict[str, Callable[[Any, Period], Table]] = {
    "volume": _volume_table, "breakdown": _breakdown_table, "timing": _timing_table, "departments": _department_table,
    "workload": _workload_table,
}  # fmt: skip


@login_required
@require_GET
def service_reports_export(request: AuthedRequest) -> HttpResponseBase:
    require(may_export_insights(request.user))
    table, file_format = request.GET.get("table", ""), request.GET.get("format", "xlsx")
    if table not in EXPORTS or file_format not in ("xlsx", "csv"):
        return HttpResponseBadRequest(_("Choose a table (volume, breakdown, timing, departments or workload) and a format "
                                        "(xlsx or csv)."), content_type="text/plain; charset=utf-8")  # fmt: skip
    form, period = period_from(request.GET, timezone.localdate(), REPORT_DAYS)
    if period is None:
        message = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    header, rows = EXPORTS[table](request.user, period)
    stem = f"service-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if file_format == "csv":
        return csv_response(stem, header, rows)
    return xlsx_response(stem, header, rows)


urlpatterns = [
    path("flow/", flow, name="flow"),
    path("service/", service_reports, name="service_reports"),
    path("service/export/", service_reports_export, name="service_reports_export"),
]
