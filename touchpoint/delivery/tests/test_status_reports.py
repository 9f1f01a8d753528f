"""The weekly status report: drafted from the week's events, mailed to a customer contact, logged as an email."""

from datetime import timedelta

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from touchpoint.core.models import Channel, Event
from touchpoint.delivery.models import ReportStatus, StatusReport, TaskStatus
from touchpoint.delivery.services.plan import milestone_accept, task_set_status
from touchpoint.delivery.services.risks import risk_raise
from touchpoint.delivery.services.status_reports import (
    status_report_draft,
    status_report_send,
    status_report_update,
    week_of,
)
from touchpoint.delivery.services.timesheets import time_log
from touchpoint.delivery.tests.builders import fresh, refused, today
from touchpoint.delivery.tests.conftest import first_task
from touchpoint.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_week(personas, staffed):
    """This week: the first task done, the installation milestone accepted, a risk raised, hours logged."""
    pm = personas.project_manager
    done = task_set_status(task=first_task(staffed), to=TaskStatus.DONE, by=pm)
    task_set_status(task=staffed.tasks.get(name="需求规格说明书"), to=TaskStatus.IN_PROGRESS, by=personas.engineer)
    milestone_accept(milestone=staffed.milestones.get(name="安装验收"), by=pm)
    risk_raise(project=fresh(staffed), by=pm, title="交易所测试环境排期紧张", impact="high")
    time_log(user=personas.engineer, task=done, work_date=today(), hours="6.5")
    return fresh(staffed)


@pytest.fixture
def draft(personas, busy_week):
    return status_report_draft(project=busy_week, by=personas.project_manager)


def sections(body):
    """The report's sections as {heading: [items]}, read the way the customer reads them."""
    found = {}
    for block in body.split("\n\n")[1:-1]:
        heading, *items = block.split("\n")
        found[heading] = [item.removeprefix("  · ") for item in items]
    return found


def test_the_draft_lists_the_weeks_done_tasks_accepted_milestones_risks_and_hours(personas, busy_week, draft):
    assert draft.week_start == week_of(today()) and draft.status == ReportStatus.DRAFT
    assert draft.author == personas.project_manager and draft.customer_id == busy_week.customer_id
    assert busy_week.name in draft.subject and draft.week_start.isoformat() in draft.subject
    sign_off = busy_week.milestones.get(name="需求确认完成").due_on
    with translation.override("zh-hans"):  # the customer's language, whoever drafts it
        expected = {
            _("Done this week"): ["需求调研"],
            _("In progress"): ["需求规格说明书"],
            _("Milestones"): [_("%(name)s accepted") % {"name": "安装验收"},
                              _("%(name)s due %(day)s") % {"name": "需求确认完成", "day": sign_off.isoformat()}],
            _("Risks and issues"): [_("%(title)s (new this week)") % {"title": "交易所测试环境排期紧张"}],
        }
        hours = _("Hours worked this week: %(hours)s.") % {"hours": "6.5"}
        planned = _("Planned for next week")
    found = sections(draft.body)
    coming = found.pop(planned)
    assert coming and set(coming) <= set(busy_week.tasks.filter(status="todo").values_list("name", flat=True))
    assert found == expected
    assert draft.body.endswith(hours)


def test_a_report_for_another_week_lists_none_of_this_weeks_work(personas, busy_week):
    last_week = status_report_draft(project=busy_week, by=personas.project_manager, week_start=today() - timedelta(days=7))

    assert last_week.week_start == week_of(today()) - timedelta(days=7)
    assert "需求调研" not in last_week.body
    assert "6.5" not in last_week.body


def test_redrafting_an_unsent_report_replaces_it(personas, busy_week, draft):
    again = status_report_draft(project=busy_week, by=personas.engineer)

    assert again.pk == draft.pk and again.version == draft.version + 1 and again.author == personas.engineer
    assert StatusReport.objects.count() == 1


def test_the_project_manager_edits_the_draft_before_sending(personas, draft):
    edited = status_report_update(report=draft, by=personas.project_manager, expected_version=draft.version,
                                  subject="第49周周报", body="本周完成安装验收。")  # fmt: skip

    assert (edited.subject, edited.body, edited.version) == ("第49周周报", "本周完成安装验收。", draft.version + 1)
    with refused(None, edited):
        status_report_update(report=edited, by=personas.project_manager, expected_version=draft.version, subject="旧", body="旧")
    with refused("body", edited):
        status_report_update(report=edited, by=personas.project_manager, expected_version=edited.version, subject="周报", body=" ")


def test_sending_mails_the_contact_and_logs_an_email_touchpoint(personas, draft, mailoutbox, django_capture_on_commit_callbacks):
    pm = personas.project_manager

    with django_capture_on_commit_callbacks(execute=True):
        sent = status_report_send(report=draft, contact=personas.contact_a, by=pm)

    [mail] = mailoutbox
    assert mail.to == ["zhangwei@htsc.example"] and mail.cc == [pm.email]
    assert mail.subject == draft.subject and mail.body == draft.body
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.channel == Channel.EMAIL and touchpoint.direction == "out"
    assert touchpoint.customer == personas.customer_a and touchpoint.logged_by == pm
    assert (touchpoint.link_type, touchpoint.link_id) == ("delivery.statusreport", draft.pk)
    assert list(touchpoint.contacts.all()) == [personas.contact_a]
    sent = fresh(sent)
    assert sent.status == ReportStatus.SENT and sent.sent_to == personas.contact_a
    assert sent.sent_at is not None and sent.touchpoint == touchpoint
    assert Event.objects.get(verb="project.report_sent").payload["to"] == str(personas.contact_a)
    assert Event.objects.filter(verb="touchpoint.logged", customer=personas.customer_a, channel="email").count() == 1


def test_a_report_is_sent_only_once(personas, draft, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        status_report_send(report=draft, contact=personas.contact_a, by=personas.project_manager)
    sent = fresh(draft)

    with django_capture_on_commit_callbacks(execute=True), refused(None, sent, models=(Touchpoint, Event, StatusReport)):
        status_report_send(report=sent, contact=personas.contact_a, by=personas.project_manager)

    assert len(mailoutbox) == 1
    with refused("week_start", sent):
        status_report_draft(project=sent.project, by=personas.project_manager)
    with refused(None, sent):
        status_report_update(report=sent, by=personas.project_manager, expected_version=sent.version, subject="改", body="改")


def test_a_report_goes_only_to_this_customers_contacts(personas, draft, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), refused("contact", draft, models=(Touchpoint, Event)):
        status_report_send(report=draft, contact=personas.contact_b, by=personas.project_manager)

    assert mailoutbox == []
