"""The support mailbox as operators see it: the retry of a failed mail, who may look at the log, the
page with its filters, the kept originals, and the mail card on the request page."""

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.customers.models import Contact
from touchpoint.service import access
from touchpoint.service.mail.inbound import parse_mail
from touchpoint.service.models import InboundMail, MailboxState, RequestMessage, ServiceRequest
from touchpoint.service.services.inbound import _record_failure, mail_ingest, mail_retry
from touchpoint.service.services.requests import request_create
from touchpoint.service.tests.fixtures_desk import as_user
from touchpoint.testing import make_portal_personas

pytestmark = pytest.mark.django_db

MAILBOX = "support@touchpoint.example@imap.touchpoint.example:993/INBOX"
SUPPORT = "support@touchpoint.example"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _support_address(settings):
    settings.SERVICE_MAIL_ADDRESS = SUPPORT


def compose(*, sender="zhangwei@htsc.example", subject="行情服务器断线", body="早盘 9:20 起行情中断，请尽快处理。",
            message_id="<first@mail.htsc.example>", headers=None) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, SUPPORT, subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def failed_earlier(raw: bytes, *, uid: int = 5, error: Exception | None = None) -> InboundMail:
    """A mail the worker could not take in (the database went away under it): recorded by the same
    code the worker uses, with the original kept."""
    failure = error or RuntimeError("database is locked")
    return _record_failure(raw=raw, mailbox=MAILBOX, uid=uid, uidvalidity=7, error=failure, parsed=parse_mail(raw)).mail


def failing_reply(personas) -> tuple[ServiceRequest, InboundMail]:
    """A request of customer A opened for liuyang@csc.example, who is a contact of customer B: his mail
    on it cannot go on the request (its contact belongs to another customer) and fails for real."""
    request = request_create(by=personas.maintenance_agent, customer=personas.customer_a, requester_email="liuyang@csc.example",
                             subject="行情延迟", channel="email")  # fmt: skip
    raw = compose(sender="liuyang@csc.example", subject=f"Re: [{request.number}] 行情延迟", body="今天仍有延迟。",
                  message_id="<mismatch@csc.example>")  # fmt: skip
    mail = mail_ingest(raw=raw, mailbox=MAILBOX, uid=11, uidvalidity=7).mail
    assert mail.outcome == "failed" and mail.raw and mail.request is None
    return request, mail


def take_in(raw: bytes, uid: int) -> InboundMail:
    return mail_ingest(raw=raw, mailbox=MAILBOX, uid=uid, uidvalidity=7).mail


@pytest.fixture(name="mail_log")
def mail_log_fixture(personas, desk) -> dict[str, InboundMail]:
    """One mail of each kind: a new request, a thread, a bounce, an auto-reply, a failure, a rejection."""
    created = take_in(compose(), 1)
    threaded = take_in(compose(subject=f"Re: [{created.request.number}] 补充", body="日志见附件。",
                               message_id="<second@mail.htsc.example>"), 2)  # fmt: skip
    bounce = take_in(compose(sender="MAILER-DAEMON@mx.htsc.example", subject="Undelivered Mail Returned to Sender",
                             message_id="<bounce@mx>", headers={"Return-Path": "<>"}), 3)  # fmt: skip
    auto = take_in(compose(subject="自动回复: 行情服务器断线", message_id="<auto@mail.htsc.example>",
                           headers={"Auto-Submitted": "auto-replied"}), 4)  # fmt: skip
    failed = failed_earlier(compose(sender="wangfang@htsc.example", subject="委托回报延迟", message_id="<failed@mail.htsc.example>"), uid=5)
    rejected = take_in(b"Subject: no sender\r\nMessage-ID: <nosender@x>\r\n\r\nbody", 6)
    assert [m.outcome for m in (created, threaded, bounce, auto, failed, rejected)] == [
        "created", "threaded", "bounce", "auto_reply", "failed", "rejected"]  # fmt: skip
    return {"created": created, "threaded": threaded, "bounce": bounce, "auto": auto, "failed": failed, "rejected": rejected}


# --- The retry service --------------------------------------------------------------------------------------------


