"""The support mailbox: new mails become requests, replies thread, bad mail is read or refused
without loss, loops and bounces create nothing, and fetching twice changes nothing."""

import base64
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from touchpoint.customers.models import Contact
from touchpoint.service.mail.inbound import decode_bytes, parse_mail
from touchpoint.service.mail.mailbox import mailbox_poll, mailbox_poll_configured
from touchpoint.service.models import InboundMail, MailboxState, RequestMessage, ServiceRequest, Status
from touchpoint.service.services.inbound import mail_ingest
from touchpoint.service.services.requests import request_reply, request_set_status
from touchpoint.service.tests import mailservers
from touchpoint.service.tests.mailservers import IMAP_USER, needs_dovecot
from touchpoint.touchpoints.models import Attachment, Touchpoint

pytestmark = pytest.mark.django_db
imap_server, smtp_sink = mailservers.imap_server, mailservers.smtp_sink  # the real servers, as fixtures here

PDF = b"%PDF-1.4\n% a small test document\n"


@pytest.fixture(autouse=True)
def _support_address(settings):
    settings.SERVICE_MAIL_ADDRESS = IMAP_USER


def compose(*, sender="zhangwei@htsc.example", subject="行情服务器断线", body="早盘 9:20 起行情中断，请尽快处理。",
            message_id=None, headers=None, attachments=(), html=None) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"] = sender
    message["To"] = IMAP_USER
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id is not False:
        message["Message-ID"] = message_id or f"<{abs(hash((sender, subject, body)))}@mail.htsc.example>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, data, kind in attachments:
        maintype, subtype = kind.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def take_in(raw: bytes, **extra) -> InboundMail:
    return mail_ingest(raw=raw, mailbox="test", **extra).mail


def test_a_new_mail_from_a_contact_becomes_a_request_routed_to_l1_with_the_contact(personas, desk, covered):
    mail = take_in(compose(message_id="<first@mail.htsc.example>"))
    request = mail.request
    assert mail.outcome == "created" and request.channel == "email"
    assert request.customer == personas.customer_a and request.contact == personas.contact_a and not request.needs_triage
    assert request.queue == desk.l1 and request.assignee == personas.maintenance_agent
    message = request.messages.get(kind="inbound")
    assert message.message_id == "<first@mail.htsc.example>" and "9:20" in message.body
    assert Touchpoint.objects.filter(customer=personas.customer_a, channel="email", direction="in", link_id=request.pk).exists()


def test_the_sender_is_matched_whatever_the_case_of_the_address(personas, desk):
    request = take_in(compose(sender="ZhangWei@HTSC.example")).request
    assert request.contact == personas.contact_a
    Contact.objects.filter(pk=personas.contact_b.pk).update(email="LiuYang@CSC.example")
    other = take_in(compose(sender="liuyang@csc.example", message_id="<case@csc.example>")).request
    assert other.contact == personas.contact_b


def test_an_address_shared_by_two_customers_goes_to_triage(personas, desk):
    Contact.objects.filter(pk=personas.contact_b.pk).update(email_alt="zhangwei@htsc.example")
    request = take_in(compose()).request
    assert request.customer is None and request.needs_triage
    assert "several customers" in request.messages.get(kind="note").body or "多个客户" in request.messages.get(kind="note").body


def test_an_unknown_sender_is_flagged_for_triage_without_a_customer(personas, desk):
    mail = take_in(compose(sender="stranger@unknown.example"))
    request = mail.request
    assert request.customer is None and request.needs_triage and request.requester_email == "stranger@unknown.example"
    assert request.queue == desk.l1
    assert not Touchpoint.objects.filter(link_id=request.pk, link_type="service.servicerequest").exists()


