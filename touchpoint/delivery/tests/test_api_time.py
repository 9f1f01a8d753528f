"""The timesheet and site-visit API: engineers log hours, the project manager approves or rejects
them; a visit lands on the customer's timeline. Permissions, hostile input, languages, query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.delivery.models import Project, TimeEntry
from touchpoint.delivery.services.plan import task_update
from touchpoint.delivery.services.projects import project_move
from touchpoint.delivery.services.timesheets import time_decide, time_log
from touchpoint.delivery.tests.conftest import first_task
from touchpoint.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

TIME = "/api/v1/time-entries/"
VISITS = "/api/v1/site-visits/"


def today():
    return timezone.localdate()


def snapshot():
    """What a refused write must leave alone: every time entry, the projects' status and the events."""
    return (
        list(TimeEntry.objects.order_by("pk").values()),
        list(Project.objects.order_by("pk").values("pk", "status", "version")),
        Touchpoint.objects.count(),
        Event.objects.count(),
    )


@pytest.fixture
def task(staffed, personas):
    """The plan's first task, the engineer's."""
    task = first_task(staffed)
    return task_update(task=task, by=personas.project_manager, expected_version=task.version, assignee=personas.engineer)


def log(task, user, hours="7.5", day=None):
    return time_log(user=user, task=task, work_date=day or today(), hours=hours)


# --- Logging hours -------------------------------------------------------------------------------


