"""The read-only service API: queues with their agents, routing rules, SLA policies, and the handoffs
and escalations of the requests the reader may see. Staff only."""

import pytest

from touchpoint.service.models import Escalation, Queue, QueueMember, RoutingRule
from touchpoint.service.services.flow import escalate
from touchpoint.service.services.requests import request_transfer
from touchpoint.service.tests.conftest import at
from touchpoint.service.tests.fixtures_api import api_as, portal_user, request_a, request_b  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

QUEUES = "/api/v1/service-queues/"
RULES = "/api/v1/routing-rules/"
POLICIES = "/api/v1/sla-policies/"
HANDOFFS = "/api/v1/handoffs/"
ESCALATIONS = "/api/v1/escalations/"


def test_queues_come_with_their_agents(api_as, personas, desk):  # noqa: F811
    client = api_as(personas.maintenance_agent)
    rows = {row["code"]: row for row in client.get(QUEUES, {"page_size": 100}).json()["results"]}
    l1 = rows["l1"]
    assert l1["kind"] == "l1" and l1["lead"] == personas.maintenance_lead.pk and l1["lead_name"] == "郑主管"
    assert [(m["user"], m["user_name"], m["products"]) for m in l1["members"]] == [(personas.maintenance_agent.pk, "吴坐席", [])]
    assert [m["user"] for m in rows["engineering"]["members"]] == [personas.engineer.pk]
    one = client.get(f"{QUEUES}{desk.engineering.pk}/")
    assert one.status_code == 200 and one.json()["department_name"]
    assert [row["code"] for row in client.get(QUEUES, {"kind": "engineering"}).json()["results"]] == ["engineering"]


def test_the_queue_list_query_count_does_not_grow_with_queues_or_agents(api_as, personas, desk, django_assert_num_queries):  # noqa: F811
    client = api_as(personas.maintenance_lead)
    client.get(QUEUES)
    # token, memberships, count, page (department, product, lead joined), members (user joined), their products
    with django_assert_num_queries(6):
        first = client.get(QUEUES).json()["count"]
    extra = Queue.objects.create(code="l2-trade", name="二线交易", name_en="L2 trading", kind="l2", department=desk.l1.department)
    QueueMember.objects.create(queue=extra, user=personas.maintenance_lead)
    QueueMember.objects.create(queue=desk.l1, user=personas.maintenance_lead)
    with django_assert_num_queries(6):
        assert client.get(QUEUES).json()["count"] == first + 1


def test_routing_rules_and_sla_policies_read_in_order(api_as, personas, desk):  # noqa: F811
    rule = RoutingRule.objects.create(order=10, name="投诉进销售", category="complaint", queue=desk.sales)
    client = api_as(personas.maintenance_agent)
    rules = client.get(RULES, {"page_size": 200}).json()["results"]
    assert [row["order"] for row in rules] == sorted(row["order"] for row in rules)
    mine = next(row for row in rules if row["id"] == rule.pk)
    assert mine["queue"] == desk.sales.pk and mine["queue_name"] and mine["category"] == "complaint" and mine["is_active"]
    assert client.get(f"{RULES}{rule.pk}/").json()["name"] == "投诉进销售"
    policies = client.get(POLICIES, {"tier": "standard", "severity": "P1"}).json()["results"]
    assert len(policies) == 1 and policies[0]["response_minutes"] < policies[0]["resolution_minutes"]
    assert client.get(POLICIES, {"tier": "gold"}).status_code == 400


@pytest.mark.parametrize("path", [QUEUES, RULES, POLICIES, HANDOFFS, ESCALATIONS])
def test_someone_without_a_service_role_is_refused(api_as, personas, desk, path):  # noqa: F811
    assert api_as(personas.outsider).get(path).status_code == 403


@pytest.mark.parametrize("path", [QUEUES, RULES, POLICIES, HANDOFFS, ESCALATIONS])
def test_a_portal_user_never_sees_the_internal_side(api_as, portal_user, request_a, path):  # noqa: F811
    client = api_as(portal_user, "zh-hans")
    response = client.get(path)
    assert response.status_code == 403 and response.json()["detail"] == "您的岗位无权对此记录执行该操作。"


# --- Handoffs and escalations ---------------------------------------------------------------------


