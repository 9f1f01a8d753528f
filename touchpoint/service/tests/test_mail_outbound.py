"""Mail that leaves the maintenance centre threads into the customer's conversation, and what the
customer writes (by mail or in the portal) lands on the request through one service."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from touchpoint.core.models import Event, Notification
from touchpoint.service.models import ServiceRequest, Status, StatusChange
from touchpoint.service.services.inbound import mail_ingest
from touchpoint.service.services.requests import (
    REQUEST_CUSTOMER_WROTE,
    request_create,
    request_customer_message,
    request_reply,
    request_set_status,
)
from touchpoint.service.tests import mailservers
from touchpoint.service.tests.conftest import at
from touchpoint.service.tests.mailservers import IMAP_USER
from touchpoint.service.tests.test_mail_inbound import compose
from touchpoint.touchpoints.models import Attachment, Touchpoint

pytestmark = pytest.mark.django_db
smtp_sink = mailservers.smtp_sink  # the real SMTP sink, as a fixture here


def log(personas, **extra):
    fields = {"customer": personas.customer_a, "contact": personas.contact_a, "subject": "行情服务器断线",
              "description": "早盘 9:20 起行情中断", "channel": "phone"}  # fmt: skip
    return request_create(by=personas.maintenance_agent, **(fields | extra))


def test_the_acknowledgement_goes_through_smtp_with_threading_headers(personas, desk, smtp_sink,
                                                                      django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        mail = mail_ingest(raw=compose(message_id="<ack-me@mail.htsc.example>"), mailbox="test").mail
    ((recipients, ack),) = smtp_sink.wait(1)
    assert recipients == ["zhangwei@htsc.example"]
    assert f"[{mail.request.number}]" in ack["Subject"] and ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<ack-me@mail.htsc.example>" and "<ack-me@mail.htsc.example>" in ack["References"]
    assert ack["Message-ID"] == mail.ack_message_id and IMAP_USER in ack["From"]
    assert mail.request.number in ack.get_payload(decode=True).decode("utf-8")


def test_no_acknowledgement_answers_an_auto_reply_or_a_bounce(personas, desk, smtp_sink, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mail_ingest(raw=compose(subject="Out of office", message_id="<ooo@x>"), mailbox="test")
        mail_ingest(raw=compose(sender="mailer-daemon@mx.example", subject="Undelivered", message_id="<dsn@x>"), mailbox="test")
    assert smtp_sink.wait(1, timeout=0.5) == [] and not ServiceRequest.objects.exists()


def test_an_agent_reply_is_threaded_on_the_customers_mail(personas, desk, smtp_sink, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = mail_ingest(raw=compose(message_id="<cust1@mail.htsc.example>"), mailbox="test").mail.request
    smtp_sink.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = request_reply(request=request, by=personas.maintenance_agent, body="请提供网关日志。")
    with django_capture_on_commit_callbacks(execute=True):
        mail_ingest(raw=compose(subject="Re: 日志", body="已上传", message_id="<cust2@mail.htsc.example>",
                                headers={"In-Reply-To": first.message_id}), mailbox="test")  # fmt: skip
        second = request_reply(request=request, by=personas.maintenance_agent, body="收到，正在分析。")
    (_to1, reply1), (_to2, reply2) = smtp_sink.wait(2)
    assert reply1["Message-ID"] == first.message_id and reply1["In-Reply-To"] == "<cust1@mail.htsc.example>"
    assert f"[{request.number}]" in reply1["Subject"] and reply1["Reply-To"] == IMAP_USER
    assert reply2["Message-ID"] == second.message_id and reply2["In-Reply-To"] == "<cust2@mail.htsc.example>"
    assert reply2["References"].split() == ["<cust1@mail.htsc.example>", first.message_id, "<cust2@mail.htsc.example>"]
    assert "Auto-Submitted" not in reply2


def test_a_reply_on_a_request_without_mails_has_no_threading_headers(personas, desk, smtp_sink, django_capture_on_commit_callbacks):
    request = log(personas)
    with django_capture_on_commit_callbacks(execute=True):
        request_reply(request=request, by=personas.maintenance_agent, body="已受理")
    ((_to, reply),) = smtp_sink.wait(1)
    assert reply["In-Reply-To"] is None and reply["References"] is None and reply["Subject"].startswith(f"[{request.number}]")


# --- request_customer_message -------------------------------------------------------------------------


def test_a_portal_message_is_kept_with_a_touchpoint_and_an_event(personas, desk, covered):
    request = log(personas)
    message = request_customer_message(request=request, body="补充：只影响上海营业部", channel="portal", contact=personas.contact_a)
    assert message.kind == "inbound" and message.contact == personas.contact_a and message.touchpoint.channel == "portal"
    assert message.touchpoint.direction == "in" and message.touchpoint.link_id == request.pk
    assert Event.objects.filter(verb=REQUEST_CUSTOMER_WROTE, target_id=request.pk, channel="portal").exists()
    assert Notification.objects.filter(recipient=personas.maintenance_agent, key=f"request:{request.pk}:message:{message.pk}").exists()


def test_a_customer_message_resumes_the_clock_of_a_waiting_request(personas, desk, covered):
    request = log(personas, now=at(2026, 3, 2, 9, 0))
    request_set_status(request=request, by=personas.maintenance_agent, status=Status.WAITING, now=at(2026, 3, 2, 10, 0))
    request_customer_message(request=request, body="日志在此", channel="portal", now=at(2026, 3, 3, 10, 0))
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS and request.paused_at is None
    assert request.resolution_due_at > at(2026, 3, 9, 9, 0)  # the paused working day does not count
    assert StatusChange.objects.filter(request=request, before="waiting", after="in_progress", by=None).exists()


def test_a_customer_message_reopens_a_resolved_request(personas, desk, covered):
    request = log(personas)
    request_set_status(request=request, by=personas.maintenance_agent, status=Status.RESOLVED, resolution="已重启")
    request_customer_message(request=request, body="问题复现", channel="portal")
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS and request.reopened == 1 and request.resolved_at is None


def test_a_closed_request_takes_no_more_messages(personas, desk):
    request = log(personas)
    request_set_status(request=request, by=personas.maintenance_agent, status=Status.CLOSED, note="重复工单")
    with pytest.raises(ValidationError) as error:
        request_customer_message(request=request, body="还在吗", channel="portal")
    assert "body" in error.value.message_dict and request.messages.filter(kind="inbound").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"body": "  "}, "body"), ({"channel": "pigeon"}, "channel")],
)
def test_a_customer_message_is_checked(personas, desk, fields, field):
    request = log(personas)
    with pytest.raises(ValidationError) as error:
        request_customer_message(request=request, **({"body": "x", "channel": "portal"} | fields))
    assert field in error.value.message_dict


def test_a_contact_of_another_customer_cannot_write_on_the_request(personas, desk):
    request = log(personas)
    with pytest.raises(ValidationError) as error:
        request_customer_message(request=request, body="x", channel="portal", contact=personas.contact_b)
    assert "contact" in error.value.message_dict and request.messages.count() == 1


def test_files_of_a_customer_message_are_kept_on_its_touchpoint(personas, desk):
    request = log(personas)
    upload = SimpleUploadedFile("日志.txt", "网关日志".encode(), content_type="text/plain")
    message = request_customer_message(request=request, body="日志", channel="portal", files=[upload])
    assert Attachment.objects.get(touchpoint=message.touchpoint).original_name == "日志.txt"


def test_the_same_message_id_is_recorded_once(personas, desk):
    request = log(personas)
    first = request_customer_message(request=request, body="x", channel="email", message_id="<same@x>")
    again = request_customer_message(request=request, body="x", channel="email", message_id="<same@x>")
    assert first == again and Touchpoint.objects.filter(email_message_id="<same@x>").count() == 1
