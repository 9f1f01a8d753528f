"""The bulk SLA recomputation after a calendar or policy change gives what the per-request clock in
`touchpoint.service.sla` gives, writes only what changed, and leaves closed requests alone."""

from copy import copy
from datetime import date

import pytest

from touchpoint.core.calendar import calendar_day_set
from touchpoint.core.models import BusinessCalendar
from touchpoint.service import sla
from touchpoint.service.models import ServiceRequest, SlaPolicy, SlaState
from touchpoint.service.services.requests import request_create, request_reply, request_set_status
from touchpoint.service.sla_recompute import FIELDS, sla_recompute
from touchpoint.service.tests.conftest import at

pytestmark = pytest.mark.django_db


def _log(personas, severity: str, hour: int, day: int = 2):
    return request_create(by=personas.maintenance_agent, customer=personas.customer_a, contact=personas.contact_a,
                          subject=f"{severity} 行情中断", channel="phone", severity=severity,
                          now=at(2026, 3, day, hour, 0))  # fmt: skip


def _values(request: ServiceRequest) -> tuple:
    return tuple(getattr(request, f"{name}_id" if name == "calendar" else name) for name in FIELDS)


def _expected(request: ServiceRequest, policy: SlaPolicy, logged, now) -> tuple:
    """What the per-request functions give: `sla_start` at logging, then the pause and resume it went through."""
    fresh = copy(request)
    clock_started, spent, paused = request.clock_started_at, request.spent_seconds, request.paused_at
    sla.sla_start(fresh, policy, logged)
    if paused is not None:
        fresh.paused_at, fresh.clock_started_at, fresh.spent_seconds = paused, None, spent
        fresh.resolution_due_at = fresh.resolution_warn_at = None
    elif spent:
        fresh.paused_at, fresh.spent_seconds = clock_started, spent
        sla.sla_resume(fresh, clock_started)
    fresh.responded_at = request.responded_at
    due = fresh.response_due_at
    fresh.response_breached = (request.responded_at > due) if request.responded_at else now >= due
    if fresh.resolution_due_at is not None:
        fresh.resolution_breached = now >= fresh.resolution_due_at
    else:
        fresh.resolution_breached = request.resolution_breached
    fresh.sla_state = sla.state_at(fresh, now)
    return _values(fresh)


def test_a_policy_change_moves_the_deadlines_the_way_the_clock_would(personas, desk, covered):
    running = _log(personas, "P2", 9)
    answered = _log(personas, "P2", 10)
    request_reply(request=answered, by=personas.maintenance_agent, body="已受理", now=at(2026, 3, 2, 10, 30))
    waiting = _log(personas, "P2", 11)
    request_set_status(request=waiting, by=personas.maintenance_agent, status="waiting", now=at(2026, 3, 2, 14, 0))
    resumed = _log(personas, "P3", 9, day=3)
    request_set_status(request=resumed, by=personas.maintenance_agent, status="waiting", now=at(2026, 3, 3, 10, 0))
    request_set_status(request=resumed, by=personas.maintenance_agent, status="in_progress", now=at(2026, 3, 4, 9, 30))
    done = _log(personas, "P2", 15)
    request_set_status(request=done, by=personas.maintenance_agent, status="resolved", resolution="已修复",
                       now=at(2026, 3, 2, 16, 0))  # fmt: skip
    done_before = _values(ServiceRequest.objects.get(pk=done.pk))

    # The standard P2 and P3 targets are tightened.
    SlaPolicy.objects.filter(tier="standard", severity__in=("P2", "P3")).update(response_minutes=30, resolution_minutes=600)
    now = at(2026, 3, 4, 12, 0)
    counts = sla_recompute(now=now)
    assert counts == {"read": 4, "changed": 4}
    logged = {running.pk: at(2026, 3, 2, 9), answered.pk: at(2026, 3, 2, 10), waiting.pk: at(2026, 3, 2, 11),
              resumed.pk: at(2026, 3, 3, 9)}  # fmt: skip
    for pk, moment in logged.items():
        request = ServiceRequest.objects.select_related("sla_policy__calendar").get(pk=pk)
        assert _values(request) == _expected(request, request.sla_policy, moment, now), request.subject
    # Logged Monday 9:00, 600 business minutes: 8 h on Monday to 17:00, due Tuesday 10:30; by Wednesday noon, breached.
    running.refresh_from_db()
    assert running.resolution_due_at == at(2026, 3, 3, 10, 30) and running.sla_state == SlaState.BREACHED
    waiting.refresh_from_db()
    assert waiting.resolution_due_at is None and waiting.sla_state in (SlaState.PAUSED, SlaState.BREACHED)
    assert _values(ServiceRequest.objects.get(pk=done.pk)) == done_before  # resolved requests stay as they were
    # Twice is once.
    assert sla_recompute(now=now) == {"read": 4, "changed": 0}


def test_a_calendar_change_only_touches_the_requests_counted_in_it(personas, desk, covered):
    p1 = _log(personas, "P1", 9)  # counted round the clock
    p3 = _log(personas, "P3", 9)
    before_p1 = _values(ServiceRequest.objects.get(pk=p1.pk))
    workdays = BusinessCalendar.objects.get(code="workdays")
    calendar_day_set(calendar=workdays, by=personas.admin, day=date(2026, 3, 3), working=False)  # Tuesday off
    counts = sla_recompute(calendar=workdays, now=at(2026, 3, 2, 12, 0))
    assert counts["read"] == 1 and counts["changed"] == 1
    p3.refresh_from_db()
    fresh = copy(p3)
    sla.sla_start(fresh, p3.sla_policy, at(2026, 3, 2, 9, 0))
    assert p3.resolution_due_at == fresh.resolution_due_at and p3.resolution_due_at.date() >= date(2026, 3, 4)
    assert _values(ServiceRequest.objects.get(pk=p1.pk)) == before_p1


def test_a_chosen_set_and_requests_without_sla(personas, desk, covered):
    one, two, three = _log(personas, "P2", 9), _log(personas, "P2", 10), _log(personas, "P2", 11)
    ServiceRequest.objects.filter(pk=two.pk).update(sla_policy=None)
    before_three = _values(ServiceRequest.objects.get(pk=three.pk))
    SlaPolicy.objects.filter(tier="standard", severity="P2").update(resolution_minutes=2000)
    chosen = ServiceRequest.objects.filter(pk__in=[one.pk, two.pk])
    assert sla_recompute(requests=chosen, now=at(2026, 3, 2, 9, 30)) == {"read": 1, "changed": 1}
    one.refresh_from_db()
    # 2000 business minutes from Monday 9:00: 480 on Monday, 510 on Tuesday and Wednesday, 500 on Thursday: 16:50.
    assert one.resolution_due_at == at(2026, 3, 5, 16, 50) and one.sla_state == SlaState.OK
    assert _values(ServiceRequest.objects.get(pk=three.pk)) == before_three  # not chosen
