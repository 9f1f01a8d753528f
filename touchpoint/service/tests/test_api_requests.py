"""The service request API: list and log requests, read one with its conversation and history, and
work it (reply, note, transfer, assign, case owner, status). A customer (portal) user reads and
answers their own customer's requests without the internal side."""

import pytest

from touchpoint.core.models import Event
from touchpoint.service.models import Handoff, MessageKind, Queue, RequestMessage, ServiceRequest, StatusChange
from touchpoint.service.services.requests import request_note, request_set_status, request_transfer
from touchpoint.service.tests.conftest import at
from touchpoint.service.tests.fixtures_api import (  # noqa: F401  (fixtures)
    REQUESTS,
    api_as,
    portal_user,
    request_a,
    request_b,
    snapshot,
    url,
)

pytestmark = pytest.mark.django_db


def log_payload(personas, **extra):
    return {"customer": personas.customer_a.pk, "contact": personas.contact_a.pk, "subject": "行情服务器断线",
            "description": "早盘 9:20 起行情中断", "channel": "phone", "severity": "P2", "category": "fault", **extra}  # fmt: skip


# --- Logging ----------------------------------------------------------------------------------------


def test_an_agent_logs_a_phoned_in_request_routed_to_l1_with_its_cover(api_as, personas, desk, covered):  # noqa: F811
    response = api_as(personas.maintenance_agent).post(REQUESTS, log_payload(personas), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    request = ServiceRequest.objects.get(pk=body["id"])
    assert body["number"] == request.number and request.number.startswith("SR-")
    assert body["queue"] == desk.l1.pk and body["assignee"] == personas.maintenance_agent.pk and body["owner_name"] == "吴坐席"
    assert body["entitlement"] == "maintenance" and body["coverage"] == covered.pk and body["sla_state"] == "ok"
    assert body["severity"] == "P2" and body["channel"] == "phone" and body["status"] == "new" and body["version"] == 1
    assert [m["kind"] for m in body["messages"]] == ["inbound"] and body["messages"][0]["body"] == "早盘 9:20 起行情中断"
    assert [h["kind"] for h in body["handoffs"]] == ["route"] and body["status_changes"][0]["after"] == "new"
    assert body["escalations"] == [] and request.created_by == personas.maintenance_agent


@pytest.mark.parametrize(
    ("change", "field"),
    [({"subject": ""}, "subject"), ({"subject": "长" * 201}, "subject"), ({"description": "x" * 50_001}, "description"),
     ({"severity": "P0"}, "severity"), ({"category": "rumour"}, "category"), ({"channel": "pigeon"}, "channel"),
     ({"impact": "galactic"}, "impact"), ({"customer": 999_999}, "customer"), ({"customer": "1; drop"}, "customer"),
     ({"installed_item": 999_999}, "installed_item"), ({"requester_email": "not-an-address"}, "requester_email"),
     ({"subject": 42}, "subject"), ({"description": ["x"]}, "description")],
)  # fmt: skip
def test_bad_requests_are_a_field_level_400_and_nothing_is_logged(api_as, personas, desk, change, field):  # noqa: F811
    before = snapshot()
    response = api_as(personas.maintenance_agent).post(REQUESTS, log_payload(personas, **change), format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_another_customers_contact_is_refused_on_the_contact(api_as, personas, desk):  # noqa: F811
    before = snapshot()
    response = api_as(personas.maintenance_agent).post(REQUESTS, log_payload(personas, contact=personas.contact_b.pk), format="json")
    assert response.status_code == 400 and response.json() == {"contact": ["The contact must belong to this customer."]}
    assert snapshot() == before


def test_a_customer_the_rep_may_not_see_looks_like_one_that_does_not_exist(api_as, personas, desk):  # noqa: F811
    client = api_as(personas.sales_rep)
    hidden = client.post(REQUESTS, log_payload(personas, customer=personas.customer_b.pk, contact=None), format="json")
    missing = client.post(REQUESTS, log_payload(personas, customer=987_654, contact=None), format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["customer"][0].replace(str(personas.customer_b.pk), "N") == missing.json()["customer"][0].replace("987654", "N")
    assert not ServiceRequest.objects.exists()


def test_a_mail_from_an_unknown_sender_is_logged_for_triage(api_as, personas, desk):  # noqa: F811
    payload = {"requester_email": "someone@unknown.example", "subject": "系统报错", "channel": "email"}
    response = api_as(personas.maintenance_agent).post(REQUESTS, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["customer"] is None and response.json()["needs_triage"] is True
    assert ServiceRequest.objects.get(pk=response.json()["id"]).requester_email == "someone@unknown.example"


def test_the_channel_is_required_of_staff(api_as, personas, desk):  # noqa: F811
    payload = log_payload(personas)
    del payload["channel"]
    response = api_as(personas.maintenance_agent).post(REQUESTS, payload, format="json")
    assert response.status_code == 400 and list(response.json()) == ["channel"]


def test_who_may_not_log_requests_is_refused(api_as, personas, desk):  # noqa: F811
    # Marketing sees every customer but logs no request.
    response = api_as(personas.marketing).post(REQUESTS, log_payload(personas), format="json")
    assert response.status_code == 403 and not ServiceRequest.objects.exists()


def test_errors_come_in_the_readers_language(api_as, personas, desk):  # noqa: F811
    english = api_as(personas.maintenance_agent, "en").post(REQUESTS, log_payload(personas, subject=""), format="json")
    chinese = api_as(personas.maintenance_agent, "zh-hans").post(REQUESTS, log_payload(personas, subject=""), format="json")
    assert english.json() == {"subject": ["This field may not be blank."]}
    assert chinese.json() == {"subject": ["该字段不能为空。"]} and chinese.headers["Content-Language"] == "zh-hans"
    contact = api_as(personas.maintenance_agent, "zh-hans").post(REQUESTS, log_payload(personas, contact=personas.contact_b.pk),
                                                                 format="json")  # fmt: skip
    assert contact.status_code == 400 and contact.json()["contact"][0] != "The contact must belong to this customer."


# --- Reading ----------------------------------------------------------------------------------------


def test_the_list_filters_and_searches(api_as, personas, request_a, request_b):  # noqa: F811
    client = api_as(personas.maintenance_agent)

    def ids(**params):
        response = client.get(REQUESTS, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [request_b.pk, request_a.pk]
    assert ids(severity="P2") == [request_a.pk] and ids(channel="email") == [request_b.pk]
    assert ids(customer=personas.customer_b.pk) == [request_b.pk] and ids(entitlement="not_covered") == [request_b.pk]
    assert ids(search="清算") == [request_a.pk] and ids(search=request_b.number) == [request_b.pk]
    assert ids(search="中信建投") == [request_b.pk]
    assert ids(assigned_to_me="true") == [request_b.pk, request_a.pk] and ids(assigned_to_me="false") == []
    assert ids(open="true", ordering="created_at") == [request_a.pk, request_b.pk] and ids(open="false") == []
    assert ids(queue=request_a.queue_id, status="new", sla_state="ok", category="fault") == [request_b.pk, request_a.pk]
    assert ids(bounced="true") == [] and ids(stuck="false", needs_triage="false") == [request_b.pk, request_a.pk]
    assert ids(department=request_a.department_id, ordering="-severity") == [request_b.pk, request_a.pk]


@pytest.mark.parametrize("params", [{"colour": "red"}, {"status": "sleeping"}, {"queue": "abc"}, {"bounced": "perhaps"},
                                    {"ordering": "password"}, {"search": "x" * 101}, {"page_size": "0"}])  # fmt: skip
def test_bad_list_parameters_are_a_400(api_as, personas, request_a, params):  # noqa: F811
    response = api_as(personas.maintenance_agent).get(REQUESTS, params)
    assert response.status_code == 400 and set(response.json()) <= {*params, "detail"}, response.json()


def test_an_engineer_sees_a_request_only_once_it_reaches_his_queue(api_as, personas, desk, request_a, request_b):  # noqa: F811
    client = api_as(personas.engineer)
    assert client.get(REQUESTS).json()["count"] == 0
    assert client.get(url(request_a)).status_code == 404
    request_transfer(request=request_a, by=personas.maintenance_agent, queue=desk.engineering, reason="疑似缺陷",
                     now=at(2026, 3, 2, 10, 0))  # fmt: skip
    assert [row["id"] for row in client.get(REQUESTS).json()["results"]] == [request_a.pk]
    assert client.get(url(request_a)).status_code == 200 and client.get(url(request_b)).status_code == 404


@pytest.mark.parametrize("pk", ["999999", "abc", "-1", "1.0", "99999999999999999999999"])
def test_a_guessed_or_malformed_id_is_a_404(api_as, personas, request_a, pk):  # noqa: F811
    response = api_as(personas.maintenance_agent).get(f"{REQUESTS}{pk}/")
    assert response.status_code == 404 and "detail" in response.json()


def test_an_outsider_and_another_customers_rep_get_404_not_403(api_as, personas, request_a, request_b):  # noqa: F811
    before = snapshot()
    for person in (personas.outsider, personas.other_rep):
        client = api_as(person)
        assert client.get(url(request_a)).status_code == 404
        assert client.post(url(request_a, "transfer"), {"queue": request_a.queue_id, "reason": "x", "version": 1},
                           format="json").status_code == 404  # fmt: skip
        assert client.post(url(request_a, "note"), {"body": "x"}, format="json").status_code == 404
    assert api_as(personas.outsider).get(REQUESTS).json()["count"] == 0
    assert snapshot() == before


def test_the_detail_carries_the_history(api_as, personas, desk, request_a):  # noqa: F811
    request_note(request=request_a, by=personas.maintenance_agent, body="已联系现场")
    request_transfer(request=request_a, by=personas.maintenance_agent, queue=desk.engineering, reason="疑似缺陷",
                     now=at(2026, 3, 2, 10, 0))  # fmt: skip
    body = api_as(personas.maintenance_lead).get(url(request_a)).json()
    assert [m["kind"] for m in body["messages"]] == ["inbound", "note"]
    assert [h["kind"] for h in body["handoffs"]] == ["route", "transfer"] and body["handoffs"][1]["reason"] == "疑似缺陷"
    assert body["handoffs"][1]["to_queue_name"] and body["hops"] == 1 and body["queue"] == desk.engineering.pk


def test_the_list_query_count_does_not_grow_with_rows(api_as, personas, desk, request_a, django_assert_num_queries):  # noqa: F811
    client = api_as(personas.engineer)
    request_transfer(request=request_a, by=personas.maintenance_agent, queue=desk.engineering, reason="缺陷",
                     now=at(2026, 3, 2, 10, 0))  # fmt: skip
    client.get(REQUESTS)  # the policy table is cached from then on
    # token, memberships, count, page (customer and people joined), then by id: contact, queue, department, SLA
    # policy (no product on these requests)
    with django_assert_num_queries(8):
        assert client.get(REQUESTS).json()["count"] == 1
    for index in range(3):
        moved = ServiceRequest.objects.get(pk=request_a.pk)
        moved.pk, moved.number = None, f"SR-2026-9{index}"
        moved.save()
    with django_assert_num_queries(8):
        assert client.get(REQUESTS).json()["count"] == 4


def test_the_detail_query_count(api_as, personas, request_a, django_assert_num_queries):  # noqa: F811
    client = api_as(personas.maintenance_agent)
    client.get(url(request_a))  # the policy table is cached from then on
    # token, memberships, request (customer and people joined), its contact, queue, department and SLA policy,
    # messages, status changes, handoffs, escalations
    with django_assert_num_queries(11):
        assert client.get(url(request_a)).status_code == 200


# --- Replies and notes ------------------------------------------------------------------------------


def test_an_agent_replies_and_the_first_response_clock_stops(api_as, personas, request_a):  # noqa: F811
    response = api_as(personas.maintenance_agent).post(url(request_a, "reply"), {"body": "正在排查，请稍候"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["responded_at"] and response.json()["messages"][-1]["kind"] == "reply"
    reply = RequestMessage.objects.get(request=request_a, kind=MessageKind.REPLY)
    assert reply.author == personas.maintenance_agent and reply.body == "正在排查，请稍候"


def test_an_agent_adds_an_internal_note(api_as, personas, request_a):  # noqa: F811
    response = api_as(personas.maintenance_agent).post(url(request_a, "note"), {"body": "客户系统为 V3.2"}, format="json")
    assert response.status_code == 201 and response.json()["messages"][-1]["kind"] == "note"
    assert RequestMessage.objects.filter(request=request_a, kind=MessageKind.NOTE).count() == 1


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "   "}, {"body": "x" * 100_001}, {}])
def test_an_empty_or_oversize_reply_is_refused(api_as, personas, request_a, body):  # noqa: F811
    before = snapshot()
    response = api_as(personas.maintenance_agent).post(url(request_a, "reply"), body, format="json")
    assert response.status_code == 400 and "body" in response.json(), response.json()
    assert snapshot() == before


def test_a_sales_manager_who_may_see_but_not_work_is_refused_with_403(api_as, personas, request_a):  # noqa: F811
    client = api_as(personas.sales_manager)
    before = snapshot()
    assert client.get(url(request_a)).status_code == 200
    assert client.post(url(request_a, "reply"), {"body": "x"}, format="json").status_code == 403
    assert client.post(url(request_a, "transfer"), {"queue": request_a.queue_id, "reason": "x", "version": 1},
                       format="json").status_code == 403  # fmt: skip
    assert client.post(url(request_a, "status"), {"status": "triaged", "version": 1}, format="json").status_code == 403
    assert client.post(url(request_a, "messages"), {"body": "x"}, format="json").status_code == 403
    assert snapshot() == before


# --- Transfers, assignment and the case owner -------------------------------------------------------


def test_an_agent_transfers_to_engineering_and_the_owner_stays(api_as, personas, desk, request_a):  # noqa: F811
    response = api_as(personas.maintenance_agent).post(
        url(request_a, "transfer"), {"queue": desk.engineering.pk, "reason": "疑似缺陷，转研发", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["queue"] == desk.engineering.pk and body["assignee"] == personas.engineer.pk and body["version"] == 2
    assert body["owner"] == personas.maintenance_agent.pk and body["hops"] == 1
    handoff = Handoff.objects.filter(request=request_a).latest("id")
    assert handoff.kind == "transfer" and handoff.reason == "疑似缺陷，转研发" and handoff.to_queue == desk.engineering
    assert Event.objects.filter(verb="request.handoff", target_id=request_a.pk).count() == 2


@pytest.mark.parametrize(("queue", "reason"), [(999_999, "x"), ("abc", "x"), (None, "x"), ("inactive", "x"), ("l1", "x"),
                                               ("engineering", ""), ("engineering", "x" * 501)])  # fmt: skip
def test_a_transfer_to_a_queue_that_does_not_exist_or_without_a_reason_is_refused(api_as, personas, desk, request_a, queue,  # noqa: F811
                                                                                   reason):  # fmt: skip
    if queue == "inactive":
        queue = Queue.objects.get(code="finance").pk
        Queue.objects.filter(pk=queue).update(is_active=False)
    elif queue in ("l1", "engineering"):
        queue = getattr(desk, queue).pk
    before = snapshot()
    response = api_as(personas.maintenance_agent).post(url(request_a, "transfer"), {"queue": queue, "reason": reason, "version": 1},
                                                       format="json")  # fmt: skip
    assert response.status_code == 400, response.json()
    assert set(response.json()) == ({"reason"} if queue == desk.engineering.pk else {"queue"})
    assert snapshot() == before


def test_an_unknown_queue_is_named_in_the_readers_language(api_as, personas, request_a):  # noqa: F811
    payload = {"queue": 999_999, "reason": "x", "version": 1}
    english = api_as(personas.maintenance_agent).post(url(request_a, "transfer"), payload, format="json")
    chinese = api_as(personas.maintenance_agent, "zh-hans").post(url(request_a, "transfer"), payload, format="json")
    assert english.json() == {"queue": ["Choose a queue that exists and is in use."]}
    assert chinese.status_code == 400 and chinese.json()["queue"][0] != english.json()["queue"][0]


def test_a_stale_transfer_is_a_409_and_changes_nothing(api_as, personas, desk, request_a):  # noqa: F811
    request_set_status(request=request_a, by=personas.maintenance_agent, status="triaged")
    before = snapshot()
    payload = {"queue": desk.engineering.pk, "reason": "x", "version": 1}
    response = api_as(personas.maintenance_agent).post(url(request_a, "transfer"), payload, format="json")
    assert response.status_code == 409 and response.json()["code"] == "stale_version" and response.json()["current_version"] == 2
    assert snapshot() == before


def test_a_sales_rep_may_not_transfer_another_reps_request(api_as, personas, desk, request_b):  # noqa: F811
    before = snapshot()
    response = api_as(personas.sales_rep).post(url(request_b, "transfer"), {"queue": desk.sales.pk, "reason": "续约问题",
                                                                            "version": 1}, format="json")  # fmt: skip
    assert response.status_code == 404 and snapshot() == before


def test_the_lead_assigns_and_changes_the_case_owner(api_as, personas, desk, request_a):  # noqa: F811
    lead = api_as(personas.maintenance_lead)
    from touchpoint.service.models import QueueMember

    QueueMember.objects.create(queue=desk.l1, user=personas.maintenance_lead)
    assigned = lead.post(url(request_a, "assign"), {"user": personas.maintenance_lead.pk, "reason": "亲自处理", "version": 1},
                         format="json")  # fmt: skip
    assert assigned.status_code == 200, assigned.json()
    assert assigned.json()["assignee"] == personas.maintenance_lead.pk and assigned.json()["version"] == 2
    owned = lead.post(url(request_a, "owner"), {"owner": personas.maintenance_lead.pk, "reason": "重点客户", "version": 2},
                      format="json")  # fmt: skip
    assert owned.status_code == 200 and owned.json()["owner"] == personas.maintenance_lead.pk
    assert list(Handoff.objects.filter(request=request_a).order_by("id").values_list("kind", flat=True)) == ["route", "assign", "owner"]


def test_an_engineer_who_works_a_request_may_not_assign_it(api_as, personas, desk, request_a):  # noqa: F811
    request_transfer(request=request_a, by=personas.maintenance_agent, queue=desk.engineering, reason="缺陷")
    client = api_as(personas.engineer)
    before = snapshot()
    version = ServiceRequest.objects.get(pk=request_a.pk).version
    assert client.post(url(request_a, "assign"), {"user": personas.engineer.pk, "version": version}, format="json").status_code == 403
    assert client.post(url(request_a, "owner"), {"owner": personas.engineer.pk, "reason": "x", "version": version},
                       format="json").status_code == 403  # fmt: skip
    assert snapshot() == before


def test_assigning_someone_outside_the_queue_is_a_field_error(api_as, personas, request_a):  # noqa: F811
    before = snapshot()
    response = api_as(personas.maintenance_lead).post(url(request_a, "assign"), {"user": personas.finance.pk, "version": 1},
                                                      format="json")  # fmt: skip
    assert response.status_code == 400 and list(response.json()) == ["user"]
    assert snapshot() == before


# --- The workflow -----------------------------------------------------------------------------------


def test_an_agent_moves_the_request_along_its_workflow(api_as, personas, request_a):  # noqa: F811
    client = api_as(personas.maintenance_agent)
    triaged = client.post(url(request_a, "status"), {"status": "triaged", "version": 1}, format="json")
    assert triaged.status_code == 200 and triaged.json()["status"] == "triaged" and triaged.json()["version"] == 2
    resolved = client.post(url(request_a, "status"), {"status": "resolved", "resolution": "重新生成清算文件", "version": 2},
                           format="json")  # fmt: skip
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    assert list(StatusChange.objects.filter(request=request_a).order_by("id").values_list("after", flat=True)) == [
        "new", "triaged", "resolved"]  # fmt: skip


def test_a_transition_the_workflow_does_not_allow_is_a_clear_400(api_as, personas, request_a):  # noqa: F811
    request_set_status(request=request_a, by=personas.maintenance_agent, status="triaged")
    before = snapshot()
    english = api_as(personas.maintenance_agent).post(url(request_a, "status"), {"status": "closed", "version": 2}, format="json")
    assert english.status_code == 400
    assert english.json() == {"status": ["A request that is Triaged cannot become Closed."]}
    chinese = api_as(personas.maintenance_agent, "zh-hans").post(url(request_a, "status"), {"status": "closed", "version": 2},
                                                                 format="json")  # fmt: skip
    assert chinese.status_code == 400 and "status" in chinese.json() and chinese.json() != english.json()
    assert snapshot() == before


@pytest.mark.parametrize(("payload", "field"), [({"status": "asleep", "version": 1}, "status"), ({"status": "resolved", "version": 1},
                                                "resolution"), ({"status": "triaged"}, "version"),
                                                ({"status": "triaged", "version": 0}, "version"),
                                                ({"status": "triaged", "note": "x" * 501, "version": 1}, "note")])  # fmt: skip
def test_bad_status_changes_are_field_errors(api_as, personas, request_a, payload, field):  # noqa: F811
    before = snapshot()
    response = api_as(personas.maintenance_agent).post(url(request_a, "status"), payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_a_stale_status_change_is_a_409(api_as, personas, request_a):  # noqa: F811
    request_set_status(request=request_a, by=personas.maintenance_agent, status="triaged")
    before = snapshot()
    response = api_as(personas.maintenance_agent).post(url(request_a, "status"), {"status": "in_progress", "version": 1},
                                                       format="json")  # fmt: skip
    assert response.status_code == 409 and response.json()["current_version"] == 2
    assert snapshot() == before


# --- Customer messages --------------------------------------------------------------------------------


def test_an_integration_records_a_customer_mail_once(api_as, personas, request_a):  # noqa: F811
    client = api_as(personas.maintenance_agent)
    payload = {"body": "问题仍然存在", "channel": "email", "contact": personas.contact_a.pk, "message_id": "<abc@htsc.example>"}
    first = client.post(url(request_a, "messages"), payload, format="json")
    assert first.status_code == 201, first.json()
    assert client.post(url(request_a, "messages"), payload, format="json").status_code == 201
    message = RequestMessage.objects.get(request=request_a, message_id="<abc@htsc.example>")
    assert message.kind == MessageKind.INBOUND and message.contact == personas.contact_a


def test_a_customer_message_naming_another_customers_contact_is_refused(api_as, personas, request_a):  # noqa: F811
    before = snapshot()
    response = api_as(personas.maintenance_agent).post(url(request_a, "messages"), {"body": "x", "contact": personas.contact_b.pk},
                                                       format="json")  # fmt: skip
    assert response.status_code == 400 and list(response.json()) == ["contact"]
    assert snapshot() == before


# --- Customer (portal) users --------------------------------------------------------------------------


def test_a_portal_user_sees_only_their_customers_requests_without_the_internal_side(api_as, portal_user, personas, desk,  # noqa: F811
                                                                                      request_a, request_b):  # fmt: skip  # noqa: F811
    request_note(request=request_a, by=personas.maintenance_agent, body="内部：客户操作失误")
    client = api_as(portal_user)
    rows = client.get(REQUESTS).json()["results"]
    assert [row["id"] for row in rows] == [request_a.pk]
    assert client.get(url(request_b)).status_code == 404
    body = client.get(url(request_a)).json()
    assert [m["kind"] for m in body["messages"]] == ["inbound"]  # the note stays inside
    assert body["handoffs"] is None and body["escalations"] is None
    for internal in ("owner", "assignee", "queue", "queue_name", "department", "department_name", "hops", "bounced", "stuck",
                     "escalation_level", "coverage"):  # fmt: skip
        assert body[internal] is None and rows[0][internal] is None
    assert body["owner_name"] == "吴坐席" and body["status_changes"][0]["by"] is None and body["status_changes"][0]["note"] is None
    assert "内部" not in client.get(url(request_a)).content.decode()


@pytest.mark.parametrize("name", ["queue", "department", "bounced", "stuck", "needs_triage", "assigned_to_me"])
def test_a_portal_user_may_not_filter_on_the_internal_side(api_as, portal_user, request_a, name):  # noqa: F811
    response = api_as(portal_user).get(REQUESTS, {name: "1"})
    assert response.status_code == 400 and list(response.json()) == [name]


def test_a_portal_user_logs_a_request_for_their_own_customer_only(api_as, portal_user, personas, desk, covered):  # noqa: F811
    client = api_as(portal_user)
    response = client.post(REQUESTS, {"subject": "无法登录客户端", "severity": "P3", "channel": "phone"}, format="json")
    assert response.status_code == 201, response.json()
    logged = ServiceRequest.objects.get(pk=response.json()["id"])
    assert logged.customer == personas.customer_a and logged.channel == "portal" and response.json()["queue"] is None
    before = snapshot()
    other = client.post(REQUESTS, {"customer": personas.customer_b.pk, "subject": "x"}, format="json")
    assert other.status_code == 400 and list(other.json()) == ["customer"]
    contact = client.post(REQUESTS, {"contact": personas.contact_b.pk, "subject": "x"}, format="json")
    assert contact.status_code == 400 and list(contact.json()) == ["contact"]
    assert snapshot() == before


def test_a_portal_user_answers_as_the_customer_but_does_not_work_the_request(api_as, portal_user, personas, request_a):  # noqa: F811
    client = api_as(portal_user)
    answered = client.post(url(request_a, "reply"), {"body": "今天上午仍然没有文件"}, format="json")
    assert answered.status_code == 201, answered.json()
    message = RequestMessage.objects.filter(request=request_a).latest("id")
    assert message.kind == MessageKind.INBOUND and message.body == "今天上午仍然没有文件"
    assert client.post(url(request_a, "messages"), {"body": "补充截图说明", "channel": "email"}, format="json").status_code == 201
    assert RequestMessage.objects.filter(request=request_a, kind=MessageKind.INBOUND).count() == 3
    before = snapshot()
    version = ServiceRequest.objects.get(pk=request_a.pk).version
    for step, payload in [("note", {"body": "x"}), ("transfer", {"queue": request_a.queue_id, "reason": "x", "version": version}),
                          ("assign", {"user": portal_user.pk, "version": version}),
                          ("owner", {"owner": portal_user.pk, "reason": "x", "version": version}),
                          ("status", {"status": "closed", "note": "x", "version": version})]:  # fmt: skip
        assert client.post(url(request_a, step), payload, format="json").status_code == 403, step
    assert snapshot() == before


def test_a_portal_user_guessing_another_customers_request_gets_404(api_as, portal_user, request_b):  # noqa: F811
    client = api_as(portal_user)
    before = snapshot()
    assert client.get(url(request_b)).status_code == 404
    assert client.post(url(request_b, "reply"), {"body": "x"}, format="json").status_code == 404
    assert client.post(url(request_b, "messages"), {"body": "x"}, format="json").status_code == 404
    assert snapshot() == before


def test_the_portal_list_query_count(api_as, portal_user, request_a, django_assert_num_queries):  # noqa: F811
    client = api_as(portal_user)
    client.get(REQUESTS)
    # token, memberships, count, page, then its contact, queue, department and SLA policy
    with django_assert_num_queries(8):
        assert client.get(REQUESTS).json()["count"] == 1


def test_the_portal_detail_query_count_leaves_out_the_internal_rows(api_as, portal_user, request_a, django_assert_num_queries):  # noqa: F811
    client = api_as(portal_user)
    client.get(url(request_a))
    # token, memberships, request, its contact, queue, department and SLA policy, messages, status changes:
    # no handoffs, no escalations
    with django_assert_num_queries(9):
        assert client.get(url(request_a)).status_code == 200


def test_a_portal_user_is_told_in_their_language_why_they_may_not_work_a_request(api_as, portal_user, request_a):  # noqa: F811
    response = api_as(portal_user, "zh-hans").post(url(request_a, "note"), {"body": "x"}, format="json")
    assert response.status_code == 403 and response.json() == {"detail": "客户用户可以查看和回复自己的工单，但不能处理工单。"}
    english = api_as(portal_user).post(url(request_a, "note"), {"body": "x"}, format="json")
    assert english.json() == {"detail": "Customer users can read and answer their requests, not work them."}


def test_a_closed_request_is_not_moved(api_as, personas, desk, request_a):  # noqa: F811
    request_set_status(request=request_a, by=personas.maintenance_agent, status="closed", note="重复工单")
    before = snapshot()
    payload = {"queue": desk.engineering.pk, "reason": "x", "version": 2}
    response = api_as(personas.maintenance_agent).post(url(request_a, "transfer"), payload, format="json")
    assert response.status_code == 400 and list(response.json()) == ["non_field_errors"], response.json()
    assert snapshot() == before


@pytest.mark.parametrize("body", [[], "text", {"body": None}])
def test_a_body_of_the_wrong_shape_is_a_400(api_as, personas, request_a, body):  # noqa: F811
    response = api_as(personas.maintenance_agent).post(url(request_a, "note"), body, format="json")
    assert response.status_code == 400
