"""The maintenance centre's settings pages: who may open them, what they save and refuse."""

import pytest
from django.urls import reverse

from touchpoint.core.models import BusinessCalendar, CalendarDay
from touchpoint.org.models import Department
from touchpoint.service.models import Queue, QueueMember, RoutingRule, ServiceSettings, SlaPolicy
from touchpoint.service.tests.fixtures_desk import as_user

pytestmark = pytest.mark.django_db
PAGES = ["settings", "settings_queues", "settings_queue_new", "settings_routing", "settings_sla", "settings_calendars"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_settings_page_renders_for_the_maintenance_lead(client, personas, language):
    as_user(client, personas.maintenance_lead, language)
    for name in PAGES:
        assert client.get(reverse(f"service:{name}")).status_code == 200, name
    queue, calendar = Queue.objects.get(code="l1"), BusinessCalendar.objects.get(code="workdays")
    assert client.get(reverse("service:settings_queue", args=[queue.pk])).status_code == 200
    assert client.get(reverse("service:settings_calendar", args=[calendar.pk])).status_code == 200
    rule = RoutingRule.objects.order_by("order").first()
    assert rule is not None
    assert client.get(reverse("service:settings_rule", args=[rule.pk])).status_code == 200


@pytest.mark.parametrize("who", ["maintenance_agent", "sales_rep", "executive", "outsider"])
def test_other_people_may_not_open_or_post_the_settings(client, personas, who):
    as_user(client, getattr(personas, who))
    for name in PAGES:
        assert client.get(reverse(f"service:{name}")).status_code == 403, name
    assert client.post(reverse("service:settings"), {"bounce_hops": 9, "stuck_percent": 10,
                                                     "stuck_minimum_minutes": 60}).status_code == 403  # fmt: skip
    assert ServiceSettings.current().bounce_hops == 3


def test_the_admin_creates_a_queue_and_seats_an_agent(client, personas):
    as_user(client, personas.admin)
    maintenance = Department.objects.get(code="maintenance")
    response = client.post(reverse("service:settings_queue_new"), {
        "code": "l2-margin", "name": "二线融资融券", "name_en": "L2 margin", "kind": "l2", "department": maintenance.pk,
        "assignment": "round_robin", "lead": personas.maintenance_lead.pk, "is_active": "on",
    })  # fmt: skip
    assert response.status_code == 302
    queue = Queue.objects.get(code="l2-margin")
    response = client.post(reverse("service:settings_queue_member", args=[queue.pk]),
                           {"user": personas.maintenance_agent.pk, "is_active": "on"})  # fmt: skip
    assert response.status_code == 302 and QueueMember.objects.filter(queue=queue, user=personas.maintenance_agent).exists()
    member = QueueMember.objects.get(queue=queue)
    client.post(reverse("service:settings_queue_member_remove", args=[queue.pk, member.pk]))
    assert not QueueMember.objects.filter(queue=queue).exists()


@pytest.mark.parametrize(("language", "message"), [("en", "Another queue has this code."), ("zh-hans", "已有其他队列使用此代码。")])
def test_a_duplicate_queue_code_is_a_field_error(client, personas, language, message):
    as_user(client, personas.admin, language)
    response = client.post(reverse("service:settings_queue_new"), {
        "code": "l1", "name": "重复", "name_en": "Duplicate", "kind": "l1", "department": Department.objects.get(code="maintenance").pk,
        "assignment": "manual",
    })  # fmt: skip
    assert response.status_code == 400 and message in response.content.decode()
    assert not Queue.objects.filter(name="重复").exists()


def test_hostile_queue_input_gets_field_errors_not_a_500(client, personas):
    as_user(client, personas.admin)
    response = client.post(reverse("service:settings_queue_new"), {"code": "<script>", "name": "x" * 500, "kind": "nope",
                                                                  "department": "999999", "assignment": "x"})  # fmt: skip
    assert response.status_code == 400
    assert client.get(reverse("service:settings_queue", args=[999999])).status_code == 404


def test_rules_are_added_moved_and_deleted(client, personas):
    as_user(client, personas.maintenance_lead)
    engineering = Queue.objects.get(code="engineering")
    response = client.post(reverse("service:settings_routing"), {"name": "升级类进研发", "category": "upgrade",
                                                                "queue": engineering.pk, "is_active": "on"})  # fmt: skip
    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="升级类进研发")
    client.post(reverse("service:settings_rule_move", args=[rule.pk]), {"direction": "up"})
    assert [r.name for r in RoutingRule.objects.order_by("order", "id")] == ["变更需求转研发", "升级类进研发", "其余进一线"]
    response = client.post(reverse("service:settings_rule", args=[rule.pk]), {"name": "升级类进研发", "queue": "999999"})
    assert response.status_code == 400 and "Choose a queue that exists and is in use." in response.content.decode()
    client.post(reverse("service:settings_rule_delete", args=[rule.pk]))
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()


