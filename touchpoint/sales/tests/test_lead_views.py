"""Lead pages: list, entry with matches, detail actions, import, the touchpoint button, and the public form."""

import csv
import io
import time

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from touchpoint.core.models import Notification
from touchpoint.sales.forms.leads import ENQUIRY_SALT
from touchpoint.sales.models import Lead, LeadSource, LeadStatus, Opportunity
from touchpoint.sales.services.leads import lead_create
from touchpoint.touchpoints.services import touchpoint_log

pytestmark = pytest.mark.django_db


def rep_lead(personas, **values):
    fields = {"company_name": "国信证券股份有限公司", "contact_name": "周明", "phone": "13700001111", **values}
    return lead_create(by=personas.sales_rep, owner=personas.sales_rep, **fields)


def web_lead(**values):
    fields = {"company_name": "东方证券", "contact_name": "陈晓", "phone": "13911112222", **values}
    return lead_create(by=None, source=LeadSource.WEB_FORM, **fields)


# --- List ------------------------------------------------------------------------------------


def test_a_rep_lists_only_their_own_open_leads(client, personas):
    mine = rep_lead(personas)
    theirs = lead_create(by=personas.other_rep, owner=personas.other_rep, company_name="别家", phone="13700002222")
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:lead_list"))
    assert [lead.pk for lead in response.context["page"]] == [mine.pk]
    assert theirs.company_name not in response.content.decode()


def test_a_manager_filters_the_unassigned_leads(client, personas):
    rep_lead(personas)
    waiting = web_lead()
    client.force_login(personas.sales_manager)
    response = client.get(reverse("sales:lead_list"), {"owner": "none"})
    assert [lead.pk for lead in response.context["page"]] == [waiting.pk]
    assert [lead.pk for lead in client.get(reverse("sales:lead_list"), {"source": "web_form", "q": "东方"}).context["page"]] == [waiting.pk]


def test_the_unassigned_filter_is_not_offered_to_a_rep(client, personas):
    client.force_login(personas.sales_rep)
    assert client.get(reverse("sales:lead_list"), {"owner": "none"}).status_code == 400


def test_the_list_query_count_does_not_grow_with_rows(client, personas, django_assert_num_queries):
    client.force_login(personas.sales_manager)
    web_lead()
    url = reverse("sales:lead_list") + "?status=all"
    client.get(url)
    with django_assert_num_queries(9) as first:
        client.get(url)
    for index in range(15):
        rep_lead(personas, company_name=f"证券公司{index}")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


# --- New, edit, live matches ----------------------------------------------------------------


def test_a_new_lead_is_saved_and_its_matches_show_on_the_detail(client, personas):
    client.force_login(personas.sales_rep)
    response = client.post(reverse("sales:lead_new"), {"company_name": "华泰证券有限责任公司", "phone": "13812345678"})
    lead = Lead.objects.get()
    assert response.status_code == 302 and response.url == reverse("sales:lead_detail", args=[lead.pk])
    assert lead.owner == personas.sales_rep
    detail = client.get(response.url)
    assert [m.record for m in detail.context["matches"].customers] == [personas.customer_a]
    assert [m.record for m in detail.context["matches"].contacts] == [personas.contact_a]


def test_field_errors_come_back_on_the_form(client, personas):
    client.force_login(personas.sales_rep)
    response = client.post(reverse("sales:lead_new"), {"company_name": "", "phone": "12", "credit_code": "ABC"})
    assert response.status_code == 400
    assert {"company_name", "phone", "credit_code"} <= set(response.context["form"].errors)
    assert not Lead.objects.exists()


