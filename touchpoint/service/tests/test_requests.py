"""Intake, routing, the workflow and handoffs of service requests."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from touchpoint.core.models import Event, Notification
from touchpoint.finance.services.credit import service_hold_set
from touchpoint.service.models import Escalation, Handoff, Queue, ServiceRequest, SlaState, StatusChange
from touchpoint.service.services.requests import (
    REQUEST_BOUNCED,
    request_create,
    request_reply,
    request_set_status,
    request_transfer,
)
from touchpoint.service.tests.conftest import at
from touchpoint.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def log(personas, now, **extra):
    fields = {"customer": personas.customer_a, "contact": personas.contact_a, "subject": "行情服务器断线",
              "description": "早盘 9:20 起行情中断", "channel": "phone", "severity": "P3"}  # fmt: skip
    fields.update(extra)
    return request_create(by=personas.maintenance_agent, now=now, **fields)


def test_a_phoned_in_request_is_numbered_routed_to_l1_owned_and_on_the_timeline(personas, desk, covered):
    request = log(personas, at(2026, 3, 2, 10, 0))
    assert request.number.startswith("SR-2026-")
    assert request.queue == desk.l1 and request.assignee == personas.maintenance_agent
    assert request.owner == personas.maintenance_agent and request.department.code == "maintenance"
    assert request.entitlement == "maintenance" and request.coverage == covered
    assert request.hops == 0 and Handoff.objects.get(request=request).kind == "route"
    assert Touchpoint.objects.filter(customer=personas.customer_a, link_type="service.servicerequest", link_id=request.pk,
                                     channel="phone").exists()  # fmt: skip
    assert StatusChange.objects.filter(request=request, after="new").exists()


def test_the_sla_targets_count_working_hours_of_the_standard_tier(personas, desk, covered):
    # Standard P3: first response 240 business minutes, resolution 2550 (five working days).
    request = log(personas, at(2026, 3, 6, 15, 0))  # a Friday afternoon
    assert request.response_due_at == at(2026, 3, 9, 10, 30)
    assert request.resolution_due_at == at(2026, 3, 13, 15, 0)
    assert request.sla_state == SlaState.OK


def test_a_p1_runs_round_the_clock(personas, desk, covered):
    request = log(personas, at(2026, 3, 7, 22, 0), severity="P1")  # Saturday night
    assert request.response_due_at == at(2026, 3, 7, 22, 30) and request.resolution_due_at == at(2026, 3, 8, 6, 0)


def test_a_request_without_cover_is_flagged_and_the_account_owner_told(personas, desk):
    request = log(personas, at(2026, 3, 2, 10, 0))
    assert request.entitlement == "not_covered" and request.sla_policy.tier == "basic"
    assert Notification.objects.filter(recipient=personas.sales_rep, key=f"request:{request.pk}:not-covered").exists()


@pytest.mark.parametrize(("extra", "field"), [
    ({"subject": "  "}, "subject"),
    ({"severity": "P0"}, "severity"),
    ({"channel": "pigeon"}, "channel"),
    ({"category": "gossip"}, "category"),
])  # fmt: skip
def test_bad_intake_is_refused_on_its_field_and_nothing_is_written(personas, desk, extra, field):
    with pytest.raises(ValidationError) as refused:
        log(personas, at(2026, 3, 2, 10, 0), **extra)
    assert field in refused.value.message_dict
    assert not ServiceRequest.objects.exists() and not Handoff.objects.exists()


def test_a_contact_of_another_customer_is_refused(personas, desk):
    with pytest.raises(ValidationError) as refused:
        log(personas, at(2026, 3, 2, 10, 0), contact=personas.contact_b)
    assert "contact" in refused.value.message_dict and not ServiceRequest.objects.exists()


def test_a_service_hold_stops_non_critical_work_and_says_why_but_never_a_p1(personas, desk, covered):
    service_hold_set(customer=personas.customer_a, by=personas.finance, on=True, reason="服务费逾期 120 天")
    ordinary = log(personas, at(2026, 3, 2, 10, 0))
    with pytest.raises(ValidationError) as refused:
        request_set_status(request=ordinary, by=personas.maintenance_agent, status="in_progress", now=at(2026, 3, 2, 10, 5))
    assert "服务费逾期 120 天" in refused.value.message_dict["status"][0]
    ordinary.refresh_from_db()
    assert ordinary.status == "new"
    critical = log(personas, at(2026, 3, 2, 10, 0), severity="P1")
    request_set_status(request=critical, by=personas.maintenance_agent, status="in_progress", now=at(2026, 3, 2, 10, 5))
    critical.refresh_from_db()
    assert critical.status == "in_progress"


def test_the_workflow_refuses_a_jump_it_does_not_allow(personas, desk, covered):
    request = log(personas, at(2026, 3, 2, 10, 0))
    request_set_status(request=request, by=personas.maintenance_agent, status="in_progress", now=at(2026, 3, 2, 10, 1))
    changes = StatusChange.objects.count()
    for status in ("closed", "new", "triaged", "bogus"):
        with pytest.raises(ValidationError) as refused:
            request_set_status(request=request, by=personas.maintenance_agent, status=status, now=at(2026, 3, 2, 10, 2))
        assert "status" in refused.value.message_dict
    request.refresh_from_db()
    assert request.status == "in_progress" and StatusChange.objects.count() == changes


def test_closing_a_new_request_unworked_needs_a_reason(personas, desk, covered):
    request = log(personas, at(2026, 3, 2, 10, 0))
    with pytest.raises(ValidationError) as refused:
        request_set_status(request=request, by=personas.maintenance_agent, status="closed", now=at(2026, 3, 2, 10, 1))
    assert "note" in refused.value.message_dict
    request_set_status(request=request, by=personas.maintenance_agent, status="closed", note="重复工单，见 SR-2026-000001",
                       now=at(2026, 3, 2, 10, 1))  # fmt: skip
    request.refresh_from_db()
    assert request.status == "closed" and request.closed_at == at(2026, 3, 2, 10, 1)


def test_waiting_for_the_customer_stops_the_clock_and_resuming_moves_the_deadline(personas, desk, covered):
    request = log(personas, at(2026, 3, 2, 9, 0))  # Monday; resolution due Monday 9 March 9:00
    assert request.resolution_due_at == at(2026, 3, 9, 9, 0)
    request_set_status(request=request, by=personas.maintenance_agent, status="in_progress", now=at(2026, 3, 2, 9, 30))
    request_reply(request=request, by=personas.maintenance_agent, body="请提供网关日志。", now=at(2026, 3, 2, 10, 0))
    request_set_status(request=request, by=personas.maintenance_agent, status="waiting", now=at(2026, 3, 2, 11, 0))
    request.refresh_from_db()
    assert request.sla_state == SlaState.PAUSED and request.spent_seconds == 2 * 3600 and request.resolution_due_at is None
    # Back a whole working day later: the deadline moves by that day.
    request_set_status(request=request, by=personas.maintenance_agent, status="in_progress", now=at(2026, 3, 3, 11, 0))
    request.refresh_from_db()
    assert request.resolution_due_at == at(2026, 3, 10, 9, 0) and request.sla_state == SlaState.OK


def test_resolving_needs_a_resolution_and_a_reopen_counts(personas, desk, covered):
    request = log(personas, at(2026, 3, 2, 9, 0))
    with pytest.raises(ValidationError) as refused:
        request_set_status(request=request, by=personas.maintenance_agent, status="resolved", now=at(2026, 3, 2, 10, 0))
    assert "resolution" in refused.value.message_dict
    request_set_status(request=request, by=personas.maintenance_agent, status="resolved", resolution="重启行情网关",
                       now=at(2026, 3, 2, 10, 0))  # fmt: skip
    request.refresh_from_db()
    assert request.sla_state == SlaState.MET
    request_set_status(request=request, by=personas.maintenance_agent, status="in_progress", now=at(2026, 3, 2, 11, 0))
    request.refresh_from_db()
    assert request.reopened == 1 and request.resolved_at is None and request.sla_state == SlaState.OK


def test_the_first_reply_stops_the_response_clock_and_goes_out_by_mail(personas, desk, covered, mailoutbox,
                                                                       django_capture_on_commit_callbacks):  # fmt: skip
    request = log(personas, at(2026, 3, 2, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        request_reply(request=request, by=personas.maintenance_agent, body="已收到，正在排查。", now=at(2026, 3, 2, 9, 20))
    request.refresh_from_db()
    assert request.responded_at == at(2026, 3, 2, 9, 20) and not request.response_breached
    assert mailoutbox[-1].to == [personas.contact_a.email] and request.number in mailoutbox[-1].subject


def test_l1_to_engineering_and_back_is_a_bounce_that_reaches_the_lead(personas, desk, covered):
    request = log(personas, at(2026, 3, 2, 9, 0))
    request_transfer(request=request, by=personas.maintenance_agent, queue=desk.engineering, reason="疑似行情网关缺陷",
                     now=at(2026, 3, 2, 10, 0))  # fmt: skip
    request.refresh_from_db()
    assert request.department.code == "engineering" and request.assignee == personas.engineer and request.hops == 1
    assert request.owner == personas.maintenance_agent and not request.bounced
    back = request_transfer(request=request, by=personas.engineer, queue=desk.l1, reason="非缺陷，配置问题",
                            now=at(2026, 3, 2, 14, 0))  # fmt: skip
    request.refresh_from_db()
    assert back.kind == "return" and back.seconds_in_from == 4 * 3600
    assert request.bounced and request.hops == 2 and request.escalation_level == 1
    assert request.owner == personas.maintenance_agent
    escalation = Escalation.objects.get(request=request)
    assert escalation.reason == "bounce" and escalation.to_user == personas.maintenance_lead
    assert Notification.objects.filter(recipient=personas.maintenance_lead, text__contains=request.number).exists()
    assert Event.objects.filter(verb=REQUEST_BOUNCED, target_id=request.pk).count() == 1


def test_a_transfer_to_a_queue_that_does_not_exist_or_without_reason_changes_nothing(personas, desk, covered):
    request = log(personas, at(2026, 3, 2, 9, 0))
    handoffs = Handoff.objects.count()
    closed = Queue.objects.create(code="old", kind="l2", department=desk.l1.department, name="旧队列", name_en="Old", is_active=False)
    for queue, reason, field in [(None, "x", "queue"), (closed, "x", "queue"), (desk.engineering, " ", "reason")]:
        with pytest.raises(ValidationError) as refused:
            request_transfer(request=request, by=personas.maintenance_agent, queue=queue, reason=reason, now=at(2026, 3, 2, 10, 0))
        assert field in refused.value.message_dict
    request.refresh_from_db()
    assert request.queue == desk.l1 and Handoff.objects.count() == handoffs and request.hops == 0


def test_more_hops_than_allowed_is_a_bounce_without_ping_pong(personas, desk, covered):
    finance = Queue.objects.get(code="finance")
    request = log(personas, at(2026, 3, 2, 9, 0))
    now = at(2026, 3, 2, 10, 0)
    for queue in (desk.engineering, desk.sales, finance):
        request_transfer(request=request, by=personas.maintenance_agent, queue=queue, reason="转交", now=now)
        now += timedelta(hours=1)
        request.refresh_from_db()
        assert not request.bounced
    request_transfer(request=request, by=personas.maintenance_agent, queue=desk.engineering, reason="再转", now=now)
    request.refresh_from_db()
    assert request.hops == 4 and request.bounced
