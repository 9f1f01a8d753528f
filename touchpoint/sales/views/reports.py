"""The forecast and the sales reports: pages with ECharts charts and tables, and their Excel exports.

Pages read through `visible_*`, exports through `exportable_*`; the numbers come from
`touchpoint.sales.reports`, a fixed handful of GROUP BY queries.
"""

import io
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from touchpoint.core.exports import neutralise
from touchpoint.org.access import visible_users
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may
from touchpoint.sales import access, reports
from touchpoint.sales.forms.reports import ForecastForm, SalesReportForm

# Groups drawn one by one in the stacked forecast chart; the rest are summed as "others".
CHART_GROUPS = 8
SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _form_options(request: AuthedRequest) -> dict[str, Any]:
    return {
        "owners": visible_users(request.user).order_by("username"),
        "products": access.visible_products(request.user).order_by("code"),
    }


def _check(request: AuthedRequest, action: str) -> None:
    """No scope at all on opportunities for this action: the page is refused (403)."""
    if not may(request.user, "opportunity", action):
        raise PermissionDenied


def _number(value: Decimal | int | None) -> float | None:
    return None if value is None else float(value)


# --- The forecast ------------------------------------------------------------------------------


def build_forecast(form: ForecastForm, opportunities: QuerySet) -> reports.Forecast:
    start, end = form.dates(timezone.localdate())
    return reports.forecast(
        opportunities=opportunities, start=start, end=end, grain=form.chosen_grain(),
        group_by=form.chosen_group_by(), filters=form.filters(),
    )  # fmt: skip


def _group_label(group_by: str) -> str:
    return {"owner": _("Owner"), "team": _("Team"), "region": _("Region"), "product": _("Product")}[group_by]


def _forecast_charts(result: reports.Forecast) -> dict[str, Any]:
    categories = [period.label for period in result.periods]
    cells = result.totals.cells
    shown, rest = result.rows[:CHART_GROUPS], result.rows[CHART_GROUPS:]
    stacked = [{"name": row.label, "type": "bar", "stack": "weighted", "data": [_number(c.weighted) for c in row.cells]}
               for row in shown]  # fmt: skip
    if rest:
        others = [sum((row.cells[i].weighted for row in rest), Decimal(0)) for i in range(len(categories))]
        stacked.append({"name": _("Others"), "type": "bar", "stack": "weighted", "data": [_number(v) for v in others]})
    return {
        "forecast_totals": {"categories": categories, "series": [
            {"name": _("Pipeline amount"), "type": "bar", "data": [_number(c.amount) for c in cells]},
            {"name": _("Weighted amount"), "type": "bar", "data": [_number(c.weighted) for c in cells]},
            {"name": _("Won"), "type": "bar", "data": [_number(c.won_amount) for c in cells]},
        ]},
        "forecast_groups": {"categories": categories, "series": stacked},
    }  # fmt: skip


@login_required
@require_GET
def forecast(request: AuthedRequest) -> HttpResponse:
    _check(request, "view")
    form = ForecastForm(request.GET or None, **_form_options(request))
    if form.is_bound and not form.is_valid():
        return render(request, "sales/reports/forecast.html", {"form": form, "forecast": None}, status=400)
    result = build_forecast(form, access.visible_opportunities(request.user))
    form.show_defaults(timezone.localdate())
    context = {"form": form, "forecast": result, "charts": _forecast_charts(result),
               "forecast_group_label": _group_label(result.group_by),
               "may_export": may(request.user, "opportunity", "export")}  # fmt: skip
    return render(request, "sales/reports/forecast.html", context)