def _grid_data(unit="minutes", **cells):
    data = {"unit": unit}
    for policy in SlaPolicy.objects.all():
        cell = f"{policy.tier}_{policy.severity}"
        scale = 60 if unit == "hours" else 1
        data |= {f"{cell}_response": policy.response_minutes / scale, f"{cell}_resolution": policy.resolution_minutes / scale,
                 f"{cell}_calendar": policy.calendar_id}  # fmt: skip
    return data | cells


def test_the_sla_grid_saves_in_hours_and_refuses_a_resolution_shorter_than_the_response(client, personas):
    as_user(client, personas.admin)
    response = client.post(reverse("service:settings_sla"), _grid_data("hours", standard_P3_response="2", standard_P3_resolution="40"))
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(tier="standard", severity="P3")
    assert (policy.response_minutes, policy.resolution_minutes) == (120, 2400)
    response = client.post(reverse("service:settings_sla"), _grid_data(standard_P3_response="300", standard_P3_resolution="100"))
    assert response.status_code == 400
    assert "The resolution target must be longer than the first response target." in response.content.decode()
    assert SlaPolicy.objects.get(tier="standard", severity="P3").resolution_minutes == 2400


def test_a_calendar_shows_its_uncovered_years_and_takes_day_overrides(client, personas):
    calendar = BusinessCalendar.objects.get(code="workdays")
    as_user(client, personas.admin)
    url = reverse("service:settings_calendar", args=[calendar.pk])
    assert "uncovered-warning" in client.get(reverse("service:settings_calendars")).content.decode()
    response = client.post(reverse("service:settings_calendar_day", args=[calendar.pk]),
                           {"day": "2027-01-01", "working": "0", "note": "元旦"})  # fmt: skip
    assert response.status_code == 302
    assert CalendarDay.objects.filter(calendar=calendar, day="2027-01-01", working=False).exists()
    assert "uncovered-warning" not in client.get(url).content.decode()
    response = client.post(reverse("service:settings_calendar_day", args=[calendar.pk]),
                           {"day": "2027-01-02", "working": "0", "opens_at": "09:00", "closes_at": "12:00"})  # fmt: skip
    assert response.status_code == 400 and "A closed day has no opening hours." in response.content.decode()
    client.post(reverse("service:settings_calendar_day", args=[calendar.pk]), {"day": "2027-01-01", "clear": "1"})
    assert not CalendarDay.objects.filter(calendar=calendar).exists()


def test_calendar_hours_must_close_after_they_open(client, personas):
    calendar = BusinessCalendar.objects.get(code="workdays")
    as_user(client, personas.admin)
    response = client.post(reverse("service:settings_calendar", args=[calendar.pk]),
                           {"opens_at": "17:00", "closes_at": "08:30", "statutory": "on"})  # fmt: skip
    assert response.status_code == 400 and "The closing time must be after the opening time." in response.content.decode()
    calendar.refresh_from_db()
    assert calendar.opens_at.hour == 8


def test_the_flow_settings_page_saves_and_shows_field_errors(client, personas):
    as_user(client, personas.maintenance_lead, "zh-hans")
    response = client.post(reverse("service:settings"), {"bounce_hops": "0", "stuck_percent": "25", "stuck_minimum_minutes": "120"})
    assert response.status_code == 400
    response = client.post(reverse("service:settings"), {"bounce_hops": "4", "stuck_percent": "30", "stuck_minimum_minutes": "90",
                                                         "executive": personas.executive.pk})  # fmt: skip
    assert response.status_code == 302 and ServiceSettings.current().bounce_hops == 4


def test_the_queue_and_routing_lists_have_pinned_query_counts(client, personas, django_assert_num_queries):
    as_user(client, personas.admin)
    client.get(reverse("service:settings_queues"))
    with django_assert_num_queries(7):
        client.get(reverse("service:settings_queues"))
    client.get(reverse("service:settings_routing"))
    with django_assert_num_queries(8):
        client.get(reverse("service:settings_routing"))
