"""Complaints: raised from a request or directly, worked through to a corrective action, closed only
with the customer's confirmation, reopened; who may see and work them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.core.versioning import StaleEdit
from touchpoint.org.models import Department
from touchpoint.service.access import can_view_complaint, can_work_complaint, visible_complaints
from touchpoint.service.models import Complaint, ComplaintEvent
from touchpoint.service.services.complaints import (
    complaint_confirm_close,
    complaint_create,
    complaint_inform_customer,
    complaint_move,
    complaint_reopen,
    complaint_update,
)
from touchpoint.service.tests import fixtures_records

pytestmark = pytest.mark.django_db
resolved = fixtures_records.resolved


def raise_one(personas, **extra):
    fields = {"customer": personas.customer_a, "subject": "工程师上门迟到两小时", "description": "约定 9 点到场，11 点才到",
              "about": "staff", "department": Department.objects.get(code="maintenance")}  # fmt: skip
    fields.update(extra)
    return complaint_create(by=personas.maintenance_agent, **fields)


def test_a_complaint_raised_directly_is_numbered_owned_and_logged(personas):
    complaint = raise_one(personas)
    assert complaint.number.startswith("CP-") and complaint.status == "open"
    assert complaint.owner == personas.maintenance_agent and complaint.customer == personas.customer_a
    assert ComplaintEvent.objects.filter(complaint=complaint, step="created").exists()
    assert Event.objects.filter(verb="complaint.raised", target_id=complaint.pk, customer_id=personas.customer_a.pk).exists()


def test_a_complaint_raised_from_a_request_takes_its_customer_contact_and_link(personas, resolved):
    complaint = complaint_create(by=personas.maintenance_agent, request=resolved, subject="断线多次", description="一周内第三次",
                                 about="product")  # fmt: skip
    assert complaint.customer == personas.customer_a and complaint.contact == personas.contact_a
    assert complaint.raised_from == resolved and list(complaint.requests.all()) == [resolved]


def test_a_request_of_another_customer_is_refused(personas, resolved):
    with pytest.raises(ValidationError) as refused:
        complaint_create(by=personas.maintenance_agent, request=resolved, customer=personas.customer_b, subject="x",
                         description="y", about="product")  # fmt: skip
    assert "request" in refused.value.message_dict
    assert not Complaint.objects.exists()


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(personas):
    with pytest.raises(ValidationError) as refused:
        complaint_create(by=personas.maintenance_agent, customer=personas.customer_a, subject=" ", description="",
                         about="weather", severity="apocalyptic", contact=personas.contact_b)  # fmt: skip
    assert set(refused.value.message_dict) == {"subject", "description", "about", "severity", "contact"}
    assert not Complaint.objects.exists() and not ComplaintEvent.objects.exists()


def test_the_workflow_runs_to_a_confirmed_close_and_can_be_reopened(personas):
    agent = personas.maintenance_agent
    complaint = raise_one(personas)
    complaint = complaint_move(complaint=complaint, status="investigating", by=agent)
    with pytest.raises(ValidationError) as refused:
        complaint_move(complaint=complaint, status="action_taken", by=agent)
    assert "corrective_action" in refused.value.message_dict
    complaint, _diff = complaint_update(complaint=complaint, by=agent, expected_version=complaint.version,
                                        root_cause="排班冲突", corrective_action="调整排班并预留路程时间")  # fmt: skip
    complaint = complaint_move(complaint=complaint, status="action_taken", by=agent)
    complaint = complaint_inform_customer(complaint=complaint, by=agent, via="phone", note="电话致歉并说明整改")
    assert complaint.customer_informed and complaint.informed_via == "phone"
    confirmed_at = timezone.now() - timedelta(minutes=5)
    complaint = complaint_confirm_close(complaint=complaint, by=agent, confirmed_by="张伟", confirmed_at=confirmed_at)
    assert complaint.status == "closed" and complaint.confirmed_by == "张伟" and complaint.confirmed_at == confirmed_at
    complaint = complaint_reopen(complaint=complaint, by=agent, reason="再次迟到")
    assert complaint.status == "investigating" and complaint.reopened == 1
    assert complaint.confirmed_at is None and not complaint.customer_informed
    steps = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("step", flat=True))
    assert steps == ["created", "status", "updated", "status", "informed", "confirmed", "reopened"]
    assert Event.objects.filter(verb="complaint.reopened", target_id=complaint.pk).count() == 1


def test_closing_without_the_customers_confirmation_is_refused_and_changes_nothing(personas):
    agent = personas.maintenance_agent
    complaint = raise_one(personas)
    with pytest.raises(ValidationError) as refused:
        complaint_confirm_close(complaint=complaint, by=agent, confirmed_by="", confirmed_at=None)
    assert set(refused.value.message_dict) == {"confirmed_by", "confirmed_at"}
    with pytest.raises(ValidationError) as refused:
        complaint_confirm_close(complaint=complaint, by=agent, confirmed_by="张伟", confirmed_at=timezone.now() + timedelta(days=1))
    assert "confirmed_at" in refused.value.message_dict
    with pytest.raises(ValidationError):  # not informed yet
        complaint_confirm_close(complaint=complaint, by=agent, confirmed_by="张伟", confirmed_at=timezone.now())
    complaint.refresh_from_db()
    assert complaint.status == "open" and complaint.closed_at is None and complaint.version == 1


def test_only_a_closed_complaint_reopens_and_a_reason_is_needed(personas):
    complaint = raise_one(personas)
    with pytest.raises(ValidationError):
        complaint_reopen(complaint=complaint, by=personas.maintenance_agent, reason="再看看")
    with pytest.raises(ValidationError) as refused:
        complaint_reopen(complaint=complaint, by=personas.maintenance_agent, reason="  ")
    assert "reason" in refused.value.message_dict


def test_a_status_the_workflow_does_not_allow_is_refused(personas):
    complaint = raise_one(personas)
    for status in ("closed", "open", "nonsense"):
        with pytest.raises(ValidationError):
            complaint_move(complaint=complaint, status=status, by=personas.maintenance_agent)
    complaint.refresh_from_db()
    assert complaint.status == "open"


def test_a_stale_edit_is_refused_not_written_over(personas):
    complaint = raise_one(personas)
    complaint_update(complaint=complaint, by=personas.maintenance_agent, expected_version=1, root_cause="A")
    with pytest.raises(StaleEdit):
        complaint_update(complaint=complaint, by=personas.maintenance_lead, expected_version=1, root_cause="B")
    complaint.refresh_from_db()
    assert complaint.root_cause == "A" and complaint.version == 2


def test_who_sees_and_works_a_complaint(personas):
    complaint = raise_one(personas)
    of_b = raise_one(personas, customer=personas.customer_b)
    assert can_work_complaint(personas.maintenance_agent, complaint)
    assert can_view_complaint(personas.sales_rep, complaint) and not can_work_complaint(personas.sales_rep, complaint)
    assert not can_view_complaint(personas.sales_rep, of_b)  # customer B is not the rep's
    assert can_view_complaint(personas.executive, of_b) and not can_work_complaint(personas.executive, of_b)
    assert not can_view_complaint(personas.marketing, complaint)
    assert not visible_complaints(personas.outsider).exists()
    assert set(visible_complaints(personas.sales_rep)) == {complaint}
