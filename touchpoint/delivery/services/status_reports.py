"""The weekly status report: drafted from the week's events on the project, edited by the project
manager, then mailed to a customer contact and logged as an email touchpoint."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from touchpoint.core.events import event_record, event_type, target_label
from touchpoint.core.models import Event, EventKind
from touchpoint.customers.models import Contact
from touchpoint.delivery.models import OPEN_TASK, MilestoneStatus, Project, ReportStatus, RiskStatus, StatusReport, TimeStatus
from touchpoint.delivery.services.projects import payload, require_running

REPORT_SENT = event_type("project.report_sent", kind=EventKind.DELIVERY, label=gettext_lazy("Weekly status report sent"))


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_events(project: Project, start: date) -> list[Event]:
    zone = timezone.get_current_timezone()
    begin = timezone.make_aware(datetime.combine(start, time.min), zone)
    end = begin + timedelta(days=7)
    return list(
        Event.objects.filter(target_type=target_label(project), target_id=project.pk, occurred_at__gte=begin, occurred_at__lt=end)
        .order_by("occurred_at", "id")
    )


def draft_text(project: Project, start: date) -> tuple[str, str]:
    """Subject and body, in Chinese: the report goes to the customer."""
    end = start + timedelta(days=6)
    events = _week_events(project, start)
    done = [e.payload.get("task", "") for e in events if e.verb == "project.task_status" and e.payload.get("after") == "done"]
    accepted = [e.payload.get("milestone", "") for e in events if e.verb == "project.milestone_accepted"]
    raised = [e.payload.get("risk", "") for e in events if e.verb == "project.risk_raised"]
    in_progress = list(project.tasks.filter(status="in_progress").values_list("name", flat=True)[:20])
    next_start, next_end = end + timedelta(days=1), end + timedelta(days=7)
    coming = list(
        project.tasks.filter(status__in=OPEN_TASK, start_on__lte=next_end, end_on__gte=next_start)
        .exclude(status="in_progress").values_list("name", flat=True)[:20]
    )  # fmt: skip
    milestones = list(project.milestones.filter(status=MilestoneStatus.OPEN, due_on__lte=end + timedelta(days=14)).order_by("due_on")[:10])
    risks = list(project.risks.exclude(status=RiskStatus.CLOSED).order_by("-impact")[:10])
    hours = project.time_entries.filter(work_date__range=(start, end)).exclude(status=TimeStatus.REJECTED).aggregate(
        total=Sum("hours"))["total"] or Decimal(0)  # fmt: skip

    def section(title: str, items: list[str]) -> str:
        lines = [f"  · {item}" for item in items if item] or ["  · " + _("None")]
        return title + "\n" + "\n".join(lines)

    with translation.override("zh-hans"):
        subject = _("Weekly status report: %(project)s, week of %(day)s") % {"project": project.name, "day": start.isoformat()}
        parts = [
            _("Project %(number)s %(name)s, %(start)s to %(end)s. Overall: %(health)s.")
            % {"number": project.number, "name": project.name, "start": start.isoformat(), "end": end.isoformat(),
               "health": project.get_health_display()},
            section(_("Done this week"), done),
            section(_("In progress"), in_progress),
            section(_("Planned for next week"), coming),
            section(_("Milestones"), [_("%(name)s accepted") % {"name": n} for n in accepted]
                    + [_("%(name)s due %(day)s") % {"name": m.name, "day": m.due_on.isoformat()} for m in milestones]),
            section(_("Risks and issues"), [_("%(title)s (new this week)") % {"title": t} for t in raised]
                    + [f"{r.title}（{r.get_impact_display()}）" for r in risks if r.title not in raised]),
            _("Hours worked this week: %(hours)s.") % {"hours": hours.normalize() if hours else 0},
        ]  # fmt: skip
    return subject, "\n\n".join(parts)


@transaction.atomic
def status_report_draft(*, project: Project, by: Any, week_start: date | None = None) -> StatusReport:
    """Draft (or redraft, while unsent) the report of the week that starts on `week_start`."""
    require_running(project)
    start = week_of(week_start or timezone.localdate())
    subject, body = draft_text(project, start)
    report = StatusReport.objects.select_for_update().filter(project=project, week_start=start).first()
    if report is not None and report.status == ReportStatus.SENT:
        raise ValidationError({"week_start": _("The report of this week was already sent.")})
    if report is None:
        return StatusReport.objects.create(project=project, customer_id=project.customer_id, week_start=start,
                                           subject=subject[:200], body=body, author=by)  # fmt: skip
    report.subject, report.body, report.author = subject[:200], body, by
    report.version += 1
    report.save()
    return report


@transaction.atomic
def status_report_update(*, report: StatusReport, by: Any, expected_version: int, subject: str, body: str) -> StatusReport:
    current = StatusReport.objects.select_for_update().get(pk=report.pk)
    if current.status == ReportStatus.SENT:
        raise ValidationError(_("A sent report cannot be changed."))
    if current.version != expected_version:
        raise ValidationError(_("Someone else changed this report meanwhile; reload it and make your change again."))
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise ValidationError({"subject": _("The report needs a subject.")})
    if not body:
        raise ValidationError({"body": _("The report is empty.")})
    current.subject, current.body = subject[:200], body[:20000]
    current.version += 1
    current.save()
    return current


@transaction.atomic
def status_report_send(*, report: StatusReport, contact: Contact, by: Any) -> StatusReport:
    """Mail the report to a customer contact; the mail is an email touchpoint on the customer's timeline."""
    from touchpoint.touchpoints.services import email_send

    current = StatusReport.objects.select_for_update().select_related("project").get(pk=report.pk)
    require_running(current.project)
    if current.status == ReportStatus.SENT:
        raise ValidationError(_("This report was already sent."))
    if contact.customer_id != current.customer_id:
        raise ValidationError({"contact": _("The contact must belong to this customer.")})
    touchpoint = email_send(by=by, contact=contact, subject=current.subject, body=current.body, cc_self=True,
                            link_type="delivery.statusreport", link_id=current.pk)  # fmt: skip
    current.status, current.sent_to, current.sent_at, current.touchpoint = ReportStatus.SENT, contact, timezone.now(), touchpoint
    current.save(update_fields=["status", "sent_to", "sent_at", "touchpoint", "updated_at"])
    event_record(verb=REPORT_SENT, actor=by, customer_id=current.customer_id, target=current.project,
                 payload=payload(current.project, week=current.week_start.isoformat(), to=str(contact)))  # fmt: skip
    return current
