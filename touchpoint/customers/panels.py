"""What the customers app shows on workspaces and on the customer 360."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import Counter, Panel, customer_counters, workspace_panels
from touchpoint.customers.access import visible_customers
from touchpoint.customers.models import Customer
from touchpoint.org.policy import team_user_ids

SALES = frozenset({"sales_rep", "sales_manager"})
LEADS = frozenset({"sales_manager", "maintenance_lead", "executive"})


def my_customers(request: HttpRequest) -> dict[str, Any] | None:
    mine = visible_customers(request.user).filter(owner_id=request.user.pk)
    return {"customers": list(mine.order_by("last_touch_at", "name")[:10]), "total": mine.count()}


def team_quiet_customers(request: HttpRequest) -> dict[str, Any] | None:
    """Customers of the user's team with no touchpoint for CUSTOMER_QUIET_DAYS days."""
    cutoff = timezone.now() - timedelta(days=settings.CUSTOMER_QUIET_DAYS)
    quiet = (
        visible_customers(request.user)
        .filter(owner_id__in=team_user_ids(request.user))
        .filter(Q(last_touch_at__lt=cutoff) | Q(last_touch_at__isnull=True))
        .select_related("owner")
        .order_by("last_touch_at", "name")
    )
    return {"customers": list(quiet[:15]), "days": settings.CUSTOMER_QUIET_DAYS}


workspace_panels.register(Panel("my_customers", _("My customers"), "customers/panels/my_customers.html",
                                my_customers, order=10, positions=SALES))  # fmt: skip
workspace_panels.register(Panel("team_quiet_customers", _("Team customers without contact"),
                                "customers/panels/quiet_customers.html", team_quiet_customers, order=40,
                                positions=LEADS))  # fmt: skip


def _not_yet(user: Any, customer: Customer) -> int:
    # The sales, service and complaints modules replace these counters with their own figures.
    return 0


for key, label, order in [
    ("sales", _("Latest sales"), 10),
    ("service", _("Service requests"), 20),
    ("feedback", _("Feedback"), 30),
    ("complaints", _("Complaints"), 40),
]:
    customer_counters.setdefault(key, Counter(key=key, label=label, count=_not_yet, order=order))
