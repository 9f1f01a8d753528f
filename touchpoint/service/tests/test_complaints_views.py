"""The complaint pages: the list and its filters, a new complaint directly or from a request, the
complaint page and its workflow forms; pinned query counts and hostile input."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from touchpoint.service.models import Complaint
from touchpoint.service.services.complaints import complaint_create
from touchpoint.service.tests import fixtures_records
from touchpoint.service.tests.fixtures_records import as_user

pytestmark = pytest.mark.django_db
resolved = fixtures_records.resolved


def raise_one(personas, customer=None, **extra):
    fields = {"subject": "工程师上门迟到", "description": "约定九点到场，十一点才到", "about": "staff"}
    fields.update(extra)
    return complaint_create(by=personas.maintenance_agent, customer=customer or personas.customer_a, **fields)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_list_shows_complaints_and_filters_them(client, personas, language):
    staff, billing = raise_one(personas), raise_one(personas, personas.customer_b, about="billing", subject="账单多收")
    as_user(client, personas.maintenance_lead, language)
    page = client.get(reverse("service:complaint_list")).content.decode()
    assert staff.number in page and billing.number in page
    filtered = client.get(reverse("service:complaint_list"), {"about": "billing"}).content.decode()
    assert billing.number in filtered and staff.number not in filtered
    by_customer = client.get(reverse("service:complaint_list"), {"customer": personas.customer_a.pk}).content.decode()
    assert staff.number in by_customer and billing.number not in by_customer
    fragment = client.get(reverse("service:complaint_list"), {"status": "open"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and staff.number in fragment


def test_the_list_query_count_is_pinned(client, personas, django_assert_max_num_queries):
    raise_one(personas)
    as_user(client, personas.maintenance_lead)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("service:complaint_list")).status_code == 200
    for _ in range(5):
        raise_one(personas, personas.customer_b)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("service:complaint_list")).status_code == 200


def test_hostile_filters_and_ids_never_fail(client, personas):
    as_user(client, personas.maintenance_lead)
    for query in (
        {"customer": "abc"},
        {"customer": "9" * 40},
        {"status": "<script>"},
        {"department": "-1"},
        {"page": "x"},
        {"q": "' OR 1=1 --"},
    ):
        assert client.get(reverse("service:complaint_list"), query).status_code == 200
    for query in ({"request": "abc"}, {"customer": "0"}, {"request": "9" * 30}):
        assert client.get(reverse("service:complaint_new"), query).status_code == 200  # falls back to picking a customer
    assert client.get(reverse("service:complaint_new"), {"customer": "999999"}).status_code == 404
    assert client.get("/service/complaints/99999999/").status_code == 404


def test_a_complaint_is_raised_from_a_request_and_the_form_says_whats_wrong(client, personas, resolved):
    as_user(client, personas.maintenance_agent)
    url = reverse("service:complaint_new") + f"?request={resolved.pk}"
    page = client.get(url)
    assert page.status_code == 200 and resolved.number in page.content.decode()
    refused = client.post(url, {"subject": "", "about": "nonsense", "severity": "medium", "description": ""})
    assert refused.status_code == 400 and not Complaint.objects.exists()
    assert "about" in refused.context["form"].errors and "subject" in refused.context["form"].errors
    created = client.post(url, {"subject": "断线处理太慢", "about": "service", "severity": "high", "description": "三次断线"})
    complaint = Complaint.objects.get()
    assert created.status_code == 302 and complaint.raised_from == resolved and complaint.contact == personas.contact_a


def test_a_complaint_is_raised_directly_after_picking_the_customer(client, personas):
    as_user(client, personas.maintenance_agent)
    picked = client.get(reverse("service:complaint_new"), {"q": "华泰"})
    assert personas.customer_a.name in picked.content.decode()
    url = reverse("service:complaint_new") + f"?customer={personas.customer_a.pk}"
    response = client.post(url, {"subject": "发票开错", "about": "billing", "severity": "low", "description": "抬头错误",
                                 "contact": personas.contact_b.pk})  # fmt: skip
    assert response.status_code == 400 and not Complaint.objects.exists()  # a contact of another customer


def test_the_complaint_page_runs_the_workflow(client, personas, django_assert_max_num_queries):
    complaint = raise_one(personas)
    as_user(client, personas.maintenance_agent, "zh-hans")
    url = reverse("service:complaint_detail", args=[complaint.pk])
    with django_assert_max_num_queries(16):
        page = client.get(url)
    with translation.override("zh-hans"):
        assert page.status_code == 200 and translation.gettext("Close the complaint") in page.content.decode()
    refused = client.post(reverse("service:complaint_close", args=[complaint.pk]), {"confirmed_by": "", "confirmed_at": ""})
    assert refused.status_code == 400 and refused.context["close_form"].errors
    edited = client.post(reverse("service:complaint_edit", args=[complaint.pk]), {
        "subject": complaint.subject, "about": "staff", "severity": "medium", "description": complaint.description,
        "owner": personas.maintenance_agent.pk, "root_cause": "排班冲突", "corrective_action": "调整排班", "version": 1})  # fmt: skip
    assert edited.status_code == 302
    stale = client.post(reverse("service:complaint_edit", args=[complaint.pk]), {
        "subject": "旧", "about": "staff", "severity": "medium", "description": "旧", "owner": personas.maintenance_agent.pk,
        "version": 1})  # fmt: skip
    assert stale.status_code == 400
    assert client.post(reverse("service:complaint_move", args=[complaint.pk]), {"status": "action_taken"}).status_code == 302
    assert client.post(reverse("service:complaint_inform", args=[complaint.pk]), {"via": "phone", "note": "已致歉"}).status_code == 302
    when = timezone.localtime() - timedelta(minutes=3)
    closed = client.post(reverse("service:complaint_close", args=[complaint.pk]),
                         {"confirmed_by": "张伟", "confirmed_at": when.strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    assert closed.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.confirmed_by == "张伟" and complaint.subject == "工程师上门迟到"
    assert client.post(reverse("service:complaint_reopen", args=[complaint.pk]), {"reason": "又迟到"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "investigating"


def test_readers_who_may_not_work_it_get_no_forms_and_are_refused(client, personas):
    complaint = raise_one(personas)
    other = raise_one(personas, personas.customer_b)
    as_user(client, personas.sales_rep)
    page = client.get(reverse("service:complaint_detail", args=[complaint.pk]))
    assert page.status_code == 200 and page.context["can_work"] is False
    assert client.post(reverse("service:complaint_reopen", args=[complaint.pk]), {"reason": "x"}).status_code == 403
    assert client.get(reverse("service:complaint_detail", args=[other.pk])).status_code == 404
    as_user(client, personas.marketing)
    assert client.get(reverse("service:complaint_list")).status_code == 403
    client.logout()
    assert client.get(reverse("service:complaint_list")).status_code == 302