def _forecast_sheets(result: reports.Forecast) -> list[tuple[str, list[str], list[list[Any]]]]:
    header = [_group_label(result.group_by)]
    for period in result.periods:
        header += [f"{period.label} {_('Amount')}", f"{period.label} {_('Weighted')}", f"{period.label} {_('Won')}"]
    header += [_("Total amount"), _("Total weighted"), _("Total won")]

    def line(row: reports.ForecastRow) -> list[Any]:
        values: list[Any] = [row.label]
        for cell in [*row.cells, row.total]:
            values += [float(cell.amount), float(cell.weighted), float(cell.won_amount)]
        return values

    by_period = [
        [period.label, cell.count, float(cell.amount), float(cell.weighted), cell.won_count, float(cell.won_amount)]
        for period, cell in zip(result.periods, result.totals.cells, strict=True)
    ]
    total = result.totals.total
    by_period.append([_("Total"), total.count, float(total.amount), float(total.weighted), total.won_count,
                      float(total.won_amount)])  # fmt: skip
    return [
        (_("Forecast"), header, [line(row) for row in result.rows] + [line(result.totals)]),
        (_("By period"), [_("Period"), _("Open"), _("Amount"), _("Weighted"), _("Won deals"), _("Won")], by_period),
    ]


@login_required
@require_GET
def forecast_export(request: AuthedRequest) -> HttpResponse:
    _check(request, "export")
    form = ForecastForm(request.GET or None, **_form_options(request))
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("Invalid filter."))
    result = build_forecast(form, access.exportable_opportunities(request.user))
    return workbook_response("forecast", _forecast_sheets(result))


# --- The sales reports -------------------------------------------------------------------------


def build_report(form: SalesReportForm, opportunities: QuerySet, contracts: QuerySet) -> reports.SalesReport:
    today = timezone.localdate()
    start, end = form.dates(today)
    return reports.sales_report(opportunities=opportunities, contracts=contracts, start=start, end=end, today=today,
                                filters=form.filters())  # fmt: skip


def _pipeline_chart(rows: list[reports.PipelineRow]) -> dict[str, Any]:
    return {"categories": [r.label for r in rows], "series": [
        {"name": _("Amount"), "type": "bar", "data": [_number(r.amount) for r in rows]},
        {"name": _("Weighted amount"), "type": "bar", "data": [_number(r.weighted) for r in rows]},
    ]}  # fmt: skip


def _report_charts(report: reports.SalesReport) -> dict[str, Any]:
    charts = {f"pipeline_{key}": _pipeline_chart(rows) for key, rows in report.pipeline.items()}
    charts["pipeline_owner"]["horizontal"] = True
    rates = report.win_rates
    charts["win_rates"] = {"categories": [r.label for r in rates], "percent": True, "series": [
        {"name": _("Win rate (%)"), "type": "bar", "data": [_number(r.win_rate) for r in rates]},
        {"name": _("Average cycle (days)"), "type": "line", "axis": 1, "data": [_number(r.cycle_days) for r in rates]},
    ]}  # fmt: skip
    booked = report.bookings
    charts["bookings"] = {"categories": [b.period.label for b in booked], "series": [
        {"name": _("Active"), "type": "bar", "stack": "booked", "data": [_number(b.active_amount) for b in booked]},
        {"name": _("Completed"), "type": "bar", "stack": "booked", "data": [_number(b.completed_amount) for b in booked]},
    ]}  # fmt: skip
    months = report.forecast_actual
    charts["forecast_actual"] = {"categories": [m.period.label for m in months], "series": [
        {"name": _("Expected to close"), "type": "line", "data": [_number(m.expected) for m in months]},
        {"name": _("Won"), "type": "bar", "data": [_number(m.won) for m in months]},
        {"name": _("Weighted open forecast"), "type": "bar", "data": [_number(m.forecast) for m in months]},
    ]}  # fmt: skip
    charts["lost_reasons"] = {"pie": True, "categories": [r.label for r in report.lost_reasons], "series": [
        {"name": _("Lost deals"), "data": [r.count for r in report.lost_reasons]},
    ]}  # fmt: skip
    return charts