def test_retrying_a_failed_mail_that_now_goes_through_creates_its_request_once(personas, desk):
    failed = failed_earlier(compose())
    assert failed.outcome == "failed" and failed.raw and not ServiceRequest.objects.exists()
    result = mail_retry(mail=failed, by=personas.maintenance_lead)
    failed.refresh_from_db()
    assert result.mail.pk == failed.pk and failed.outcome == "created" and failed.request is not None
    assert failed.request.customer == personas.customer_a and failed.uid == 5 and failed.uidvalidity == 7
    assert ServiceRequest.objects.count() == 1 and InboundMail.objects.count() == 1
    assert RequestMessage.objects.filter(kind="inbound", message_id="<first@mail.htsc.example>").count() == 1


def test_retrying_twice_creates_nothing_new(personas, desk):
    failed = failed_earlier(compose())
    mail_retry(mail=failed, by=personas.maintenance_lead)
    with pytest.raises(ValidationError) as refused:
        mail_retry(mail=failed, by=personas.maintenance_lead)
    assert refused.value.code == "not_failed"
    assert ServiceRequest.objects.count() == 1 and InboundMail.objects.count() == 1
    assert RequestMessage.objects.filter(kind="inbound").count() == 1


def test_a_mail_that_did_not_fail_cannot_be_retried(personas, desk):
    created = take_in(compose(), 1)
    before = (created.outcome, created.reason, created.request_id, created.processed_at)
    with pytest.raises(ValidationError) as refused:
        mail_retry(mail=created, by=personas.maintenance_lead)
    assert "New request" in refused.value.messages[0] or "新工单" in refused.value.messages[0]
    created.refresh_from_db()
    assert (created.outcome, created.reason, created.request_id, created.processed_at) == before
    assert ServiceRequest.objects.count() == 1 and not Event.objects.filter(verb="mail.retried").exists()


def test_a_failed_mail_whose_original_was_not_kept_cannot_be_retried(personas, desk):
    failed = failed_earlier(compose())
    InboundMail.objects.filter(pk=failed.pk).update(raw="")
    failed.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        mail_retry(mail=failed, by=personas.maintenance_lead)
    assert refused.value.code == "no_original"
    assert not ServiceRequest.objects.exists()


def test_a_failed_mail_whose_original_is_gone_from_the_disk_is_refused_without_a_change(personas, desk):
    failed = failed_earlier(compose())
    failed.raw.storage.delete(failed.raw.name)
    with pytest.raises(ValidationError) as refused:
        mail_retry(mail=failed, by=personas.maintenance_lead)
    assert refused.value.code == "no_original"
    failed.refresh_from_db()
    assert failed.outcome == "failed" and not ServiceRequest.objects.exists()


def test_a_mail_that_fails_again_stays_failed_with_the_new_reason_and_goes_through_once_fixed(personas, desk):
    request, failed = failing_reply(personas)
    InboundMail.objects.filter(pk=failed.pk).update(reason="RuntimeError: an older reason")
    result = mail_retry(mail=failed, by=personas.maintenance_lead)
    failed.refresh_from_db()
    assert result.mail.pk == failed.pk and failed.outcome == "failed" and failed.raw
    assert "ValidationError" in failed.reason and "older reason" not in failed.reason
    assert request.messages.filter(kind="inbound").count() == 0 and ServiceRequest.objects.count() == 1
    # The data is put right (he is customer A's contact after all); the same mail now goes on the request.
    Contact.objects.filter(pk=personas.contact_b.pk).update(customer=personas.customer_a)
    mail_retry(mail=failed, by=personas.maintenance_lead)
    failed.refresh_from_db()
    assert failed.outcome == "threaded" and failed.request == request
    assert request.messages.filter(kind="inbound", message_id="<mismatch@csc.example>").count() == 1


def test_each_retry_is_recorded_as_an_event_with_its_outcome(personas, desk):
    failed = failed_earlier(compose())
    mail_retry(mail=failed, by=personas.maintenance_lead)
    event = Event.objects.get(verb="mail.retried")
    failed.refresh_from_db()
    assert event.actor == personas.maintenance_lead and event.customer_id == personas.customer_a.pk
    assert event.target_type == "service.inboundmail" and event.target_id == failed.pk
    assert event.payload["outcome"] == "created" and event.payload["number"] == failed.request.number


# --- Who may see the mailbox -----------------------------------------------------------------------------------

READERS = {"maintenance_lead", "admin", "maintenance_agent"}
MANAGERS = {"maintenance_lead", "admin"}


@pytest.mark.parametrize("position", ["maintenance_lead", "admin", "maintenance_agent", "sales_rep", "sales_manager",
                                      "project_manager", "engineer", "finance", "marketing", "executive"])  # fmt: skip