@pytest.fixture
def moved(personas, desk, request_a, request_b):  # noqa: F811
    """Request A went to engineering on 2 March and came back on 3 March (a bounce); B stays in L1."""
    request_transfer(request=request_a, by=personas.maintenance_agent, queue=desk.engineering, reason="疑似缺陷",
                     now=at(2026, 3, 2, 10, 0))  # fmt: skip
    request_transfer(request=request_a, by=personas.engineer, queue=desk.l1, reason="非缺陷，退回",
                     now=at(2026, 3, 3, 10, 0))  # fmt: skip
    return request_a


def test_handoffs_filter_by_request_department_and_period(api_as, personas, desk, moved, request_b):  # noqa: F811
    client = api_as(personas.maintenance_lead)

    def kinds(**params):
        response = client.get(HANDOFFS, {"ordering": "at", **params})
        assert response.status_code == 200, response.json()
        return [(row["request"], row["kind"]) for row in response.json()["results"]]

    assert kinds(request=moved.pk) == [(moved.pk, "route"), (moved.pk, "transfer"), (moved.pk, "return")]
    assert kinds(department=desk.engineering.department_id) == [(moved.pk, "transfer"), (moved.pk, "return")]
    assert kinds(since="2026-03-03") == [(moved.pk, "return")]
    assert kinds(until="2026-03-02", request=request_b.pk) == [(request_b.pk, "route")]
    assert kinds(kind="return")[0][1] == "return"
    back = client.get(HANDOFFS, {"kind": "return"}).json()["results"][0]
    assert back["from_queue_name"] and back["to_department_name"] and back["reason"] == "非缺陷，退回" and back["crosses_departments"]
    assert client.get(f"{HANDOFFS}{back['id']}/").json()["id"] == back["id"]
    assert client.get(HANDOFFS, {"since": "yesterday"}).status_code == 400


def test_handoffs_show_only_for_requests_the_reader_may_see(api_as, personas, moved, request_b):  # noqa: F811
    rep = api_as(personas.other_rep)  # customer B's rep
    rows = rep.get(HANDOFFS).json()["results"]
    assert {row["request"] for row in rows} == {request_b.pk}
    hidden = moved.handoffs.order_by("id").first()
    assert rep.get(f"{HANDOFFS}{hidden.pk}/").status_code == 404


def test_the_bounce_escalation_is_listed_for_the_lead(api_as, personas, moved):  # noqa: F811
    escalations = api_as(personas.maintenance_lead).get(ESCALATIONS, {"request": moved.pk}).json()["results"]
    assert [(row["level"], row["reason"]) for row in escalations] == [(1, "bounce")]
    assert escalations[0]["to_user"] == personas.maintenance_lead.pk and escalations[0]["request_number"] == moved.number
    assert api_as(personas.other_rep).get(ESCALATIONS).json()["count"] == 0


def test_escalations_filter_and_their_query_count(api_as, personas, request_a, request_b, django_assert_num_queries):  # noqa: F811
    escalate(request_a, reason="manual", by=personas.maintenance_lead, note="客户高层投诉", now=at(2026, 3, 2, 11, 0))
    escalate(request_b, reason="stuck", by=None, now=at(2026, 3, 2, 12, 0))
    client = api_as(personas.maintenance_lead)
    assert [row["reason"] for row in client.get(ESCALATIONS, {"reason": "manual"}).json()["results"]] == ["manual"]
    assert client.get(ESCALATIONS, {"level": 4}).status_code == 400
    # token, memberships, count, page (request, to_user, by joined)
    with django_assert_num_queries(4):
        assert client.get(ESCALATIONS).json()["count"] == 2
    escalate(request_a, reason="breach", by=None, now=at(2026, 3, 2, 13, 0))
    with django_assert_num_queries(4):
        count = client.get(ESCALATIONS).json()["count"]
    assert count == Escalation.objects.count() == 3


def test_the_handoff_list_query_count_does_not_grow_with_rows(api_as, personas, moved, desk, django_assert_num_queries):  # noqa: F811
    client = api_as(personas.maintenance_lead)
    client.get(HANDOFFS)
    with django_assert_num_queries(4):
        count = client.get(HANDOFFS).json()["count"]
    request_transfer(request=moved, by=personas.maintenance_agent, queue=desk.sales, reason="续约问题")
    with django_assert_num_queries(4):
        assert client.get(HANDOFFS).json()["count"] == count + 1


@pytest.mark.parametrize("pk", ["999999", "x", "1e3"])
def test_a_guessed_handoff_id_is_a_404(api_as, personas, pk):  # noqa: F811
    assert api_as(personas.maintenance_lead).get(f"{HANDOFFS}{pk}/").status_code == 404