def test_the_engineer_logs_hours_on_a_task(api_as, personas, task):
    payload = {"task": task.pk, "work_date": today().isoformat(), "hours": "7.5", "note": "需求调研会议"}
    response = api_as(personas.engineer).post(TIME, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hours"] == "7.50" and body["status"] == "submitted" and body["user"] == personas.engineer.pk
    assert body["project"] == task.project_id and body["task_name"] == task.name and body["user_name"] == "周工程师"
    entry = TimeEntry.objects.get()
    assert entry.customer_id == task.customer_id and entry.note == "需求调研会议"
    assert Project.objects.get(pk=task.project_id).status == "in_progress"  # logged work starts the project


def test_hours_of_a_day_never_add_up_to_more_than_24(api_as, personas, task):
    log(task, personas.engineer, "20")
    before = snapshot()
    response = api_as(personas.engineer).post(TIME, {"task": task.pk, "work_date": today().isoformat(), "hours": "4.5"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["hours"] and "24" in response.json()["hours"][0]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [({"hours": "25"}, "hours"), ({"hours": "0"}, "hours"), ({"hours": "-2"}, "hours"), ({"hours": "abc"}, "hours"),
     ({"hours": "1.005"}, "hours"), ({"hours": None}, "hours"), ({"work_date": "2999-01-01"}, "work_date"),
     ({"work_date": "yesterday"}, "work_date"), ({"task": 999999}, "task"), ({"task": "abc"}, "task"), ({"note": "n" * 301}, "note")],
)  # fmt: skip
def test_bad_hours_are_a_field_level_400_and_change_nothing(api_as, personas, task, change, field):
    before = snapshot()
    payload = {"task": task.pk, "work_date": today().isoformat(), "hours": "2", **change}
    response = api_as(personas.engineer).post(TIME, payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert snapshot() == before


def test_no_hours_are_logged_on_a_closed_project(api_as, personas, task):
    project_move(project=task.project, to="cancelled", by=personas.project_manager, reason="客户取消")
    before = snapshot()
    payload = {"task": task.pk, "work_date": today().isoformat(), "hours": "2"}
    response = api_as(personas.project_manager).post(TIME, payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["task"] and "no more time can be logged" in response.json()["task"][0]
    # The team's reach ended with the project: to the engineer its tasks no longer exist.
    response = api_as(personas.engineer).post(TIME, payload, format="json")
    assert response.status_code == 400 and list(response.json()) == ["task"]
    assert snapshot() == before


@pytest.mark.parametrize(("name", "code"), [("maintenance_lead", 403), ("finance", 403), ("sales_rep", 403), ("other_rep", 400),
                                            ("outsider", 400)])  # fmt: skip
def test_only_the_team_logs_hours(api_as, personas, task, name, code):
    before = snapshot()
    payload = {"task": task.pk, "work_date": today().isoformat(), "hours": "2"}
    response = api_as(getattr(personas, name)).post(TIME, payload, format="json")
    assert response.status_code == code  # 400: a task of a project one may not see does not exist
    assert snapshot() == before


def test_hours_error_messages_come_in_the_readers_language(api_as, personas, task):
    response = api_as(personas.engineer, "zh-hans").post(TIME, {"task": task.pk, "hours": "2"}, format="json")
    assert response.status_code == 400 and response.json() == {"work_date": ["该字段是必填项。"]}
    assert response.headers["Content-Language"] == "zh-hans"


# --- Reading -------------------------------------------------------------------------------------


def test_who_sees_which_hours(api_as, personas, task):
    mine = log(task, personas.engineer)
    managers = log(task, personas.project_manager, "1")
    assert {row["id"] for row in api_as(personas.engineer).get(TIME).json()["results"]} == {mine.pk}
    assert {row["id"] for row in api_as(personas.project_manager).get(TIME).json()["results"]} == {mine.pk, managers.pk}
    assert {row["id"] for row in api_as(personas.finance).get(TIME).json()["results"]} == {mine.pk, managers.pk}
    for name in ("sales_rep", "maintenance_lead", "other_rep", "outsider"):
        client = api_as(getattr(personas, name))
        assert client.get(TIME).json()["count"] == 0, name
        assert client.get(f"{TIME}{mine.pk}/").status_code == 404, name


def test_the_list_filters_hours(api_as, personas, task):
    yesterday = log(task, personas.engineer, "3", today() - timedelta(days=1))
    now = log(task, personas.engineer, "4")
    time_decide(entries=[yesterday], by=personas.project_manager, approve=True)
    client = api_as(personas.project_manager)

    def ids(**params):
        response = client.get(TIME, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [now.pk, yesterday.pk]
    assert ids(status="approved") == [yesterday.pk]
    assert ids(worked_from=today().isoformat()) == [now.pk]
    assert ids(worked_to=(today() - timedelta(days=1)).isoformat()) == [yesterday.pk]
    assert ids(user=personas.engineer.pk, project=task.project_id, task=task.pk) == [now.pk, yesterday.pk]
    assert ids(ordering="hours") == [yesterday.pk, now.pk]
    assert client.get(TIME, {"status": "lost"}).status_code == 400
    assert client.get(TIME, {"mine": "1"}).status_code == 400


def test_the_time_list_query_count_does_not_grow_with_rows(api_as, personas, task, django_assert_num_queries):
    log(task, personas.engineer, "1")
    client = api_as(personas.project_manager)
    client.get(TIME)
    # token, memberships, count, page (project, task, user, decided_by joined)
    with django_assert_num_queries(4):
        assert client.get(TIME).json()["count"] == 1
    for day in range(1, 5):
        log(task, personas.engineer, "1", today() - timedelta(days=day))
    with django_assert_num_queries(4):
        assert client.get(TIME).json()["count"] == 5


# --- Deciding and removing ------------------------------------------------------------------------


def test_the_manager_approves_hours(api_as, personas, task):
    entry = log(task, personas.engineer)
    response = api_as(personas.project_manager).post(f"{TIME}{entry.pk}/approve/", format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved" and body["decided_by"] == personas.project_manager.pk and body["decided_at"]
    assert Event.objects.filter(verb="project.time_decided").count() == 1


def test_the_manager_rejects_hours_saying_why(api_as, personas, task):
    entry = log(task, personas.engineer)
    client = api_as(personas.project_manager)
    before = snapshot()
    refused = client.post(f"{TIME}{entry.pk}/reject/", {}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    assert client.post(f"{TIME}{entry.pk}/reject/", {"reason": "  "}, format="json").status_code == 400
    assert snapshot() == before
    response = client.post(f"{TIME}{entry.pk}/reject/", {"reason": "工时与任务不符"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected" and response.json()["reject_reason"] == "工时与任务不符"


def test_deciding_twice_is_a_400(api_as, personas, task):
    entry = log(task, personas.engineer)
    time_decide(entries=[entry], by=personas.project_manager, approve=True)
    before = snapshot()
    response = api_as(personas.project_manager).post(f"{TIME}{entry.pk}/reject/", {"reason": "重新考虑"}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(("name", "code"), [("engineer", 403), ("finance", 403), ("sales_rep", 404), ("maintenance_lead", 404)])
def test_only_the_manager_decides_on_hours(api_as, personas, task, name, code):
    entry = log(task, personas.engineer)
    before = snapshot()
    assert api_as(getattr(personas, name)).post(f"{TIME}{entry.pk}/approve/", format="json").status_code == code
    assert snapshot() == before


def test_nobody_approves_their_own_hours(api_as, personas, task):
    entry = log(task, personas.project_manager, "2")
    before = snapshot()
    assert api_as(personas.project_manager).post(f"{TIME}{entry.pk}/approve/", format="json").status_code == 403
    assert snapshot() == before


def test_the_engineer_removes_their_own_submitted_hours(api_as, personas, task):
    entry = log(task, personas.engineer)
    assert api_as(personas.engineer).delete(f"{TIME}{entry.pk}/").status_code == 204
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()


def test_approved_or_other_peoples_hours_are_not_removed(api_as, personas, task):
    approved = log(task, personas.engineer)
    time_decide(entries=[approved], by=personas.project_manager, approve=True)
    submitted = log(task, personas.engineer, "1", today() - timedelta(days=1))
    before = snapshot()
    assert api_as(personas.engineer).delete(f"{TIME}{approved.pk}/").status_code == 403
    assert api_as(personas.project_manager).delete(f"{TIME}{submitted.pk}/").status_code == 403
    assert api_as(personas.other_rep).delete(f"{TIME}{submitted.pk}/").status_code == 404
    assert snapshot() == before


# --- Site visits --------------------------------------------------------------------------------------


def test_the_manager_logs_a_site_visit_on_the_customers_timeline(api_as, personas, staffed):
    occurred = timezone.now() - timedelta(hours=3)
    payload = {"project": staffed.pk, "occurred_at": occurred.isoformat(), "subject": "现场安装检查", "notes": "机房环境满足要求",
               "contacts": [personas.contact_a.pk], "participants": [personas.engineer.pk]}  # fmt: skip
    response = api_as(personas.project_manager).post(VISITS, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["channel"] == "meeting" and body["customer"] == staffed.customer_id and body["subject"] == "现场安装检查"
    assert body["contacts"] == [personas.contact_a.pk] and body["participants"] == [personas.engineer.pk]
    touchpoint = Touchpoint.objects.get(pk=body["id"])
    assert (touchpoint.link_type, touchpoint.link_id) == ("delivery.project", staffed.pk)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"occurred_at": "2999-01-01T10:00:00+08:00"}, "occurred_at"), ({"subject": ""}, "subject"), ({"subject": "   "}, "subject"),
     ({"contacts": [999999]}, "contacts"), ({"project": 999999}, "project"), ({"occurred_at": None}, "occurred_at")],
)  # fmt: skip
def test_bad_site_visits_are_a_field_level_400(api_as, personas, staffed, change, field):
    before = snapshot()
    payload = {"project": staffed.pk, "occurred_at": timezone.now().isoformat(), "subject": "现场巡检", **change}
    response = api_as(personas.project_manager).post(VISITS, payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert snapshot() == before


def test_a_contact_of_another_customer_is_refused(api_as, personas, staffed):
    payload = {"project": staffed.pk, "occurred_at": timezone.now().isoformat(), "subject": "现场巡检", "contacts": [personas.contact_b.pk]}
    response = api_as(personas.project_manager).post(VISITS, payload, format="json")
    assert response.status_code == 400 and "contacts" in response.json()


def test_no_site_visit_is_logged_on_a_closed_project(api_as, personas, staffed):
    project_move(project=staffed, to="cancelled", by=personas.project_manager, reason="客户取消")
    before = snapshot()
    payload = {"project": staffed.pk, "occurred_at": timezone.now().isoformat(), "subject": "现场巡检"}
    response = api_as(personas.project_manager).post(VISITS, payload, format="json")
    assert response.status_code == 400 and "project" in response.json()
    assert snapshot() == before


def test_who_may_not_log_touchpoints_on_the_customer_logs_no_visit(api_as, personas, staffed):
    payload = {"project": staffed.pk, "occurred_at": timezone.now().isoformat(), "subject": "现场巡检"}
    before = snapshot()
    assert api_as(personas.executive).post(VISITS, payload, format="json").status_code == 403
    assert api_as(personas.other_rep).post(VISITS, payload, format="json").status_code == 400
    assert snapshot() == before
