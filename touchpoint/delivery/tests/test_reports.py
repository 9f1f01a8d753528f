"""The delivery management reports: projects by status and health, milestones accepted on time,
utilisation against a working-day capacity, cost against contract value, late projects; the page, its
access, its exports and its query counts."""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from touchpoint.delivery import reports
from touchpoint.delivery.models import DeliverySettings, Milestone, Project, TimeEntry
from touchpoint.delivery.services.plan import milestone_accept, milestone_create, task_create
from touchpoint.delivery.services.projects import member_add, project_set_manager, project_update
from touchpoint.delivery.services.timesheets import time_decide, time_log
from touchpoint.delivery.tests.builders import another_project, days_from_today, fresh, today
from touchpoint.delivery.tests.conftest import first_task
from touchpoint.org.models import User

pytestmark = pytest.mark.django_db

D = Decimal
NATIONAL_DAY = reports.Period(start=date(2026, 9, 28), end=date(2026, 10, 11))


def fresh_user(user: User) -> User:
    """The same user without the positions cached on the object, as a new request would load it."""
    return User.objects.get(pk=user.pk)


def as_user(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def accepted(project: Project, by: User, name: str, *, due: int, accepted: int) -> Milestone:
    """A milestone due `due` days from today, accepted `accepted` days from today (both ≤ 0 in the past)."""
    milestone = milestone_create(project=project, by=by, name=name, due_on=days_from_today(due))
    return milestone_accept(milestone=milestone, by=by, accepted_on=days_from_today(accepted))


def log(user: User, project: Project, day: date, hours: str) -> TimeEntry:
    return time_log(user=user, task=first_task(fresh(project)), work_date=day, hours=hours)


@dataclass
class Books:
    a: Project  # customer A's (the rep's); red, 15 days behind
    b: Project  # customer B's (another rep's); amber, 3 days behind


@pytest.fixture
def books(staffed, personas, catalogue) -> Books:
    """Two running projects with milestones accepted on time and late, one overdue, hours logged and a
    cost per hour, and a forecast past the planned end."""
    p = personas
    pm = p.project_manager
    a = project_update(project=staffed, by=pm, expected_version=staffed.version, hourly_cost=D("400"))
    b = another_project(p, [catalogue["trade-risk"]], customer=p.customer_b, owner=p.other_rep)
    project_set_manager(project=b, manager=pm, by=pm)
    member_add(project=b, user=p.engineer, role="engineer", by=pm)
    b = fresh(b)
    # A: one late (due 30 days ago, accepted 20 days ago), two on time, one open and overdue.
    accepted(a, pm, "蓝图确认", due=-30, accepted=-20)
    accepted(a, pm, "环境就绪", due=-10, accepted=-15)
    accepted(a, pm, "数据迁移", due=5, accepted=0)
    milestone_create(project=a, by=pm, name="联调测试", due_on=days_from_today(-5))
    # B: one accepted late.
    accepted(b, pm, "安装验收", due=-3, accepted=0)
    # Hours: A 8 + 6 (engineer) + 2 (PM), and 4 rejected; B 5 (engineer).
    log(p.engineer, a, days_from_today(-2), "8")
    approved = log(p.engineer, a, days_from_today(-1), "6")
    log(pm, a, days_from_today(-1), "2")
    rejected = log(p.engineer, a, days_from_today(-3), "4")
    log(p.engineer, b, days_from_today(-1), "5")
    time_decide(entries=[approved], by=pm, approve=True)
    time_decide(entries=[rejected], by=pm, approve=False, reason="重复填报")
    # Forecasts: A's last task now ends 15 days after the planned end, B's 3 days after.
    task_create(project=a, by=pm, name="补充开发", start_on=today(), end_on=a.planned_end_on + timedelta(days=15))
    task_create(project=b, by=pm, name="补充测试", start_on=today(), end_on=b.planned_end_on + timedelta(days=3))
    return Books(a=fresh(a), b=fresh(b))


# --- The business calendar -----------------------------------------------------------------------


def test_working_days_skip_the_national_day_week_and_count_its_make_up_saturday():
    # 2026-09-28 (Mon) … 10-11 (Sun): 1–7 October off, Saturday 10 October worked.
    assert reports.working_days(NATIONAL_DAY.start, NATIONAL_DAY.end) == 6
    assert not reports.is_working_day(date(2026, 10, 1)) and not reports.is_working_day(date(2026, 10, 5))
    assert reports.is_working_day(date(2026, 10, 10))  # a Saturday
    # The week before has its own make-up day: Sunday 20 September.
    assert reports.working_days(date(2026, 9, 14), date(2026, 9, 20)) == 6
    assert reports.working_days(date(2026, 10, 2), date(2026, 10, 1)) == 0


def test_a_year_the_calendar_does_not_know_counts_monday_to_friday():
    assert reports.working_days(date(2099, 3, 2), date(2099, 3, 15)) == 10


def test_utilisation_measures_hours_against_the_working_days_of_a_holiday_period(staffed, personas):
    p = personas
    a = staffed
    log(p.engineer, a, date(2026, 9, 28), "8")
    log(p.engineer, a, date(2026, 10, 3), "4")  # worked on a holiday: the hours count, the day adds no capacity
    log(p.engineer, a, date(2026, 10, 10), "8")  # the make-up Saturday
    rejected = log(p.engineer, a, date(2026, 9, 29), "5")
    log(p.project_manager, a, date(2026, 10, 9), "6")
    log(p.engineer, a, date(2026, 10, 12), "8")  # the day after the period
    time_decide(entries=[rejected], by=p.project_manager, approve=False, reason="重复填报")

    usage = reports.utilisation(user=p.executive, period=NATIONAL_DAY, today=date(2026, 12, 1))

    assert (usage.working_days, usage.hours_per_day, usage.capacity) == (6, D("8.00"), D("48.00"))
    assert [(row.name, row.hours, row.approved, row.capacity, row.utilisation) for row in usage.rows] == [
        ("周工程师", D("20.00"), D("0"), D("48.00"), D("41.7")),
        ("孙项目", D("6.00"), D("0"), D("48.00"), D("12.5")),
    ]
    assert usage.hours == D("26.00") and usage.utilisation == D("27.1")  # 26 of 2 × 48


def test_capacity_follows_the_hours_of_a_working_day_and_stops_at_today(staffed, personas):
    settings = DeliverySettings.current()
    settings.hours_per_day = D("7.5")
    settings.save()
    log(personas.engineer, staffed, date(2026, 9, 28), "7.5")

    halfway = reports.utilisation(user=personas.executive, period=NATIONAL_DAY, today=date(2026, 10, 8))

    assert halfway.working_days == 4  # 28, 29, 30 September and 8 October; the rest is still to come
    assert halfway.capacity == D("30.00") and halfway.rows[0].utilisation == D("25.0")


# --- The figures ------------------------------------------------------------------------------------


def test_projects_are_counted_by_status_and_the_running_ones_by_health(books, personas):
    counts = reports.project_counts(user=personas.executive)

    assert counts.by_status == {"planning": 0, "in_progress": 2, "on_hold": 0, "handover": 0, "closed": 0, "cancelled": 0}
    assert counts.by_health == {"green": 0, "amber": 1, "red": 1}
    assert (counts.total, counts.running, counts.late) == (2, 2, 2)


def test_the_on_time_rate_counts_milestones_accepted_by_their_due_date(books, personas):
    on_time = reports.on_time_milestones(user=personas.executive, period=reports.default_period())

    assert (on_time.accepted, on_time.on_time, on_time.late, on_time.rate) == (4, 2, 2, D("50.0"))
    expected: dict[date, list[int]] = {}
    for accepted_days, in_time in [(-20, False), (-15, True), (0, True), (0, False)]:
        month = expected.setdefault(days_from_today(accepted_days).replace(day=1), [0, 0])
        month[0] += 1
        month[1] += in_time
    assert {m.month: [m.accepted, m.on_time] for m in on_time.months if m.accepted} == expected
    assert len(on_time.months) == 12 and on_time.months[-1].month == today().replace(day=1)
    assert on_time.overdue_count == 1
    assert [(row.milestone.name, row.days) for row in on_time.overdue] == [("联调测试", 5)]


def test_milestones_accepted_outside_the_period_are_left_out(books, personas):
    period = reports.Period(start=days_from_today(-16), end=days_from_today(-1))

    on_time = reports.on_time_milestones(user=personas.executive, period=period)

    assert (on_time.accepted, on_time.on_time) == (1, 1)  # only 环境就绪, accepted 15 days ago


def test_utilisation_leaves_out_rejected_hours_and_counts_approved_ones(books, personas):
    usage = reports.utilisation(user=personas.executive, period=reports.default_period())

    assert [(row.name, row.hours, row.approved) for row in usage.rows] == [
        ("周工程师", D("19.00"), D("6.00")),
        ("孙项目", D("2.00"), D("0")),
    ]
    assert usage.working_days == reports.working_days(reports.default_period().start, today())


def test_delivery_cost_is_hours_times_the_project_rate_against_the_contract_value(books, personas):
    costs = reports.delivery_costs(user=personas.executive, period=reports.default_period())

    a_value, b_value = books.a.contract.amount, books.b.contract.amount
    rows = {row.project.pk: row for row in costs.rows}
    assert (rows[books.a.pk].hours, rows[books.a.pk].cost, rows[books.a.pk].contract_value) == (D("16.00"), D("6400.00"), a_value)
    assert (rows[books.b.pk].hours, rows[books.b.pk].cost, rows[books.b.pk].contract_value) == (D("5.00"), D("1500.00"), b_value)
    assert rows[books.a.pk].share == (100 * D("6400") / a_value).quantize(D("0.1"))
    assert [row.project.pk for row in costs.rows] == sorted(rows, key=lambda pk: -(rows[pk].cost / rows[pk].contract_value))
    assert (costs.count, costs.hours, costs.cost, costs.contract_value) == (2, D("21.00"), D("7900.00"), a_value + b_value)


def test_a_project_closed_before_the_period_costs_nothing_in_it(books, personas):
    Project.objects.filter(pk=books.b.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=40))
    period = reports.Period(start=days_from_today(-30), end=today())

    costs = reports.delivery_costs(user=personas.executive, period=period)

    assert [row.project.pk for row in costs.rows] == [books.a.pk] and costs.count == 1


