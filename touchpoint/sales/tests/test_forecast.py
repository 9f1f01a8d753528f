"""The forecast on the known dataset of test_reports: sums and weighted sums by period and breakdown,
won beside it, who sees which deals, the Excel export, and the API."""

from datetime import date

import pytest
from django.urls import reverse

from touchpoint.sales.access import visible_opportunities
from touchpoint.sales.reports import Filters, forecast
from touchpoint.sales.tests.test_reports import D, ReportData, build_report_data, login, sheets_of

Q3_2026_TO_Q2_2027 = {"start": "2026-07", "end": "2027-06"}


@pytest.fixture
def report_data(personas) -> ReportData:
    return build_report_data(personas)


def forecast_for(user, *, group_by="owner", grain="quarter", start=(2026, 7), end=(2027, 7), **filters):
    return forecast(opportunities=visible_opportunities(user), start=date(*start, 1), end=date(*end, 1), grain=grain,
                    group_by=group_by, filters=Filters(**filters))  # fmt: skip


def figures(cell):
    return (cell.count, cell.amount, cell.weighted, cell.won_count, cell.won_amount)


def test_quarters_sum_open_amounts_weigh_them_and_set_won_beside(report_data):
    result = forecast_for(report_data.personas.executive)
    assert [p.key for p in result.periods] == ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"]
    assert [figures(c) for c in result.totals.cells] == [
        (3, D("2200000.00"), D("700000.00"), 1, D("700000.00")),  # o1 50%, o2 30%, o4 10%; w3 won in July
        (1, D("2000000.00"), D("1500000.00"), 0, D(0)),
        (1, D("600000.00"), D("450000.00"), 0, D(0)),
        (1, D("300000.00"), D("150000.00"), 0, D(0)),
    ]
    assert figures(result.totals.total) == (6, D("5100000.00"), D("2800000.00"), 1, D("700000.00"))


def test_months_split_the_same_deals_by_close_month(report_data):
    result = forecast_for(report_data.personas.executive, grain="month", end=(2026, 10))
    assert [p.key for p in result.periods] == ["2026-07", "2026-08", "2026-09"]
    assert [figures(c) for c in result.totals.cells] == [
        (1, D("1000000.00"), D("500000.00"), 1, D("700000.00")),
        (1, D("400000.00"), D("120000.00"), 0, D(0)),
        (1, D("800000.00"), D("80000.00"), 0, D(0)),
    ]


def test_breakdowns_by_owner_team_region_and_product(report_data):
    p, executive = report_data.personas, report_data.personas.executive

    def totals(group_by):
        return [(row.key, row.total.amount, row.total.weighted, row.total.won_amount)
                for row in forecast_for(executive, group_by=group_by).rows]  # fmt: skip

    assert totals("owner") == [
        (str(p.sales_rep.pk), D("3400000.00"), D("2120000.00"), D("700000.00")),
        (str(p.other_rep.pk), D("1400000.00"), D("530000.00"), D(0)),
        (str(p.sales_manager.pk), D("300000.00"), D("150000.00"), D(0)),
    ]
    east, north = p.sales_manager.led_teams.get(), p.other_rep.teams.get()
    assert totals("team") == [
        (str(east.pk), D("3700000.00"), D("2270000.00"), D("700000.00")),
        (str(north.pk), D("1400000.00"), D("530000.00"), D(0)),
    ]
    assert totals("region") == [
        ("上海", D("2300000.00"), D("1650000.00"), D("700000.00")),
        ("江苏", D("1400000.00"), D("620000.00"), D(0)),
        ("北京", D("1400000.00"), D("530000.00"), D(0)),
    ]
    assert totals("product") == [
        (str(report_data.trade.pk), D("3800000.00"), D("2080000.00"), D(0)),
        ("", D("600000.00"), D("450000.00"), D(0)),
        (str(report_data.quote.pk), D("700000.00"), D("270000.00"), D("700000.00")),
    ]


def test_filters_narrow_the_forecast(report_data):
    p = report_data.personas
    assert forecast_for(p.executive, region="北京").totals.total.amount == D("1400000.00")
    assert forecast_for(p.executive, product_id=report_data.quote.pk).totals.total.won_amount == D("700000.00")
    assert forecast_for(p.executive, owner_id=p.sales_manager.pk).totals.total.amount == D("300000.00")


def test_a_reps_forecast_leaves_out_the_other_teams_deals(report_data):
    result = forecast_for(report_data.personas.sales_rep)
    assert {row.label for row in result.rows} == {"王销售", "赵经理"}  # the manager's deal is on the rep's customer
    assert figures(result.totals.total) == (4, D("3700000.00"), D("2270000.00"), 1, D("700000.00"))


def test_the_managers_forecast_covers_the_team_and_the_department(report_data):
    result = forecast_for(report_data.personas.sales_manager)
    assert {row.label for row in result.rows} == {"王销售", "李销售", "赵经理"}
    assert result.totals.total.amount == D("5100000.00")


