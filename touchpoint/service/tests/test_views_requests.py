"""The agent's request pages: the queue, the export, logging a request, the request page and its
actions, as the personas use them, in English and Chinese."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from touchpoint.core.models import Notification
from touchpoint.service.models import Handoff, Queue, RequestMessage, ServiceRequest, Status, StatusChange
from touchpoint.service.tests.fixtures_desk import as_user, bounced_fixture, log, request_a_fixture, request_b_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def detail(sr):
    return reverse("service:request_detail", args=[sr.pk])


def act(sr, name):
    return reverse(f"service:request_{name}", args=[sr.pk])


# --- The list -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_agents_queue_shows_his_requests_with_a_live_sla_badge(client, personas, request_a, request_b, language):
    as_user(client, personas.maintenance_agent, language)
    response = client.get(reverse("service:requests"))
    assert response.status_code == 200
    html = response.content.decode()
    assert request_a.number in html and "sla-badge" in html
    assert ("My queue" if language == "en" else "我的队列") in html


def test_my_queue_holds_what_is_assigned_to_me_or_unassigned_in_my_queues(client, personas, desk, request_a):
    elsewhere = log(personas, subject="对账差异")
    Queue.objects.filter(pk=desk.l1.pk)  # the agent sits in L1
    ServiceRequest.objects.filter(pk=elsewhere.pk).update(queue=desk.engineering, assignee=None)
    as_user(client, personas.maintenance_agent)
    rows = list(client.get(reverse("service:requests")).context["page"])
    assert request_a in rows and elsewhere not in rows
    rows = list(client.get(reverse("service:requests"), {"view": "open"}).context["page"])
    assert {request_a, elsewhere} <= set(rows)


def test_the_list_filters_by_severity_and_flags_and_searches_by_number(client, personas, request_a, bounced):
    as_user(client, personas.maintenance_lead)
    rows = client.get(reverse("service:requests"), {"view": "all", "bounced": "on"}).context["page"]
    assert list(rows) == [bounced]
    rows = client.get(reverse("service:requests"), {"view": "all", "severity": "P2"}).context["page"]
    assert list(rows) == [request_a]
    rows = client.get(reverse("service:requests"), {"view": "all", "q": request_a.number}).context["page"]
    assert list(rows) == [request_a]
    rows = client.get(reverse("service:requests"), {"view": "all", "q": "委托回报"}).context["page"]
    assert list(rows) == [bounced]


def test_an_htmx_filter_answers_with_the_results_only(client, personas, request_a):
    as_user(client, personas.maintenance_agent)
    response = client.get(reverse("service:requests"), {"view": "open"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="results"' in html and "<html" not in html


def test_an_invalid_filter_is_a_400_not_a_500(client, personas, request_a):
    as_user(client, personas.maintenance_agent)
    assert client.get(reverse("service:requests"), {"queue": "99999"}).status_code == 400
    assert client.get(reverse("service:requests"), {"severity": "P9"}).status_code == 400
    assert client.get(reverse("service:requests"), {"page": "abc"}).status_code == 200


def test_a_sales_rep_lists_only_his_customers_requests(client, personas, request_a, request_b):
    as_user(client, personas.sales_rep)
    rows = list(client.get(reverse("service:requests"), {"view": "all"}).context["page"])
    assert rows == [request_a]


def test_an_outsider_may_not_open_the_list(client, personas, request_a):
    as_user(client, personas.outsider)
    assert client.get(reverse("service:requests")).status_code == 403


def test_the_list_reads_a_page_plus_one_row_and_never_counts(client, personas, desk, covered, django_assert_num_queries):
    for index in range(3):
        log(personas, subject=f"行情延迟{index}")
    as_user(client, personas.maintenance_agent)
    url = reverse("service:requests")
    client.get(url, {"view": "open"})  # warms the calendar cache
    # session, user, memberships, departments and queues for the filters, the page plus one row (customer
    # and people joined), then by id its queues, departments, calendars and SLA policies, notifications
    with django_assert_num_queries(11) as first:
        client.get(url, {"view": "open"})
    assert not any("COUNT(" in q["sql"].upper() and "service_servicerequest" in q["sql"] for q in first.captured_queries)
    for index in range(30):
        log(personas, subject=f"委托失败{index}")
    with django_assert_num_queries(len(first.captured_queries)):
        page = client.get(url, {"view": "open"}).context["page"]
    assert len(page) == 25 and page.has_next


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_export_neutralises_formulas_and_lists_only_exportable_requests(client, personas, desk, covered, fmt):
    log(personas, subject='=HYPERLINK("http://x")')
    as_user(client, personas.maintenance_lead)
    response = client.get(reverse("service:request_export"), {"view": "all", "format": fmt})
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        text = str([cell.value for row in sheet.iter_rows() for cell in row])
    else:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(" in text and ",=HYPERLINK" not in text


def test_the_export_is_refused_without_the_export_scope(client, personas, request_a):
    as_user(client, personas.engineer)
    assert client.get(reverse("service:request_export")).status_code == 403


# --- The request page -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_request_page_shows_the_bounce_the_escalation_and_the_handoffs(client, personas, bounced, language):
    as_user(client, personas.maintenance_agent, language)
    response = client.get(detail(bounced))
    assert response.status_code == 200
    html = response.content.decode()
    assert bounced.number in html and "疑似缺陷，转研发" in html and "非缺陷，退回一线" in html
    assert ("Bounced" if language == "en" else "踢皮球") in html
    assert "L1" in html and ("Escalated to level 1" if language == "en" else "升级至第 1 级") in html


def test_a_request_without_cover_is_flagged_on_its_page(client, personas, request_b):
    as_user(client, personas.maintenance_agent)
    html = client.get(detail(request_b)).content.decode()
    assert 'id="not-covered"' in html


def test_the_finance_service_hold_shows_its_reason(client, personas, request_a):
    from touchpoint.finance.models import CreditProfile

    CreditProfile.objects.update_or_create(customer=personas.customer_a, defaults={"service_hold": True,
                                                                                  "service_hold_reason": "逾期回款"})  # fmt: skip
    as_user(client, personas.maintenance_agent)
    html = client.get(detail(request_a)).content.decode()
    assert 'id="service-hold"' in html and "逾期回款" in html


def test_an_outsider_and_another_customers_rep_get_404_on_a_guessed_id(client, personas, request_a, request_b):
    as_user(client, personas.other_rep)
    assert client.get(detail(request_a)).status_code == 404
    assert client.post(act(request_a, "note"), {"body": "x"}).status_code == 404
    as_user(client, personas.outsider)
    assert client.get(detail(request_a)).status_code == 404
    assert client.get(reverse("service:request_detail", args=[999999])).status_code == 404


def test_the_engineer_sees_only_requests_that_reached_his_queue(client, personas, desk, request_a, request_b):
    from touchpoint.service.services.requests import request_transfer

    request_transfer(request=request_b, by=personas.maintenance_agent, queue=desk.engineering, reason="疑似缺陷")
    as_user(client, personas.engineer)
    assert client.get(detail(request_a)).status_code == 404
    assert client.get(detail(request_b)).status_code == 200
    assert list(client.get(reverse("service:requests")).context["page"]) == [request_b]
    rows = list(client.get(reverse("service:requests"), {"view": "all"}).context["page"])
    assert rows == [request_b]


def test_the_detail_query_count_does_not_grow_with_the_history(client, personas, desk, request_a, django_assert_num_queries):
    from touchpoint.service.services.requests import request_note, request_transfer

    as_user(client, personas.maintenance_lead)
    client.get(detail(request_a))
    # 16: the mails that went to the request are one query (the "Mail" card).
    with django_assert_num_queries(16) as first:
        client.get(detail(request_a))
    for index in range(3):
        request_note(request=request_a, by=personas.maintenance_agent, body=f"跟进{index}")
    request_transfer(request=request_a, by=personas.maintenance_agent, queue=desk.engineering, reason="转研发")
    request_transfer(request=request_a, by=personas.engineer, queue=desk.l1, reason="退回")
    # The bounce notified the lead; the shell counts unread notifications twice when there are some.
    Notification.objects.update(read_at=timezone.now())
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(detail(request_a))


# --- Actions -----------------------------------------------------------------------------------------------------


def test_a_reply_mails_the_contact_and_stops_the_first_response_clock(
    client, personas, request_a, mailoutbox, django_capture_on_commit_callbacks
):
    as_user(client, personas.maintenance_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(act(request_a, "reply"), {"body": "已定位问题，正在处理。"}, **HTMX)
    assert response.status_code == 200 and "Reply sent." in response.content.decode()
    request_a.refresh_from_db()
    assert request_a.responded_at is not None
    assert RequestMessage.objects.filter(request=request_a, kind="reply").count() == 1
    assert [m.to for m in mailoutbox] == [[personas.contact_a.email]]


@pytest.mark.parametrize(("language", "message"), [("en", "Write the note."), ("zh-hans", "请填写备注内容。")])
def test_an_empty_note_is_a_field_error_in_the_users_language(client, personas, request_a, language, message):
    as_user(client, personas.maintenance_agent, language)
    response = client.post(act(request_a, "note"), {"body": ""}, **HTMX)
    assert response.status_code == 400 and message in response.content.decode()
    assert not RequestMessage.objects.filter(request=request_a, kind="note").exists()


def test_an_internal_note_is_kept_apart_from_the_customer_conversation(client, personas, request_a, mailoutbox):
    as_user(client, personas.maintenance_agent)
    response = client.post(act(request_a, "note"), {"body": "客户信息部电话 021-1234"}, **HTMX)
    assert response.status_code == 200 and "message-note" in response.content.decode()
    assert mailoutbox == []


def test_a_transfer_moves_the_request_and_logs_the_handoff(client, personas, desk, request_a):
    as_user(client, personas.maintenance_agent)
    response = client.post(act(request_a, "transfer"), {"queue": desk.engineering.pk, "reason": "疑似缺陷",
                                                       "version": request_a.version}, **HTMX)  # fmt: skip
    assert response.status_code == 200
    request_a.refresh_from_db()
    assert request_a.queue == desk.engineering and request_a.owner == personas.maintenance_agent
    assert Handoff.objects.filter(request=request_a, kind="transfer", reason="疑似缺陷").exists()


@pytest.mark.parametrize(("language", "message"), [("en", "Choose a queue that exists and is in use."),
                                                   ("zh-hans", "请选择存在且在用的队列。")])  # fmt: skip
def test_a_transfer_to_an_unknown_or_inactive_queue_is_a_field_error(client, personas, desk, request_a, language, message):
    Queue.objects.filter(pk=desk.sales.pk).update(is_active=False)
    as_user(client, personas.maintenance_agent, language)
    for queue in (999999, desk.sales.pk, "abc"):
        response = client.post(act(request_a, "transfer"), {"queue": queue, "reason": "转", "version": request_a.version}, **HTMX)
        assert response.status_code == 400 and message in response.content.decode()
    request_a.refresh_from_db()
    assert request_a.queue == desk.l1 and not Handoff.objects.filter(request=request_a, kind="transfer").exists()


def test_a_transfer_needs_a_reason(client, personas, desk, request_a):
    as_user(client, personas.maintenance_agent)
    response = client.post(act(request_a, "transfer"), {"queue": desk.engineering.pk, "reason": " ", "version": request_a.version},
                           **HTMX)  # fmt: skip
    assert response.status_code == 400
    assert "Say why the request moves" in response.content.decode()


@pytest.mark.parametrize("who", ["executive", "finance"])
def test_readers_without_the_right_to_work_it_cannot_transfer_and_nothing_changes(client, personas, desk, request_a, who):
    as_user(client, getattr(personas, who))
    page = client.get(detail(request_a))
    assert page.status_code == 200 and page.context.get("transfer_form") is None
    version = request_a.version
    for action, data in [
        ("transfer", {"queue": desk.sales.pk, "reason": "商务问题"}),
        ("note", {"body": "x"}),
        ("status", {"status": "resolved", "resolution": "x"}),
        ("assign", {"user": personas.maintenance_agent.pk}),
    ]:
        assert client.post(act(request_a, action), {**data, "version": version}).status_code == 403, action
    request_a.refresh_from_db()
    assert request_a.queue == desk.l1 and request_a.version == version and request_a.status == Status.NEW
    assert not RequestMessage.objects.filter(request=request_a, kind="note").exists()


def test_a_stale_version_gets_a_conflict_and_changes_nothing(client, personas, desk, request_a):
    from touchpoint.service.services.requests import request_transfer

    seen = request_a.version
    request_transfer(request=request_a, by=personas.maintenance_lead, queue=desk.engineering, reason="研发先看")
    as_user(client, personas.maintenance_agent)
    response = client.post(act(request_a, "transfer"), {"queue": desk.sales.pk, "reason": "商务", "version": seen}, **HTMX)
    assert response.status_code == 409 and 'id="stale-request"' in response.content.decode()
    request_a.refresh_from_db()
    assert request_a.queue == desk.engineering


def test_assigning_offers_only_the_queues_members(client, personas, desk, request_a):
    as_user(client, personas.maintenance_lead)
    form = client.get(detail(request_a)).context["assign_form"]
    assert list(form.fields["user"].queryset) == [personas.maintenance_agent]
    response = client.post(act(request_a, "assign"), {"user": personas.engineer.pk, "version": request_a.version}, **HTMX)
    assert response.status_code == 400 and "Choose an agent of the request&#x27;s queue." in response.content.decode()


def test_the_lead_changes_the_case_owner_and_an_agent_of_another_department_cannot(client, personas, request_a):
    as_user(client, personas.maintenance_lead)
    response = client.post(act(request_a, "owner"), {"owner": personas.maintenance_lead.pk, "reason": "升级处理",
                                                    "version": request_a.version}, **HTMX)  # fmt: skip
    assert response.status_code == 200
    request_a.refresh_from_db()
    assert request_a.owner == personas.maintenance_lead
    as_user(client, personas.engineer)
    assert client.post(act(request_a, "owner"), {"owner": personas.engineer.pk, "reason": "x",
                                                 "version": request_a.version}).status_code == 404  # fmt: skip


def test_only_the_allowed_status_moves_are_offered_and_others_refused(client, personas, request_a):
    as_user(client, personas.maintenance_agent)
    form = client.get(detail(request_a)).context["status_form"]
    assert [value for value, _label in form.fields["status"].choices] == ["triaged", "in_progress", "waiting", "resolved", "closed"]
    response = client.post(act(request_a, "status"), {"status": "bogus", "version": request_a.version}, **HTMX)
    assert response.status_code == 400
    request_a.refresh_from_db()
    assert request_a.status == Status.NEW


@pytest.mark.parametrize(("language", "message"), [("en", "Say how the request was resolved."), ("zh-hans", "请说明工单的解决方式。")])
def test_resolving_without_a_resolution_is_a_field_error(client, personas, request_a, language, message):
    as_user(client, personas.maintenance_agent, language)
    response = client.post(act(request_a, "status"), {"status": "resolved", "resolution": "", "version": request_a.version}, **HTMX)
    assert response.status_code == 400 and message in response.content.decode()
    assert not StatusChange.objects.filter(request=request_a, after="resolved").exists()


def test_resolve_then_reopen(client, personas, request_a):
    as_user(client, personas.maintenance_agent)
    response = client.post(act(request_a, "status"), {"status": "resolved", "resolution": "重新生成清算文件",
                                                     "version": request_a.version}, **HTMX)  # fmt: skip
    assert response.status_code == 200
    request_a.refresh_from_db()
    assert request_a.status == Status.RESOLVED
    assert [v for v, _l in client.get(detail(request_a)).context["status_form"].fields["status"].choices] == ["closed", "in_progress"]
    client.post(act(request_a, "status"), {"status": "in_progress", "version": request_a.version}, **HTMX)
    request_a.refresh_from_db()
    assert request_a.status == Status.IN_PROGRESS and request_a.reopened == 1


def test_a_plain_post_without_htmx_redirects_back_with_a_message(client, personas, request_a):
    as_user(client, personas.maintenance_agent)
    response = client.post(act(request_a, "note"), {"body": "电话回访"})
    assert response.status_code == 302 and response["Location"] == detail(request_a)


# --- Logging a request ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_intake_page_renders_with_the_customer_preselected(client, personas, desk, language):
    as_user(client, personas.maintenance_agent, language)
    response = client.get(reverse("service:request_new"), {"customer": personas.customer_a.pk})
    assert response.status_code == 200
    assert f'value="{personas.customer_a.pk}"' in response.content.decode()


def test_logging_a_request_with_an_attachment_lands_on_its_page(client, personas, desk, covered):
    as_user(client, personas.maintenance_agent)
    upload = SimpleUploadedFile("日志.txt", "错误日志：连接超时".encode(), content_type="text/plain")
    response = client.post(reverse("service:request_new"), {
        "customer": personas.customer_a.pk, "contact": personas.contact_a.pk, "channel": "wechat", "category": "fault",
        "severity": "P2", "impact": "many", "subject": "行情刷新慢", "description": "上午十点起行情刷新慢", "attachments": [upload],
    })  # fmt: skip
    logged = ServiceRequest.objects.get(subject="行情刷新慢")
    assert response.status_code == 302 and response["Location"] == detail(logged)
    assert logged.channel == "wechat" and logged.queue is not None and logged.entitlement == "maintenance"
    page = client.get(detail(logged)).content.decode()
    assert "日志.txt" in page
    attachment = page.split(f"/service/requests/{logged.pk}/attachments/")[1].split("/")[0]
    download = client.get(reverse("service:request_attachment", args=[logged.pk, int(attachment)]))
    assert download.status_code == 200
    as_user(client, personas.other_rep)
    assert client.get(reverse("service:request_attachment", args=[logged.pk, int(attachment)])).status_code == 404


def test_an_oversize_or_disguised_attachment_is_a_field_error_and_nothing_is_logged(client, personas, desk, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    as_user(client, personas.maintenance_agent)
    for upload in (SimpleUploadedFile("big.txt", b"x" * 100), SimpleUploadedFile("fake.pdf", b"MZ not a pdf")):
        response = client.post(reverse("service:request_new"), {
            "customer": personas.customer_a.pk, "channel": "phone", "category": "fault", "severity": "P3", "impact": "few",
            "subject": "附件测试", "attachments": [upload],
        })  # fmt: skip
        assert response.status_code == 400
    assert not ServiceRequest.objects.filter(subject="附件测试").exists()


def test_a_rep_cannot_log_for_another_reps_customer(client, personas, desk):
    as_user(client, personas.sales_rep)
    response = client.post(reverse("service:request_new"), {
        "customer": personas.customer_b.pk, "channel": "phone", "category": "fault", "severity": "P3", "impact": "few",
        "subject": "越权",
    })  # fmt: skip
    assert response.status_code == 400 and "Choose a customer you may log requests for." in response.content.decode()
    assert not ServiceRequest.objects.filter(subject="越权").exists()


def test_a_contact_of_another_customer_is_refused(client, personas, desk):
    as_user(client, personas.maintenance_agent)
    response = client.post(reverse("service:request_new"), {
        "customer": personas.customer_a.pk, "contact": personas.contact_b.pk, "channel": "phone", "category": "fault",
        "severity": "P3", "impact": "few", "subject": "联系人错配",
    })  # fmt: skip
    assert response.status_code == 400
    assert not ServiceRequest.objects.filter(subject="联系人错配").exists()


def test_the_customer_picker_and_the_dependent_fields_answer_htmx(client, personas, desk):
    as_user(client, personas.maintenance_agent)
    options = client.get(reverse("service:request_new_customers"), {"customer_q": "华泰"}, **HTMX).content.decode()
    assert f'value="{personas.customer_a.pk}"' in options and str(personas.customer_b.pk) not in options.replace("华泰", "")
    fields = client.get(reverse("service:request_new_fields"), {"customer": personas.customer_a.pk}, **HTMX).content.decode()
    assert personas.contact_a.name in fields and personas.contact_b.name not in fields


def test_the_marketing_specialist_may_not_log_requests(client, personas, desk):
    as_user(client, personas.marketing)
    assert client.get(reverse("service:request_new")).status_code == 403


# --- Navigation ---------------------------------------------------------------------------------------------------------


def test_the_maintenance_centre_menu_and_its_settings_entries(client, personas, desk):
    as_user(client, personas.maintenance_agent)
    html = client.get(reverse("service:requests")).content.decode()
    assert "Maintenance centre" in html and reverse("service:request_new") in html and reverse("service:requests_all") in html
    assert reverse("service:settings_queues") not in html
    as_user(client, personas.maintenance_lead)
    html = client.get(reverse("service:requests")).content.decode()
    assert reverse("service:settings_queues") in html and reverse("service:settings_sla") in html
    as_user(client, personas.marketing)
    html = client.get(reverse("home")).content.decode()
    assert reverse("service:request_new") not in html


def test_an_engineer_sending_a_request_back_is_taken_to_his_queue(client, personas, desk, request_a):
    from touchpoint.service.services.requests import request_transfer

    request_transfer(request=request_a, by=personas.maintenance_agent, queue=desk.engineering, reason="疑似缺陷")
    request_a.refresh_from_db()
    as_user(client, personas.engineer)
    response = client.post(act(request_a, "transfer"), {"queue": desk.l1.pk, "reason": "非缺陷", "version": request_a.version},
                           **HTMX)  # fmt: skip
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("service:requests")
    request_a.refresh_from_db()
    assert request_a.queue == desk.l1 and request_a.bounced
