"""The touchpoints and follow-ups API: scope, permissions, versions, bad input and query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from touchpoint.touchpoints.models import FollowUp, FollowUpStatus, Touchpoint
from touchpoint.touchpoints.services import followup_create, touchpoint_log


@pytest.fixture
def api_as():
    def client_for(user, language="en"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def touchpoint_a(personas):
    return touchpoint_log(
        by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="out",
        subject="回访行情系统升级", contacts=[personas.contact_a],
    )  # fmt: skip


@pytest.fixture
def followup_a(personas):
    return followup_create(
        by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
        due_on=timezone.localdate() + timedelta(days=3), subject="发送报价",
    )  # fmt: skip


def snapshot(model, obj):
    return model.all_objects.filter(pk=obj.pk).values().get()


# --- Touchpoints ----------------------------------------------------------------------------


def test_rep_logs_a_phone_call_by_json(personas, api_as):
    payload = {
        "customer": personas.customer_a.pk, "channel": "phone", "direction": "in", "subject": "客户来电咨询",
        "contacts": [personas.contact_a.pk], "followup_due_on": str(timezone.localdate() + timedelta(days=1)),
    }  # fmt: skip
    response = api_as(personas.sales_rep).post("/api/v1/touchpoints/", payload, format="json")
    assert response.status_code == 201, response.json()
    touchpoint = Touchpoint.objects.get(pk=response.json()["id"])
    assert touchpoint.logged_by == personas.sales_rep
    assert list(touchpoint.contacts.all()) == [personas.contact_a]
    assert FollowUp.objects.filter(touchpoint=touchpoint).count() == 1
    assert response.json()["version"] == 1


def test_touchpoint_dated_beyond_the_tolerance_is_a_400(personas, api_as):
    payload = {
        "customer": personas.customer_a.pk, "channel": "phone", "direction": "in", "subject": "未来的电话",
        "occurred_at": (timezone.now() + timedelta(days=2)).isoformat(),
    }  # fmt: skip
    response = api_as(personas.sales_rep, "zh-hans").post("/api/v1/touchpoints/", payload, format="json")
    assert response.status_code == 400
    assert "occurred_at" in response.json()
    assert not Touchpoint.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"subject": "s" * 201}, "subject"),
        ({"subject": "a\x00b"}, "subject"),
        ({"notes": "n" * 20001}, "notes"),
        ({"occurred_at": "not a date"}, "occurred_at"),
        ({"contacts": list(range(1, 60))}, "contacts"),
        ({"contacts": ["x"]}, "contacts"),
        ({"participants": [10**20]}, "participants"),
    ],
)
def test_bad_touchpoint_input_is_a_field_level_400(personas, api_as, payload, field):
    body = {"customer": personas.customer_a.pk, "channel": "phone", "direction": "in", "subject": "来电", **payload}
    response = api_as(personas.admin, "zh-hans").post("/api/v1/touchpoints/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Touchpoint.objects.exists()


def test_contact_of_another_customer_is_a_400(personas, api_as):
    body = {
        "customer": personas.customer_a.pk, "channel": "phone", "direction": "in", "subject": "来电",
        "contacts": [personas.contact_b.pk],
    }  # fmt: skip
    response = api_as(personas.admin).post("/api/v1/touchpoints/", body, format="json")
    assert response.status_code == 400
    assert "contacts" in response.json()


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 201),
        ("sales_manager", 201),
        ("project_manager", 201),
        ("engineer", 400),  # customer A is outside the engineer's view: "does not exist"
        ("maintenance_agent", 201),
        ("maintenance_lead", 201),
        ("finance", 201),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 201),
    ],
)
def test_touchpoint_create_follows_each_positions_policy(personas, api_as, position, status):
    body = {"customer": personas.customer_a.pk, "channel": "email", "direction": "out", "subject": "发送方案"}
    response = api_as(personas.by_position()[position]).post("/api/v1/touchpoints/", body, format="json")
    assert response.status_code == status
    assert Touchpoint.all_objects.count() == (status == 201)


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 200),
        ("sales_manager", 200),
        ("project_manager", 403),
        ("engineer", 404),
        ("maintenance_agent", 403),
        ("maintenance_lead", 200),
        ("finance", 403),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 200),
    ],
)
def test_touchpoint_edit_follows_each_positions_policy(personas, api_as, touchpoint_a, position, status):
    before = snapshot(Touchpoint, touchpoint_a)
    url = f"/api/v1/touchpoints/{touchpoint_a.pk}/"
    response = api_as(personas.by_position()[position]).patch(url, {"outcome": "已确认", "version": 1}, format="json")
    assert response.status_code == status
    if status == 200:
        assert response.json()["outcome"] == "已确认"
        assert response.json()["version"] == 2
    else:
        assert snapshot(Touchpoint, touchpoint_a) == before


def test_touchpoint_stale_version_is_a_409(personas, api_as, touchpoint_a):
    url = f"/api/v1/touchpoints/{touchpoint_a.pk}/"
    client = api_as(personas.sales_rep)
    assert client.patch(url, {"outcome": "一", "version": 1}, format="json").status_code == 200
    response = client.patch(url, {"outcome": "二", "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["revisions"][0]["changes"][0]["field"] == "outcome"
    touchpoint_a.refresh_from_db()
    assert touchpoint_a.outcome == "一"


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 204),
        ("sales_manager", 204),
        ("project_manager", 403),
        ("engineer", 404),
        ("maintenance_agent", 403),
        ("maintenance_lead", 204),
        ("finance", 403),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 204),
    ],
)
def test_touchpoint_delete_follows_each_positions_policy(personas, api_as, touchpoint_a, position, status):
    before = snapshot(Touchpoint, touchpoint_a)
    response = api_as(personas.by_position()[position]).delete(f"/api/v1/touchpoints/{touchpoint_a.pk}/")
    assert response.status_code == status
    if status == 204:
        assert not Touchpoint.objects.filter(pk=touchpoint_a.pk).exists()
    else:
        assert snapshot(Touchpoint, touchpoint_a) == before


def test_rep_cannot_see_other_reps_touchpoint(personas, api_as):
    other = touchpoint_log(
        by=personas.other_rep, customer=personas.customer_b, channel="meeting",
        direction="out", subject="拜访",
    )  # fmt: skip
    client = api_as(personas.sales_rep)
    assert client.get(f"/api/v1/touchpoints/{other.pk}/").status_code == 404
    assert client.get("/api/v1/touchpoints/").json()["count"] == 0


def test_touchpoint_lists_attachments_with_download_url(personas, api_as):
    upload = SimpleUploadedFile("纪要.txt", "会议纪要".encode(), content_type="text/plain")
    touchpoint = touchpoint_log(
        by=personas.sales_rep, customer=personas.customer_a, channel="meeting", direction="out",
        subject="需求调研", files=[upload],
    )  # fmt: skip
    response = api_as(personas.sales_rep).get(f"/api/v1/touchpoints/{touchpoint.pk}/")
    [attachment] = response.json()["attachments"]
    assert attachment["name"] == "纪要.txt"
    assert attachment["download_url"] == f"/attachments/{attachment['id']}/download/"


def test_touchpoint_list_filters_and_orders(personas, api_as, touchpoint_a):
    client = api_as(personas.admin)
    assert client.get("/api/v1/touchpoints/", {"channel": "phone"}).json()["count"] == 1
    assert client.get("/api/v1/touchpoints/", {"channel": "fax"}).json()["count"] == 0
    assert client.get("/api/v1/touchpoints/", {"contact": personas.contact_a.pk}).json()["count"] == 1
    assert client.get("/api/v1/touchpoints/", {"ordering": "-occurred_at"}).status_code == 200
    assert client.get("/api/v1/touchpoints/", {"ordering": "subject"}).status_code == 400
    assert client.get("/api/v1/touchpoints/", {"notes": "x"}).status_code == 400
    assert client.get("/api/v1/touchpoints/", {"occurred_after": "soon"}).status_code == 400


# --- Follow-ups ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 201),
        ("sales_manager", 201),
        ("project_manager", 201),
        ("engineer", 400),
        ("maintenance_agent", 201),
        ("maintenance_lead", 201),
        ("finance", 201),
        ("marketing", 403),
        ("executive", 201),
        ("admin", 201),
    ],
)
def test_followup_create_follows_each_positions_policy(personas, api_as, position, status):
    body = {"customer": personas.customer_a.pk, "subject": "确认验收时间", "due_on": str(timezone.localdate())}
    user = personas.by_position()[position]
    response = api_as(user).post("/api/v1/followups/", body, format="json")
    assert response.status_code == status
    assert FollowUp.all_objects.count() == (status == 201)
    if status == 201:
        assert response.json()["assignee"] == user.pk


def test_followup_with_a_touchpoint_of_another_customer_is_a_400(personas, api_as):
    other = touchpoint_log(by=personas.admin, customer=personas.customer_b, channel="phone", direction="in", subject="x")
    body = {
        "customer": personas.customer_a.pk, "subject": "跟进", "due_on": str(timezone.localdate()),
        "touchpoint": other.pk,
    }  # fmt: skip
    response = api_as(personas.admin).post("/api/v1/followups/", body, format="json")
    assert response.status_code == 400
    assert "touchpoint" in response.json()


def test_bad_followup_input_is_a_field_level_400(personas, api_as):
    body = {"customer": personas.customer_a.pk, "subject": "", "due_on": "2026-02-30"}
    response = api_as(personas.admin, "zh-hans").post("/api/v1/followups/", body, format="json")
    assert response.status_code == 400
    assert {"subject", "due_on"} <= response.json().keys()


FOLLOWUP_OWNERS = [
    ("sales_rep", 200),
    ("sales_manager", 200),
    ("project_manager", 404),
    ("engineer", 404),
    ("maintenance_agent", 404),
    ("maintenance_lead", 404),
    ("finance", 404),
    ("marketing", 404),
    ("executive", 403),
    ("admin", 200),
]


@pytest.mark.parametrize(("position", "status"), FOLLOWUP_OWNERS)
def test_followup_edit_follows_each_positions_policy(personas, api_as, followup_a, position, status):
    before = snapshot(FollowUp, followup_a)
    url = f"/api/v1/followups/{followup_a.pk}/"
    response = api_as(personas.by_position()[position]).patch(url, {"subject": "改期", "version": 1}, format="json")
    assert response.status_code == status
    if status != 200:
        assert snapshot(FollowUp, followup_a) == before


@pytest.mark.parametrize(("position", "status"), FOLLOWUP_OWNERS)
def test_followup_complete_follows_each_positions_policy(personas, api_as, followup_a, position, status):
    url = f"/api/v1/followups/{followup_a.pk}/complete/"
    response = api_as(personas.by_position()[position]).post(url, {"outcome": "已发送"}, format="json")
    assert response.status_code == status
    followup_a.refresh_from_db()
    assert followup_a.status == (FollowUpStatus.DONE if status == 200 else FollowUpStatus.OPEN)


def test_completing_a_closed_followup_is_a_400(personas, api_as, followup_a):
    client = api_as(personas.sales_rep)
    url = f"/api/v1/followups/{followup_a.pk}/complete/"
    assert client.post(url, {}, format="json").status_code == 200
    assert client.post(url, {}, format="json").status_code == 400


@pytest.mark.parametrize(("position", "status"), FOLLOWUP_OWNERS)
def test_followup_reassign_follows_each_positions_policy(personas, api_as, followup_a, position, status):
    url = f"/api/v1/followups/{followup_a.pk}/reassign/"
    body = {"assignee": personas.sales_manager.pk, "reason": "出差"}
    response = api_as(personas.by_position()[position]).post(url, body, format="json")
    assert response.status_code == status
    followup_a.refresh_from_db()
    assert followup_a.assignee == (personas.sales_manager if status == 200 else personas.sales_rep)


def test_reassign_without_reason_is_a_400(personas, api_as, followup_a):
    url = f"/api/v1/followups/{followup_a.pk}/reassign/"
    response = api_as(personas.sales_rep).post(url, {"assignee": personas.sales_manager.pk}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


@pytest.mark.parametrize(
    ("position", "status"),
    [(p, 204 if s == 200 else s) for p, s in FOLLOWUP_OWNERS],
)
def test_followup_delete_follows_each_positions_policy(personas, api_as, followup_a, position, status):
    before = snapshot(FollowUp, followup_a)
    response = api_as(personas.by_position()[position]).delete(f"/api/v1/followups/{followup_a.pk}/")
    assert response.status_code == status
    if status == 204:
        assert not FollowUp.objects.filter(pk=followup_a.pk).exists()
    else:
        assert snapshot(FollowUp, followup_a) == before


def test_followup_stale_version_is_a_409(personas, api_as, followup_a):
    url = f"/api/v1/followups/{followup_a.pk}/"
    client = api_as(personas.sales_rep)
    assert client.patch(url, {"notes": "一", "version": 1}, format="json").status_code == 200
    response = client.patch(url, {"notes": "二", "version": 1}, format="json")
    assert response.status_code == 409
    followup_a.refresh_from_db()
    assert followup_a.notes == "一"


def test_followup_list_filters(personas, api_as, followup_a):
    client = api_as(personas.sales_rep)
    assert client.get("/api/v1/followups/", {"status": "open"}).json()["count"] == 1
    assert client.get("/api/v1/followups/", {"status": "done"}).json()["count"] == 0
    assert client.get("/api/v1/followups/", {"due_before": str(timezone.localdate())}).json()["count"] == 0
    assert client.get("/api/v1/followups/", {"status": "late"}).status_code == 400
    assert client.get("/api/v1/followups/", {"ordering": "subject"}).status_code == 400


# --- Query counts -------------------------------------------------------------------------------


def _more_touchpoints(personas, count):
    for number in range(count):
        touchpoint = touchpoint_log(
            by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="out",
            subject=f"电话{number}", contacts=[personas.contact_a], participants=[personas.sales_manager],
        )  # fmt: skip
        followup_create(
            by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
            due_on=timezone.localdate(), subject=f"跟进{number}", touchpoint=touchpoint,
        )  # fmt: skip


def test_touchpoint_list_query_count_does_not_grow_with_rows(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/touchpoints/")
    _more_touchpoints(personas, 1)
    # token, memberships, count, page, contacts, participants, attachments
    with django_assert_num_queries(7):
        assert client.get("/api/v1/touchpoints/").status_code == 200
    _more_touchpoints(personas, 5)
    with django_assert_num_queries(7):
        assert client.get("/api/v1/touchpoints/").json()["count"] == 6


def test_touchpoint_detail_query_count(personas, api_as, touchpoint_a, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/touchpoints/")
    with django_assert_num_queries(6):
        assert client.get(f"/api/v1/touchpoints/{touchpoint_a.pk}/").status_code == 200


def test_followup_list_query_count_does_not_grow_with_rows(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/followups/")
    _more_touchpoints(personas, 1)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/followups/").status_code == 200
    _more_touchpoints(personas, 5)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/followups/").json()["count"] == 6


def test_followup_detail_query_count(personas, api_as, followup_a, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/followups/")
    with django_assert_num_queries(3):
        assert client.get(f"/api/v1/followups/{followup_a.pk}/").status_code == 200
