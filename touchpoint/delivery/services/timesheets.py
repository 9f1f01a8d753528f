"""Timesheets and site visits: engineers log hours per task and day, the project manager approves them;
a visit to the customer's site is a face-to-face touchpoint on the customer's timeline."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type
from touchpoint.core.models import Channel, EventKind
from touchpoint.customers.models import Contact
from touchpoint.delivery.models import Project, Task, TimeEntry, TimeStatus
from touchpoint.delivery.services.projects import ensure_started, require_running
from touchpoint.org.models import User

TIME_DECIDED = event_type("project.time_decided", kind=EventKind.DELIVERY, label=gettext_lazy("Timesheet decided"))
SITE_VISIT = "delivery.project"  # the touchpoint's link type for visits logged from a project

DAY = Decimal(24)


def _hours(value: Any) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({"hours": _("Enter the hours as a number, e.g. 7.5.")}) from None
    if hours <= 0:
        raise ValidationError({"hours": _("Enter more than 0 hours.")})
    if hours > DAY:
        raise ValidationError({"hours": _("A day has no more than 24 hours.")})
    return hours


@transaction.atomic
def time_log(*, user: Any, task: Task, work_date: date | None, hours: Any, note: str = "") -> TimeEntry:
    """Log hours on a task for a day; one person's hours on one day never add up to more than 24."""
    project = task.project
    if not project.is_running:
        raise ValidationError({"task": _("This project is %(status)s; no more time can be logged on it.")
                               % {"status": project.get_status_display()}})  # fmt: skip
    if work_date is None:
        raise ValidationError({"work_date": _("Enter the day worked.")})
    if work_date > timezone.localdate():
        raise ValidationError({"work_date": _("Time cannot be logged for a day still to come.")})
    hours = _hours(hours)
    # Lock the user's row so that two entries for the same day are added up one after the other.
    User.objects.select_for_update().filter(pk=user.pk).first()
    logged = TimeEntry.objects.filter(user=user, work_date=work_date).exclude(status=TimeStatus.REJECTED).aggregate(
        total=Sum("hours")
    )["total"] or Decimal(0)
    if logged + hours > DAY:
        raise ValidationError({"hours": _("%(day)s already has %(logged)s hours logged; a day has no more than 24.")
                               % {"day": work_date.isoformat(), "logged": logged.normalize()}})  # fmt: skip
    ensure_started(project, user)
    entry = TimeEntry(project=project, customer_id=project.customer_id, task=task, user=user, work_date=work_date,
                      hours=hours, note=(note or "").strip()[:300])  # fmt: skip
    entry.save()
    return entry


@transaction.atomic
def time_delete(*, entry: TimeEntry, by: Any) -> None:
    # Read the entry under a lock: hours approved a moment ago must not vanish with a stale copy.
    current = TimeEntry.objects.select_for_update(of=("self",)).select_related("project").get(pk=entry.pk)
    if current.status == TimeStatus.APPROVED:
        raise ValidationError(_("Approved hours cannot be removed."))
    require_running(current.project)
    current.delete()


@transaction.atomic
def time_decide(*, entries: list[TimeEntry], by: Any, approve: bool, reason: str = "") -> int:
    """Approve or reject submitted hours; rejecting says why. Nobody decides on their own hours."""
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": _("Say why the hours are rejected.")})
    decided = 0
    now = timezone.now()
    for entry in TimeEntry.objects.select_for_update().filter(pk__in=[e.pk for e in entries]).order_by("pk"):
        if entry.user_id == by.pk:
            raise ValidationError(_("Nobody approves their own hours."))
        if entry.status != TimeStatus.SUBMITTED:
            continue
        entry.status = TimeStatus.APPROVED if approve else TimeStatus.REJECTED
        entry.decided_by, entry.decided_at, entry.reject_reason = by, now, "" if approve else reason[:300]
        entry.save(update_fields=["status", "decided_by", "decided_at", "reject_reason", "updated_at"])
        decided += 1
    if decided:
        first = entries[0]
        event_record(verb=TIME_DECIDED, actor=by, customer_id=first.customer_id, target=first.project,
                     payload={"number": first.project.number, "entries": decided, "approved": approve, "reason": reason[:300]})  # fmt: skip
    return decided


def site_visit_log(
    *,
    project: Project,
    by: Any,
    occurred_at: datetime,
    subject: str,
    notes: str = "",
    contacts: list[Contact] | None = None,
    participants: list[Any] | None = None,
    files: list[Any] | None = None,
) -> Any:
    """A visit to the customer's site: a face-to-face touchpoint linked to the project."""
    from touchpoint.touchpoints.models import Direction
    from touchpoint.touchpoints.services import touchpoint_log

    require_running(project)
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("Say what the visit was for.")})
    return touchpoint_log(
        by=by, customer=project.customer, channel=Channel.MEETING, direction=Direction.OUTBOUND, subject=subject,
        occurred_at=occurred_at, notes=notes, contacts=contacts or [], participants=participants or [], files=files or [],
        link_type=SITE_VISIT, link_id=project.pk,
    )  # fmt: skip
