"""Which modules to offer an opportunity: ranked by how well they cover its requirements, a greedy
bundle that covers them, and what similar customers bought.

A read over a fixed handful of queries, whatever the number of requirements, modules or past
contracts: the requirement list, the (requirement, module) pairs by explicit link and by area, the
customer's installed base, one SQL aggregate over past contracts for "customers like this one also
bought", the modules themselves, their list prices, and the similar customers behind each suggestion.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, Subquery
from django.utils import timezone

from touchpoint.core.money import HUNDRED, ZERO
from touchpoint.customers.access import visible_customers
from touchpoint.customers.models import Customer
from touchpoint.sales.models import (
    Contract,
    ContractStatus,
    Coverage,
    InstalledItem,
    InstalledStatus,
    LicenceType,
    LineKind,
    Module,
    ModulePrice,
    Opportunity,
    Priority,
    Product,
    QuoteLine,
    Requirement,
)

WEIGHTS: dict[str, int] = {Priority.MUST: 3, Priority.SHOULD: 2, Priority.COULD: 1}
# How much each shared trait makes another customer "like this one".
SIMILAR_TYPE, SIMILAR_SIZE, SIMILAR_PROVINCE = 3, 2, 1
ALSO_BOUGHT_LIMIT = 8
NAMED_CUSTOMERS = 5
BOUGHT_STATUSES = (ContractStatus.ACTIVE, ContractStatus.COMPLETED)


@dataclass
class RequirementItem:
    id: int
    description: str
    priority: str
    priority_label: str
    weight: int
    area: str
    effort_days: Decimal
    coverage: str


@dataclass
class ModuleScore:
    module: Module
    score: int
    requirements: list[RequirementItem]
    explicit_ids: set[int] = field(default_factory=set)
    installed: bool = False
    in_bundle: bool = False
    list_price: Decimal | None = None

    def count(self, priority: str) -> int:
        return sum(1 for r in self.requirements if r.priority == priority)

    @property
    def must(self) -> int:
        return self.count(Priority.MUST)

    @property
    def should(self) -> int:
        return self.count(Priority.SHOULD)

    @property
    def could(self) -> int:
        return self.count(Priority.COULD)


@dataclass
class BundleItem:
    module: Module
    # "cover": picked for the requirements it adds; "core": comes with every sale of its product.
    reason: str
    adds: list[RequirementItem]
    list_price: Decimal | None = None


@dataclass
class SimilarCustomer:
    id: int
    name: str
    same_type: bool
    same_size: bool
    same_province: bool


@dataclass
class AlsoBought:
    module: Module
    score: int
    customer_count: int
    customers: list[SimilarCustomer]
    covers: list[RequirementItem]
    in_bundle: bool = False

    @property
    def unnamed_count(self) -> int:
        return self.customer_count - len(self.customers)


@dataclass
class Recommendation:
    opportunity: Opportunity
    requirements: list[RequirementItem]
    out_of_scope: list[RequirementItem]
    ranking: list[ModuleScore]
    bundle: list[BundleItem]
    covered_by_installed: list[RequirementItem]
    uncovered: list[RequirementItem]
    total_weight: int
    covered_weight: int
    also_bought: list[AlsoBought]

    @property
    def covered_count(self) -> int:
        return len(self.requirements) - len(self.uncovered)

    @property
    def weighted_percent(self) -> Decimal:
        return _percent(self.covered_weight, self.total_weight)

    @property
    def count_percent(self) -> Decimal:
        return _percent(self.covered_count, len(self.requirements))

    @property
    def uncovered_effort_days(self) -> Decimal:
        return sum((r.effort_days for r in self.uncovered), ZERO)

    @property
    def service_days(self) -> Decimal:
        """Person-days the quote carries as services: every in-scope requirement's custom effort
        (the uncovered ones, and covered ones that still need custom work)."""
        return sum((r.effort_days for r in self.requirements), ZERO)

    @property
    def bundle_modules(self) -> list[Module]:
        return [item.module for item in self.bundle]

    @property
    def bundle_list_total(self) -> Decimal:
        return sum((item.list_price or ZERO for item in self.bundle), ZERO)

    @property
    def uncovered_must(self) -> list[RequirementItem]:
        return [r for r in self.uncovered if r.priority == Priority.MUST]


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1")) if whole else ZERO


# --- The recommendation -------------------------------------------------------------------


def recommend(*, opportunity: Opportunity, user: Any) -> Recommendation:
    """Rank modules for the opportunity, build the bundle, and find what similar customers bought.

    `user` decides which similar customers are named; the others are only counted.
    """
    everything, area_of = _requirements(opportunity)
    requirements = [r for r in everything if r.coverage != Coverage.OUT_OF_SCOPE]
    by_id = {r.id: r for r in requirements}
    covers, explicit = _coverage(opportunity, area_of, set(by_id)) if requirements else ({}, set())
    installed = set(
        InstalledItem.objects.filter(customer_id=opportunity.customer_id)
        .exclude(status=InstalledStatus.RETIRED)
        .order_by()
        .values_list("module_id", flat=True)
    )
    customer = opportunity.customer
    bought = _also_bought_scores(customer=customer, exclude_modules=installed)
    modules = _modules(set(covers) | {module_id for module_id, _score, _count in bought})
    prices = _list_prices(list(modules))
    ranking = _ranking(modules, covers, explicit, by_id, installed, prices)
    bundle, covered, by_installed = _greedy_bundle(ranking, modules, covers, by_id, installed, prices)
    in_bundle = {item.module.pk for item in bundle}
    for entry in ranking:
        entry.in_bundle = entry.module.pk in in_bundle
    also_bought = _also_bought(bought, modules, covers, by_id, in_bundle, customer, user)
    return Recommendation(
        opportunity=opportunity, requirements=requirements,
        out_of_scope=[r for r in everything if r.coverage == Coverage.OUT_OF_SCOPE],
        ranking=ranking, bundle=bundle,
        covered_by_installed=[r for r in requirements if r.id in by_installed],
        uncovered=[r for r in requirements if r.id not in covered],
        total_weight=sum(r.weight for r in requirements),
        covered_weight=sum(r.weight for r in requirements if r.id in covered),
        also_bought=also_bought,
    )  # fmt: skip


def _requirements(opportunity: Opportunity) -> tuple[list[RequirementItem], dict[int, int]]:
    """The opportunity's requirements in their order, and each one's area id."""
    rows = list(
        Requirement.objects.filter(opportunity_id=opportunity.pk)
        .select_related("area")
        .only("id", "description", "priority", "custom_effort_days", "coverage", "order", "area_id",
              "area__name", "area__name_en")
        .order_by("order", "id")
    )  # fmt: skip
    items = [
        RequirementItem(
            id=r.pk, description=r.description, priority=r.priority, priority_label=r.get_priority_display(),
            weight=WEIGHTS.get(r.priority, 1), area=str(r.area), effort_days=r.custom_effort_days, coverage=r.coverage,
        )  # fmt: skip
        for r in rows
    ]
    return items, {r.pk: r.area_id for r in rows}


def _coverage(
    opportunity: Opportunity, area_of: dict[int, int], wanted: set[int]
) -> tuple[dict[int, set[int]], set[tuple[int, int]]]:
    """module id -> the in-scope requirement ids it covers (by explicit link or by area), and the
    (requirement, module) pairs that are linked explicitly. Modules on sale only."""
    on_sale = {"module__retired_at__isnull": True, "module__product__retired_at__isnull": True}
    explicit = set(
        Requirement.modules.through.objects.filter(requirement__opportunity_id=opportunity.pk, **on_sale)
        .order_by()
        .values_list("requirement_id", "module_id")
    )  # fmt: skip
    area_rows = Module.areas.through.objects.filter(requirementarea_id__in=set(area_of.values()), **on_sale).order_by()
    modules_of_area: dict[int, set[int]] = defaultdict(set)
    for module_id, area_id in area_rows.values_list("module_id", "requirementarea_id"):
        modules_of_area[area_id].add(module_id)
    covers: dict[int, set[int]] = defaultdict(set)
    for requirement_id, module_id in explicit:
        if requirement_id in wanted:
            covers[module_id].add(requirement_id)
    for requirement_id, area_id in area_of.items():
        if requirement_id in wanted:
            for module_id in modules_of_area.get(area_id, ()):
                covers[module_id].add(requirement_id)
    return dict(covers), explicit


def _modules(ids: set[int]) -> dict[int, Module]:
    """The given modules that are on sale, plus the core modules of their products."""
    if not ids:
        return {}
    products = Module.objects.filter(pk__in=ids).order_by().values("product_id")
    rows = (
        Module.objects.filter(retired_at__isnull=True, product__retired_at__isnull=True)
        .filter(Q(pk__in=ids) | Q(is_core=True, product_id__in=Subquery(products)))
        .select_related("product")
        .order_by("product__code", "code")
    )
    return {m.pk: m for m in rows}


def _list_prices(module_ids: list[int]) -> dict[int, Decimal]:
    """Each module's perpetual licence list price valid today."""
    if not module_ids:
        return {}
    prices: dict[int, Decimal] = {}
    rows = (
        ModulePrice.objects.filter(module_id__in=module_ids, licence_type=LicenceType.PERPETUAL,
                                   valid_from__lte=timezone.localdate())
        .order_by("module_id", "-valid_from")
        .values_list("module_id", "list_price")
    )  # fmt: skip
    for module_id, price in rows:
        prices.setdefault(module_id, price)
    return prices