def test_late_projects_are_the_running_ones_behind_plan_or_red_worst_slip_first(books, personas):
    late = reports.late_projects(user=personas.executive)

    assert [(row.project.pk, row.project.health, row.slip_days) for row in late] == [
        (books.a.pk, "red", 15),
        (books.b.pk, "amber", 3),
    ]


def test_a_red_project_on_schedule_is_late_too_and_comes_after_the_slipping_ones(books, personas):
    Project.objects.filter(pk=books.b.pk).update(health="red", forecast_end_on=books.b.planned_end_on)

    late = reports.late_projects(user=personas.executive)

    assert [(row.project.pk, row.slip_days) for row in late] == [(books.a.pk, 15), (books.b.pk, 0)]


# --- Who sees what ----------------------------------------------------------------------------------


def test_a_rep_counts_only_the_projects_of_their_own_customers(books, personas):
    rep = personas.sales_rep

    assert reports.project_counts(user=rep).total == 1
    assert [row.project.pk for row in reports.late_projects(user=rep)] == [books.a.pk]
    assert [row.project.pk for row in reports.delivery_costs(user=rep, period=reports.default_period()).rows] == [books.a.pk]
    on_time = reports.on_time_milestones(user=rep, period=reports.default_period())
    assert (on_time.accepted, on_time.on_time) == (3, 2)  # B's late acceptance is not theirs
    assert reports.utilisation(user=rep, period=reports.default_period()).rows == []  # reps see no timesheets
    assert reports.project_counts(user=personas.other_rep).total == 1


