"""The records API: complaints with their workflow, knowledge articles with search and votes,
surveys for staff and answering by token."""

from datetime import timedelta

import pytest
from django.utils import timezone

from touchpoint.service.models import Article, Complaint, Survey
from touchpoint.service.services.complaints import complaint_create
from touchpoint.service.services.knowledge import article_create, article_publish
from touchpoint.service.services.surveys import survey_send_for_request, survey_token
from touchpoint.service.tests import fixtures_records

pytestmark = pytest.mark.django_db
api_as = fixtures_records.api_as
resolved = fixtures_records.resolved


def raise_one(personas, customer=None):
    return complaint_create(by=personas.maintenance_agent, customer=customer or personas.customer_a, subject="账单金额不对",
                            description="多收了一个季度的维保费", about="billing")  # fmt: skip


def test_a_complaint_is_raised_worked_and_closed_through_the_api(api_as, personas, resolved):
    api = api_as(personas.maintenance_agent)
    created = api.post("/api/v1/complaints/", {"request": resolved.pk, "about": "service", "subject": "响应太慢",
                                               "description": "两小时无人响应"}, format="json")  # fmt: skip
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["customer"] == personas.customer_a.pk and body["requests"] == [resolved.pk] and body["status"] == "open"
    url = f"/api/v1/complaints/{body['id']}/"
    edited = api.patch(url, {"version": body["version"], "corrective_action": "增加早班人手"}, format="json")
    assert edited.status_code == 200 and edited.json()["corrective_action"] == "增加早班人手"
    stale = api.patch(url, {"version": body["version"], "root_cause": "旧版本"}, format="json")
    assert stale.status_code == 409
    refused = api.post(url + "confirm-close/", {"confirmed_by": "", "confirmed_at": timezone.now().isoformat()}, format="json")
    assert refused.status_code == 400 and "confirmed_by" in refused.json()
    assert api.post(url + "move/", {"status": "action_taken"}, format="json").status_code == 200
    assert api.post(url + "inform/", {"via": "phone"}, format="json").status_code == 200
    when = (timezone.now() - timedelta(minutes=1)).isoformat()
    closed = api.post(url + "confirm-close/", {"confirmed_by": "张伟", "confirmed_at": when}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    reopened = api.post(url + "reopen/", {"reason": "又出现了"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "investigating" and reopened.json()["reopened"] == 1


def test_complaints_list_only_what_the_reader_may_see_and_filters_are_checked(api_as, personas):
    mine, other = raise_one(personas), raise_one(personas, personas.customer_b)
    rows = api_as(personas.sales_rep).get("/api/v1/complaints/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert api_as(personas.sales_rep).get(f"/api/v1/complaints/{other.pk}/").status_code == 404
    assert api_as(personas.sales_rep).get("/api/v1/complaints/abc/").status_code == 404
    assert api_as(personas.sales_rep).get("/api/v1/complaints/99999999999999999999999/").status_code == 404
    assert api_as(personas.maintenance_lead).get("/api/v1/complaints/?status=weird").status_code == 400
    assert api_as(personas.maintenance_lead).get("/api/v1/complaints/?colour=red").status_code == 400
    assert len(api_as(personas.maintenance_lead).get(f"/api/v1/complaints/?customer={personas.customer_b.pk}").json()["results"]) == 1


def test_a_reader_who_may_not_work_a_complaint_is_refused_and_nothing_changes(api_as, personas):
    complaint = raise_one(personas)
    answer = api_as(personas.sales_rep).post(f"/api/v1/complaints/{complaint.pk}/reopen/", {"reason": "x"}, format="json")
    assert answer.status_code == 403
    answer = api_as(personas.executive).patch(f"/api/v1/complaints/{complaint.pk}/", {"version": 1, "root_cause": "x"}, format="json")
    assert answer.status_code == 403
    complaint.refresh_from_db()
    assert complaint.version == 1 and complaint.root_cause == ""
    body = {"customer": personas.customer_a.pk, "about": "staff", "subject": "s", "description": "d"}
    assert api_as(personas.marketing).post("/api/v1/complaints/", body, format="json").status_code == 403
    assert Complaint.objects.count() == 1


def test_the_complaint_list_query_count_does_not_grow_with_rows(api_as, personas, django_assert_max_num_queries):
    api = api_as(personas.maintenance_lead)
    raise_one(personas)
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/complaints/").status_code == 200
    for _ in range(4):
        raise_one(personas, personas.customer_b)
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/complaints/").json()["results"]) == 5


def test_articles_are_searched_in_chinese_written_published_and_voted_on(api_as, personas):
    writer, lead = api_as(personas.maintenance_agent), api_as(personas.maintenance_lead)
    created = writer.post("/api/v1/knowledge-articles/", {"title": "委托下单超时的排查", "body": "检查交易网关连接数",
                                                          "visibility": "customer"}, format="json")  # fmt: skip
    assert created.status_code == 201 and created.json()["status"] == "draft"
    pk = created.json()["id"]
    assert writer.post(f"/api/v1/knowledge-articles/{pk}/publish/").status_code == 403
    assert lead.post(f"/api/v1/knowledge-articles/{pk}/publish/").status_code == 200
    found = api_as(personas.sales_rep).get("/api/v1/knowledge-articles/", {"search": "下单超时"}).json()["results"]
    assert [row["id"] for row in found] == [pk]
    assert api_as(personas.sales_rep).get("/api/v1/knowledge-articles/", {"search": "行情"}).json()["results"] == []
    voted = api_as(personas.sales_rep).post(f"/api/v1/knowledge-articles/{pk}/feedback/", {"helpful": True}, format="json")
    assert voted.status_code == 200 and voted.json()["helpful_count"] == 1
    again = api_as(personas.sales_rep).post(f"/api/v1/knowledge-articles/{pk}/feedback/", {"helpful": True}, format="json")
    assert again.json()["helpful_count"] == 1
    bad = writer.post("/api/v1/knowledge-articles/", {"title": "", "body": "x", "visibility": "public"}, format="json")
    assert bad.status_code == 400 and {"title", "visibility"} <= set(bad.json())


def test_a_portal_reader_gets_only_published_customer_visible_articles(api_as, personas, monkeypatch):
    internal = article_publish(article=article_create(by=personas.maintenance_agent, title="内部", body="内部排查步骤"),
                               by=personas.maintenance_lead)  # fmt: skip
    public = article_publish(article=article_create(by=personas.maintenance_agent, title="公开", body="公开说明", visibility="customer"),
                             by=personas.maintenance_lead)  # fmt: skip
    monkeypatch.setattr("touchpoint.org.policy.portal_customers", lambda user: frozenset({personas.customer_a.pk}))
    monkeypatch.setattr("touchpoint.service.api.shared.portal_customers", lambda user: frozenset({personas.customer_a.pk}))
    api = api_as(personas.outsider)
    assert [row["id"] for row in api.get("/api/v1/knowledge-articles/").json()["results"]] == [public.pk]
    assert api.get(f"/api/v1/knowledge-articles/{internal.pk}/").status_code == 404
    assert api.post("/api/v1/knowledge-articles/", {"title": "t", "body": "b"}, format="json").status_code == 403
    assert Article.objects.count() == 2


def test_a_survey_is_answered_by_token_without_signing_in_once(client, personas, resolved):
    survey = survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    token = survey_token(survey)
    answer = client.post("/api/v1/surveys/answer/", {"token": token, "score": 5, "comment": "很好"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["score"] == 5
    again = client.post("/api/v1/surveys/answer/", {"token": token, "score": 1}, content_type="application/json")
    assert again.status_code == 400 and "token" in again.json()
    forged = client.post("/api/v1/surveys/answer/", {"token": token[:-3] + "abc", "score": 1}, content_type="application/json")
    assert forged.status_code == 400
    survey.refresh_from_db()
    assert survey.score == 5


def test_surveys_are_listed_for_staff_only(api_as, personas, resolved):
    survey_send_for_request(request=resolved, by=personas.maintenance_agent)
    assert len(api_as(personas.maintenance_lead).get("/api/v1/surveys/").json()["results"]) == 1
    assert api_as(personas.marketing).get("/api/v1/surveys/").status_code == 403
    assert api_as(personas.maintenance_lead).get("/api/v1/surveys/?kind=xyz").status_code == 400
    assert Survey.objects.count() == 1