def _ranking(
    modules: dict[int, Module], covers: dict[int, set[int]], explicit: set[tuple[int, int]],
    by_id: dict[int, RequirementItem], installed: set[int], prices: dict[int, Decimal],
) -> list[ModuleScore]:  # fmt: skip
    ranking = [
        ModuleScore(
            module=modules[module_id],
            score=sum(by_id[r].weight for r in ids),
            requirements=[item for rid, item in by_id.items() if rid in ids],
            explicit_ids={r for r, m in explicit if m == module_id},
            installed=module_id in installed,
            list_price=prices.get(module_id),
        )
        for module_id, ids in covers.items()
        if module_id in modules
    ]
    ranking.sort(key=lambda s: (-s.score, -s.must, -len(s.explicit_ids), s.module.product.code, s.module.code))
    return ranking


def _greedy_bundle(
    ranking: list[ModuleScore], modules: dict[int, Module], covers: dict[int, set[int]],
    by_id: dict[int, RequirementItem], installed: set[int], prices: dict[int, Decimal],
) -> tuple[list[BundleItem], set[int], set[int]]:  # fmt: skip
    """A greedy weighted set cover: take the module that adds the most uncovered weight (ties go to the
    higher-ranked one), with the core modules of each product it brings in, until nothing adds more.

    Modules the customer already has are not offered again; what they cover counts as covered.
    Returns the bundle, the covered requirement ids, and those covered by the installed base."""
    by_installed = set().union(*(covers.get(m, set()) for m in installed)) if installed else set()
    covered = set(by_installed)
    bundle: list[BundleItem] = []
    chosen: set[int] = set()
    products: set[int] = set()

    def take(module: Module, reason: str) -> None:
        offered = covers.get(module.pk, set())
        adds = [rid for rid in by_id if rid in offered and rid not in covered]
        bundle.append(BundleItem(module=module, reason=reason, adds=[by_id[r] for r in adds],
                                 list_price=prices.get(module.pk)))  # fmt: skip
        chosen.add(module.pk)
        covered.update(adds)

    candidates = [entry for entry in ranking if not entry.installed]
    while True:
        best, gain = None, 0
        for entry in candidates:
            if entry.module.pk in chosen:
                continue
            added = sum(by_id[r].weight for r in covers[entry.module.pk] - covered)
            if added > gain:
                best, gain = entry, added
        if best is None:
            break
        take(best.module, "cover")
        if best.module.product_id not in products:
            products.add(best.module.product_id)
            for module in modules.values():
                if module.product_id == best.module.product_id and module.is_core and module.pk not in chosen | installed:
                    take(module, "core")
    return bundle, covered, by_installed