def test_an_engineer_sees_only_their_own_hours(books, personas):
    usage = reports.utilisation(user=personas.engineer, period=reports.default_period())

    assert [(row.name, row.hours) for row in usage.rows] == [("周工程师", D("19.00"))]


def test_an_outsider_is_refused_the_page_and_the_export(client, books, personas):
    as_user(client, personas.outsider)
    assert client.get(reverse("delivery:reports")).status_code == 403
    assert client.get(reverse("delivery:reports_export") + "?table=late&format=csv").status_code == 403


def test_a_rep_sees_the_page_for_their_customers_but_may_not_export(client, books, personas):
    as_user(client, personas.sales_rep)
    page = client.get(reverse("delivery:reports"))
    assert page.status_code == 200
    html = page.content.decode()
    assert books.a.number in html and books.b.number not in html
    assert reverse("delivery:reports_export") not in html
    assert client.get(reverse("delivery:reports_export") + "?table=late&format=csv").status_code == 403


# --- The page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_page_shows_the_charts_and_tables(client, books, personas, language):
    as_user(client, personas.executive, language)

    page = client.get(reverse("delivery:reports"))

    assert page.status_code == 200
    html = page.content.decode()
    for chart in ("status", "health", "on_time", "utilisation", "cost"):
        assert f'data-chart="{chart}"' in html
    assert 'id="report-charts"' in html and "vendor/echarts/echarts.min.js" in html
    assert books.a.number in html and books.b.number in html and "联调测试" in html
    charts = page.context["charts"]
    assert charts["health"]["series"][0]["data"] == [1, 1]  # amber, red
    this_month = today().replace(day=1)
    on_time_now = 1 + (days_from_today(-15).replace(day=1) == this_month)  # 数据迁移 today, 环境就绪 15 days ago
    late_now = 1 + (days_from_today(-20).replace(day=1) == this_month)  # B's today, 蓝图确认 20 days ago
    assert [series["data"][-1] for series in charts["on_time"]["series"][:2]] == [on_time_now, late_now]
    period = reports.default_period()
    assert f'value="{period.start:%Y-%m-%d}"' in html and f'value="{period.end:%Y-%m-%d}"' in html