def test_live_matches_show_only_what_the_reader_may_see(client, personas):
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:lead_check"), {"company_name": "中信建投", "phone": "13812345678"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="lead-matches"' in body and "<html" not in body
    assert reverse("customers:contact_detail", args=[personas.contact_a.pk]) in body
    assert "中信建投证券股份有限公司" not in body and reverse("customers:detail", args=[personas.customer_b.pk]) not in body
    assert "1 more match you cannot see" in client.get(reverse("sales:lead_check"), {"company_name": "中信建投"},
                                                       HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_an_engineer_may_not_probe_for_matches(client, personas):
    client.force_login(personas.engineer)
    assert client.get(reverse("sales:lead_check"), {"company_name": "华泰"}).status_code == 403


def test_an_edit_saves_through_the_version(client, personas):
    lead = rep_lead(personas)
    client.force_login(personas.sales_rep)
    data = {"company_name": lead.company_name, "phone": lead.phone, "city": "深圳", "version": lead.version}
    assert client.post(reverse("sales:lead_edit", args=[lead.pk]), data).status_code == 302
    assert client.post(reverse("sales:lead_edit", args=[lead.pk]), {**data, "city": "广州"}).status_code == 409
    assert Lead.objects.get(pk=lead.pk).city == "深圳"


# --- From a touchpoint ------------------------------------------------------------------------


def test_a_touchpoint_offers_create_lead_and_prefills_the_form(client, personas):
    call = touchpoint_log(by=personas.maintenance_agent, customer=personas.customer_a, channel="phone", direction="in",
                          subject="想了解期权交易系统", notes="下季度立项", contacts=[personas.contact_a])  # fmt: skip
    client.force_login(personas.maintenance_agent)
    page = client.get(reverse("touchpoints:detail", args=[call.pk])).content.decode()
    new_url = f"{reverse('sales:lead_new')}?touchpoint={call.pk}"
    assert new_url in page
    form = client.get(new_url).context["form"]
    assert form.initial["company_name"] == personas.customer_a.name
    assert form.initial["contact_name"] == "张伟" and form.initial["phone"] == "13812345678"
    assert "想了解期权交易系统" in form.initial["interest"]
    response = client.post(new_url, {**form.initial, "credit_code": ""})
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert (lead.source, lead.touchpoint, lead.owner, lead.created_by) == (LeadSource.TOUCHPOINT, call, None, personas.maintenance_agent)


def test_create_lead_is_not_offered_to_who_may_not_create_leads(client, personas):
    call = touchpoint_log(by=personas.sales_rep, customer=personas.customer_a, channel="phone", direction="in", subject="来电")
    client.force_login(personas.finance)
    response = client.get(reverse("touchpoints:detail", args=[call.pk]))
    if response.status_code == 200:
        assert reverse("sales:lead_new") not in response.content.decode()


def test_a_touchpoint_out_of_sight_is_a_404(client, personas):
    call = touchpoint_log(by=personas.other_rep, customer=personas.customer_b, channel="phone", direction="in", subject="来电")
    client.force_login(personas.sales_rep)
    assert client.get(f"{reverse('sales:lead_new')}?touchpoint={call.pk}").status_code == 404


# --- Detail actions -----------------------------------------------------------------------------


def test_the_detail_escapes_what_a_visitor_typed(client, personas):
    lead = web_lead(interest="<script>alert(1)</script>", company_name="<b>坏公司</b>")
    client.force_login(personas.sales_manager)
    body = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body and "<b>坏公司" not in body


def test_the_detail_query_count_is_pinned(client, personas, django_assert_num_queries):
    lead = rep_lead(personas, company_name="华泰证券", phone="13812345678")
    client.force_login(personas.sales_rep)
    url = reverse("sales:lead_detail", args=[lead.pk])
    client.get(url)
    with django_assert_num_queries(12):
        client.get(url)


def test_qualifying_from_the_page_reuses_the_picked_customer(client, personas):
    lead = rep_lead(personas, company_name="华泰证券", phone="13812345678")
    client.force_login(personas.sales_rep)
    data = {"customer": personas.customer_a.pk, "contact": personas.contact_a.pk, "title": "期权系统", "amount": "500000",
            "close_date": "2027-03-31", "owner": personas.sales_rep.pk, "customer_type": "securities"}  # fmt: skip
    response = client.post(reverse("sales:lead_qualify", args=[lead.pk]), data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.customer, lead.contact) == (LeadStatus.QUALIFIED, personas.customer_a, personas.contact_a)
    assert Opportunity.objects.get().title == "期权系统"


def test_a_customer_the_rep_cannot_see_cannot_be_picked(client, personas):
    lead = rep_lead(personas, company_name="中信建投")
    client.force_login(personas.sales_rep)
    data = {"customer": personas.customer_b.pk, "contact": "new", "title": "x", "amount": "1", "close_date": "2027-03-31",
            "owner": personas.sales_rep.pk}  # fmt: skip
    response = client.post(reverse("sales:lead_qualify", args=[lead.pk]), data)
    assert response.status_code == 400 and "customer" in response.context["qualify_form"].errors
    assert not Opportunity.objects.exists()


def test_disqualifying_without_a_reason_is_a_400(client, personas):
    lead = rep_lead(personas)
    client.force_login(personas.sales_rep)
    response = client.post(reverse("sales:lead_disqualify", args=[lead.pk]), {"reason": ""})
    assert response.status_code == 400 and "reason" in response.context["disqualify_form"].errors
    assert client.post(reverse("sales:lead_disqualify", args=[lead.pk]), {"reason": "无预算"}).status_code == 302
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.DISQUALIFIED


def test_a_manager_assigns_an_unassigned_lead(client, personas):
    lead = web_lead()
    client.force_login(personas.sales_manager)
    response = client.post(reverse("sales:lead_assign", args=[lead.pk]), {"owner": personas.sales_rep.pk})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner == personas.sales_rep


# --- Import -----------------------------------------------------------------------------------


def csv_file(rows, name="leads.csv"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


def test_a_csv_import_with_the_templates_header_creates_the_leads(client, personas):
    client.force_login(personas.sales_rep)
    template = client.get(reverse("sales:lead_import_template"), {"format": "csv"})
    header = next(csv.reader(io.StringIO(b"".join(template.streaming_content).decode("utf-8-sig"))))
    assert len(header) == 9  # company, credit code, province, city, contact, title, phone, email, interest
    upload = csv_file([header, ["甲证券", "", "", "", "", "", "13700000001", "", ""],
                       ["乙证券", "", "", "", "", "", "", "yi@example.com", ""]])
    response = client.post(reverse("sales:lead_import"), {"file": upload})
    assert response.status_code == 302
    assert sorted(Lead.objects.values_list("company_name", flat=True)) == ["乙证券", "甲证券"]


def test_an_import_with_a_bad_row_lists_it_and_writes_nothing(client, personas):
    client.force_login(personas.sales_rep)
    upload = csv_file([["company_name", "phone"], ["甲证券", "13700000001"], ["乙证券", "999"]])
    response = client.post(reverse("sales:lead_import"), {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert [(row, field) for row, field, _message in response.context["problems"]] == [(3, "phone")]
    assert not Lead.objects.exists()


def test_an_xlsx_import_reads_numbers_typed_as_numbers(client, personas):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["company", "phone"])
    sheet.append(["丙证券", 13700000003])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(personas.sales_rep)
    upload = SimpleUploadedFile("leads.xlsx", buffer.getvalue())
    assert client.post(reverse("sales:lead_import"), {"file": upload}).status_code == 302
    assert Lead.objects.get().phone == "13700000003"


def test_a_file_that_is_not_a_spreadsheet_is_refused(client, personas):
    client.force_login(personas.sales_rep)
    upload = SimpleUploadedFile("leads.xlsx", b"MZ\x90\x00 not a workbook")
    response = client.post(reverse("sales:lead_import"), {"file": upload})
    assert response.status_code == 400 and "file" in response.context["form"].errors


def test_the_import_template_downloads(client, personas):
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:lead_import_template"), {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "company" in b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]


# --- The public enquiry form --------------------------------------------------------------------


def enquiry(client, ip="10.0.0.5", seconds_ago=10, **values):
    data = {"company_name": "海通证券", "contact_name": "李雷", "phone": "13900001234", "email": "", "interest": "咨询行情系统",
            "website": "", "started": signing.dumps(time.time() - seconds_ago, salt=ENQUIRY_SALT), **values}  # fmt: skip
    return client.post(reverse("sales:enquiry"), data, REMOTE_ADDR=ip)


def test_the_public_form_needs_no_account_and_is_in_chinese_by_default(personas):
    response = Client().get(reverse("sales:enquiry"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Language"] == "zh-hans"
    assert 'name="website"' in response.content.decode()


def test_an_enquiry_becomes_an_unassigned_web_lead_and_managers_are_told(personas):
    response = enquiry(Client())
    assert response.status_code == 302 and response.url == reverse("sales:enquiry_thanks")
    lead = Lead.objects.get()
    assert (lead.source, lead.owner, lead.submitted_from, lead.created_by) == (LeadSource.WEB_FORM, None, "10.0.0.5", None)
    assert Notification.objects.filter(recipient=personas.sales_manager, key=f"lead:{lead.pk}:new").exists()


def test_a_filled_honeypot_is_thanked_and_dropped(personas):
    response = enquiry(Client(), website="http://spam.example")
    assert response.status_code == 302 and not Lead.objects.exists()


def test_a_form_sent_too_fast_is_thanked_and_dropped(personas):
    response = enquiry(Client(), seconds_ago=0)
    assert response.status_code == 302 and not Lead.objects.exists()


def test_a_forged_timestamp_is_a_field_error(personas):
    response = enquiry(Client(), started="forged")
    assert response.status_code == 400 and "started" in response.context["form"].errors
    assert not Lead.objects.exists()


def test_too_many_enquiries_from_one_address_are_a_429(personas, settings):
    settings.LEAD_FORM_PER_HOUR = 2
    client = Client()
    assert enquiry(client).status_code == 302
    assert enquiry(client, company_name="另一家").status_code == 302
    response = enquiry(client, company_name="第三家")
    assert response.status_code == 429 and Lead.objects.count() == 2
    assert enquiry(client, ip="10.0.0.6").status_code == 302


def test_field_errors_are_in_the_visitors_language(personas):
    client = Client()
    client.cookies["django_language"] = "en"
    response = enquiry(client, company_name="", phone="", email="")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "company_name" in errors
    assert enquiry(client, phone="12", email="").context["form"].errors["phone"][0].startswith("Enter a mobile number")
    assert not Lead.objects.exists()


def test_markup_in_an_enquiry_is_stored_as_text_and_shown_escaped(client, personas):
    enquiry(Client(), interest='<img src=x onerror="alert(1)">')
    lead = Lead.objects.get()
    assert lead.interest == '<img src=x onerror="alert(1)">'
    client.force_login(personas.sales_manager)
    body = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert "<img src=x" not in body and "&lt;img src=x" in body
