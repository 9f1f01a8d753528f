"""Lead services: creation from every source, duplicate matches, assign, qualify, disqualify, import."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from touchpoint.core.models import Event, EventKind, Notification
from touchpoint.core.versioning import StaleEdit
from touchpoint.customers.models import Contact, Customer
from touchpoint.sales.models import Lead, LeadSource, LeadStatus, Opportunity
from touchpoint.sales.services.leads import (
    ImportRefused,
    core_company_name,
    lead_assign,
    lead_create,
    lead_disqualify,
    lead_import,
    lead_matches,
    lead_qualify,
    lead_reopen,
    lead_update,
)
from touchpoint.touchpoints.services import touchpoint_log

pytestmark = pytest.mark.django_db

VALID_CREDIT_CODE = "91110000MA01ABCD1M"  # checksum-correct, held by no fixture customer


def new_lead(personas, **values):
    fields = {"company_name": "国信证券股份有限公司", "contact_name": "周明", "phone": "13700001111", **values}
    return lead_create(by=personas.sales_rep, owner=personas.sales_rep, **fields)


def qualify(lead, personas, **extra):
    values = {"title": "融资融券系统", "close_date": date(2027, 6, 30), "amount": Decimal("800000"), **extra}
    return lead_qualify(lead=lead, by=personas.sales_rep, **values)


# --- Create ----------------------------------------------------------------------------------


def test_a_lead_keeps_phone_and_credit_code_normalised_and_logs_an_event_without_a_customer(personas):
    lead = new_lead(personas, phone="+86 137 0000 1111", credit_code=VALID_CREDIT_CODE.lower(), email="ZM@Guosen.example")
    assert (lead.phone, lead.credit_code, lead.email) == ("13700001111", VALID_CREDIT_CODE, "zm@guosen.example")
    assert lead.status == LeadStatus.NEW and lead.source == LeadSource.MANUAL
    assert "guoxin" in lead.search_text.split() or "国信" in lead.search_text.split()
    event = Event.objects.get(verb="lead.created")
    assert event.customer_id is None and event.target_id == lead.pk


def test_a_bad_phone_or_credit_code_is_a_field_error_and_nothing_is_written(personas):
    with pytest.raises(ValidationError) as error:
        new_lead(personas, phone="12345", credit_code="91110000MA01ABCD1X")
    assert {"phone", "credit_code"} <= set(error.value.message_dict)
    assert not Lead.objects.exists() and not Event.objects.filter(verb="lead.created").exists()


def test_a_lead_needs_a_phone_or_an_email(personas):
    with pytest.raises(ValidationError) as error:
        new_lead(personas, phone="", email="")
    assert "phone" in error.value.message_dict
    assert new_lead(personas, phone="", email="a@b.example").email == "a@b.example"


def test_a_lead_from_a_touchpoint_carries_its_customer_on_the_timeline(personas):
    call = touchpoint_log(by=personas.maintenance_agent, customer=personas.customer_a, channel="phone", direction="in",
                          subject="想加购期权模块")  # fmt: skip
    lead = lead_create(by=personas.maintenance_agent, source=LeadSource.TOUCHPOINT, touchpoint=call,
                       company_name="华泰证券股份有限公司", phone="13812345678")  # fmt: skip
    assert lead.owner is None and lead.created_by == personas.maintenance_agent
    assert Event.objects.get(verb="lead.created").customer_id == personas.customer_a.pk


def test_a_lead_from_a_touchpoint_needs_the_touchpoint(personas):
    with pytest.raises(ValidationError) as error:
        lead_create(by=personas.sales_rep, source=LeadSource.TOUCHPOINT, company_name="某公司", phone="13700001111")
    assert "touchpoint" in error.value.message_dict


def test_an_unassigned_lead_notifies_each_sales_manager_once(personas):
    lead = lead_create(by=None, source=LeadSource.WEB_FORM, company_name="某证券", phone="13700001111", submitted_from="10.1.1.1")
    notices = Notification.objects.filter(recipient=personas.sales_manager)
    assert notices.count() == 1 and notices.get().key == f"lead:{lead.pk}:new"
    assert not Notification.objects.filter(recipient=personas.sales_rep).exists()


def test_an_edit_against_an_old_version_is_refused(personas):
    lead = new_lead(personas)
    updated, diff = lead_update(lead=lead, by=personas.sales_rep, expected_version=lead.version, city="深圳")
    assert diff and updated.status == LeadStatus.WORKING
    with pytest.raises(StaleEdit):
        lead_update(lead=updated, by=personas.sales_rep, expected_version=lead.version, city="广州")
    assert Lead.objects.get(pk=lead.pk).city == "深圳"


# --- Duplicates ------------------------------------------------------------------------------


def test_matches_find_a_customer_by_credit_code(personas):
    from django.utils import translation

    with translation.override("en"):  # the reason is read in the language it is asserted in
        found = lead_matches(new_lead(personas, company_name="完全不同的名字", credit_code="91320000704041011J"))
        assert [m.record for m in found.customers] == [personas.customer_a]
        assert "credit code" in str(found.customers[0].reasons[0])


def test_matches_find_a_customer_by_name_whatever_its_legal_form(personas):
    assert core_company_name("华泰证券有限责任公司") == "华泰证券"
    found = lead_matches(new_lead(personas, company_name="华泰证券有限责任公司"))
    assert [m.record for m in found.customers] == [personas.customer_a]


def test_matches_find_contacts_by_phone_and_by_email(personas):
    by_phone = lead_matches(new_lead(personas, phone="138 1234 5678"))
    assert [m.record for m in by_phone.contacts] == [personas.contact_a]
    by_email = lead_matches(new_lead(personas, phone="", email="LiuYang@csc.example"))
    assert [m.record for m in by_email.contacts] == [personas.contact_b]


def test_no_match_for_a_new_company(personas):
    assert not lead_matches(new_lead(personas, company_name="北方星辰投资有限公司", phone="13700009999"))


# --- Assign ----------------------------------------------------------------------------------


def test_taking_an_unassigned_lead_needs_no_reason_but_moving_it_does(personas):
    lead = lead_create(by=None, source=LeadSource.WEB_FORM, company_name="某证券", phone="13700001111")
    assigned = lead_assign(lead=lead, owner=personas.sales_rep, by=personas.sales_manager)
    assert assigned.owner == personas.sales_rep and assigned.status == LeadStatus.WORKING
    with pytest.raises(ValidationError) as error:
        lead_assign(lead=assigned, owner=personas.other_rep, by=personas.sales_manager, reason=" ")
    assert "reason" in error.value.message_dict
    moved = lead_assign(lead=assigned, owner=personas.other_rep, by=personas.sales_manager, reason="区域调整")
    assert moved.owner == personas.other_rep
    events = Event.objects.filter(verb="lead.assigned").order_by("id")
    assert [e.kind for e in events] == [EventKind.HANDOFF, EventKind.HANDOFF]
    assert events[1].payload["from"] == str(personas.sales_rep) and events[1].payload["reason"] == "区域调整"
    assert Notification.objects.filter(recipient=personas.other_rep, url__contains=f"/leads/{lead.pk}/").exists()


# --- Qualify -----------------------------------------------------------------------------------


def test_qualifying_creates_customer_contact_and_opportunity(personas):
    lead = new_lead(personas, credit_code=VALID_CREDIT_CODE, email="zm@guosen.example", contact_title="CIO")
    done = qualify(lead, personas, customer_type="securities")
    customer = Customer.objects.get(credit_code=VALID_CREDIT_CODE)
    contact = Contact.objects.get(customer=customer)
    opportunity = Opportunity.objects.get(customer=customer)
    assert (done.status, done.customer, done.contact, done.opportunity) == (LeadStatus.QUALIFIED, customer, contact, opportunity)
    assert done.qualified_at is not None
    assert (customer.name, customer.owner) == ("国信证券股份有限公司", personas.sales_rep)
    assert (contact.mobile, contact.title) == ("13700001111", "CIO")
    assert (opportunity.title, opportunity.amount, opportunity.owner) == ("融资融券系统", Decimal("800000"), personas.sales_rep)
    assert Event.objects.get(verb="lead.qualified").customer_id == customer.pk


def test_qualifying_reuses_the_matched_customer_and_contact(personas):
    lead = new_lead(personas, company_name="华泰证券", phone="13812345678")
    customers, contacts = Customer.objects.count(), Contact.objects.count()
    done = qualify(lead, personas, customer=personas.customer_a, contact=personas.contact_a)
    assert (Customer.objects.count(), Contact.objects.count()) == (customers, contacts)
    assert done.customer == personas.customer_a and done.contact == personas.contact_a
    assert Event.objects.get(verb="lead.qualified").payload["customer_reused"] is True


def test_a_contact_from_another_customer_is_refused(personas):
    lead = new_lead(personas)
    with pytest.raises(ValidationError) as error:
        qualify(lead, personas, customer=personas.customer_a, contact=personas.contact_b)
    assert "contact" in error.value.message_dict
    assert not Opportunity.objects.exists()


def test_a_credit_code_held_by_a_customer_refuses_a_new_customer_and_writes_nothing(personas):
    lead = new_lead(personas, credit_code="91320000704041011J")
    customers, contacts = Customer.objects.count(), Contact.objects.count()
    with pytest.raises(ValidationError) as error:
        qualify(lead, personas)
    assert "credit_code" in error.value.message_dict
    assert (Customer.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (customers, contacts, 0)
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_a_lead_cannot_be_qualified_twice(personas):
    lead = qualify(new_lead(personas), personas)
    with pytest.raises(ValidationError) as error:
        qualify(lead, personas, customer=personas.customer_a)
    assert "status" in error.value.message_dict
    assert Opportunity.objects.count() == 1


# --- Disqualify and reopen -------------------------------------------------------------------


def test_disqualifying_needs_a_reason(personas):
    lead = new_lead(personas)
    with pytest.raises(ValidationError) as error:
        lead_disqualify(lead=lead, by=personas.sales_rep, reason="  ")
    assert "reason" in error.value.message_dict
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_a_disqualified_lead_cannot_be_qualified_until_reopened(personas):
    lead = lead_disqualify(lead=new_lead(personas), by=personas.sales_rep, reason="预算不足")
    assert (lead.status, lead.disqualify_reason) == (LeadStatus.DISQUALIFIED, "预算不足")
    with pytest.raises(ValidationError):
        qualify(lead, personas)
    reopened = lead_reopen(lead=lead, by=personas.sales_rep)
    assert reopened.status == LeadStatus.WORKING and reopened.disqualify_reason == ""
    assert qualify(reopened, personas).status == LeadStatus.QUALIFIED
    with pytest.raises(ValidationError):
        lead_reopen(lead=reopened, by=personas.sales_rep)


# --- Import ----------------------------------------------------------------------------------


ROWS = [
    {"company_name": "甲证券有限公司", "phone": "13700000001", "contact_name": "甲"},
    {"company_name": "乙证券有限公司", "email": "yi@example.com"},
]


def test_an_import_writes_every_row(personas):
    created = lead_import(by=personas.sales_rep, rows=ROWS, owner=personas.sales_rep)
    assert [lead.company_name for lead in created] == ["甲证券有限公司", "乙证券有限公司"]
    assert set(Lead.objects.values_list("source", flat=True)) == {LeadSource.IMPORT}


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row_and_field(personas):
    rows = [*ROWS, {"company_name": "", "phone": "123"}]
    with pytest.raises(ImportRefused) as refused:
        lead_import(by=personas.sales_rep, rows=rows, owner=personas.sales_rep)
    numbers = {number for number, _field, _message in refused.value.rows}
    assert numbers == {4}  # the header is row 1
    assert not Lead.objects.exists() and not Event.objects.filter(verb="lead.created").exists()


def test_an_unassigned_import_notifies_managers_once_for_the_batch(personas):
    lead_import(by=personas.marketing, rows=ROWS)
    assert Notification.objects.filter(recipient=personas.sales_manager).count() == 1
