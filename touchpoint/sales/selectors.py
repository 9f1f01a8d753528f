"""Reads for opportunities: the list, the kanban board, the stalled ones. Every read starts from the access layer."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from touchpoint.core.search import is_searchable, search_ids
from touchpoint.customers.models import Customer
from touchpoint.sales.access import visible_opportunities
from touchpoint.sales.models import Opportunity, Pipeline, Requirement, Stage, StageOutcome

OPPORTUNITY_SORTS = {
    "close": ("close_date", "id"),
    "-close": ("-close_date", "-id"),
    "-amount": ("-amount", "-id"),
    "amount": ("amount", "id"),
    "-updated": ("-updated_at", "-id"),
    "title": ("title", "id"),
}
# Cards shown per board column; the rest are a "show more" link to the list filtered by stage.
BOARD_CARDS_PER_COLUMN = 50
# Won and lost columns show what closed recently, not every deal ever closed.
BOARD_CLOSED_DAYS = 90

MONEY: DecimalField = DecimalField(max_digits=20, decimal_places=2)
WEIGHTED = ExpressionWrapper(F("amount") * F("probability") / Value(Decimal(100)), output_field=MONEY)


@dataclass(frozen=True)
class OpportunityQuery:
    q: str = ""
    stage: int | None = None
    owner: int | None = None
    product: int | None = None
    customer: int | None = None
    close_month: date | None = None  # any day of the month
    open_only: bool = False
    sort: str = "close"


def _search(opportunities: QuerySet[Opportunity], text: str) -> QuerySet[Opportunity]:
    """Title words, or the customer's name, short name or pinyin (the customer's full-text index)."""
    if not is_searchable(text):
        return opportunities.none()
    customers = search_ids(Customer, text)
    if customers is None:
        return opportunities.filter(title__icontains=text.strip())
    return opportunities.filter(Q(title__icontains=text.strip()) | Q(customer_id__in=customers))


def opportunity_list(
    *, user: Any, query: OpportunityQuery, base: QuerySet[Opportunity] | None = None
) -> QuerySet[Opportunity]:
    opportunities = visible_opportunities(user) if base is None else base
    if query.q:
        opportunities = _search(opportunities, query.q)
    if query.stage:
        opportunities = opportunities.filter(stage_id=query.stage)
    if query.owner:
        opportunities = opportunities.filter(owner_id=query.owner)
    if query.product:
        opportunities = opportunities.filter(product_id=query.product)
    if query.customer:
        opportunities = opportunities.filter(customer_id=query.customer)
    if query.open_only:
        opportunities = opportunities.filter(stage__outcome=StageOutcome.OPEN)
    if query.close_month:
        first = query.close_month.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        opportunities = opportunities.filter(close_date__gte=first, close_date__lt=following)
    opportunities = opportunities.select_related("customer", "owner", "stage", "product").defer(
        "search_text", "decision_process", "customer__search_text", "customer__notes", "owner__password"
    )
    return opportunities.order_by(*OPPORTUNITY_SORTS.get(query.sort, OPPORTUNITY_SORTS["close"]))


# --- The kanban board ------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    cards: list[Opportunity] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)


def board_pipelines() -> list[Pipeline]:
    return list(Pipeline.objects.filter(is_active=True).order_by("-is_default", "id"))


def _board_rows(user: Any, pipeline: Pipeline, owner: int | None) -> QuerySet[Opportunity]:
    closed_since = timezone.now() - timedelta(days=BOARD_CLOSED_DAYS)
    rows = visible_opportunities(user).filter(pipeline=pipeline).filter(
        Q(stage__outcome=StageOutcome.OPEN) | Q(closed_at__gte=closed_since)
    )
    return rows.filter(owner_id=owner) if owner else rows


def board(*, user: Any, pipeline: Pipeline, owner: int | None = None, per_column: int = BOARD_CARDS_PER_COLUMN) -> list[Column]:
    """One column per stage, with its first cards (by close date) and its totals.

    Three queries whatever the number of opportunities: the stages, the totals per stage, and the
    cards, capped per column with a window function.
    """
    columns = {stage.pk: Column(stage=stage) for stage in pipeline.stages.order_by("order")}
    rows = _board_rows(user, pipeline, owner)
    totals = rows.order_by().values("stage_id").annotate(
        n=Count("pk"), total=Coalesce(Sum("amount"), Value(Decimal(0)), output_field=MONEY),
        weighted=Coalesce(Sum(WEIGHTED), Value(Decimal(0)), output_field=MONEY),
    )  # fmt: skip
    for total in totals:
        column = columns.get(total["stage_id"])
        if column:
            column.count, column.amount, column.weighted = total["n"], total["total"], total["weighted"]
    ranked = rows.annotate(
        rank=Window(RowNumber(), partition_by=[F("stage_id")], order_by=[F("close_date").asc(), F("id").asc()])
    )
    cards = (
        ranked.filter(rank__lte=per_column)
        .select_related("customer", "owner")
        .only(
            "id", "title", "amount", "currency", "close_date", "probability", "stage_id", "version", "customer_id",
            "owner_id", "customer__name", "customer__short_name", "owner__username", "owner__full_name",
        )
        .order_by("close_date", "id")
    )
    for card in cards:
        columns[card.stage_id].cards.append(card)
    return list(columns.values())


# --- Workspace reads ---------------------------------------------------------------------------


def stalled_opportunities(*, user: Any, owners: Any, limit: int = 15) -> list[Opportunity]:
    """Open opportunities whose customer has had no touchpoint for OPPORTUNITY_STALLED_DAYS, or never."""
    cutoff = timezone.now() - timedelta(days=settings.OPPORTUNITY_STALLED_DAYS)
    rows = (
        visible_opportunities(user)
        .filter(owner_id__in=owners, stage__outcome=StageOutcome.OPEN)
        .filter(Q(customer__last_touch_at__lt=cutoff) | Q(customer__last_touch_at__isnull=True))
        .select_related("customer", "owner", "stage")
        .order_by(F("customer__last_touch_at").asc(nulls_first=True), "close_date", "id")
    )
    return list(rows[:limit])


def pipeline_by_stage(*, user: Any, owners: Any) -> list[dict[str, Any]]:
    """Open opportunities of these owners per stage of the default pipeline: count, amount, weighted."""
    rows = (
        visible_opportunities(user)
        .filter(owner_id__in=owners, stage__outcome=StageOutcome.OPEN, pipeline__is_default=True)
        .order_by()
        .values("stage_id", "stage__name", "stage__name_en", "stage__order")
        .annotate(n=Count("pk"), total=Coalesce(Sum("amount"), Value(Decimal(0)), output_field=MONEY),
                  weighted=Coalesce(Sum(WEIGHTED), Value(Decimal(0)), output_field=MONEY))
        .order_by("stage__order")
    )  # fmt: skip
    return list(rows)


SIMILAR_SOURCES = 20


def similar_opportunities(*, user: Any, opportunity: Opportunity, limit: int = SIMILAR_SOURCES) -> QuerySet[Opportunity]:
    """Opportunities the user may see, of customers like this one (same type, and same size tier when
    known), that have requirements to copy; the most recent first."""
    customer = opportunity.customer
    rows = visible_opportunities(user).exclude(pk=opportunity.pk).filter(customer__customer_type=customer.customer_type)
    if customer.size_tier:
        rows = rows.filter(customer__size_tier=customer.size_tier)
    with_items = Requirement.objects.values("opportunity_id")
    rows = rows.filter(pk__in=with_items).select_related("customer").order_by("-created_at", "-id")
    pks = list(rows.values_list("pk", flat=True)[:limit])
    return Opportunity.objects.filter(pk__in=pks).select_related("customer").order_by("-created_at", "-id")
