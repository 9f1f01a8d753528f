"""The flow watch: SLA warnings and breaches, stuck requests, and the escalation ladder."""

import pytest

from touchpoint.core.models import Notification
from touchpoint.service.models import Escalation, ServiceRequest, ServiceSettings, SlaState
from touchpoint.service.services.flow import flow_sweep
from touchpoint.service.services.requests import request_create, request_note, request_reply
from touchpoint.service.tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(personas, desk, covered):
    # Standard P2, logged Monday 9:00: first response by 10:00, resolution 1020 business minutes (two working days).
    return request_create(by=personas.maintenance_agent, customer=personas.customer_a, contact=personas.contact_a,
                          subject="委托回报延迟", channel="phone", severity="P2", now=at(2026, 3, 2, 9, 0))  # fmt: skip


def test_a_request_at_75_percent_warns_its_owner_once(personas, request_):
    request_reply(request=request_, by=personas.maintenance_agent, body="处理中", now=at(2026, 3, 2, 9, 10))
    assert flow_sweep(at(2026, 3, 3, 10, 0))["warned"] == 0
    counts = flow_sweep(at(2026, 3, 3, 13, 30))  # 13 of 17 business hours gone: past 75%
    request_.refresh_from_db()
    assert counts["warned"] == 1 and request_.sla_state == SlaState.WARNING
    assert Notification.objects.filter(recipient=personas.maintenance_agent, key=f"request:{request_.pk}:sla-warning").exists()
    assert flow_sweep(at(2026, 3, 3, 13, 35))["warned"] == 0


def test_a_missed_first_response_is_a_breach_that_reaches_owner_and_lead(personas, request_):
    counts = flow_sweep(at(2026, 3, 2, 10, 30))
    request_.refresh_from_db()
    assert counts["breached"] == 1 and request_.sla_state == SlaState.BREACHED and request_.response_breached
    assert Notification.objects.filter(recipient=personas.maintenance_agent, key=f"request:{request_.pk}:sla-breach").exists()
    escalation = Escalation.objects.get(request=request_, reason="breach")
    assert escalation.level == 1 and escalation.to_user == personas.maintenance_lead
    assert Notification.objects.filter(recipient=personas.maintenance_lead, text__contains=request_.number).exists()
    # Twice is once.
    assert flow_sweep(at(2026, 3, 2, 10, 40)) == {"warned": 0, "breached": 0, "stuck": 0, "escalated": 0}


def test_a_request_nobody_touches_climbs_the_ladder_rung_by_rung(personas, request_):
    ServiceSettings.objects.update_or_create(pk=1, defaults={"stuck_percent": 25, "stuck_minimum_minutes": 120,
                                                             "executive": personas.executive})  # fmt: skip
    request_reply(request=request_, by=personas.maintenance_agent, body="已受理", now=at(2026, 3, 2, 9, 5))
    # Stuck after max(120 min, 25% of 1020 min = 255 min) of business time without action.
    assert flow_sweep(at(2026, 3, 2, 13, 0))["stuck"] == 0
    counts = flow_sweep(at(2026, 3, 2, 13, 30))
    request_.refresh_from_db()
    assert counts["stuck"] == 1 and request_.stuck and request_.escalation_level == 1
    assert Escalation.objects.get(request=request_, level=1, reason="stuck").to_user == personas.maintenance_lead
    flow_sweep(at(2026, 3, 3, 10, 0))  # 8.5 + 1.5 business hours idle: two thresholds
    request_.refresh_from_db()
    assert request_.escalation_level == 2
    assert Escalation.objects.get(request=request_, level=2).to_user == personas.maintenance_lead  # head of maintenance
    flow_sweep(at(2026, 3, 3, 16, 0))
    assert Escalation.objects.get(request=request_, level=3).to_user == personas.executive
    assert Notification.objects.filter(recipient=personas.executive, text__contains=request_.number).exists()


def test_any_action_unsticks_a_request(personas, request_):
    request_reply(request=request_, by=personas.maintenance_agent, body="已受理", now=at(2026, 3, 2, 9, 5))
    flow_sweep(at(2026, 3, 2, 14, 0))
    request_note(request=request_, by=personas.maintenance_agent, body="已联系客户信息部", now=at(2026, 3, 2, 14, 30))
    request_.refresh_from_db()
    assert not request_.stuck and ServiceRequest.objects.get(pk=request_.pk).last_action_at == at(2026, 3, 2, 14, 30)