# --- Customers like this one also bought ------------------------------------------------------


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _similar_sql(customer: Customer, modules_clause: str, module_params: list[Any]) -> tuple[str, list[Any]]:
    """WITH clauses: `bought` = distinct (customer, module) of other customers' active or completed
    contracts (through the installed base or the contract's quote lines); `scored` adds how alike
    each customer is to `customer`."""
    statuses = list(BOUGHT_STATUSES)
    sql = f"""
        WITH bought AS (
            SELECT ii.customer_id AS customer_id, ii.module_id AS module_id
            FROM {_table(InstalledItem)} ii JOIN {_table(Contract)} k ON k.id = ii.contract_id
            WHERE k.status IN (%s, %s) AND ii.customer_id <> %s {modules_clause.format(column="ii.module_id")}
            UNION
            SELECT k.customer_id, ql.module_id
            FROM {_table(Contract)} k JOIN {_table(QuoteLine)} ql ON ql.quote_id = k.quote_id
            WHERE k.status IN (%s, %s) AND k.customer_id <> %s AND ql.kind = %s AND ql.module_id IS NOT NULL
                {modules_clause.format(column="ql.module_id")}
        ),
        scored AS (
            SELECT b.customer_id, b.module_id, c.name AS name,
                CASE WHEN c.customer_type = %s THEN 1 ELSE 0 END AS same_type,
                CASE WHEN c.size_tier = %s THEN 1 ELSE 0 END AS same_size,
                CASE WHEN c.province = %s THEN 1 ELSE 0 END AS same_province
            FROM bought b JOIN {_table(Customer)} c ON c.id = b.customer_id
            WHERE c.deleted_at IS NULL
        ),
        weighed AS (
            SELECT customer_id, module_id, name, same_type, same_size, same_province,
                same_type * {SIMILAR_TYPE} + same_size * {SIMILAR_SIZE} + same_province * {SIMILAR_PROVINCE} AS similarity
            FROM scored
        )
    """  # noqa: S608 - table names from the models, values as parameters
    params = [
        *statuses, customer.pk, *module_params,
        *statuses, customer.pk, LineKind.LICENCE, *module_params,
        customer.customer_type or None, customer.size_tier or None, customer.province or None,
    ]  # fmt: skip
    return sql, params


