"""What the sales app shows on the customer 360 and on workspaces.

- the 360's "Opportunities" panel and its "latest sales" counter;
- the sales manager's workspace: the team pipeline by stage, stalled opportunities, approvals waiting.
"""

from datetime import timedelta
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from touchpoint.core.extensions import Counter, Panel, customer_counters, customer_panels, timeline_filters, workspace_panels
from touchpoint.customers.models import Customer
from touchpoint.org.policy import S, may, scope_of, team_user_ids
from touchpoint.sales import selectors
from touchpoint.sales.access import (
    can_create_opportunity,
    decidable_approvals,
    may_create_opportunities,
    visible_contracts,
    visible_opportunities,
    visible_quotes,
)
from touchpoint.sales.models import ApprovalStatus, InstalledItem, InstalledStatus, MilestoneStatus, QuoteStatus, StageOutcome

MANAGERS = frozenset({"sales_manager"})
APPROVERS = frozenset({"sales_manager", "executive"})
ROWS_ON_360 = 5
OPPORTUNITIES_ON_360 = 10


def customer_opportunities(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    user = request.user
    if not may(user, "opportunity", "view"):
        return None
    rows = (
        visible_opportunities(user).filter(customer=customer).select_related("stage", "owner")
        .defer("search_text", "decision_process", "owner__password")
        .order_by(F("closed_at").desc(nulls_first=True), "close_date", "id")
    )  # fmt: skip
    shown = list(rows[: OPPORTUNITIES_ON_360 + 1])
    return {
        "customer": customer,
        "opportunities": shown[:OPPORTUNITIES_ON_360],
        "more": len(shown) > OPPORTUNITIES_ON_360,
        "can_create": may_create_opportunities(user) and can_create_opportunity(user, customer),
    }


def _count(rows: Any) -> Any:
    """A correlated COUNT(*) subquery of `rows` (already narrowed to one customer)."""
    counted = rows.order_by().values("customer_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def latest_sales(user: Any, customer: Customer) -> int:
    """Open opportunities plus contracts signed in the last 12 months, of those the reader may see; one query."""
    since = timezone.localdate() - timedelta(days=365)
    opportunities = visible_opportunities(user).filter(customer_id=OuterRef("pk"), stage__outcome=StageOutcome.OPEN)
    contracts = visible_contracts(user).filter(customer_id=OuterRef("pk"), signed_on__gte=since)
    figures = (
        Customer.all_objects.filter(pk=customer.pk)
        .annotate(open_count=_count(opportunities), signed_count=_count(contracts))
        .values_list("open_count", "signed_count")
        .first()
    )
    return sum(figures) if figures else 0


def team_pipeline(request: HttpRequest) -> dict[str, Any] | None:
    rows = selectors.pipeline_by_stage(user=request.user, owners=team_user_ids(request.user))
    english = (get_language() or "").startswith("en")
    for row in rows:
        row["stage"] = (row["stage__name_en"] if english else "") or row["stage__name"]
    return {"rows": rows, "count": sum(r["n"] for r in rows), "total": sum(r["total"] for r in rows),
            "weighted": sum(r["weighted"] for r in rows)}  # fmt: skip


def stalled(request: HttpRequest) -> dict[str, Any] | None:
    from django.conf import settings

    rows = selectors.stalled_opportunities(user=request.user, owners=team_user_ids(request.user))
    return {"opportunities": rows, "days": settings.OPPORTUNITY_STALLED_DAYS}


def approvals_waiting(request: HttpRequest) -> dict[str, Any] | None:
    waiting = (
        decidable_approvals(request.user).filter(status=ApprovalStatus.PENDING)
        .select_related("quote", "customer", "requested_by").order_by("created_at", "id")
    )  # fmt: skip
    return {"approvals": list(waiting[:15])}


customer_panels.register(Panel("opportunities", _("Opportunities"), "sales/opportunities/panels/customer.html",
                               customer_opportunities, order=20))  # fmt: skip
customer_counters["sales"] = Counter(key="sales", label=_("Latest sales"), count=latest_sales, order=10)
workspace_panels.register(Panel("team_pipeline", _("Team pipeline"), "sales/opportunities/panels/team_pipeline.html",
                                team_pipeline, order=15, positions=MANAGERS))  # fmt: skip
workspace_panels.register(Panel("stalled_opportunities", _("Stalled opportunities"),
                                "sales/opportunities/panels/stalled.html", stalled, order=25,
                                positions=MANAGERS))  # fmt: skip
workspace_panels.register(Panel("approvals_waiting", _("Approvals waiting"), "sales/opportunities/panels/approvals.html",
                                approvals_waiting, order=12, positions=APPROVERS))  # fmt: skip


def customer_quotes(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    """The customer's latest current quote versions the reader may see."""
    if not may(request.user, "quote", "view"):
        return None
    rows = (
        visible_quotes(request.user).filter(customer=customer).exclude(status=QuoteStatus.SUPERSEDED)
        .only("pk", "number", "revision", "status", "grand_total", "currency", "valid_until", "created_at")
        .order_by("-created_at", "-id")
    )  # fmt: skip
    return {"quotes": list(rows[:ROWS_ON_360])}


def customer_contracts(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    """The customer's contracts with what is due on them, and its installed base, in two queries."""
    if not may(request.user, "contract", "view"):
        return None
    contracts = (
        visible_contracts(request.user).filter(customer=customer)
        .annotate(due=Count("milestones", filter=Q(milestones__status=MilestoneStatus.DUE)))
        .only("pk", "number", "title", "status", "amount", "currency", "signed_on")
        .order_by("-created_at", "-id")
    )  # fmt: skip
    installed = (
        InstalledItem.objects.filter(customer=customer).exclude(status=InstalledStatus.RETIRED)
        .select_related("module", "version").order_by("product_id", "module__code")
    )  # fmt: skip
    return {"contracts": list(contracts[:ROWS_ON_360]), "installed": list(installed)}


customer_panels.register(Panel("quotes", _("Quotes"), "sales/quotes/panels/customer_quotes.html", customer_quotes, order=22))
customer_panels.register(Panel("contracts", _("Contracts and installed base"), "sales/quotes/panels/customer_contracts.html",
                               customer_contracts, order=24))  # fmt: skip


def _hide_unseen(user: Any, customer_ids: list[int]) -> Q | None:
    """Timeline events of opportunities (and their requirements) outside the reader's view scope."""
    if scope_of(user, "opportunity", "view") >= S.ALL:
        return None
    seen = visible_opportunities(user).filter(customer_id__in=customer_ids).values("id")
    return Q(target_type="sales.opportunity") & ~Q(target_id__in=seen)


timeline_filters["opportunities"] = _hide_unseen
