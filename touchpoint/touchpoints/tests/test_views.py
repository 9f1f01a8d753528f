from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.touchpoints.models import Attachment, FollowUp, FollowUpStatus, Touchpoint
from touchpoint.touchpoints.services import followup_create, touchpoint_log


def form(**overrides):
    data = {"channel": "phone", "direction": "in", "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "subject": "两融系统盘中告警", "notes": "客户来电反映风控告警", "outcome": "已转工程部"}  # fmt: skip
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_logging_a_call_with_an_attachment_from_the_page(client, personas):
    client.force_login(personas.sales_rep)
    url = reverse("touchpoints:new", args=[personas.customer_a.pk])
    scan = SimpleUploadedFile("传真.pdf", b"%PDF-1.4 fax", content_type="application/pdf")
    response = client.post(url, form(files=[scan], contacts=[personas.contact_a.pk]))
    assert response.status_code == 302
    touchpoint = Touchpoint.objects.get()
    assert touchpoint.logged_by == personas.sales_rep
    assert list(touchpoint.contacts.all()) == [personas.contact_a]
    assert touchpoint.attachments.get().original_name == "传真.pdf"
    timeline = client.get(reverse("customers:detail", args=[personas.customer_a.pk])).content.decode()
    assert "两融系统盘中告警" in timeline


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"occurred_at": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}, "occurred_at"),
        ({"subject": ""}, "subject"),
        ({"subject": "长" * 201}, "subject"),
        ({"channel": "telepathy"}, "channel"),
        ({"followup_due_on": "2001-01-01"}, "followup_due_on"),
        ({"files": [SimpleUploadedFile("a.pdf", b"MZ\x90\x00evil")]}, "files"),
        ({"files": [SimpleUploadedFile("a.pHp", b"<?php ?>")]}, "files"),
    ],
)
def test_bad_touchpoint_input_is_a_field_error_and_saves_nothing(client, personas, overrides, field):
    client.force_login(personas.sales_rep)
    response = client.post(reverse("touchpoints:new", args=[personas.customer_a.pk]), form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Touchpoint.objects.exists()
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_oversized_attachment_is_refused_with_the_limit(client, personas, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    client.force_login(personas.sales_rep)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 500)
    response = client.post(reverse("touchpoints:new", args=[personas.customer_a.pk]), form(files=[big]),
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert "too large" in response.content.decode()


@pytest.mark.django_db
def test_attachment_download_goes_through_access_checks(client, personas):
    touchpoint = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="fax", direction="in",
                                subject="来函", files=[SimpleUploadedFile("函.pdf", b"%PDF-1.4 letter")])  # fmt: skip
    attachment = touchpoint.attachments.get()
    url = reverse("touchpoints:attachment_download", args=[attachment.pk])
    client.force_login(personas.sales_rep)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 letter"
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(personas.other_rep)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_uploading_to_an_existing_touchpoint(client, personas):
    touchpoint = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="letter", direction="in",
                                subject="来信")  # fmt: skip
    client.force_login(personas.sales_rep)
    client.post(reverse("touchpoints:attachment_upload", args=[touchpoint.pk]),
                {"file": SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)})  # fmt: skip
    assert touchpoint.attachments.get().content_type == "image/png"


@pytest.mark.django_db
def test_sending_an_email_from_the_page_logs_it(client, personas, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(personas.sales_rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("touchpoints:email", args=[personas.customer_a.pk]),
                               {"contact": personas.contact_a.pk, "subject": "培训安排", "body": "下周二培训"})  # fmt: skip
    assert response.status_code == 302
    assert mailoutbox[0].to == ["zhangwei@htsc.example"]
    assert Touchpoint.objects.get().channel == "email"


@pytest.mark.django_db
def test_touchpoint_detail_and_edit_are_versioned(client, personas):
    touchpoint = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                                subject="原主题")  # fmt: skip
    client.force_login(personas.sales_rep)
    assert client.get(reverse("touchpoints:detail", args=[touchpoint.pk])).status_code == 200
    edit = {"channel": "phone", "direction": "in", "occurred_at": timezone.localtime(touchpoint.occurred_at).strftime(
        "%Y-%m-%dT%H:%M"), "subject": "新主题", "notes": "", "outcome": ""}
    assert client.post(reverse("touchpoints:edit", args=[touchpoint.pk]), {**edit, "version": 1}).status_code == 302
    stale = client.post(reverse("touchpoints:edit", args=[touchpoint.pk]), {**edit, "subject": "另一个", "version": 1})
    assert stale.status_code == 409
    touchpoint.refresh_from_db()
    assert touchpoint.subject == "新主题"


