from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from touchpoint.core.models import Event, Notification
from touchpoint.customers.models import Customer
from touchpoint.customers.services import contact_update
from touchpoint.touchpoints.models import Attachment, FollowUp, FollowUpStatus, Touchpoint
from touchpoint.touchpoints.services import (
    email_send,
    followup_complete,
    followup_create,
    followup_reassign,
    followups_remind_due,
    touchpoint_log,
    touchpoint_update,
)


def pdf(name: str = "传真.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% scanned fax\n", content_type="application/pdf")


def log(personas, **extra):
    values = {"by": personas.sales_rep, "customer": personas.customer_a, "channel": "phone", "direction": "in",
              "subject": "交易系统登录慢"}  # fmt: skip
    values.update(extra)
    return touchpoint_log(**values)


@pytest.mark.django_db
def test_logging_a_call_records_an_event_on_the_customer_timeline(personas):
    touchpoint = log(personas, contacts=[personas.contact_a], notes="开盘后登录超时")
    event = Event.objects.get(verb="touchpoint.logged")
    assert event.customer_id == personas.customer_a.pk
    assert event.channel == "phone"
    assert event.target_id == touchpoint.pk
    assert event.department == personas.sales_rep.department
    assert event.payload["contacts"] == ["张伟"]
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.last_touch_at == touchpoint.occurred_at


@pytest.mark.django_db
def test_an_older_touchpoint_does_not_move_last_contact_back(personas):
    recent = log(personas)
    log(personas, occurred_at=timezone.now() - timedelta(days=30))
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.last_touch_at == recent.occurred_at


@pytest.mark.django_db
def test_a_touchpoint_dated_beyond_the_tolerance_is_refused(personas, settings):
    settings.TOUCHPOINT_FUTURE_TOLERANCE_MINUTES = 10
    with pytest.raises(ValidationError) as caught:
        log(personas, occurred_at=timezone.now() + timedelta(hours=2))
    assert "occurred_at" in caught.value.error_dict
    assert not Touchpoint.objects.exists()


@pytest.mark.django_db
def test_a_touchpoint_a_few_minutes_ahead_is_accepted(personas):
    log(personas, occurred_at=timezone.now() + timedelta(minutes=5))


@pytest.mark.django_db
def test_a_contact_of_another_customer_is_refused(personas):
    with pytest.raises(ValidationError):
        log(personas, contacts=[personas.contact_b])
    assert not Touchpoint.objects.exists()


@pytest.mark.django_db
def test_attachments_are_checked_and_stored_outside_static(personas, settings):
    touchpoint = log(personas, files=[pdf()])
    attachment = Attachment.objects.get()
    assert attachment.touchpoint == touchpoint
    assert attachment.customer_id == personas.customer_a.pk
    assert attachment.original_name == "传真.pdf"
    assert str(settings.MEDIA_ROOT) in attachment.file.path
    assert "static" not in attachment.file.path
    assert "传真" not in attachment.file.name


@pytest.mark.django_db
def test_a_disguised_attachment_rolls_back_the_whole_touchpoint(personas):
    with pytest.raises(ValidationError):
        log(personas, files=[pdf(), SimpleUploadedFile("setup.pdf", b"MZ\x90\x00" * 10)])
    assert not Touchpoint.objects.exists()
    assert not Attachment.objects.exists()
    assert not Event.objects.filter(verb="touchpoint.logged").exists()


@pytest.mark.django_db
def test_a_follow_up_date_creates_a_follow_up_for_someone(personas):
    due = timezone.localdate() + timedelta(days=3)
    touchpoint = log(personas, followup_due_on=due, followup_assignee=personas.engineer, contacts=[personas.contact_a])
    followup = FollowUp.objects.get()
    assert followup.touchpoint == touchpoint
    assert followup.assignee == personas.engineer
    assert followup.contact == personas.contact_a
    assert Notification.objects.filter(recipient=personas.engineer).count() == 1


