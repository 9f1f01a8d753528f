"""The insights API: the board, the flow, the time in each department and the report series, with the
pages' access rules, and a schema that describes them."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from touchpoint.insights.rollups import rollup_rebuild
from touchpoint.insights.tests.conftest import make_history

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}
URLS = ["/api/v1/insights/flow/board/", "/api/v1/insights/flow/sankey/", "/api/v1/insights/flow/department-times/",
        "/api/v1/insights/service/"]  # fmt: skip


def api_as(user, language="en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def history(personas, desk):
    made = make_history(personas, desk, requests=6)
    rollup_rebuild()
    return made


def test_the_board(personas, history):
    data = api_as(personas.maintenance_lead).get(URLS[0]).json()
    assert data["total"]["total"] == sum(1 for sr in history if sr.is_open)
    assert set(data["total"]["states"]) == {"breached", "warning", "ok", "paused", "none"}
    bounced = {sr.number for sr in history if sr.bounced and sr.is_open}
    assert {row["number"] for row in data["attention"]} == bounced
    assert all(row["bounced"] or row["stuck"] for row in data["attention"])
    assert {dept["department"] for dept in data["departments"]} >= {"Maintenance Centre"}


def test_the_flow_and_the_times(personas, history):
    client = api_as(personas.executive)
    flow = client.get(URLS[1], PERIOD).json()
    assert flow["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    pairs = {(f["source"], f["target"]): f["count"] for f in flow["flows"]}
    assert pairs[("Maintenance Centre", "Engineering")] == 6 and pairs[("Engineering", "Maintenance Centre")] == 3
    assert flow["total"] == sum(pairs.values()) and flow["returns"] == 9
    times = client.get(URLS[2], PERIOD).json()
    maintenance = next(t for t in times["departments"] if t["name"] == "Maintenance Centre")
    assert maintenance["stays"] >= 6 and maintenance["median_seconds"] > 0


def test_the_service_report(personas, history):
    data = api_as(personas.executive, "zh-hans").get(URLS[3], PERIOD).json()
    assert data["totals"]["responded"] == 6 and data["totals"]["resolved"] == 3
    assert [m["month"] for m in data["months"]] == ["2026-03-01"]
    assert {row["key"] for row in data["by_channel"]} == {"phone", "email", "wechat"}
    assert data["timings"][-1]["severity"] == "" and data["timings"][-1]["responses"] == 6
    assert data["backlog"]["open"] == sum(1 for sr in history if sr.is_open)
    assert any(d["name"] == "维护中心" for d in data["department_times"])
    assert data["escalations"]["total"] >= 1


@pytest.mark.parametrize("name", ["sales_rep", "maintenance_agent", "engineer", "outsider"])
def test_who_is_refused(personas, desk, name):
    client = api_as(getattr(personas, name))
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 403 and "detail" in response.json(), url


def test_anonymous_is_a_401(db):
    for url in URLS:
        assert APIClient().get(url).status_code == 401


@pytest.mark.parametrize("query", [{"from": "yesterday"}, {"from": "2026-03-10", "to": "2026-03-01"}, {"to": "3000-01-01"}])
def test_a_bad_period_is_a_400_per_parameter(personas, desk, query):
    response = api_as(personas.executive).get(URLS[1], query)
    assert response.status_code == 400
    assert set(response.json()) <= {"from", "to"} and response.json()


def test_the_schema_describes_the_endpoints(personas):
    client = APIClient()
    client.force_login(personas.admin)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    for url in URLS:
        operation = schema["paths"][url]["get"]
        assert {"200", "400", "401", "403"} <= set(operation["responses"]), url
    report = schema["paths"]["/api/v1/insights/service/"]["get"]
    assert {p["name"] for p in report["parameters"]} >= {"from", "to"}
    board = schema["components"]["schemas"]["FlowBoard"]["properties"]
    assert {"departments", "total", "attention", "now"} <= set(board)
