"""The SLA clock of a request, in its calendar's business time.

Two targets run from the moment a request is logged: the first response and the resolution. While
the request waits for the customer the resolution clock stops; the business seconds spent so far
are kept in `spent_seconds` and the deadline is worked out again when the clock resumes. Warning
instants (75% of each target) are stored beside the deadlines so that the sweep finds the requests
that crossed one with an indexed comparison instead of recomputing every open request.
"""

from dataclasses import dataclass
from datetime import datetime

from touchpoint.core.calendar import Schedule, schedule_of
from touchpoint.core.models import BusinessCalendar
from touchpoint.service.models import OPEN, ServiceRequest, SlaPolicy, SlaState, Status, Tier

WARN_SHARE = 0.75


def policy_for(tier: str, severity: str) -> SlaPolicy | None:
    return SlaPolicy.objects.select_related("calendar").filter(tier=tier, severity=severity).first() or (
        SlaPolicy.objects.select_related("calendar").filter(tier=Tier.BASIC, severity=severity).first()
    )


def _schedule(request: ServiceRequest) -> Schedule:
    calendar = request.calendar if request.calendar is not None else BusinessCalendar.objects.get(code="workdays")
    return schedule_of(calendar)


def sla_start(request: ServiceRequest, policy: SlaPolicy | None, now: datetime) -> None:
    """Set the targets of a new request (the caller saves)."""
    request.sla_policy = policy
    if policy is None:
        request.sla_state = SlaState.NONE
        return
    request.calendar = policy.calendar
    schedule = schedule_of(policy.calendar)
    response, resolution = policy.response_minutes * 60, policy.resolution_minutes * 60
    request.clock_started_at, request.spent_seconds, request.paused_at = now, 0, None
    request.response_due_at = schedule.add_business(now, response)
    request.response_warn_at = schedule.add_business(now, int(response * WARN_SHARE))
    request.resolution_due_at = schedule.add_business(now, resolution)
    request.resolution_warn_at = schedule.add_business(now, int(resolution * WARN_SHARE))
    request.sla_state = SlaState.OK


def sla_pause(request: ServiceRequest, now: datetime) -> None:
    if request.sla_policy_id is None or request.paused_at is not None:
        return
    schedule = _schedule(request)
    request.spent_seconds += schedule.business_seconds(request.clock_started_at or now, now)
    request.paused_at, request.clock_started_at = now, None
    request.resolution_due_at = request.resolution_warn_at = None
    request.sla_state = SlaState.PAUSED


def sla_resume(request: ServiceRequest, now: datetime) -> None:
    if request.sla_policy_id is None or request.paused_at is None:
        return
    policy = request.sla_policy
    assert policy is not None
    schedule = _schedule(request)
    target = policy.resolution_minutes * 60
    request.paused_at, request.clock_started_at = None, now
    request.resolution_due_at = schedule.add_business(now, max(0, target - request.spent_seconds))
    request.resolution_warn_at = schedule.add_business(now, max(0, int(target * WARN_SHARE) - request.spent_seconds))
    request.sla_state = state_at(request, now)


def sla_stop(request: ServiceRequest, now: datetime) -> None:
    """Resolution: the clock stops for good (until a reopen resumes it)."""
    if request.sla_policy_id is None:
        return
    if request.paused_at is None and request.clock_started_at is not None:
        request.spent_seconds += _schedule(request).business_seconds(request.clock_started_at, now)
    if request.resolution_due_at is not None and now > request.resolution_due_at:
        request.resolution_breached = True
    request.clock_started_at, request.paused_at = None, now
    request.sla_state = SlaState.BREACHED if request.resolution_breached or request.response_breached else SlaState.MET


def sla_reopen(request: ServiceRequest, now: datetime) -> None:
    if request.sla_policy_id is None:
        return
    request.paused_at = request.paused_at or now
    sla_resume(request, now)


def sla_responded(request: ServiceRequest, now: datetime) -> None:
    if request.responded_at is not None:
        return
    request.responded_at = now
    if request.response_due_at is not None and now > request.response_due_at:
        request.response_breached = True


def state_at(request: ServiceRequest, now: datetime) -> str:
    """The SLA state a request shows at `now`, from its stored deadlines (no calendar arithmetic)."""
    if request.sla_policy_id is None:
        return SlaState.NONE
    if request.status not in OPEN:
        return SlaState.BREACHED if request.resolution_breached or request.response_breached else SlaState.MET
    if request.response_breached or request.resolution_breached:
        return SlaState.BREACHED
    if request.responded_at is None and request.response_due_at is not None and now >= request.response_due_at:
        return SlaState.BREACHED
    if request.paused_at is not None:
        return SlaState.PAUSED
    if request.resolution_due_at is not None and now >= request.resolution_due_at:
        return SlaState.BREACHED
    warn = [at for at in (request.resolution_warn_at, None if request.responded_at else request.response_warn_at) if at]
    if any(now >= at for at in warn):
        return SlaState.WARNING
    return SlaState.OK


@dataclass(frozen=True)
class Progress:
    """How far along the resolution clock is, for the live display."""

    spent_seconds: int
    target_seconds: int

    @property
    def percent(self) -> int:
        return min(999, round(100 * self.spent_seconds / self.target_seconds)) if self.target_seconds else 0


def progress(request: ServiceRequest, now: datetime) -> Progress | None:
    policy = request.sla_policy
    if policy is None:
        return None
    spent = request.spent_seconds
    if request.clock_started_at is not None and request.status not in (Status.RESOLVED, Status.CLOSED):
        spent += _schedule(request).business_seconds(request.clock_started_at, now)
    return Progress(spent, policy.resolution_minutes * 60)
