"""The flow monitor and the service reports: who may open them, what they show, the htmx board
refresh, the export, and query counts that do not grow with the data."""

from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from touchpoint.insights.rollups import rollup_rebuild
from touchpoint.insights.tests.conftest import at, make_history
from touchpoint.org import policy
from touchpoint.org.models import PolicyRule, Scope

pytestmark = pytest.mark.django_db
MARCH = "?from=2026-03-01&to=2026-03-31"


def as_user(client, user, language="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


@pytest.fixture
def history(personas, desk):
    made = make_history(personas, desk, requests=6)
    rollup_rebuild()
    return made


@pytest.mark.parametrize(("name", "allowed"), [
    ("maintenance_lead", True), ("executive", True), ("admin", True), ("project_manager", True),  # heads engineering
    ("maintenance_agent", False), ("sales_rep", False), ("engineer", False), ("finance", False), ("outsider", False),
])  # fmt: skip
def test_who_may_open_the_pages(client, personas, desk, name, allowed):
    as_user(client, getattr(personas, name))
    for url in (reverse("insights:flow"), reverse("insights:service_reports"),
                reverse("insights:service_reports_export") + "?table=volume&format=csv"):  # fmt: skip
        assert client.get(url).status_code == (200 if allowed else 403), url


def test_anonymous_readers_are_sent_to_sign_in(client):
    assert client.get(reverse("insights:flow")).status_code == 302


def test_the_board_puts_bounced_requests_first_and_links_them(client, personas, history):
    as_user(client, personas.maintenance_lead)
    page = client.get(reverse("insights:flow") + MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    bounced = [sr for sr in history if sr.bounced and sr.is_open]
    assert bounced, "the ping-pong requests are flagged"
    for sr in bounced:
        assert reverse("service:request_detail", args=[sr.pk]) in html
    board = page.context["board"]
    assert board.total.total == sum(1 for sr in history if sr.is_open)
    assert [sr.pk for sr in board.attention] == [sr.pk for sr in sorted(bounced, key=lambda s: (s.created_at, s.pk))]
    # The Sankey: each department as a source and a target node, both directions of the cycle drawn.
    sankey = page.context["charts"]["sankey"]
    links = {(link["source"], link["target"]) for link in sankey["links"]}
    assert ("Maintenance Centre →", "→ Engineering") in links and ("Engineering →", "→ Maintenance Centre") in links
    assert {node["side"] for node in sankey["nodes"]} == {"source", "target"}
    assert page.context["times"] and 'id="report-charts"' in html


def test_the_board_refreshes_as_an_htmx_fragment(client, personas, history):
    as_user(client, personas.executive)
    fragment = client.get(reverse("insights:flow"), headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="flow-board"') and "<html" not in html


def test_the_chinese_page(client, personas, history):
    as_user(client, personas.executive, "zh-hans")
    page = client.get(reverse("insights:flow") + MARCH)
    assert page.status_code == 200 and '<html lang="zh-hans">' in page.content.decode()
    links = {(link["source"], link["target"]) for link in page.context["charts"]["sankey"]["links"]}
    assert ("维护中心 →", "→ 工程部") in links and ("工程部 →", "→ 维护中心") in links


@pytest.mark.parametrize("query", ["?from=2026-13-01", "?from=2026-03-10&to=2026-03-01", "?from=1900-01-01",
                                   "?from=2001-01-01&to=2026-01-01", "?to=%00"])  # fmt: skip
def test_a_bad_period_is_a_400_that_says_why(client, personas, desk, query):
    as_user(client, personas.executive)
    for name in ("insights:flow", "insights:service_reports"):
        page = client.get(reverse(name) + query)
        assert page.status_code == 400 and 'class="invalid-feedback"' in page.content.decode()
    export = client.get(reverse("insights:service_reports_export") + query + "&table=volume")
    assert export.status_code == 400


def test_a_department_head_sees_their_department_only(client, personas, desk, history):
    as_user(client, personas.project_manager)  # head of engineering
    from touchpoint.service.services.requests import request_transfer

    sr = next(sr for sr in history if sr.is_open and sr.department.code == "maintenance")
    request_transfer(request=sr, by=personas.maintenance_agent, queue=desk.engineering, reason="再查一次", now=at(2026, 3, 20, 9))
    page = client.get(reverse("insights:flow") + MARCH)
    board = page.context["board"]
    assert [dept.name for dept in board.departments] == ["Engineering"] and board.total.total == 1
    chart = page.context["chart"]
    assert chart.flows and all("Engineering" in (f.source, f.target) for f in chart.flows)
    assert {row.user_id for row in client.get(reverse("insights:service_reports")).context["workload"]} <= {personas.engineer.pk}


def test_an_agent_granted_the_board_by_policy_sees_their_department(client, personas, history):
    PolicyRule.objects.create(position="maintenance_agent", entity="service_insights", action="view", scope=Scope.DEPARTMENT)
    policy.invalidate()
    as_user(client, personas.maintenance_agent)
    page = client.get(reverse("insights:flow") + MARCH)
    assert page.status_code == 200
    assert [dept.name for dept in page.context["board"].departments] == ["Maintenance Centre"]
    assert client.get(reverse("insights:service_reports_export") + "?table=volume&format=csv").status_code == 403


def test_the_reports_page_shows_every_section(client, personas, history):
    as_user(client, personas.executive)
    page = client.get(reverse("insights:service_reports") + MARCH)
    assert page.status_code == 200
    volume = page.context["volume"]
    assert volume.totals.responded == 6 and volume.totals.resolved == 3
    html = page.content.decode()
    for title in ("Requests and SLA compliance by month", "Volume by channel, category and product", "Backlog ageing",
                  "First response and resolution time", "Bounces, hops and time in each department",
                  "Escalations and stuck requests", "Workload by agent", "Complaints by root cause and department",
                  "CSAT and NPS"):  # fmt: skip
        assert title in html
    assert page.context["backlog"].open == sum(1 for sr in history if sr.is_open)
    agent = next(row for row in page.context["workload"] if row.user_id == personas.maintenance_agent.pk)
    assert agent.open >= 1


@pytest.mark.parametrize("table", ["volume", "breakdown", "timing", "departments", "workload"])
def test_the_export_is_a_workbook_with_formulas_neutralised(client, personas, history, table):
    from touchpoint.insights import reports as report_module

    history[0].__class__.objects.filter(pk=history[1].pk).update(subject="=1+1")
    as_user(client, personas.executive)
    response = client.get(reverse("insights:service_reports_export") + MARCH + f"&table={table}&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) >= 2 and all(not (isinstance(v, str) and v.startswith("=")) for row in rows for v in row)
    assert report_module.REPORT_ROWS == 50


def test_an_unknown_export_is_a_400(client, personas, desk):
    as_user(client, personas.executive)
    assert client.get(reverse("insights:service_reports_export") + "?table=secret").status_code == 400
    assert client.get(reverse("insights:service_reports_export") + "?table=volume&format=pdf").status_code == 400


def _queries(client, url, **headers) -> int:
    client.get(url, headers=headers)  # warm the per-process caches (policy table, content types)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, headers=headers).status_code == 200
    return len(captured.captured_queries)


def test_query_counts_are_pinned_and_do_not_grow_with_the_data(client, personas, desk):
    make_history(personas, desk, requests=3)
    rollup_rebuild()
    as_user(client, personas.executive)
    flow, fragment, service = reverse("insights:flow") + MARCH, reverse("insights:flow"), reverse("insights:service_reports") + MARCH
    counts = (_queries(client, flow), _queries(client, fragment, **{"HX-Request": "true"}), _queries(client, service))
    make_history(personas, desk, requests=9, start=at(2026, 3, 10, 9, 0))
    rollup_rebuild()
    assert (_queries(client, flow), _queries(client, fragment, **{"HX-Request": "true"}), _queries(client, service)) == counts
    assert counts == PINNED


# The flow page: the shell, the board (counts, departments, queues, the bounced and stuck), the flow (rows, names)
# and the times (rows, names). The htmx fragment: the board alone. The reports: the shell, then a fixed query or
# two per section (volume 3, timings 1, backlog 1, escalations 2, workload 3, times 2, complaints 2, surveys 1).
PINNED = (12, 7, 17)