@pytest.mark.django_db
def test_editing_a_touchpoint_is_versioned_and_logged(personas):
    touchpoint = log(personas)
    updated, diff = touchpoint_update(touchpoint=touchpoint, by=personas.sales_rep, expected_version=1, outcome="已解决")
    assert updated.version == 2
    assert diff[0].field == "outcome"
    assert Event.objects.filter(verb="touchpoint.updated").exists()


@pytest.mark.django_db
def test_outbound_email_goes_through_real_smtp_and_is_logged(personas, smtp_sink, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint = email_send(by=personas.sales_rep, contact=personas.contact_a, subject="升级通知",
                                body="您好，周六晚间将升级行情服务器。")  # fmt: skip
    assert touchpoint.channel == "email"
    assert touchpoint.direction == "out"
    assert touchpoint.email_to == "zhangwei@htsc.example"
    [(recipients, message)] = smtp_sink.messages
    assert recipients == ["zhangwei@htsc.example"]
    assert message["Message-ID"] == touchpoint.email_message_id
    assert "升级通知" in str(message.get("Subject")) or message["Subject"].startswith("=?utf-8?")


@pytest.mark.django_db
def test_email_to_a_do_not_contact_contact_is_refused(personas, mailoutbox):
    contact_update(contact=personas.contact_a, by=personas.sales_rep, expected_version=1, do_not_contact=True)
    personas.contact_a.refresh_from_db()
    with pytest.raises(ValidationError):
        email_send(by=personas.sales_rep, contact=personas.contact_a, subject="推广", body="...")
    assert mailoutbox == []
    assert not Touchpoint.objects.exists()


@pytest.mark.django_db
def test_completing_a_follow_up_is_logged_and_cannot_happen_twice(personas):
    followup = followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                               due_on=timezone.localdate(), subject="回访")  # fmt: skip
    done = followup_complete(followup=followup, by=personas.sales_rep, outcome="客户满意")
    assert done.status == FollowUpStatus.DONE
    assert done.version == 2
    assert Event.objects.get(verb="followup.done").payload["outcome"] == "客户满意"
    with pytest.raises(ValidationError):
        followup_complete(followup=followup, by=personas.sales_rep)


@pytest.mark.django_db
def test_reassigning_a_follow_up_logs_a_handoff_and_notifies(personas):
    followup = followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                               due_on=timezone.localdate(), subject="演示安排")  # fmt: skip
    followup_reassign(followup=followup, assignee=personas.project_manager, by=personas.sales_rep, reason="需要技术支持")
    event = Event.objects.get(verb="followup.reassigned")
    assert event.kind == "handoff"
    assert event.payload["from_department"] == "销售部"
    assert event.payload["to_department"] == "工程部"
    assert Notification.objects.filter(recipient=personas.project_manager).exists()


@pytest.mark.django_db
def test_reminders_are_sent_once_however_often_the_job_runs(personas):
    followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                    due_on=timezone.localdate() - timedelta(days=1), subject="催回款")  # fmt: skip
    followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                    due_on=timezone.localdate() + timedelta(days=5), subject="以后再说")  # fmt: skip
    assert followups_remind_due() == 1
    assert followups_remind_due() == 0
    assert Notification.objects.filter(recipient=personas.sales_rep).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_scheduler_enqueues_reminders_and_the_worker_runs_them(personas):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                    due_on=timezone.localdate(), subject="回访")  # fmt: skip
    call_command("scheduler", once=True)
    assert DBTaskResult.objects.filter(status="READY").count() >= 1
    call_command("worker", batch=True, interval=0.1, verbosity=0)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() >= 1
    assert Notification.objects.filter(recipient=personas.sales_rep, key__endswith=":due").count() == 1


@pytest.mark.django_db
def test_history_keeps_who_and_when_for_every_change(personas):
    touchpoint = log(personas)
    touchpoint_update(touchpoint=touchpoint, by=personas.sales_manager, expected_version=1, subject="改过的主题")
    history = list(Touchpoint.objects.get(pk=touchpoint.pk).history.order_by("history_date"))
    assert [h.history_user for h in history] == [personas.sales_rep, personas.sales_manager]
    assert Customer.objects.get(pk=personas.customer_a.pk).history.count() >= 1
