"""The request list selector: views, filters, sort, and the page read as "page plus one"."""

import pytest
from django.utils import translation

from touchpoint.service.models import ServiceRequest
from touchpoint.service.selectors import RequestQuery, peek_page, request_history, request_list
from touchpoint.service.services.requests import request_set_status
from touchpoint.service.tests.conftest import at
from touchpoint.service.tests.fixtures_desk import bounced_fixture, log, request_a_fixture, request_b_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_my_queue_is_assigned_to_me_plus_unassigned_in_my_seats(personas, desk, request_a, request_b):
    unassigned = log(personas, subject="无人认领")
    ServiceRequest.objects.filter(pk=unassigned.pk).update(assignee=None)
    elsewhere = log(personas, subject="财务队列")
    ServiceRequest.objects.filter(pk=elsewhere.pk).update(assignee=None, queue=desk.sales)
    mine = set(request_list(user=personas.maintenance_agent, query=RequestQuery(view="mine")))
    assert {request_a, request_b, unassigned} <= mine and elsewhere not in mine


def test_resolved_requests_leave_the_open_views(personas, request_a, request_b):
    request_set_status(request=request_a, by=personas.maintenance_agent, status="resolved", resolution="已处理")
    assert request_a not in request_list(user=personas.maintenance_lead, query=RequestQuery(view="open"))
    assert list(request_list(user=personas.maintenance_lead, query=RequestQuery(view="resolved"))) == [request_a]


def test_the_default_sort_is_the_resolution_due_with_paused_requests_last(personas, desk, covered):
    late = log(personas, subject="P4", severity="P4", now=at(2026, 3, 2, 9, 0))
    soon = log(personas, subject="P1", severity="P1", now=at(2026, 3, 2, 9, 0))
    paused = log(personas, subject="等待", severity="P1", now=at(2026, 3, 2, 9, 0))
    request_set_status(request=paused, by=personas.maintenance_agent, status="waiting", now=at(2026, 3, 2, 9, 5))
    rows = list(request_list(user=personas.maintenance_lead, query=RequestQuery(view="open")))
    assert rows == [soon, late, paused]
    by_severity = list(request_list(user=personas.maintenance_lead, query=RequestQuery(view="open", sort="severity")))
    assert by_severity[-1] == late


def test_filters_combine(personas, request_a, request_b, bounced):
    query = RequestQuery(view="all", customer_id=personas.customer_a.pk, bounced=True)
    assert list(request_list(user=personas.maintenance_lead, query=query)) == [bounced]
    assert list(request_list(user=personas.maintenance_lead, query=RequestQuery(view="all", channel="email"))) == [request_b]


def test_a_page_knows_whether_another_follows_without_counting(personas, desk, covered):
    for index in range(5):
        log(personas, subject=f"问题{index}")
    rows = request_list(user=personas.maintenance_lead, query=RequestQuery(view="open"))
    first, last = peek_page(rows, page=1, per_page=3), peek_page(rows, page=2, per_page=3)
    assert (len(first), first.has_next, len(last), last.has_next) == (3, True, 2, False)
    assert peek_page(rows, page="-1", per_page=3).number == 1


def test_the_history_merges_status_changes_handoffs_and_escalations_newest_first(personas, bounced):
    kinds = [entry.kind for entry in request_history(bounced)]
    assert {"status", "handoff", "escalation"} == set(kinds)
    moments = [entry.at for entry in request_history(bounced)]
    assert moments == sorted(moments, reverse=True)


def test_waiting_requests_list_the_longest_wait_first(personas, desk, covered):
    first = log(personas, subject="等资料一", now=at(2026, 3, 2, 9, 0))
    second = log(personas, subject="等资料二", now=at(2026, 3, 2, 9, 0))
    request_set_status(request=second, by=personas.maintenance_agent, status="waiting", now=at(2026, 3, 2, 9, 10))
    request_set_status(request=first, by=personas.maintenance_agent, status="waiting", now=at(2026, 3, 2, 9, 20))
    assert list(request_list(user=personas.maintenance_lead, query=RequestQuery(view="waiting"))) == [second, first]


@translation.override("en")
def test_the_sla_badge_counts_business_time_left_and_overdue(personas, desk, covered):
    from touchpoint.service.services.requests import request_reply
    from touchpoint.service.templatetags.service_tags import sla_badge

    # Standard P2 logged Monday 9:00: first response by 10:00, resolution after 17 business hours.
    request = log(personas, subject="委托回报延迟", severity="P2", now=at(2026, 3, 2, 9, 0))
    assert "Response in 30 min" in sla_badge(request, at(2026, 3, 2, 9, 30))
    late = sla_badge(request, at(2026, 3, 2, 11, 15))
    assert "Response overdue 1 h 15 min" in late and "text-bg-danger" in late
    request_reply(request=request, by=personas.maintenance_agent, body="已受理", now=at(2026, 3, 2, 9, 40))
    request.refresh_from_db()
    # Nights are closed: Monday 13:00–17:00, Tuesday 8:30–17:00 and Wednesday 8:30–9:00 are left.
    assert "Resolve in 13 h" in sla_badge(request, at(2026, 3, 2, 13, 0))
    request_set_status(request=request, by=personas.maintenance_agent, status="waiting", now=at(2026, 3, 2, 14, 0))
    request.refresh_from_db()
    assert "Paused" in sla_badge(request, at(2026, 3, 3, 9, 0))