def test_the_mailbox_is_for_the_maintenance_lead_and_admins_and_read_only_for_agents(client, personas, desk, mail_log, position):
    user = personas.by_position()[position]
    assert access.may_view_mailbox(user) is (position in READERS)
    assert access.may_retry_mail(user) is (position in MANAGERS)
    assert access.visible_inbound_mails(user).count() == (6 if position in READERS else 0)
    as_user(client, user)
    assert client.get(reverse("service:mailbox")).status_code == (200 if position in READERS else 403)
    assert client.get(reverse("service:mail_original", args=[mail_log["failed"].pk])).status_code == (200 if position in READERS else 403)
    response = client.post(reverse("service:mail_retry", args=[mail_log["failed"].pk]))
    assert response.status_code == (302 if position in MANAGERS else 403)
    mail_log["failed"].refresh_from_db()
    assert mail_log["failed"].outcome == ("created" if position in MANAGERS else "failed")


def test_outsiders_inactive_users_and_anonymous_visitors_never_see_the_mailbox(client, personas, desk, mail_log):
    as_user(client, personas.outsider)
    assert client.get(reverse("service:mailbox")).status_code == 403
    personas.maintenance_lead.is_active = False
    assert not access.may_view_mailbox(personas.maintenance_lead)
    client.logout()
    response = client.get(reverse("service:mailbox"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_portal_users_never_see_the_mailbox_or_its_originals(client, personas, desk, mail_log):
    for user in make_portal_personas(personas).all().values():
        assert not access.may_view_mailbox(user) and not access.visible_inbound_mails(user).exists()
        as_user(client, user)
        assert client.get(reverse("service:mailbox")).status_code in (302, 403)
        assert client.get(reverse("service:mail_original", args=[mail_log["created"].pk])).status_code in (302, 403, 404)
        assert client.post(reverse("service:mail_retry", args=[mail_log["failed"].pk])).status_code in (302, 403, 404)
    mail_log["failed"].refresh_from_db()
    assert mail_log["failed"].outcome == "failed"


def test_the_menu_offers_the_mailbox_only_to_those_who_may_see_it(client, personas, desk):
    url = reverse("service:mailbox")
    for user, shown in ((personas.maintenance_lead, True), (personas.maintenance_agent, True), (personas.sales_manager, False)):
        as_user(client, user)
        html = client.get(reverse("service:requests_all")).content.decode()
        assert (f'href="{url}"' in html) is shown, user


# --- The page --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_page_shows_the_mailbox_state_and_every_mail_newest_first(client, personas, desk, mail_log, language):
    MailboxState.objects.create(mailbox=MAILBOX, uidvalidity=7, last_uid=6, polled_at=timezone.now(),
                                last_error="LOGIN failed: [AUTHENTICATIONFAILED]")  # fmt: skip
    as_user(client, personas.maintenance_lead, language)
    response = client.get(reverse("service:mailbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert ("Support mailbox" if language == "en" else "服务邮箱") in html
    assert 'class="text-danger fw-semibold text-break mailbox-error">LOGIN failed: [AUTHENTICATIONFAILED]' in html
    assert "UIDVALIDITY 7" in html and ">6 <" in html
    newest_first = ("rejected", "failed", "auto", "bounce", "threaded", "created")
    assert [mail.pk for mail in response.context["page"]] == [mail_log[key].pk for key in newest_first]
    overview = response.context["overview"]
    assert (overview.problems, overview.ignored) == (2, 2)
    number = mail_log["created"].request.number
    assert f'href="{reverse("service:request_detail", args=[mail_log["created"].request.pk])}">{number}</a>' in html
    assert html.count(reverse("service:mail_retry", args=[mail_log["failed"].pk])) == 1
    assert reverse("service:mail_original", args=[mail_log["rejected"].pk]) in html
    assert reverse("service:mail_original", args=[mail_log["created"].pk]) not in html  # nothing was kept for it
    assert ("Ignored: auto-reply" if language == "en" else "已忽略：自动回复") in html
    assert ("Retry" if language == "en" else "重试") in html


def test_a_mailbox_never_polled_says_so(client, personas, desk):
    as_user(client, personas.maintenance_lead)
    html = client.get(reverse("service:mailbox")).content.decode()
    assert 'id="mailbox-never-polled"' in html and "No mails match." in html


def test_agents_see_the_log_without_retry_buttons(client, personas, desk, mail_log):
    as_user(client, personas.maintenance_agent)
    html = client.get(reverse("service:mailbox")).content.decode()
    assert reverse("service:mail_original", args=[mail_log["failed"].pk]) in html
    assert reverse("service:mail_retry", args=[mail_log["failed"].pk]) not in html


@pytest.mark.parametrize(
    ("group", "expected"),
    [("", {"created", "threaded", "bounce", "auto", "failed", "rejected"}), ("taken", {"created", "threaded"}),
     ("ignored", {"bounce", "auto"}), ("problems", {"failed", "rejected"})],
)  # fmt: skip
def test_the_outcome_group_filter(client, personas, desk, mail_log, group, expected):
    as_user(client, personas.maintenance_lead)
    page = client.get(reverse("service:mailbox"), {"group": group}).context["page"]
    assert {mail.pk for mail in page} == {mail_log[key].pk for key in expected}


def test_the_search_looks_in_the_sender_the_subject_and_the_message_id(client, personas, desk, mail_log):
    as_user(client, personas.maintenance_lead)

    def found(q):
        return {mail.pk for mail in client.get(reverse("service:mailbox"), {"q": q}).context["page"]}

    assert found("WANGFANG@htsc") == {mail_log["failed"].pk}
    assert found("委托回报") == {mail_log["failed"].pk}
    assert found("<bounce@mx>") == {mail_log["bounce"].pk}
    assert found("nobody-wrote-this") == set()


def test_the_received_date_range_includes_both_days(client, personas, desk, mail_log):
    today = timezone.localdate()
    InboundMail.objects.filter(pk=mail_log["bounce"].pk).update(created_at=timezone.now() - timedelta(days=10))
    as_user(client, personas.maintenance_lead)

    def found(**query):
        return {mail.pk for mail in client.get(reverse("service:mailbox"), query).context["page"]}

    assert found(since=today.isoformat(), until=today.isoformat()) == {m.pk for k, m in mail_log.items() if k != "bounce"}
    old = (today - timedelta(days=10)).isoformat()
    assert found(since=old, until=old) == {mail_log["bounce"].pk}
    assert found(until=(today - timedelta(days=11)).isoformat()) == set()


def test_the_results_alone_answer_an_htmx_filter(client, personas, desk, mail_log):
    as_user(client, personas.maintenance_lead)
    response = client.get(reverse("service:mailbox"), {"group": "problems"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="mail-table"' in html and "<html" not in html and 'id="mailbox-state"' not in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"group": "<script>alert(1)</script>"}, "group"),
        ({"since": "not a date"}, "since"),
        ({"since": "0001-01-01"}, "since"),
        ({"until": "9999-12-31"}, "until"),
        ({"since": "2026-03-10", "until": "2026-03-01"}, "until"),
        ({"q": "x" * 500}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_hostile_filters_get_a_field_error_in_the_users_language_never_a_500(client, personas, desk, mail_log, query, field,
                                                                              language):  # fmt: skip
    as_user(client, personas.maintenance_lead, language)
    response = client.get(reverse("service:mailbox"), query)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    if language == "zh-hans":
        assert any(ord(ch) > 0x3000 for ch in " ".join(response.context["form"].errors[field]))


@pytest.mark.parametrize("page", ["-1", "abc", "0", "99999999999", "2"])
def test_odd_page_numbers_are_answered(client, personas, desk, mail_log, page):
    as_user(client, personas.maintenance_lead)
    response = client.get(reverse("service:mailbox"), {"page": page})
    assert response.status_code == 200


def test_the_list_page_query_count_is_pinned_and_does_not_grow_with_the_mails(client, personas, desk, mail_log,
                                                                               django_assert_num_queries):  # fmt: skip
    MailboxState.objects.create(mailbox=MAILBOX, uidvalidity=7, last_uid=6, polled_at=timezone.now())
    as_user(client, personas.maintenance_lead)
    url = reverse("service:mailbox")
    client.get(url)
    with django_assert_num_queries(10) as first:
        client.get(url, {"group": "problems"})
    mail_counts = [q["sql"] for q in first.captured_queries if "COUNT(" in q["sql"].upper() and "service_inboundmail" in q["sql"]]
    # The 7-day summary, and the pager's count, which stops at a cap instead of counting the whole log.
    assert len(mail_counts) == 2 and any("LIMIT" in sql.upper() for sql in mail_counts)
    for index in range(30):
        failed_earlier(compose(subject=f"委托失败{index}", message_id=f"<f{index}@mail.htsc.example>"), uid=100 + index)
    with django_assert_num_queries(len(first.captured_queries)):
        page = client.get(url, {"group": "problems"}).context["page"]
    assert len(page) == 25 and page.has_next()


# --- The original and the retry from the page ------------------------------------------------------------------


def test_the_original_downloads_as_an_eml_attachment_never_inline(client, personas, desk, mail_log):
    as_user(client, personas.maintenance_agent)
    response = client.get(reverse("service:mail_original", args=[mail_log["failed"].pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and f'mail-{mail_log["failed"].pk}.eml' in disposition
    assert response["Content-Type"] == "message/rfc822" and response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    with mail_log["failed"].raw.open("rb") as kept:
        assert body == kept.read() and b"<failed@mail.htsc.example>" in body


def test_a_mail_without_a_kept_original_or_an_unknown_id_is_a_404(client, personas, desk, mail_log):
    as_user(client, personas.maintenance_lead)
    assert client.get(reverse("service:mail_original", args=[mail_log["created"].pk])).status_code == 404
    assert client.get(reverse("service:mail_original", args=[999_999])).status_code == 404
    assert client.post(reverse("service:mail_retry", args=[999_999])).status_code == 404


def test_the_retry_button_takes_the_mail_in_and_says_so(client, personas, desk, mail_log):
    as_user(client, personas.maintenance_lead)
    back = reverse("service:mailbox") + "?group=problems"
    response = client.post(reverse("service:mail_retry", args=[mail_log["failed"].pk]), {"next": back}, follow=True)
    assert response.redirect_chain[-1] == (back, 302)
    mail_log["failed"].refresh_from_db()
    assert mail_log["failed"].outcome == "created" and mail_log["failed"].request.subject == "委托回报延迟"
    assert "The mail was taken in" in response.content.decode()
    assert ServiceRequest.objects.filter(subject="委托回报延迟").count() == 1


def test_a_retry_that_fails_again_says_why(client, personas, desk):
    _request, failed = failing_reply(personas)
    as_user(client, personas.maintenance_lead, "zh-hans")
    response = client.post(reverse("service:mail_retry", args=[failed.pk]), follow=True)
    html = response.content.decode()
    failed.refresh_from_db()
    assert failed.outcome == "failed" and "邮件再次处理失败" in html and "alert-danger" in html


def test_retrying_a_mail_that_did_not_fail_is_refused_with_a_message_and_changes_nothing(client, personas, desk, mail_log):
    as_user(client, personas.maintenance_lead)
    response = client.post(reverse("service:mail_retry", args=[mail_log["bounce"].pk]), follow=True)
    assert "Only a mail that failed can be retried" in response.content.decode()
    mail_log["bounce"].refresh_from_db()
    assert mail_log["bounce"].outcome == "bounce" and not Event.objects.filter(verb="mail.retried").exists()


def test_the_retry_goes_back_to_the_mailbox_only_and_wants_a_post(client, personas, desk, mail_log):
    as_user(client, personas.maintenance_lead)
    url = reverse("service:mail_retry", args=[mail_log["failed"].pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"next": "https://evil.example/service/mail/"})
    assert response.status_code == 302 and response["Location"] == reverse("service:mailbox")


# --- The request page's mail card --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_request_page_lists_the_mails_that_went_to_it(client, personas, desk, mail_log, language):
    request = mail_log["created"].request
    as_user(client, personas.maintenance_agent, language)
    html = client.get(reverse("service:request_detail", args=[request.pk])).content.decode()
    card = html[html.index('id="request-mails"') :]
    assert ("Mail" if language == "en" else "邮件") in card[:400]
    assert card.count("zhangwei@htsc.example") >= 2
    assert ("New request" if language == "en" else "新工单") in card
    assert ("Added to a request" if language == "en" else "已追加到工单") in card


def test_a_request_that_came_by_phone_has_no_mail_card(client, personas, desk):
    request = request_create(by=personas.maintenance_agent, customer=personas.customer_a, contact=personas.contact_a,
                             subject="清算文件未生成", channel="phone")  # fmt: skip
    as_user(client, personas.maintenance_agent)
    html = client.get(reverse("service:request_detail", args=[request.pk])).content.decode()
    assert 'id="request-mails"' not in html