def test_the_period_comes_from_the_query_string(client, books, personas):
    as_user(client, personas.executive)

    page = client.get(reverse("delivery:reports") + f"?from={days_from_today(-16):%Y-%m-%d}&to={days_from_today(-1):%Y-%m-%d}")

    assert page.status_code == 200
    assert page.context["period"] == reports.Period(start=days_from_today(-16), end=days_from_today(-1))
    assert page.context["on_time"].accepted == 1


@pytest.mark.parametrize(("query", "field", "message"), [
    ("?from=2026-13-01", "start", "Enter a valid date."),
    ("?from=not-a-day&to=2026-10-01", "start", "Enter a valid date."),
    ("?from=2026-10-10&to=2026-10-01", "end", "The last day comes before the first."),
    ("?from=2015-01-01&to=2026-10-01", "end", "Choose at most five years."),
    ("?from=1900-01-01", "start", "Choose a date from 2000 to 2099."),
])  # fmt: skip
def test_a_bad_period_is_a_field_error_not_a_crash(client, books, personas, query, field, message):
    as_user(client, personas.executive)

    page = client.get(reverse("delivery:reports") + query)

    assert page.status_code == 400
    assert page.context["form"].errors[field] == [message]
    html = page.content.decode()
    assert message in html and "is-invalid" in html
    assert client.get(reverse("delivery:reports_export") + query + "&table=cost&format=csv").status_code == 400


def test_a_bad_period_shows_in_chinese_for_a_chinese_reader(client, books, personas):
    as_user(client, personas.executive, "zh-hans")

    page = client.get(reverse("delivery:reports") + "?from=2026-10-10&to=2026-10-01")

    assert page.status_code == 400
    assert "The last day comes before the first." not in page.content.decode()