@login_required
@require_GET
def sales_reports(request: AuthedRequest) -> HttpResponse:
    _check(request, "view")
    form = SalesReportForm(request.GET or None, **_form_options(request))
    if form.is_bound and not form.is_valid():
        return render(request, "sales/reports/reports.html", {"form": form, "report": None}, status=400)
    report = build_report(form, access.visible_opportunities(request.user), access.visible_contracts(request.user))
    context = {"form": form, "report": report, "charts": _report_charts(report),
               "report_last_day": report.end - timedelta(days=1),
               "may_export": may(request.user, "opportunity", "export")}  # fmt: skip
    return render(request, "sales/reports/reports.html", context)


def _report_sheets(report: reports.SalesReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    def pipeline(rows: list[reports.PipelineRow]) -> list[list[Any]]:
        return [[r.label, r.count, float(r.amount), float(r.weighted)] for r in [*rows, report.pipeline_total]]

    def rate(r: reports.WinRateRow) -> list[Any]:
        return [r.label, r.won, r.lost, _number(r.win_rate), float(r.won_amount), _number(r.cycle_days)]

    def booking(b: reports.BookingRow, label: str) -> list[Any]:
        return [label, b.count, float(b.amount), float(b.active_amount), float(b.completed_amount)]

    pipeline_header = [_("Open opportunities"), _("Amount"), _("Weighted amount")]
    return [
        (_("Pipeline by stage"), [_("Stage"), *pipeline_header], pipeline(report.pipeline["stage"])),
        (_("Pipeline by owner"), [_("Owner"), *pipeline_header], pipeline(report.pipeline["owner"])),
        (_("Pipeline by region"), [_("Region"), *pipeline_header], pipeline(report.pipeline["region"])),
        (_("Pipeline by product"), [_("Product"), *pipeline_header], pipeline(report.pipeline["product"])),
        (_("Win rate and cycle"), [_("Owner"), _("Won"), _("Lost"), _("Win rate (%)"), _("Won amount"),
                                   _("Average cycle (days)")],
         [rate(r) for r in [*report.win_rates, report.win_total]]),
        (_("Bookings"), [_("Month"), _("Contracts"), _("Amount"), _("Active"), _("Completed")],
         [booking(b, b.period.label) for b in report.bookings] + [booking(report.bookings_total, _("Total"))]),
        (_("Forecast against actual"), [_("Month"), _("Expected to close"), _("Won"), _("Weighted open forecast")],
         [[m.period.label, _number(m.expected), float(m.won), _number(m.forecast)] for m in report.forecast_actual]),
        (_("Lost reasons"), [_("Lost reason"), _("Lost deals"), _("Amount")],
         [[r.label, r.count, float(r.amount)] for r in [*report.lost_reasons, report.lost_total]]),
    ]  # fmt: skip


@login_required
@require_GET
def sales_reports_export(request: AuthedRequest) -> HttpResponse:
    _check(request, "export")
    form = SalesReportForm(request.GET or None, **_form_options(request))
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("Invalid filter."))
    report = build_report(form, access.exportable_opportunities(request.user), access.exportable_contracts(request.user))
    return workbook_response("sales-reports", _report_sheets(report))


# --- Excel ----------------------------------------------------------------------------------------


def workbook_response(stem: str, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> HttpResponse:
    """One workbook, one sheet per section; text is neutralised as core/exports.py does, so it never runs."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True})
    bold = workbook.add_format({"bold": True})
    amount = workbook.add_format({"num_format": "#,##0.00"})
    for title, header, rows in sheets:
        sheet = workbook.add_worksheet(str(title).translate(SHEET_NAME_FORBIDDEN)[:31])
        sheet.write_row(0, 0, [str(h) for h in header], bold)
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, max(len(header) - 1, 1), 16)
        for index, row in enumerate(rows, start=1):
            for column, cell in enumerate(row):
                value = neutralise(cell)
                if isinstance(value, str):
                    sheet.write_string(index, column, value)
                else:
                    sheet.write_number(index, column, value, amount if isinstance(value, float) else None)
    workbook.close()
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"'
    return response
