"""The portal's pages: signing in, the customer's records, requests from creation to the rating,
complaints, colleagues, invitations, password reset, the staff announcement pages, and the query
count of every page."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from touchpoint.portal.models import Announcement, PortalAccount, PortalInvitation
from touchpoint.portal.services import portal_invite
from touchpoint.portal.tests.world import PDF
from touchpoint.service.models import Complaint, MessageKind, ServiceRequest, Status
from touchpoint.service.services.requests import request_set_status
from touchpoint.testing import PASSWORD
from touchpoint.touchpoints.models import Attachment, Touchpoint

# Each page's queries: session, user, the portal scope, the account, and the page's own reads.
PAGE_QUERIES = {
    "home": 10, "products": 6, "contracts": 8, "milestones": 6, "documents": 7, "announcements": 7, "knowledge": 7,
    "requests": 7, "request_new": 6, "complaints": 6, "complaint_new": 6, "profile": 6, "colleagues": 7,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PAGE_QUERIES))
def test_each_page_has_a_pinned_query_count(w, client, django_assert_num_queries, name):
    client.force_login(w.a.admin)
    client.get(reverse("portal:home"))  # the session's first request fills the policy cache
    with django_assert_num_queries(PAGE_QUERIES[name]):
        response = client.get(reverse(f"portal:{name}"))
    assert response.status_code == 200


def test_record_pages_have_pinned_query_counts(w, client, django_assert_num_queries):
    client.force_login(w.a.user)
    client.get(reverse("portal:home"))
    for url, queries in [(reverse("portal:request", args=[w.a.request.pk]), 9), (reverse("portal:complaint", args=[w.a.complaint.pk]), 6),
                         (reverse("portal:announcement", args=[w.a.announcement.pk]), 6),
                         (reverse("portal:article", args=[w.articles["public"].pk]), 6)]:  # fmt: skip
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200


def test_visitors_go_to_the_portal_sign_in(w, client):
    response = client.get(reverse("portal:requests"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


def test_a_customer_user_signs_in_on_the_portal(w, client):
    page = client.get(reverse("portal:login"))
    assert page.status_code == 200 and b"/accounts/" not in page.content  # no staff links
    response = client.post(reverse("portal:login"), {"login": w.a.user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_a_wrong_password_says_so_without_saying_whose(w, client):
    response = client.post(reverse("portal:login"), {"login": w.a.user.username, "password": "wrong"})
    assert response.status_code == 200
    assert w.a.customer.name.encode() not in response.content


def test_staff_on_the_portal_go_back_to_their_workspace(w, client):
    client.force_login(w.personas.maintenance_agent)
    response = client.get(reverse("portal:requests"))
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_a_customer_user_logs_a_request_with_a_file(w, client):
    client.force_login(w.a.user)
    response = client.post(reverse("portal:request_new"), {
        "subject": "委托下单失败", "category": "fault", "severity": "P2", "impact": "many", "description": "下午开盘后下单报错",
        "installed_item": w.a.installed.pk, "files": [SimpleUploadedFile("报错截图.pdf", PDF, content_type="application/pdf")],
    })  # fmt: skip
    created = ServiceRequest.objects.get(subject="委托下单失败")
    assert response.status_code == 302 and response["Location"] == reverse("portal:request", args=[created.pk])
    assert created.customer == w.a.customer and created.channel == "portal" and created.created_by == w.a.user
    touch = Touchpoint.objects.get(link_type="service.servicerequest", link_id=created.pk)
    assert touch.channel == "portal" and touch.logged_by == w.a.user
    assert Attachment.objects.filter(touchpoint=touch, original_name="报错截图.pdf").exists()
    page = client.get(response["Location"]).content.decode()
    assert "报错截图.pdf" in page and ("我们将在" in page or "We will answer" in page)


def test_a_request_without_subject_or_with_a_disguised_file_is_refused_on_the_field(w, client):
    client.force_login(w.a.user)
    before = ServiceRequest.objects.count()
    response = client.post(reverse("portal:request_new"), {
        "subject": "", "category": "fault", "severity": "P3", "impact": "few", "description": "x",
        "files": [SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")],
    })  # fmt: skip
    assert response.status_code == 400
    assert ServiceRequest.objects.count() == before
    form = response.context["form"]
    assert "subject" in form.errors


def test_a_disguised_file_alone_is_refused_and_nothing_is_logged(w, client):
    client.force_login(w.a.user)
    before = (ServiceRequest.objects.count(), Touchpoint.objects.count())
    response = client.post(reverse("portal:request_new"), {
        "subject": "文件测试", "category": "fault", "severity": "P3", "impact": "few", "description": "x",
        "files": [SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")],
    })  # fmt: skip
    assert response.status_code == 400 and "files" in response.context["form"].errors
    assert (ServiceRequest.objects.count(), Touchpoint.objects.count()) == before


def test_a_complaint_category_is_sent_to_the_complaints_page(w, client):
    client.force_login(w.a.user)
    response = client.post(reverse("portal:request_new"), {"subject": "投诉", "category": "complaint", "severity": "P3",
                                                           "impact": "few", "description": "x"})  # fmt: skip
    assert response.status_code == 400


def test_the_customer_replies_confirms_and_rates(w, client, django_capture_on_commit_callbacks):
    from touchpoint.service.models import Survey

    client.force_login(w.a.user)
    url = reverse("portal:request_reply", args=[w.a.request.pk])
    assert client.post(url, {"body": "补充：只有沪市行情延迟"}).status_code == 302
    assert w.a.request.messages.filter(kind=MessageKind.INBOUND, body="补充：只有沪市行情延迟").exists()
    request_set_status(request=w.a.request, by=w.personas.maintenance_agent, status=Status.RESOLVED, resolution="网关已重启")
    page = client.get(reverse("portal:request", args=[w.a.request.pk])).content.decode()
    assert "网关已重启" in page
    assert client.post(reverse("portal:request_confirm", args=[w.a.request.pk])).status_code == 302
    w.a.request.refresh_from_db()
    assert w.a.request.status == Status.CLOSED
    survey = Survey.objects.create(kind="csat", customer=w.a.customer, request=w.a.request, sent_at=timezone.now())
    assert client.post(reverse("portal:request_rate", args=[w.a.request.pk]), {"score": "4", "comment": "很快"}).status_code == 302
    survey.refresh_from_db()
    assert survey.score == 4 and survey.answered_by == w.a.user
    assert Touchpoint.objects.filter(logged_by=w.a.user, channel="portal", subject__contains="4").exists()


def test_the_customer_reopens_a_resolved_request_with_a_reason(w, client):
    client.force_login(w.a.user)
    request_set_status(request=w.a.request, by=w.personas.maintenance_agent, status=Status.RESOLVED, resolution="已处理")
    empty = client.post(reverse("portal:request_reopen", args=[w.a.request.pk]), {"body": ""})
    assert empty.status_code == 400
    assert client.post(reverse("portal:request_reopen", args=[w.a.request.pk]), {"body": "问题还在"}).status_code == 302
    w.a.request.refresh_from_db()
    assert w.a.request.status == Status.IN_PROGRESS


def test_confirming_an_open_request_changes_nothing(w, client):
    client.force_login(w.a.user)
    client.post(reverse("portal:request_confirm", args=[w.a.request.pk]))
    w.a.request.refresh_from_db()
    assert w.a.request.status != Status.CLOSED


def test_the_customer_files_a_complaint_owned_by_staff(w, client):
    client.force_login(w.b.user)
    response = client.post(reverse("portal:complaint_new"), {"subject": "工程师态度差", "about": "staff", "description": "电话里不耐烦",
                                                              "request": w.b.request.pk})  # fmt: skip
    complaint = Complaint.objects.get(subject="工程师态度差")
    assert response.status_code == 302 and complaint.customer == w.b.customer
    assert complaint.owner is not None and not hasattr(complaint.owner, "portal_account")
    assert Touchpoint.objects.filter(logged_by=w.b.user, channel="portal", subject__contains="工程师态度差").exists()


def test_a_complaint_cannot_name_the_other_customers_request(w, client):
    client.force_login(w.b.user)
    response = client.post(reverse("portal:complaint_new"), {"subject": "试探", "about": "staff", "description": "x",
                                                              "request": w.a.request.pk})  # fmt: skip
    assert response.status_code == 400 and not Complaint.objects.filter(subject="试探").exists()


def test_a_customer_admin_invites_a_colleague_and_a_plain_user_cannot(w, client, django_capture_on_commit_callbacks):
    client.force_login(w.a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:colleagues"), {"email": "newcomer@htsc.example"})
    assert response.status_code == 302 and mail.outbox[-1].to == ["newcomer@htsc.example"]
    assert PortalInvitation.objects.get(email="newcomer@htsc.example").customer == w.a.customer
    client.force_login(w.a.user)
    assert client.get(reverse("portal:colleagues")).status_code == 404


def test_an_invitation_link_sets_the_password_once(w, client):
    _invitation, token = portal_invite(by=w.personas.maintenance_lead, customer=w.b.customer, email="ops@csc.example",
                                       site_url="http://testserver")  # fmt: skip
    url = reverse("portal:accept", args=[token])
    assert client.get(url).status_code == 200
    mismatch = client.post(url, {"full_name": "值班员", "password": "Portal-Pass-2026!", "password_again": "other"})
    assert mismatch.status_code == 400
    chosen = {"full_name": "值班员", "password": "Portal-Pass-2026!", "password_again": "Portal-Pass-2026!"}
    assert client.post(url, chosen).status_code == 302
    assert PortalAccount.objects.get(user__username="ops@csc.example").customer == w.b.customer
    reused = client.get(url)
    assert reused.status_code == 400 and ("已经使用过".encode() in reused.content or b"already been used" in reused.content)
    forged = client.get(reverse("portal:accept", args=["not-a-real-token"]))
    assert forged.status_code == 400 and w.b.customer.name.encode() not in forged.content


def test_password_reset_mails_customer_users_only(w, client):
    client.post(reverse("portal:password_reset"), {"email": w.a.user.email})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [w.a.user.email]
    link = re.search(r"http://testserver(/portal/password/reset/\S+)", mail.outbox[0].body)
    assert link is not None
    client.post(reverse("portal:password_reset"), {"email": w.personas.maintenance_agent.email})
    assert len(mail.outbox) == 1


def test_marketing_publishes_an_announcement_and_a_rep_may_not(w, client):
    client.force_login(w.personas.marketing)
    start = timezone.localtime() - timedelta(hours=1)
    response = client.post(reverse("portal:staff_announcement_new"), {
        "title": "春节值班安排", "body": "春节期间7×24值班", "audience": "selected", "customers": [w.b.customer.pk],
        "published_from": start.strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip
    assert response.status_code == 302
    announcement = Announcement.objects.get(title="春节值班安排")
    assert list(announcement.customers.all()) == [w.b.customer]
    client.force_login(w.b.user)
    assert "春节值班安排" in client.get(reverse("portal:announcements")).content.decode()
    client.force_login(w.a.user)
    assert "春节值班安排" not in client.get(reverse("portal:announcements")).content.decode()
    client.force_login(w.personas.sales_rep)
    assert client.get(reverse("portal:staff_announcements")).status_code == 403


def test_selected_customers_without_any_customer_is_refused(w, client):
    client.force_login(w.personas.maintenance_lead)
    response = client.post(reverse("portal:staff_announcement_new"), {
        "title": "空", "body": "x", "audience": "selected", "published_from": "2026-01-01T08:00"})  # fmt: skip
    assert response.status_code == 400 and "customers" in response.context["form"].errors


def test_the_account_owner_invites_from_the_staff_page(w, client, django_capture_on_commit_callbacks):
    client.force_login(w.personas.sales_rep)
    url = reverse("portal:staff_customer_users", args=[w.a.customer.pk])
    page = client.get(url)
    assert page.status_code == 200 and str(w.a.admin).encode() in page.content
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"email": "it@htsc.example", "contact": w.personas.contact_a.pk}).status_code == 302
    assert PortalInvitation.objects.filter(email="it@htsc.example", contact=w.personas.contact_a).exists()
    assert client.get(reverse("portal:staff_customer_users", args=[w.b.customer.pk])).status_code == 404


def test_the_portal_speaks_english_when_asked(w, client):
    client.force_login(w.a.user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Open requests" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/portal/"})
    assert "客户门户" in client.get("/portal/").content.decode()
