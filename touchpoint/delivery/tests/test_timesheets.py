"""Timesheets: hours per task and day, approved by the project manager; site visits on the customer's timeline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from touchpoint.core.models import Channel, Event
from touchpoint.customers.selectors import customer_timeline
from touchpoint.delivery.models import ProjectStatus, TimeEntry, TimeStatus
from touchpoint.delivery.selectors import time_to_approve, timesheet_week, week_of
from touchpoint.delivery.services.projects import member_add, project_move
from touchpoint.delivery.services.timesheets import SITE_VISIT, site_visit_log, time_decide, time_delete, time_log
from touchpoint.delivery.tests.builders import another_project, days_from_today, fresh, refused, signed, today
from touchpoint.delivery.tests.conftest import first_task
from touchpoint.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(staffed):
    return first_task(staffed)


def log(personas, task, hours, *, user=None, day=None, note=""):
    return time_log(user=user or personas.engineer, task=task, work_date=day or today(), hours=hours, note=note)


# --- Logging --------------------------------------------------------------------------------------------


def test_logging_hours_records_them_for_approval_and_starts_the_project(personas, staffed, task):
    entry = log(personas, task, "7.5", day=days_from_today(-1), note="生产环境安装")

    assert (entry.project, entry.customer_id, entry.task, entry.user) == (staffed, staffed.customer_id, task, personas.engineer)
    assert entry.hours == Decimal("7.50") and entry.work_date == days_from_today(-1)
    assert entry.status == TimeStatus.SUBMITTED and entry.decided_by is None
    assert fresh(staffed).status == ProjectStatus.IN_PROGRESS
    assert [e.pk for e in time_to_approve(personas.project_manager)] == [entry.pk]


@pytest.mark.parametrize("hours", ["24.25", "25", "0", "-2", "七", ""])
def test_hours_that_no_day_can_hold_are_refused(personas, task, hours):
    with refused("hours"):
        log(personas, task, hours)


def test_a_whole_day_of_24_hours_is_the_most_one_entry_holds(personas, task):
    assert log(personas, task, "24").hours == Decimal("24.00")


def test_entries_of_one_day_never_add_up_to_more_than_24_hours(personas, catalogue, staffed, task):
    log(personas, task, "16")
    with refused("hours") as caught:
        log(personas, task, "8.5")
    assert "16" in caught.value.message_dict["hours"][0]

    other = another_project(personas, [catalogue["trade-risk"]])
    member_add(project=other, user=personas.engineer, role="engineer", by=personas.project_manager)
    with refused("hours"):
        log(personas, first_task(other), "8.5")  # the day is the person's, whatever the project

    assert log(personas, task, "8").hours == Decimal("8.00")
    assert log(personas, task, "8", day=days_from_today(-1)).hours == Decimal("8.00")  # another day


def test_rejected_hours_no_longer_count_towards_the_day(personas, task):
    entry = log(personas, task, "16")
    time_decide(entries=[entry], by=personas.project_manager, approve=False, reason="任务记错了")

    assert log(personas, task, "9").hours == Decimal("9.00")


def test_time_cannot_be_logged_for_a_day_still_to_come(personas, task):
    with refused("work_date"):
        log(personas, task, "4", day=days_from_today(1))
    with refused("work_date"):
        time_log(user=personas.engineer, task=task, work_date=None, hours="4")


def test_no_time_is_logged_on_a_cancelled_project(personas, staffed, task):
    project_move(project=staffed, to=ProjectStatus.CANCELLED, by=personas.project_manager, reason="合同终止")

    with refused("task"):
        log(personas, first_task(fresh(staffed)), "4")


def test_no_time_is_logged_on_a_closed_project(personas, staffed):
    signed(staffed, personas)
    project = fresh(staffed)
    assert project.status == ProjectStatus.CLOSED

    with refused("task"):
        log(personas, first_task(project), "4")


# --- Approval -------------------------------------------------------------------------------------------


def test_the_project_manager_approves_submitted_hours(personas, staffed, task):
    first, second = log(personas, task, "4"), log(personas, task, "3", day=days_from_today(-1))

    decided = time_decide(entries=[first, second], by=personas.project_manager, approve=True)

    assert decided == 2
    for entry in (fresh(first), fresh(second)):
        assert entry.status == TimeStatus.APPROVED and entry.decided_by == personas.project_manager
        assert entry.decided_at is not None and entry.reject_reason == ""
    event = Event.objects.get(verb="project.time_decided")
    assert event.payload == {"number": staffed.number, "entries": 2, "approved": True, "reason": ""}
    assert list(time_to_approve(personas.project_manager)) == []


def test_rejecting_hours_says_why(personas, task):
    entry = log(personas, task, "4")

    with refused("reason", entry):
        time_decide(entries=[entry], by=personas.project_manager, approve=False, reason=" ")

    time_decide(entries=[entry], by=personas.project_manager, approve=False, reason="当天在休假")
    entry = fresh(entry)
    assert entry.status == TimeStatus.REJECTED and entry.reject_reason == "当天在休假"


def test_hours_already_decided_are_left_as_they_are(personas, task):
    entry = log(personas, task, "4")
    time_decide(entries=[entry], by=personas.project_manager, approve=True)
    events = Event.objects.count()

    assert time_decide(entries=[entry], by=personas.project_manager, approve=False, reason="改主意") == 0

    assert fresh(entry).status == TimeStatus.APPROVED and Event.objects.count() == events


def test_nobody_approves_their_own_hours(personas, task):
    pm = personas.project_manager
    own = log(personas, task, "4", user=pm)
    theirs = log(personas, task, "4")

    with refused(None, own, theirs):
        time_decide(entries=[theirs, own], by=pm, approve=True)

    assert [e.pk for e in time_to_approve(pm)] == [theirs.pk]


def test_approved_hours_cannot_be_removed_but_submitted_ones_can(personas, task):
    approved, pending = log(personas, task, "4"), log(personas, task, "2")
    time_decide(entries=[approved], by=personas.project_manager, approve=True)

    with refused(None, approved):
        time_delete(entry=approved, by=personas.engineer)
    time_delete(entry=pending, by=personas.engineer)

    assert list(TimeEntry.objects.values_list("pk", flat=True)) == [approved.pk]


def test_the_week_sheet_adds_up_hours_by_task_and_day_without_rejected_ones(personas, staffed, task):
    monday = week_of(today())
    second_task = staffed.tasks.order_by("start_on", "order")[1]
    log(personas, task, "3", day=monday)
    log(personas, task, "2", day=monday)
    log(personas, second_task, "5", day=monday)
    rejected = log(personas, second_task, "6", day=monday)
    time_decide(entries=[rejected], by=personas.project_manager, approve=False, reason="重复")

    sheet = timesheet_week(personas.engineer, monday)

    assert [(row.task, row.total) for row in sheet.rows] == [(task, Decimal("5")), (second_task, Decimal("5"))]
    assert sheet.day_totals[0] == Decimal("10") and sheet.total == Decimal("10")


# --- Site visits ----------------------------------------------------------------------------------------


def test_a_site_visit_is_a_face_to_face_touchpoint_on_the_customers_timeline(personas, staffed):
    at = timezone.now() - timedelta(hours=3)

    visit = site_visit_log(project=staffed, by=personas.engineer, occurred_at=at, subject="机房环境检查",
                           notes="UPS 与网络已就绪", contacts=[personas.contact_a],
                           participants=[personas.engineer, personas.project_manager])  # fmt: skip

    touchpoint = Touchpoint.objects.get()
    assert touchpoint == visit
    assert touchpoint.channel == Channel.MEETING and touchpoint.customer == personas.customer_a
    assert (touchpoint.link_type, touchpoint.link_id) == (SITE_VISIT, staffed.pk)
    assert touchpoint.logged_by == personas.engineer and touchpoint.occurred_at == at
    assert set(touchpoint.participants.all()) == {personas.engineer, personas.project_manager}
    assert list(touchpoint.contacts.all()) == [personas.contact_a]
    timeline = customer_timeline(user=personas.sales_rep, customer=personas.customer_a, channel=Channel.MEETING)
    assert [(e.verb, e.target_id) for e in timeline] == [("touchpoint.logged", touchpoint.pk)]
    assert fresh(personas.customer_a).last_touch_at == at


def test_a_site_visit_needs_a_subject_and_a_running_project(personas, staffed):
    with refused("subject"):
        site_visit_log(project=staffed, by=personas.engineer, occurred_at=timezone.now(), subject="  ")

    project = project_move(project=staffed, to=ProjectStatus.CANCELLED, by=personas.project_manager, reason="合同终止")
    with refused(None):
        site_visit_log(project=project, by=personas.engineer, occurred_at=timezone.now(), subject="回访")
    assert not Touchpoint.objects.exists()