def test_the_new_request_is_acknowledged_with_its_number_and_threading_headers(personas, desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mail = take_in(compose(message_id="<ask@mail.htsc.example>"))
    (ack,) = django_mail.outbox
    assert ack.to == ["zhangwei@htsc.example"] and f"[{mail.request.number}]" in ack.subject
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied" and ack.extra_headers["In-Reply-To"] == "<ask@mail.htsc.example>"
    assert ack.extra_headers["Message-ID"] == mail.ack_message_id


def test_a_reply_threads_by_in_reply_to_and_resumes_a_waiting_request(personas, desk, covered):
    request = take_in(compose(message_id="<q1@mail.htsc.example>")).request
    request_set_status(request=request, by=personas.maintenance_agent, status=Status.WAITING)
    reply = take_in(compose(subject="Re: 回复", body="日志已上传。", message_id="<q2@mail.htsc.example>",
                            headers={"In-Reply-To": "<q1@mail.htsc.example>"}))  # fmt: skip
    assert reply.outcome == "threaded" and reply.request == request
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS and request.paused_at is None
    assert ServiceRequest.objects.count() == 1 and request.messages.filter(kind="inbound").count() == 2


def test_a_reply_to_our_agents_mail_threads_by_references(personas, desk, covered):
    request = take_in(compose(message_id="<r1@mail.htsc.example>")).request
    ours = request_reply(request=request, by=personas.maintenance_agent, body="请提供网关日志。")
    assert ours.message_id
    reply = take_in(compose(subject="日志", body="见附件", message_id="<r2@mail.htsc.example>",
                            headers={"References": f"<unrelated@x.example> {ours.message_id}"}))  # fmt: skip
    assert reply.outcome == "threaded" and reply.request == request


def test_a_reply_to_the_acknowledgement_threads(personas, desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = take_in(compose(message_id="<a1@mail.htsc.example>"))
    reply = take_in(compose(subject="补充", body="补充说明", message_id="<a2@mail.htsc.example>",
                            headers={"In-Reply-To": first.ack_message_id}))  # fmt: skip
    assert reply.request == first.request


def test_a_reply_threads_by_the_token_in_the_subject(personas, desk):
    request = take_in(compose(message_id="<t1@mail.htsc.example>")).request
    reply = take_in(compose(subject=f"回复：[{request.number}] 行情服务器断线", body="还是断", message_id="<t2@mail.htsc.example>"))
    assert reply.outcome == "threaded" and reply.request == request


def test_someone_elses_token_in_a_subject_opens_a_request_of_their_own(personas, desk):
    request = take_in(compose(message_id="<own1@mail.htsc.example>")).request
    other = take_in(compose(sender="liuyang@csc.example", subject=f"[{request.number}] 看看", body="x", message_id="<o@csc.example>"))
    assert other.outcome == "created" and other.request != request and other.request.customer == personas.customer_b
    assert request.messages.filter(kind="inbound").count() == 1


def test_a_mail_to_a_resolved_request_reopens_it(personas, desk, covered):
    request = take_in(compose(message_id="<z1@mail.htsc.example>")).request
    request_set_status(request=request, by=personas.maintenance_agent, status=Status.RESOLVED, resolution="重启网关")
    take_in(compose(subject=f"[{request.number}] 又断了", body="又断了", message_id="<z2@mail.htsc.example>"))
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS and request.reopened == 1


def test_a_mail_to_a_closed_request_opens_a_new_one_that_says_so(personas, desk):
    request = take_in(compose(message_id="<c1@mail.htsc.example>")).request
    request_set_status(request=request, by=personas.maintenance_agent, status=Status.CLOSED, note="重复")
    mail = take_in(compose(subject=f"[{request.number}] 还在吗", body="?", message_id="<c2@mail.htsc.example>"))
    assert mail.outcome == "created" and mail.request != request
    assert mail.request.messages.filter(kind="note", body__contains=request.number).exists()


def test_gbk_body_and_raw_gbk_subject_decode_even_when_labelled_gb2312(personas, desk):
    # 镕 is in GBK but not in GB2312: a mail labelled gb2312 that really is GBK.
    raw = (b"From: =?gb2312?B?" + base64.b64encode("张伟".encode("gbk")) + b"?= <zhangwei@htsc.example>\r\n"
           b"Subject: " + "朱镕基路营业部断线".encode("gbk") + b"\r\nMessage-ID: <gbk@mail.htsc.example>\r\n"
           b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + "营业部行情中断，镕。".encode("gbk") + b"\r\n")  # fmt: skip
    request = take_in(raw).request
    assert request.subject == "朱镕基路营业部断线" and request.contact == personas.contact_a
    assert "营业部行情中断，镕。" in request.description


def test_gb18030_subject_body_and_attachment_name_decode(personas, desk):
    subject = "数据修复申请 𠀀"  # a four-byte GB18030 character
    raw = (b"From: zhangwei@htsc.example\r\nSubject: =?GB18030?B?" + base64.b64encode(subject.encode("gb18030")) + b"?=\r\n"
           b"Message-ID: <gb18030@mail.htsc.example>\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=GB18030\r\n'
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode("请修复 𠀀 的持仓数据".encode("gb18030")) + b"\r\n"
           b'--b\r\nContent-Type: application/pdf; name="=?GB18030?B?' + base64.b64encode("对账单.pdf".encode("gb18030"))
           + b'?="\r\nContent-Disposition: attachment; filename="=?GB18030?B?' + base64.b64encode("对账单.pdf".encode("gb18030"))
           + b'?="\r\nContent-Transfer-Encoding: base64\r\n\r\n' + base64.b64encode(PDF) + b"\r\n--b--\r\n")  # fmt: skip
    request = take_in(raw).request
    assert request.subject == subject and "请修复 𠀀 的持仓数据" in request.description
    assert Attachment.objects.get(customer=personas.customer_a).original_name == "对账单.pdf"


def test_an_unknown_charset_falls_back_without_failing():
    assert decode_bytes("中文".encode("gbk"), "x-made-up") == "中文"
    assert decode_bytes(b"\xff\xfe\xfa", "utf-8")  # undecodable bytes never raise


@pytest.mark.parametrize(
    "raw",
    [
        b'From: <<<>>>\r\nSubject: =?utf-8?B?!!!broken?=\r\nDate: yesterday-ish\r\nContent-Type: text/plain; charset="\r\n\r\nhello\r\n',
        b"Subject: no sender\r\nMessage-ID: <nosender@x>\r\n\r\nbody",
        b"From: zhangwei@htsc.example\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
        b"\x00\xff garbage without headers",
        b"From: zhangwei@htsc.example\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@\r\n",
    ],
)
def test_malformed_mail_never_crashes_and_is_recorded(personas, desk, raw):
    mail = take_in(raw)
    assert mail.pk and mail.outcome in ("created", "rejected")
    if mail.outcome == "rejected":
        assert mail.raw and mail.reason  # nothing lost: the original is kept


def test_a_huge_attachment_is_dropped_with_a_note_and_the_rest_kept(personas, desk, settings):
    settings.ATTACHMENT_MAX_BYTES = 10_000
    raw = compose(attachments=[("small.pdf", PDF, "application/pdf"), ("huge.pdf", PDF + b"0" * 20_000, "application/pdf")])
    request = take_in(raw).request
    assert [a.original_name for a in Attachment.objects.filter(customer=personas.customer_a)] == ["small.pdf"]
    note = request.messages.get(kind="note")
    assert "huge.pdf" in note.body and "9:20" in request.description


def test_an_unknown_senders_attachments_stay_with_the_kept_original(personas, desk):
    raw = compose(sender="stranger@unknown.example", attachments=[("log.pdf", PDF, "application/pdf")])
    mail = take_in(raw)
    assert mail.request.needs_triage and not Attachment.objects.exists()
    assert "original mail" in mail.request.messages.get(kind="note").body or "原件" in mail.request.messages.get(kind="note").body
    with mail.raw.open("rb") as original:
        assert original.read() == raw  # nothing lost: the attachment waits in the original
    reply = take_in(compose(sender="stranger@unknown.example", subject=f"[{mail.request.number}] more", body="again",
                            message_id="<stranger2@unknown.example>", attachments=[("b.pdf", PDF, "application/pdf")]))  # fmt: skip
    assert reply.outcome == "threaded" and reply.request == mail.request and reply.raw


def test_an_attachment_of_a_forbidden_type_is_not_kept_and_said_so(personas, desk):
    request = take_in(compose(attachments=[("tool.exe", b"MZ\x90\x00binary", "application/octet-stream")])).request
    assert not Attachment.objects.exists() and "tool.exe" in request.messages.get(kind="note").body


def test_html_only_mail_is_read_as_text_and_its_html_kept_sanitised(personas, desk):
    html = ('<html><head><style>p{color:red}</style><script>alert("x")</script></head><body>'
            '<p onmouseover="steal()">网关<b>断线</b></p><a href="javascript:alert(1)">点我</a>'
            '<img src="x" onerror="alert(2)"><iframe src="https://evil.example"></iframe></body></html>')  # fmt: skip
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "zhangwei@htsc.example", "HTML", "<html@mail.htsc.example>"
    message.set_content(html, subtype="html")
    mail = take_in(message.as_bytes())
    assert "网关" in mail.request.description and "断线" in mail.request.description
    assert "alert" not in mail.request.description and "color" not in mail.request.description
    for bad in ("<script", "onmouseover", "onerror", "javascript:", "<iframe", "<style"):
        assert bad not in mail.html
    assert "<b>断线</b>" in mail.html


def test_a_bounce_creates_nothing(personas, desk):
    raw = (b"From: MAILER-DAEMON@mx.htsc.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
           b"Message-ID: <bounce@mx>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"
           b"--r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--r\r\n"
           b"Content-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--r--\r\n")  # fmt: skip
    mail = take_in(raw)
    assert mail.outcome == "bounce" and mail.request is None and not ServiceRequest.objects.exists()
    empty_return = take_in(compose(subject="失败", message_id="<b2@x>", headers={"Return-Path": "<>"}))
    assert empty_return.outcome == "bounce"


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: 行情服务器断线"),
        ({"X-Autoreply": "yes"}, "Re: 行情服务器断线"),
        ({"X-Autorespond": "yes"}, "Re: 行情服务器断线"),
        ({"Precedence": "bulk"}, "Newsletter"),
        ({"Precedence": "junk"}, "Newsletter"),
        ({}, "自动回复: 行情服务器断线"),
        ({}, "Automatic reply: server down"),
        ({}, "Out of Office: server down"),
        ({}, "休假中"),
    ],
)
def test_auto_replies_are_recorded_and_ignored(personas, desk, headers, subject):
    mail = take_in(compose(subject=subject, headers=headers, message_id="<auto@mail.htsc.example>"))
    assert mail.outcome == "auto_reply" and mail.reason and not ServiceRequest.objects.exists()


