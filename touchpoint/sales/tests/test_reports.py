"""The sales reports' numbers on a known dataset, who sees which deals in them, their export and query counts.

The dataset (see `report_data`) has two reps in two teams and their manager, deals open in several
stages, months, regions and products, deals won and lost with reasons, and contracts signed in
different months. The report period is the year 2026, seen on 2026-06-15.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from touchpoint.customers.models import CustomerType
from touchpoint.customers.services import customer_create
from touchpoint.sales.access import visible_contracts, visible_opportunities
from touchpoint.sales.models import Contract, ContractStatus, Opportunity, Product, Stage
from touchpoint.sales.reports import Filters, sales_report
from touchpoint.sales.services.opportunities import opportunity_create, opportunity_move
from touchpoint.testing import PASSWORD

D = Decimal
YEAR_START, YEAR_END, TODAY = date(2026, 1, 1), date(2027, 1, 1), date(2026, 6, 15)
WON_PATH = ["discovery", "proposal", "negotiation", "won"]


def stage(code: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, code=code)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


@dataclass
class ReportData:
    personas: object
    trade: Product
    quote: Product
    customer_c: object
    deals: dict[str, Opportunity]


def deal(personas, owner, customer, amount, close, product=None, *, to=None, created=None, closed=None,
         reason="", probability=None) -> Opportunity:  # fmt: skip
    """An opportunity walked through the services to `to`; dates set afterwards, as if it had happened then."""
    opportunity = opportunity_create(by=owner, customer=customer, title=f"{customer.short_name} {amount}", owner=owner,
                                     close_date=close, amount=D(amount), product=product)  # fmt: skip
    if to is None:
        path = []
    elif to == "lost":
        path = ["lost"]
    else:
        path = WON_PATH[: WON_PATH.index(to) + 1]
    for code in path:
        opportunity = opportunity_move(opportunity=opportunity, to_stage=stage(code), by=owner,
                                       lost_reason=reason if code == "lost" else "")  # fmt: skip
    changes = {}
    if created:
        changes["created_at"] = at(created)
    if closed:
        changes["closed_at"] = at(closed)
    if probability is not None:
        changes["probability"] = probability
    Opportunity.objects.filter(pk=opportunity.pk).update(**changes)
    opportunity.refresh_from_db()
    return opportunity


def contract(personas, owner, customer, number, amount, status, signed=None) -> Contract:
    return Contract.objects.create(number=number, customer=customer, owner=owner, title=number, status=status,
                                   signed_on=signed, amount=D(amount))  # fmt: skip


@pytest.fixture
def report_data(personas) -> ReportData:
    return build_report_data(personas)


def build_report_data(personas) -> ReportData:
    p = personas
    trade = Product.objects.create(code="trade", name="网上交易系统", name_en="Online trading")
    quote = Product.objects.create(code="quote", name="行情系统", name_en="Market data")
    a, b = p.customer_a, p.customer_b  # 江苏 (the rep's), 北京 (the other rep's)
    c = customer_create(by=p.sales_rep, owner=p.sales_rep, name="国泰君安证券股份有限公司", short_name="国泰君安",
                        customer_type=CustomerType.SECURITIES, province="上海", city="上海")  # fmt: skip
    rep, rep2, manager = p.sales_rep, p.other_rep, p.sales_manager
    deals = {
        # Open: (owner, customer, amount, close date, product, stage)
        "o1": deal(p, rep, a, 1_000_000, date(2026, 7, 15), trade, to="proposal"),  # 50% → 500,000
        "o2": deal(p, rep, a, 400_000, date(2026, 8, 20), quote, to="discovery", probability=30),  # → 120,000
        "o3": deal(p, rep, c, 2_000_000, date(2026, 11, 30), trade, to="negotiation"),  # 75% → 1,500,000
        "o4": deal(p, rep2, b, 800_000, date(2026, 9, 10), trade),  # lead confirmed, 10% → 80,000
        "o5": deal(p, rep2, b, 600_000, date(2027, 2, 1), None, to="negotiation"),  # → 450,000
        "o6": deal(p, manager, c, 300_000, date(2027, 5, 31), quote, to="proposal"),  # → 150,000
        "o7": deal(p, rep, a, 999_000, date(2027, 8, 1), trade, to="discovery"),  # after the forecast's range
        # Won: created → closed
        "w1": deal(p, rep, a, 1_500_000, date(2026, 2, 28), trade, to="won", created=date(2026, 1, 10),
                   closed=date(2026, 3, 1)),  # 50 days
        "w2": deal(p, rep2, b, 500_000, date(2026, 4, 30), quote, to="won", created=date(2026, 2, 1),
                   closed=date(2026, 5, 2)),  # 90 days
        "w3": deal(p, rep, c, 700_000, date(2026, 7, 31), quote, to="won", created=date(2026, 6, 1),
                   closed=date(2026, 7, 11)),  # 40 days
        # Lost, with reasons
        "l1": deal(p, rep, a, 300_000, date(2026, 4, 30), trade, to="lost", reason="price", closed=date(2026, 4, 15)),
        "l2": deal(p, rep2, b, 200_000, date(2026, 5, 31), trade, to="lost", reason="competitor",
                   closed=date(2026, 5, 20)),
        "l3": deal(p, rep, c, 100_000, date(2026, 6, 30), None, to="lost", reason="price", closed=date(2026, 5, 25)),
        "l4": deal(p, rep, a, 50_000, date(2025, 12, 15), trade, to="lost", reason="budget", closed=date(2025, 12, 20)),
        "l5": deal(p, rep2, b, 150_000, date(2026, 2, 15), trade, to="lost", reason="features",
                   closed=date(2026, 2, 10)),
    }  # fmt: skip
    contract(p, rep, a, "C-1", 1_500_000, ContractStatus.ACTIVE, date(2026, 3, 5))
    contract(p, rep2, b, "C-2", 500_000, ContractStatus.COMPLETED, date(2026, 5, 10))
    contract(p, rep, c, "C-3", 900_000, ContractStatus.DRAFT)
    contract(p, rep, a, "C-4", 100_000, ContractStatus.TERMINATED, date(2026, 4, 1))
    contract(p, rep, a, "C-5", 250_000, ContractStatus.ACTIVE, date(2025, 11, 1))
    return ReportData(personas=p, trade=trade, quote=quote, customer_c=c, deals=deals)


def report_for(user, **filters):
    return sales_report(opportunities=visible_opportunities(user), contracts=visible_contracts(user),
                        start=YEAR_START, end=YEAR_END, today=TODAY, filters=Filters(**filters))  # fmt: skip


def rows(items, *fields):
    return [tuple(getattr(item, name) for name in fields) for item in items]


# --- Numbers ----------------------------------------------------------------------------------


def test_pipeline_by_stage_counts_and_weighs_todays_open_deals(report_data):
    report = report_for(report_data.personas.executive)
    assert rows(report.pipeline["stage"], "label", "count", "amount", "weighted") == [
        ("线索确认", 1, D("800000.00"), D("80000.00")),
        ("需求调研", 2, D("1399000.00"), D("369750.00")),  # 400,000 × 30% + 999,000 × 25%
        ("方案与报价", 2, D("1300000.00"), D("650000.00")),
        ("商务谈判", 2, D("2600000.00"), D("1950000.00")),
    ]
    total = report.pipeline_total
    assert (total.count, total.amount, total.weighted) == (7, D("6099000.00"), D("3049750.00"))


def test_pipeline_by_owner_region_and_product(report_data):
    report = report_for(report_data.personas.executive)
    assert rows(report.pipeline["owner"], "label", "count", "amount", "weighted") == [
        ("王销售", 4, D("4399000.00"), D("2369750.00")),
        ("李销售", 2, D("1400000.00"), D("530000.00")),
        ("赵经理", 1, D("300000.00"), D("150000.00")),
    ]
    assert rows(report.pipeline["region"], "label", "count", "amount") == [
        ("江苏", 3, D("2399000.00")), ("上海", 2, D("2300000.00")), ("北京", 2, D("1400000.00")),
    ]  # fmt: skip
    trade, quote = str(report_data.trade.pk), str(report_data.quote.pk)
    assert rows(report.pipeline["product"], "key", "count", "amount", "weighted") == [
        (trade, 4, D("4799000.00"), D("2329750.00")),
        (quote, 2, D("700000.00"), D("270000.00")),
        ("", 1, D("600000.00"), D("450000.00")),  # no product
    ]


def test_win_rate_and_cycle_days_of_deals_closed_in_the_period(report_data):
    report = report_for(report_data.personas.executive)
    assert rows(report.win_rates, "label", "won", "lost", "win_rate", "won_amount", "cycle_days") == [
        ("王销售", 2, 2, D("50.0"), D("2200000.00"), D("45.0")),  # (50 + 40) / 2
        ("李销售", 1, 2, D("33.3"), D("500000.00"), D("90.0")),
    ]
    total = report.win_total
    assert (total.won, total.lost, total.win_rate, total.won_amount, total.cycle_days) == (
        3, 4, D("42.9"), D("2700000.00"), D("60.0"),
    )  # fmt: skip


def test_lost_reasons_count_and_sum_the_period_s_lost_deals(report_data):
    report = report_for(report_data.personas.executive)
    assert rows(report.lost_reasons, "key", "count", "amount") == [
        ("price", 2, D("400000.00")), ("competitor", 1, D("200000.00")), ("features", 1, D("150000.00")),
    ]  # fmt: skip
    assert (report.lost_total.count, report.lost_total.amount) == (4, D("750000.00"))


def test_bookings_are_active_and_completed_contracts_by_month_signed(report_data):
    report = report_for(report_data.personas.executive)
    assert len(report.bookings) == 12
    booked = {b.period.key: (b.count, b.amount, b.active_amount, b.completed_amount) for b in report.bookings if b.count}
    assert booked == {
        "2026-03": (1, D("1500000.00"), D("1500000.00"), D(0)),
        "2026-05": (1, D("500000.00"), D(0), D("500000.00")),
    }
    assert (report.bookings_total.count, report.bookings_total.amount) == (2, D("2000000.00"))


def test_forecast_against_actual_compares_expected_with_won_then_weighs_what_is_open(report_data):
    report = report_for(report_data.personas.executive)
    months = {m.period.key: (m.expected, m.won, m.forecast) for m in report.forecast_actual}
    assert months["2026-01"] == (D(0), D(0), None)
    assert months["2026-02"] == (D("1650000.00"), D(0), None)  # w1 + l5 were expected in February
    assert months["2026-03"] == (D(0), D("1500000.00"), None)  # w1 was won in March
    assert months["2026-04"] == (D("800000.00"), D(0), None)
    assert months["2026-05"] == (D("200000.00"), D("500000.00"), None)
    assert months["2026-06"] == (D("100000.00"), D(0), D(0))  # this month: both sides
    assert months["2026-07"] == (None, D("700000.00"), D("500000.00"))
    assert months["2026-08"] == (None, D(0), D("120000.00"))
    assert months["2026-11"] == (None, D(0), D("1500000.00"))


def test_filters_narrow_every_section(report_data):
    p = report_data.personas
    report = report_for(p.executive, region="上海")
    assert report.pipeline_total.amount == D("2300000.00")
    assert (report.win_total.won, report.win_total.lost) == (1, 1)
    assert report.bookings_total.count == 0
    team = p.sales_manager.led_teams.get()
    assert report_for(p.executive, team_id=team.pk).pipeline_total.amount == D("4699000.00")  # the rep and manager
    by_product = report_for(p.executive, product_id=report_data.quote.pk)
    assert (by_product.pipeline_total.count, by_product.bookings_total.count) == (2, 0)
    by_owner = report_for(p.executive, owner_id=p.other_rep.pk)
    assert (by_owner.pipeline_total.amount, by_owner.bookings_total.amount) == (D("1400000.00"), D("500000.00"))


# --- Access -----------------------------------------------------------------------------------


def test_a_reps_report_leaves_out_the_other_teams_deals_and_contracts(report_data):
    report = report_for(report_data.personas.sales_rep)
    owners = {row.label for row in report.pipeline["owner"]}
    assert owners == {"王销售", "赵经理"}  # the manager's deal is on the rep's customer
    assert report.pipeline_total.amount == D("4699000.00")
    assert (report.win_total.won, report.win_total.lost) == (2, 2)
    assert report.bookings_total.amount == D("1500000.00")
    assert {r.key for r in report.lost_reasons} == {"price"}


def test_the_managers_report_covers_the_team_and_by_default_the_department(report_data):
    report = report_for(report_data.personas.sales_manager)
    assert report.pipeline_total.amount == D("6099000.00")
    assert report.bookings_total.amount == D("2000000.00")


def test_an_engineer_on_no_deal_sees_an_empty_report(report_data):
    report = report_for(report_data.personas.engineer)
    assert report.pipeline_total.count == 0
    assert report.win_total.closed == 0
    assert report.bookings_total.count == 0


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


REPORT_QUERY = {"period": "custom", "start": "2026-01-01", "end": "2026-12-31"}


def test_the_reports_page_shows_the_users_numbers(client, report_data):
    login(client, report_data.personas.sales_rep)
    response = client.get(reverse("sales:reports"), REPORT_QUERY)
    assert response.status_code == 200
    assert response.context["report"].pipeline_total.amount == D("4699000.00")
    assert b'id="report-charts"' in response.content
    assert {row.label for row in response.context["report"].pipeline["owner"]} == {"王销售", "赵经理"}


@pytest.mark.parametrize("persona", ["outsider"])
def test_users_with_no_opportunity_scope_are_refused_the_reports(client, report_data, persona):
    login(client, getattr(report_data.personas, persona))
    assert client.get(reverse("sales:reports")).status_code == 403
    assert client.get(reverse("sales:reports_export")).status_code == 403


def test_marketing_may_read_the_reports_but_not_export_them(client, report_data):
    login(client, report_data.personas.marketing)
    assert client.get(reverse("sales:reports")).status_code == 200
    assert client.get(reverse("sales:reports_export")).status_code == 403


def test_a_bad_filter_is_a_400_with_the_field_named(client, report_data):
    login(client, report_data.personas.executive)
    response = client.get(reverse("sales:reports"), {"period": "custom", "start": "2026-05-01", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "end" in response.context["form"].errors
    assert client.get(reverse("sales:reports"), {"period": "custom", "end": "9999-12-31"}).status_code == 400
    assert client.get(reverse("sales:reports_export"), {"region": "火星"}).status_code == 400


# --- Export -----------------------------------------------------------------------------------


def sheets_of(response) -> dict:
    workbook = load_workbook(BytesIO(response.content))
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in workbook}


def test_the_excel_export_has_one_sheet_per_section_with_the_same_numbers(client, report_data):
    login(client, report_data.personas.executive)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("sales:reports_export"), REPORT_QUERY)
    assert response.status_code == 200
    sheets = sheets_of(response)
    assert list(sheets) == ["Pipeline by stage", "Pipeline by owner", "Pipeline by region", "Pipeline by product",
                            "Win rate and cycle", "Bookings", "Forecast against actual", "Lost reasons"]  # fmt: skip
    assert sheets["Pipeline by stage"][-1] == ["Total", 7, 6099000, 3049750]
    assert sheets["Win rate and cycle"][-1] == ["Total", 3, 4, 42.9, 2700000, 60]
    assert sheets["Lost reasons"][1] == ["Price", 2, 400000]


def test_the_export_keeps_formula_like_names_as_text(client, report_data):
    Product.objects.filter(pk=report_data.trade.pk).update(name="=cmd|' /C calc'!A0", name_en="=cmd|' /C calc'!A0")
    login(client, report_data.personas.executive)
    client.cookies["django_language"] = "en"
    sheets = sheets_of(client.get(reverse("sales:reports_export"), REPORT_QUERY))
    labels = [row[0] for row in sheets["Pipeline by product"]]
    assert "'=cmd|' /C calc'!A0" in labels
