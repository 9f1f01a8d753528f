"""Receivables reports: AR ageing, collections (DSO, expected cash, against plan), collection plans."""

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from touchpoint.core.exports import xlsx_response
from touchpoint.finance import reports
from touchpoint.finance.documents import report_pdf_response
from touchpoint.finance.views.common import customer_for, require
from touchpoint.org.http import AuthedRequest
from touchpoint.org.policy import may
from touchpoint.sales.access import visible_contracts

# Not yet due → over 180 days, from calm to alarming.
AGEING_COLORS = ["#5b8def", "#8fd175", "#f5c342", "#f0913a", "#e4573d", "#a3222b"]
GROUP_LABELS = {"customer": gettext_lazy("Customer"), "owner": gettext_lazy("Sales rep"), "region": gettext_lazy("Region")}


def _month(value: str, fallback: date) -> date | None:
    """YYYY-MM from the query string; None when it is not a month."""
    if not value:
        return fallback
    try:
        year, month = (int(part) for part in value.split("-", 1))
        return date(year, month, 1) if 2000 <= year <= 2100 else None
    except ValueError:
        return None


def _month_label(month: date) -> str:
    return f"{month:%Y-%m}"


@login_required
@require_GET
def ageing(request: AuthedRequest) -> HttpResponseBase:
    require(may(request.user, "invoice", "view"))
    group_by = request.GET.get("group", "customer")
    report = reports.ageing(user=request.user, group_by=group_by)
    labels = [str(label) for _key, label, *_rest in reports.BUCKETS]
    header = [str(GROUP_LABELS.get(report.group_by, _("Customer"))), *labels, _("Total")]
    rows = [[row.name, *row.cells(), row.total] for row in report.rows]
    totals = [str(_("Total")), *report.totals.cells(), report.totals.total]
    export = request.GET.get("format")
    if export in ("xlsx", "pdf"):
        require(may(request.user, "invoice", "export"))
        title = _("AR ageing by %(group)s, %(day)s") % {"group": header[0], "day": report.today}
        if export == "xlsx":
            return xlsx_response("ar-ageing", header, ([r[0], *(float(str(v)) for v in r[1:])] for r in [*rows, totals]))
        return report_pdf_response("ar-ageing", title, header, [*rows, totals])
    charts = {
        "ageing_groups": {"categories": [row.name for row in report.rows[:15]], "horizontal": True, "colors": AGEING_COLORS, "series": [
            {"name": label, "stack": "ageing", "data": [float(row.buckets[key]) for row in report.rows[:15]]}
            for (key, *_rest), label in zip(reports.BUCKETS, labels, strict=True)
        ]},
        # Empty buckets left out of the pie: their labels would only crowd the others.
        "ageing_total": {"pie": True, "categories": [label for label, v in zip(labels, report.totals.cells(), strict=True) if v],
                         "colors": [c for c, v in zip(AGEING_COLORS, report.totals.cells(), strict=True) if v],
                         "series": [{"name": str(_("Open receivables")), "data": [float(v) for v in report.totals.cells() if v]}]},
    }  # fmt: skip
    return render(request, "finance/ageing.html", {
        "report": report, "labels": labels, "charts": charts, "groups": GROUP_LABELS,
        "may_export": may(request.user, "invoice", "export"),
    })  # fmt: skip


@login_required
@require_GET
def collections(request: AuthedRequest) -> HttpResponseBase:
    require(may(request.user, "invoice", "view"))
    today = timezone.localdate()
    start = _month(request.GET.get("start", ""), reports.add_months(today.replace(day=1), -11))
    end = _month(request.GET.get("end", ""), today.replace(day=1))
    errors = {}
    if start is None:
        errors["start"] = _("Enter a month as YYYY-MM.")
    if end is None:
        errors["end"] = _("Enter a month as YYYY-MM.")
    if start and end and (end < start or reports.add_months(start, 36) <= end):
        errors["end"] = _("The end must be after the start, within three years.")
    outlook = reports.outlook(user=request.user)
    plan = reports.collections_against_plan(user=request.user, start=start, end=end) if not errors else None  # type: ignore[arg-type]
    export = request.GET.get("format")
    if plan is not None and export in ("xlsx", "pdf"):
        require(may(request.user, "invoice", "export"))
        header = [_("Month"), _("Planned"), _("Collected"), _("Expected cash")]
        expected = {m.month: m.total for m in outlook.months}
        rows = [[_month_label(m), plan.planned[m], plan.collected[m], expected.get(m, "")] for m in plan.months]
        if export == "xlsx":
            return xlsx_response("collections", header, ([r[0], *(float(v) if v != "" else "" for v in r[1:])] for r in rows))
        return report_pdf_response("collections", _("Collections against plan"), header, rows)
    charts: dict[str, Any] = {
        "cash": {"categories": [_month_label(m.month) for m in outlook.months], "series": [
            {"name": str(_("Open invoices falling due")), "stack": "cash", "data": [float(m.from_invoices) for m in outlook.months]},
            {"name": str(_("Milestones still to invoice")), "stack": "cash",
             "data": [float(m.from_milestones) for m in outlook.months]},
        ]},
    }  # fmt: skip
    if plan is not None:
        charts["plan"] = {"categories": [_month_label(m) for m in plan.months], "series": [
            {"name": str(_("Planned")), "data": [float(plan.planned[m]) for m in plan.months]},
            {"name": str(_("Collected")), "data": [float(plan.collected[m]) for m in plan.months]},
        ]}  # fmt: skip
    table: dict[str, Any] = {}
    if plan is not None:
        table = {
            "rep_rows": [(name, [cells.get(m) for m in plan.months]) for _rep, name, cells in plan.by_rep],
            "planned_row": [plan.planned[m] for m in plan.months],
            "collected_row": [plan.collected[m] for m in plan.months],
        }
    return render(request, "finance/collections.html", {
        "outlook": outlook, "plan": plan, "charts": charts, "errors": errors, **table,
        "next3": outlook.next_months(3), "next6": outlook.next_months(6),
        "start": request.GET.get("start", _month_label(start) if start else ""),
        "end": request.GET.get("end", _month_label(end) if end else ""),
        "may_export": may(request.user, "invoice", "export"),
    }, status=400 if errors else 200)  # fmt: skip


def _plan_page(request: AuthedRequest, plan: reports.CollectionPlan, context: dict[str, Any]) -> HttpResponse:
    charts = {"plan": {"categories": [_month_label(m.month) for m in plan.months], "series": [
        {"name": str(_("Expected")), "data": [float(m.expected) for m in plan.months]},
        {"name": pgettext("amount received", "Received"), "data": [float(m.received) for m in plan.months]},
    ]}}  # fmt: skip
    return render(request, "finance/plan.html", {"plan": plan, "charts": charts, "today": timezone.localdate(), **context})


@login_required
@require_GET
def contract_plan(request: AuthedRequest, pk: int) -> HttpResponse:
    require(may(request.user, "invoice", "view"))
    contract = get_object_or_404(visible_contracts(request.user).select_related("customer", "owner"), pk=pk)
    return _plan_page(request, reports.contract_plan(contract=contract), {"contract": contract, "customer": contract.customer})


@login_required
@require_GET
def customer_plan(request: AuthedRequest, pk: int) -> HttpResponse:
    require(may(request.user, "invoice", "view"))
    customer = customer_for(request, pk)
    return _plan_page(request, reports.customer_plan(user=request.user, customer=customer), {"customer": customer})