def _also_bought_scores(*, customer: Customer, exclude_modules: set[int]) -> list[tuple[int, int, int]]:
    """(module id, similarity-weighted count, number of similar customers), best first; one query."""
    with_sql, params = _similar_sql(customer, "", [])
    excluded = ""
    if exclude_modules:
        excluded = f"AND w.module_id NOT IN ({', '.join(['%s'] * len(exclude_modules))})"
        params += sorted(exclude_modules)
    sql = f"""{with_sql}
        SELECT w.module_id, SUM(w.similarity) AS score, COUNT(*) AS customers
        FROM weighed w JOIN {_table(Module)} m ON m.id = w.module_id JOIN {_table(Product)} p ON p.id = m.product_id
        WHERE w.similarity > 0 AND m.retired_at IS NULL AND p.retired_at IS NULL {excluded}
        GROUP BY w.module_id
        ORDER BY score DESC, customers DESC, w.module_id
        LIMIT %s
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ALSO_BOUGHT_LIMIT])
        return [(int(m), int(s), int(n)) for m, s, n in cursor.fetchall()]


def _similar_customers(*, customer: Customer, module_ids: list[int], user: Any) -> dict[int, list[SimilarCustomer]]:
    """For each module, the most similar customers behind it that `user` may see (at most
    NAMED_CUSTOMERS each); one query with a window function (SQLite 3.25+ and PostgreSQL)."""
    if not module_ids:
        return {}
    placeholders = ", ".join(["%s"] * len(module_ids))
    with_sql, params = _similar_sql(customer, f"AND {{column}} IN ({placeholders})", module_ids)
    try:
        visible_sql, visible_params = visible_customers(user).order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # the user may see no customer at all: every one is counted, none named
        return {}
    sql = f"""{with_sql}
        SELECT module_id, customer_id, name, same_type, same_size, same_province FROM (
            SELECT w.*, ROW_NUMBER() OVER (
                PARTITION BY w.module_id ORDER BY w.similarity DESC, w.name, w.customer_id
            ) AS position
            FROM weighed w
            WHERE w.similarity > 0 AND w.customer_id IN ({visible_sql})
        ) ranked
        WHERE position <= %s
        ORDER BY module_id, position
    """  # noqa: S608
    found: dict[int, list[SimilarCustomer]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *visible_params, NAMED_CUSTOMERS])
        for module_id, customer_id, name, same_type, same_size, same_province in cursor.fetchall():
            found[module_id].append(
                SimilarCustomer(id=customer_id, name=name, same_type=bool(same_type), same_size=bool(same_size),
                                same_province=bool(same_province))
            )  # fmt: skip
    return found


def _also_bought(
    bought: list[tuple[int, int, int]], modules: dict[int, Module], covers: dict[int, set[int]],
    by_id: dict[int, RequirementItem], in_bundle: set[int], customer: Customer, user: Any,
) -> list[AlsoBought]:  # fmt: skip
    kept = [(module_id, score, count) for module_id, score, count in bought if module_id in modules]
    named = _similar_customers(customer=customer, module_ids=[m for m, _s, _n in kept], user=user)
    return [
        AlsoBought(
            module=modules[module_id], score=score, customer_count=count, customers=named.get(module_id, []),
            covers=[item for rid, item in by_id.items() if rid in covers.get(module_id, set())],
            in_bundle=module_id in in_bundle,
        )  # fmt: skip
        for module_id, score, count in kept
    ]
