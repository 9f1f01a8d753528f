"""The maintenance centre's set-up services: queues and seats, routing rules, the SLA grid and the flow settings."""

import pytest
from django.core.exceptions import ValidationError

from touchpoint.core.models import BusinessCalendar, Event
from touchpoint.org.models import Department
from touchpoint.service.models import Queue, QueueMember, RoutingRule, ServiceSettings, SlaPolicy, Tier
from touchpoint.service.services import settings as services

pytestmark = pytest.mark.django_db


def l2(personas, **values):
    defaults = {"queue": None, "by": personas.admin, "code": "l2-trade", "name": "二线交易", "name_en": "L2 trading", "kind": "l2",
                "department": Department.objects.get(code="maintenance")}  # fmt: skip
    return services.queue_save(**(defaults | values))


def test_a_new_queue_is_saved_with_an_event(personas):
    queue = l2(personas, lead=personas.maintenance_lead)
    assert queue.code == "l2-trade" and queue.lead == personas.maintenance_lead
    assert Event.objects.filter(verb="service.setup_changed", target_id=queue.pk, payload__what="queue").exists()


def test_a_queue_code_is_unique_and_names_are_needed_in_both_languages(personas):
    l2(personas)
    with pytest.raises(ValidationError) as refused:
        l2(personas, name_en=" ")
    assert set(refused.value.message_dict) == {"code", "name"}
    assert Queue.objects.filter(code="l2-trade").count() == 1


def test_a_queue_that_rules_route_to_cannot_be_switched_off(personas):
    l1 = Queue.objects.get(code="l1")
    with pytest.raises(ValidationError) as refused:
        services.queue_save(queue=l1, by=personas.admin, code="l1", name=l1.name, name_en=l1.name_en, kind="l1",
                            department=l1.department, is_active=False)  # fmt: skip
    assert "is_active" in refused.value.message_dict
    assert Queue.objects.get(code="l1").is_active


def test_seating_an_agent_twice_updates_the_seat(personas):
    queue = l2(personas)
    services.queue_member_set(queue=queue, by=personas.admin, user=personas.maintenance_agent, products=[])
    services.queue_member_set(queue=queue, by=personas.admin, user=personas.maintenance_agent, products=[], is_active=False)
    assert QueueMember.objects.get(queue=queue).is_active is False
    services.queue_member_remove(member=QueueMember.objects.get(queue=queue), by=personas.admin)
    assert not QueueMember.objects.filter(queue=queue).exists()


def test_a_rule_is_added_at_the_end_and_moves_up(personas):
    engineering = Queue.objects.get(code="engineering")
    rule = services.routing_rule_save(rule=None, by=personas.admin, name="微信进研发", queue=engineering, channel="wechat")
    assert list(RoutingRule.objects.order_by("order", "id"))[-1] == rule
    services.routing_rule_move(rule=rule, by=personas.admin, up=True)
    ordered = list(RoutingRule.objects.order_by("order", "id"))
    assert ordered[-2] == rule and [r.order for r in ordered] == [10, 20, 30]


def test_a_rule_to_an_inactive_queue_or_an_unknown_channel_is_refused(personas):
    finance = Queue.objects.get(code="finance")
    Queue.objects.filter(pk=finance.pk).update(is_active=False)
    finance.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.routing_rule_save(rule=None, by=personas.admin, name="账单", queue=finance, channel="pigeon")
    assert set(refused.value.message_dict) == {"queue", "channel"}
    assert not RoutingRule.objects.filter(name="账单").exists()


def test_deleting_a_rule_is_an_event(personas):
    rule = RoutingRule.objects.get(name="变更需求转研发")
    services.routing_rule_delete(rule=rule, by=personas.admin)
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    assert Event.objects.filter(verb="service.setup_changed", payload__what="routing_rule_deleted").exists()


def _grid(**overrides):
    workdays = BusinessCalendar.objects.get(code="workdays")
    targets = {(p.tier, p.severity): (p.response_minutes, p.resolution_minutes, p.calendar) for p in SlaPolicy.objects.all()}
    targets[(Tier.PREMIUM, "P2")] = overrides.get("premium_p2", (20, 400, workdays))
    return targets


def test_the_sla_grid_saves_changed_cells_only(personas):
    services.sla_policies_save(by=personas.admin, targets=_grid())
    policy = SlaPolicy.objects.get(tier="premium", severity="P2")
    assert (policy.response_minutes, policy.resolution_minutes) == (20, 400)
    assert Event.objects.filter(verb="service.setup_changed", payload__what="sla_policies").count() == 1


def test_a_resolution_target_shorter_than_the_response_is_refused_whole(personas):
    workdays = BusinessCalendar.objects.get(code="workdays")
    with pytest.raises(ValidationError) as refused:
        services.sla_policies_save(by=personas.admin, targets=_grid(premium_p2=(120, 60, workdays)))
    assert "premium_P2_resolution" in refused.value.message_dict
    assert SlaPolicy.objects.get(tier="premium", severity="P2").response_minutes == 30


def test_the_flow_settings_are_checked_and_saved(personas):
    with pytest.raises(ValidationError) as refused:
        services.service_settings_save(by=personas.admin, bounce_hops=0, stuck_percent=150, stuck_minimum_minutes=5)
    assert set(refused.value.message_dict) == {"bounce_hops", "stuck_percent", "stuck_minimum_minutes"}
    services.service_settings_save(by=personas.admin, bounce_hops=4, stuck_percent=30, stuck_minimum_minutes=90,
                                   executive=personas.executive)  # fmt: skip
    current = ServiceSettings.current()
    assert (current.bounce_hops, current.stuck_percent, current.executive) == (4, 30, personas.executive)