@pytest.mark.django_db
def test_follow_up_list_shows_mine_due_and_overdue(client, personas):
    today = timezone.localdate()
    overdue = followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                              due_on=today - timedelta(days=2), subject="逾期的")  # fmt: skip
    followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                    due_on=today + timedelta(days=2), subject="以后的")  # fmt: skip
    client.force_login(personas.sales_rep)
    due = client.get(reverse("touchpoints:followups"), {"show": "overdue"})
    assert [f.pk for f in due.context["page"]] == [overdue.pk]


@pytest.mark.django_db
def test_marking_done_with_htmx_returns_the_row(client, personas):
    followup = followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                               due_on=timezone.localdate(), subject="回访")  # fmt: skip
    client.force_login(personas.sales_rep)
    response = client.post(reverse("touchpoints:followup_done", args=[followup.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="followup-{followup.pk}"' in response.content.decode()
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.DONE
    assert Event.objects.filter(verb="followup.done").count() == 1


@pytest.mark.django_db
def test_an_external_next_url_is_ignored(client, personas):
    followup = followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                               due_on=timezone.localdate(), subject="回访")  # fmt: skip
    client.force_login(personas.sales_rep)
    response = client.post(reverse("touchpoints:followup_done", args=[followup.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("touchpoints:followup_detail", args=[followup.pk])


@pytest.mark.django_db
def test_reassigning_from_the_page_needs_a_reason(client, personas):
    followup = followup_create(by=personas.sales_rep, customer=personas.customer_a, assignee=personas.sales_rep,
                               due_on=timezone.localdate(), subject="回访")  # fmt: skip
    client.force_login(personas.sales_rep)
    url = reverse("touchpoints:followup_reassign", args=[followup.pk])
    client.post(url, {"assignee": personas.engineer.pk, "reason": ""})
    assert FollowUp.objects.get(pk=followup.pk).assignee == personas.sales_rep
    client.post(url, {"assignee": personas.engineer.pk, "reason": "需要上门"})
    assert FollowUp.objects.get(pk=followup.pk).assignee == personas.engineer


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "limit"), [("detail", 13), ("followups", 11)])
def test_page_query_counts_are_pinned(client, personas, django_assert_max_num_queries, name, limit):
    touchpoint = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                                subject="来电", contacts=[personas.contact_a],
                                followup_due_on=timezone.localdate())  # fmt: skip
    client.force_login(personas.sales_rep)
    url = reverse("touchpoints:detail", args=[touchpoint.pk]) if name == "detail" else reverse("touchpoints:followups")
    client.get(url)
    with django_assert_max_num_queries(limit):
        client.get(url)


@pytest.mark.django_db
def test_recycle_bin_lists_and_restores_a_deleted_touchpoint(client, personas):
    touchpoint = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in",
                                subject="误记")  # fmt: skip
    client.force_login(personas.sales_rep)
    client.post(reverse("touchpoints:delete", args=[touchpoint.pk]))
    assert not Touchpoint.objects.filter(pk=touchpoint.pk).exists()
    assert "误记" in client.get(reverse("recycle_bin")).content.decode()
    client.post(reverse("touchpoints:restore", args=[touchpoint.pk]))
    assert Touchpoint.objects.filter(pk=touchpoint.pk).exists()