def test_auto_submitted_no_is_a_person(personas, desk):
    assert take_in(compose(headers={"Auto-Submitted": "no"})).outcome == "created"


@pytest.mark.parametrize("subject", ["外出巡检报告", "回复：休假安排后的升级窗口", "Vacation plan for the upgrade"])
def test_subjects_that_only_look_like_an_absence_notice_are_taken_in(personas, desk, subject):
    assert take_in(compose(subject=subject)).outcome == "created"


def test_an_acknowledgement_loop_with_an_out_of_office_never_creates_requests(personas, desk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = take_in(compose(message_id="<loop0@mail.htsc.example>"))
    for round_ in range(1, 6):  # the customer's out-of-office answers our acknowledgement, again and again
        ack = django_mail.outbox[-1]
        with django_capture_on_commit_callbacks(execute=True):
            take_in(compose(subject=f"自动回复: {ack.subject}", body="我正在休假", message_id=f"<loop{round_}@mail.htsc.example>",
                            headers={"In-Reply-To": ack.extra_headers["Message-ID"]}))  # fmt: skip
    assert ServiceRequest.objects.count() == 1 and len(django_mail.outbox) == 1
    assert first.request.messages.filter(kind="inbound").count() == 1
    assert InboundMail.objects.filter(outcome="auto_reply").count() == 5


def test_a_robot_without_auto_headers_is_stopped_by_the_flood_guard(personas, desk, settings, django_capture_on_commit_callbacks):
    settings.SERVICE_MAIL_FLOOD_LIMIT = 4
    for index in range(8):
        with django_capture_on_commit_callbacks(execute=True):
            take_in(compose(sender="robot@unknown.example", subject=f"Ticket {index}", body="x", message_id=f"<robot{index}@x>"))
    assert ServiceRequest.objects.count() == 4 and InboundMail.objects.filter(outcome="flood").count() == 4
    assert len(django_mail.outbox) == 3  # acknowledgements to one address are capped too


def test_mail_from_our_own_address_is_ignored(personas, desk):
    mail = take_in(compose(sender=f"Support <{IMAP_USER.upper()}>"))
    assert mail.outcome == "own" and not ServiceRequest.objects.exists()


def test_the_same_mail_taken_in_twice_creates_nothing_new(personas, desk):
    raw = compose(message_id="<twice@mail.htsc.example>")
    first = take_in(raw, uid=1, uidvalidity=7)
    again = mail_ingest(raw=raw, mailbox="test", uid=1, uidvalidity=7)
    copy = mail_ingest(raw=raw, mailbox="test", uid=2, uidvalidity=7)  # the same mail delivered twice
    assert not again.new and again.mail == first
    assert copy.mail.outcome == "duplicate" and copy.mail.request == first.request
    assert ServiceRequest.objects.count() == 1 and RequestMessage.objects.filter(kind="inbound").count() == 1


def test_a_mail_without_message_id_is_recognised_by_its_content(personas, desk):
    raw = compose(message_id=False)
    first = take_in(raw)
    assert first.message_id.endswith("@content-hash.invalid>")
    assert take_in(raw) == first and ServiceRequest.objects.count() == 1


def test_a_mail_that_fails_is_kept_and_taken_in_on_the_next_try(personas, desk, monkeypatch):
    from touchpoint.service.services import inbound

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(inbound, "request_create", broken)
    failed = take_in(compose(message_id="<retry@mail.htsc.example>"), uid=5, uidvalidity=1)
    assert failed.outcome == "failed" and failed.raw and not ServiceRequest.objects.exists()
    monkeypatch.undo()
    retried = take_in(compose(message_id="<retry@mail.htsc.example>"), uid=5, uidvalidity=1)
    assert retried.pk == failed.pk and retried.outcome == "created"


def test_parse_mail_reads_threading_headers():
    parsed = parse_mail(compose(headers={"In-Reply-To": "<a@x>", "References": "<r1@x> <r2@x>"}))
    assert parsed.thread_ids == ["<a@x>", "<r2@x>", "<r1@x>"]


# --- Through a real IMAP server -----------------------------------------------------------------------


@needs_dovecot
def test_the_worker_takes_in_the_mailbox_and_marks_the_mails_seen(personas, desk, imap_server, smtp_sink,
                                                                  django_capture_on_commit_callbacks):  # fmt: skip
    imap_server.append(
        compose(message_id="<w1@mail.htsc.example>"),
        compose(sender="stranger@unknown.example", subject="求助", message_id="<w2@unknown.example>"),
        compose(subject="Out of Office", message_id="<w3@mail.htsc.example>"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = mailbox_poll(imap_server.config(batch=2))
    assert result.fetched == 3 and result.outcomes == {"created": 2, "auto_reply": 1}
    assert all(b"\\Seen" in flags for flags in imap_server.flags().values())
    state = MailboxState.objects.get()
    assert state.last_uid == 3 and state.uidvalidity
    assert {rcpt[0] for rcpt, _message in smtp_sink.wait(2)} == {"zhangwei@htsc.example", "stranger@unknown.example"}
    triage = ServiceRequest.objects.get(needs_triage=True)
    assert triage.customer is None and triage.requester_email == "stranger@unknown.example"

    # Fetching again takes nothing; a new mail is read from the last UID on.
    assert mailbox_poll(imap_server.config()).fetched == 0
    imap_server.append(compose(subject=f"[{ServiceRequest.objects.get(customer=personas.customer_a).number}] 补充",
                               body="补充", message_id="<w4@mail.htsc.example>"))  # fmt: skip
    result = mailbox_poll(imap_server.config())
    assert result.outcomes == {"threaded": 1} and ServiceRequest.objects.count() == 2


@needs_dovecot
def test_a_worker_that_starts_over_takes_nothing_in_twice(personas, desk, imap_server):
    imap_server.append(*(compose(subject=f"工单 {index}", body=str(index), message_id=f"<re{index}@mail.htsc.example>")
                         for index in range(5)))  # fmt: skip
    mailbox_poll(imap_server.config(), limit=3)
    MailboxState.objects.update(last_uid=0)  # as if the state was lost after a crash
    result = mailbox_poll(imap_server.config())
    assert result.outcomes == {"duplicate": 3, "created": 2} and ServiceRequest.objects.count() == 5


@needs_dovecot
def test_a_renumbered_folder_is_read_again_without_duplicates(personas, desk, imap_server):
    imap_server.append(compose(message_id="<v1@mail.htsc.example>"), compose(subject="二", body="2", message_id="<v2@mail.htsc.example>"))
    mailbox_poll(imap_server.config())
    MailboxState.objects.update(uidvalidity=1)  # the server says the folder was renumbered
    result = mailbox_poll(imap_server.config())
    assert result.fetched == 2 and ServiceRequest.objects.count() == 2
    assert MailboxState.objects.get().uidvalidity != 1


@needs_dovecot
def test_the_mailbox_command_runs_once(personas, desk, imap_server, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SSL = imap_server.host, imap_server.port, False
    settings.IMAP_USER, settings.IMAP_PASSWORD = imap_server.user, imap_server.password
    imap_server.append(compose(message_id="<cmd@mail.htsc.example>"))
    out = StringIO()
    call_command("service_mailbox", "--once", stdout=out)
    assert "1 mail(s): created 1" in out.getvalue() and ServiceRequest.objects.count() == 1
    imap_server.append(compose(subject="Out of office", message_id="<cmd2@mail.htsc.example>"))
    assert mailbox_poll_configured() == {"fetched": 1, "auto_reply": 1}


def test_the_mailbox_command_says_when_imap_is_not_configured(settings):
    from django.core.management import CommandError, call_command

    settings.IMAP_HOST = ""
    with pytest.raises(CommandError, match="IMAP is not configured"):
        call_command("service_mailbox", "--once")
    assert mailbox_poll_configured() == {} and not MailboxState.objects.exists()