# --- Export -----------------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_late_projects_export_as_csv_and_excel_with_formulas_neutralised(client, books, personas):
    pm = personas.project_manager
    project_update(project=books.a, by=pm, expected_version=books.a.version, name='=HYPERLINK("http://evil.example","点我")')
    as_user(client, personas.executive)

    response = client.get(reverse("delivery:reports_export") + "?table=late&format=csv")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0] == ["Number", "Project", "Customer", "Project manager", "Status", "Health", "Planned end", "Forecast end",
                       "Days behind plan"]  # fmt: skip
    assert [row[0] for row in rows[1:]] == [books.a.number, books.b.number]
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","点我")' and rows[1][8] == "15"
    xlsx = client.get(reverse("delivery:reports_export") + "?table=late&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=2, column=2).value == '\'=HYPERLINK("http://evil.example","点我")'
    assert sheet.cell(row=2, column=2).data_type == "s" and sheet.cell(row=2, column=9).value == 15


def test_the_cost_and_utilisation_exports_carry_numbers(client, books, personas):
    as_user(client, personas.executive)

    cost = load_workbook(io.BytesIO(client.get(reverse("delivery:reports_export") + "?table=cost&format=xlsx").content)).active
    usage = csv_rows(client.get(reverse("delivery:reports_export") + "?table=utilisation&format=csv"))

    values = {row[0]: row for row in cost.iter_rows(min_row=2, values_only=True)}
    assert values[books.a.number][4:8] == (16.0, 400.0, 6400.0, float(books.a.contract.amount))
    assert usage[0] == ["Engineer", "Hours logged", "Approved hours", "Working days", "Capacity (hours)", "Utilisation (%)"]
    assert [row[:3] for row in usage[1:]] == [["周工程师", "19.0", "6.0"], ["孙项目", "2.0", "0.0"]]


def test_an_export_of_an_unknown_table_or_format_is_a_400(client, books, personas):
    as_user(client, personas.executive)
    assert client.get(reverse("delivery:reports_export") + "?table=everything&format=csv").status_code == 400
    assert client.get(reverse("delivery:reports_export") + "?table=late&format=pdf").status_code == 400


def test_an_export_covers_only_what_the_reader_may_export(client, books, personas):
    as_user(client, personas.project_manager)  # exports every project, but only the hours on their own projects
    rows = csv_rows(client.get(reverse("delivery:reports_export") + "?table=utilisation&format=csv"))
    assert [row[0] for row in rows[1:]] == ["周工程师", "孙项目"]
    as_user(client, personas.sales_manager)  # exports projects, but no timesheets at all
    assert csv_rows(client.get(reverse("delivery:reports_export") + "?table=utilisation&format=csv"))[1:] == []
    assert len(csv_rows(client.get(reverse("delivery:reports_export") + "?table=late&format=csv"))) == 3


# --- Query counts -----------------------------------------------------------------------------------


def test_each_report_runs_in_a_fixed_number_of_queries(books, personas, django_assert_num_queries):
    period = reports.default_period()
    reports.utilisation(user=personas.executive, period=period)  # the settings row and the policy table exist from here on
    executive, rep = iter([fresh_user(personas.executive) for _i in range(4)]), fresh_user(personas.sales_rep)

    # +1 on each: the reader's positions, loaded once per user object
    with django_assert_num_queries(2):
        reports.project_counts(user=next(executive))
    with django_assert_num_queries(4):  # the totals, the months, the overdue ones
        reports.on_time_milestones(user=next(executive), period=period)
    with django_assert_num_queries(3):  # the settings, the hours per person
        reports.utilisation(user=next(executive), period=period)
    with django_assert_num_queries(3):  # the totals, the rows
        reports.delivery_costs(user=next(executive), period=period)
    with django_assert_num_queries(2):
        reports.late_projects(user=rep)


def _page_queries(client) -> int:
    url = reverse("delivery:reports")
    client.get(url)  # warm the per-process caches (policy table, content types)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


# The shell (session, user, positions, notifications), then status × health, the milestones' totals, months and
# overdue ones, the settings and the hours per person, the costs' totals and rows, the late projects. A rep sees
# no timesheets, so their hours query is never run.
@pytest.mark.parametrize(("persona", "expected"), [("executive", 13), ("project_manager", 13), ("sales_rep", 12)])
def test_the_page_query_count_is_pinned_and_does_not_grow_with_the_projects(client, books, personas, catalogue, persona,
                                                                             expected):  # fmt: skip
    as_user(client, getattr(personas, persona))
    assert _page_queries(client) == expected

    pm = personas.project_manager
    for customer, owner in [(personas.customer_a, personas.sales_rep), (personas.customer_b, personas.other_rep)]:
        more = another_project(personas, [catalogue["trade-core"]], customer=customer, owner=owner, title="新增项目")
        project_set_manager(project=more, manager=pm, by=pm)
        member_add(project=more, user=personas.engineer, role="engineer", by=pm)
        accepted(more, pm, "上线验收", due=-2, accepted=0)
        milestone_create(project=more, by=pm, name="培训", due_on=days_from_today(-1))
        log(personas.engineer, more, days_from_today(-4), "3")
        log(pm, more, days_from_today(-4), "1")
    assert _page_queries(client) == expected
