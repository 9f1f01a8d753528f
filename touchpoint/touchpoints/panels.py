"""What the touchpoints app shows on workspaces and on the customer 360."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import (
    Panel,
    PeriodicJob,
    customer_panels,
    periodic_jobs,
    timeline_filters,
    workspace_panels,
)
from touchpoint.customers.access import account_customer_ids, visible_customers
from touchpoint.customers.models import Customer, CustomerStatus
from touchpoint.org.policy import S, scope_of, team_user_ids
from touchpoint.touchpoints.access import (
    can_create_followup,
    can_create_touchpoint,
    visible_followups,
    visible_touchpoints,
)
from touchpoint.touchpoints.models import FollowUpStatus

EVERYONE: frozenset[str] = frozenset()
LEADS = frozenset({"sales_manager", "maintenance_lead"})
HEADLINES = frozenset({"executive", "admin"})


def my_followups(request: HttpRequest) -> dict[str, Any] | None:
    today = timezone.localdate()
    due = visible_followups(request.user).filter(assignee_id=request.user.pk, status=FollowUpStatus.OPEN, due_on__lte=today)
    rows = list(due.select_related("customer").order_by("due_on", "id")[:15])
    return {"followups": rows, "today": today, "next": request.get_full_path()}


def recent_touchpoints(request: HttpRequest) -> dict[str, Any] | None:
    mine = Q(customer__owner_id=request.user.pk) | Q(customer_id__in=account_customer_ids(request.user))
    rows = visible_touchpoints(request.user).filter(mine).select_related("customer", "logged_by")
    return {"touchpoints": list(rows.order_by("-occurred_at", "-id")[:10])}


def team_overdue_followups(request: HttpRequest) -> dict[str, Any] | None:
    today = timezone.localdate()
    overdue = visible_followups(request.user).filter(
        assignee_id__in=team_user_ids(request.user), status=FollowUpStatus.OPEN, due_on__lt=today
    )
    return {"followups": list(overdue.select_related("customer", "assignee").order_by("due_on", "id")[:15]),
            "today": today, "next": request.get_full_path()}  # fmt: skip


def headline_counts(request: HttpRequest) -> dict[str, Any] | None:
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    customers = visible_customers(request.user)
    by_status = dict(customers.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    followups = visible_followups(request.user).filter(status=FollowUpStatus.OPEN)
    today = timezone.localdate()
    return {"figures": [
        (_("Active customers"), by_status.get(CustomerStatus.ACTIVE, 0)),
        (_("Prospects"), by_status.get(CustomerStatus.PROSPECT, 0)),
        (_("New customers this month"), customers.filter(created_at__gte=month_start).count()),
        (_("Touchpoints this month"), visible_touchpoints(request.user).filter(occurred_at__gte=month_start).count()),
        (_("Open follow-ups"), followups.count()),
        (_("Overdue follow-ups"), followups.filter(due_on__lt=today).count()),
        (_("Customers without contact for %(days)d days") % {"days": settings.CUSTOMER_QUIET_DAYS},
         customers.filter(Q(last_touch_at__lt=now - timedelta(days=settings.CUSTOMER_QUIET_DAYS))
                          | Q(last_touch_at__isnull=True)).count()),
    ]}  # fmt: skip


def customer_actions(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    followups = visible_followups(request.user).filter(customer=customer, status=FollowUpStatus.OPEN)
    return {
        "customer": customer,
        "can_log": can_create_touchpoint(request.user, customer),
        "can_plan": can_create_followup(request.user, customer),
        "followups": list(followups.select_related("assignee").order_by("due_on", "id")[:20]),
        "today": timezone.localdate(),
        "next": request.get_full_path(),
    }


workspace_panels.register(Panel("my_followups", _("My follow-ups due and overdue"),
                                "touchpoints/panels/my_followups.html", my_followups, order=5, positions=EVERYONE))  # fmt: skip
workspace_panels.register(Panel("recent_touchpoints", _("Recent touchpoints on my customers"),
                                "touchpoints/panels/recent_touchpoints.html", recent_touchpoints, order=20,
                                positions=frozenset({"sales_rep", "sales_manager", "project_manager", "engineer"})))  # fmt: skip
workspace_panels.register(Panel("team_overdue_followups", _("Team follow-ups overdue"),
                                "touchpoints/panels/team_followups.html", team_overdue_followups, order=30,
                                positions=LEADS))  # fmt: skip
workspace_panels.register(Panel("headline_counts", _("Headline figures"), "touchpoints/panels/headlines.html",
                                headline_counts, order=1, positions=HEADLINES))  # fmt: skip
customer_panels.register(Panel("touchpoint_actions", _("Follow-ups and actions"),
                               "touchpoints/panels/customer_actions.html", customer_actions, order=10))  # fmt: skip


def _enqueue_reminders() -> Any:
    from touchpoint.touchpoints.tasks import remind_due_followups

    return remind_due_followups.enqueue()


periodic_jobs["followup_reminders"] = PeriodicJob("followup_reminders", every_seconds=15 * 60,
                                                  enqueue=_enqueue_reminders)  # fmt: skip


def _hide_unseen(user: Any, customer_ids: list[int]) -> Q | None:
    """Timeline events of touchpoints and follow-ups outside the reader's view scope."""
    hidden = Q(pk__in=[])
    if scope_of(user, "touchpoint", "view") < S.ALL:
        touchpoints = visible_touchpoints(user).filter(customer_id__in=customer_ids).values("id")
        hidden |= Q(target_type="touchpoints.touchpoint") & ~Q(target_id__in=touchpoints)
    if scope_of(user, "followup", "view") < S.ALL:
        followups = visible_followups(user).filter(customer_id__in=customer_ids).values("id")
        hidden |= Q(target_type="touchpoints.followup") & ~Q(target_id__in=followups)
    return None if hidden == Q(pk__in=[]) else hidden


timeline_filters["touchpoints"] = _hide_unseen