def test_an_engineer_on_no_deal_gets_an_empty_forecast_and_an_outsider_none(client, report_data):
    assert forecast_for(report_data.personas.engineer).rows == []
    login(client, report_data.personas.engineer)
    assert client.get(reverse("sales:forecast")).status_code == 200
    client.logout()
    login(client, report_data.personas.outsider)
    assert client.get(reverse("sales:forecast")).status_code == 403
    assert client.get(reverse("sales:forecast_export")).status_code == 403


def test_the_forecast_page_defaults_to_four_quarters_from_this_one(client, report_data):
    login(client, report_data.personas.executive)
    response = client.get(reverse("sales:forecast"))
    assert response.status_code == 200
    result = response.context["forecast"]
    assert len(result.periods) == 4 and result.grain == "quarter"
    assert b'id="report-charts"' in response.content


def test_a_bad_range_is_a_400(client, report_data):
    login(client, report_data.personas.executive)
    assert client.get(reverse("sales:forecast"), {"start": "2026-07", "end": "2026-01"}).status_code == 400
    assert client.get(reverse("sales:forecast"), {"start": "2026-01", "end": "2029-12"}).status_code == 400
    assert client.get(reverse("sales:forecast"), {"grain": "week"}).status_code == 400


def test_the_forecast_export_has_the_same_table(client, report_data):
    login(client, report_data.personas.executive)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("sales:forecast_export"), {**Q3_2026_TO_Q2_2027, "group_by": "region"})
    assert response.status_code == 200
    sheets = sheets_of(response)
    table = sheets["Forecast"]
    assert table[0][:4] == ["Region", "2026 Q3 Amount", "2026 Q3 Weighted", "2026 Q3 Won"]
    assert table[1][0] == "上海"
    assert table[-1][0] == "Total" and table[-1][-3:] == [5100000, 2800000, 700000]
    assert sheets["By period"][1] == ["2026 Q3", 3, 2200000, 700000, 1, 700000]


def test_the_forecast_export_keeps_a_formula_like_owner_as_text(client, report_data):
    p = report_data.personas
    p.other_rep.__class__.objects.filter(pk=p.other_rep.pk).update(full_name="=cmd|' /C calc'!A0")
    login(client, p.executive)
    client.cookies["django_language"] = "en"
    sheets = sheets_of(client.get(reverse("sales:forecast_export"), Q3_2026_TO_Q2_2027))
    assert "'=cmd|' /C calc'!A0" in [row[0] for row in sheets["Forecast"]]


# --- API --------------------------------------------------------------------------------------


def test_the_forecast_endpoint_answers_the_same_numbers(client, report_data):
    login(client, report_data.personas.sales_rep)
    response = client.get("/api/v1/sales-forecast/", {**Q3_2026_TO_Q2_2027, "group_by": "team"})
    assert response.status_code == 200
    body = response.json()
    assert [p["key"] for p in body["periods"]] == ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"]
    assert body["totals"]["total"] == {"count": 4, "amount": "3700000.00", "weighted": "2270000.00", "won_count": 1,
                                       "won_amount": "700000.00"}  # fmt: skip
    assert len(body["rows"]) == 1 and len(body["rows"][0]["cells"]) == 4


def test_the_reports_endpoint_answers_the_same_numbers(client, report_data):
    login(client, report_data.personas.executive)
    response = client.get("/api/v1/sales-reports/", {"period": "custom", "start": "2026-01-01", "end": "2026-12-31"})
    assert response.status_code == 200
    body = response.json()
    assert body["pipeline_total"]["amount"] == "6099000.00"
    assert body["win_total"] | {"label": ""} == {"key": "", "label": "", "won": 3, "lost": 4, "win_rate": "42.9",
                                                 "won_amount": "2700000.00", "cycle_days": "60.0"}  # fmt: skip
    assert [(m["month"], m["won"]) for m in body["forecast_actual"]][2] == ("2026-03", "1500000.00")
    assert body["bookings_total"]["amount"] == "2000000.00"
    assert [r["key"] for r in body["lost_reasons"]] == ["price", "competitor", "features"]


def test_the_endpoints_refuse_bad_parameters_and_users_without_scope(client, report_data):
    login(client, report_data.personas.executive)
    response = client.get("/api/v1/sales-forecast/", {"grain": "week", "start": "2026-13"})
    assert response.status_code == 400
    assert set(response.json()) == {"grain", "start"}
    assert client.get("/api/v1/sales-reports/", {"period": "custom"}).status_code == 400
    client.logout()
    assert client.get("/api/v1/sales-reports/").status_code in (401, 403)
    login(client, report_data.personas.outsider)
    assert client.get("/api/v1/sales-forecast/").status_code == 403
    assert client.get("/api/v1/sales-reports/").status_code == 403

