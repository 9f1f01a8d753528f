"""The recommendation: ranking by weighted coverage, the greedy bundle, and what similar customers bought.

The builders here are reused by the recommendation and price-history view and API tests.
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchpoint.core.numbering import next_number
from touchpoint.customers.models import Customer
from touchpoint.customers.services import customer_create
from touchpoint.sales.models import (
    Contract,
    ContractStatus,
    Coverage,
    InstalledItem,
    LineKind,
    Module,
    ModulePrice,
    Opportunity,
    Priority,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    RequirementArea,
)
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.sales.services.recommendation import recommend
from touchpoint.sales.services.requirements import requirement_add

# code: (product, is_core, areas, perpetual list price)
MODULES = {
    "trade-core": ("trade", True, ["order_entry", "clearing"], "1000000"),
    "trade-pc": ("trade", False, ["order_entry", "market_data"], "400000"),
    "trade-risk": ("trade", False, ["risk_control"], "300000"),
    "trade-margin": ("trade", False, ["margin_trading"], "500000"),
    "trade-old": ("trade", False, ["order_entry", "market_data", "risk_control"], "100000"),  # retired
    "md-core": ("md", True, ["market_data"], "900000"),
    "md-options": ("md", False, ["options"], "450000"),
}


def area(code: str) -> RequirementArea:
    return RequirementArea.objects.get(code=code)


def build_modules() -> dict[str, Module]:
    """Two products with a core module each, and a retired module."""
    products = {
        "trade": Product.objects.create(code="trade", name="网上交易系统", name_en="Online trading", day_rate=Decimal(3000)),
        "md": Product.objects.create(code="md", name="行情系统", name_en="Market data", day_rate=Decimal(2800)),
    }
    made = {}
    for code, (product, core, areas, price) in MODULES.items():
        module = Module.objects.create(product=products[product], code=code, name=code, name_en=code, is_core=core)
        module.areas.set([area(a) for a in areas])
        ModulePrice.objects.create(module=module, licence_type="perpetual", list_price=Decimal(price),
                                   valid_from=date(2024, 1, 1))  # fmt: skip
        made[code] = module
    made["trade-old"].retired_at = timezone.now()
    made["trade-old"].save()
    return made


@pytest.fixture
def modules(db) -> dict[str, Module]:
    return build_modules()


def make_customer(owner: Any, name: str, *, customer_type: str = "securities", size_tier: str = "large",
                  province: str = "江苏") -> Customer:  # fmt: skip
    return customer_create(by=owner, owner=owner, name=name, customer_type=customer_type, size_tier=size_tier,
                           province=province)  # fmt: skip


def make_opportunity(owner: Any, customer: Customer, title: str = "交易系统升级") -> Opportunity:
    return opportunity_create(by=owner, customer=customer, title=title, owner=owner, close_date=date(2027, 6, 30),
                              amount=Decimal("1000000"))  # fmt: skip


def installed_contract(customer: Customer, modules: list[Module], *, status: str = ContractStatus.ACTIVE) -> Contract:
    """A past contract whose modules are in the customer's installed base."""
    contract = Contract.objects.create(number=next_number("C"), customer=customer, owner=customer.owner,
                                       title="历史合同", status=status)  # fmt: skip
    for module in modules:
        InstalledItem.objects.create(customer=customer, product=module.product, module=module, contract=contract)
    return contract


def closed_quote(
    customer: Customer, lines: list[tuple[Module, str]], *, status: str = QuoteStatus.ACCEPTED,
    opportunity: Opportunity | None = None, decided_at: Any = None, contract_status: str | None = None,
) -> Quote:  # fmt: skip
    """A quote with licence lines [(module, discount %)] in the given status, optionally with a contract."""
    opportunity = opportunity or make_opportunity(customer.owner, customer, "历史商机")
    quote = Quote.objects.create(
        number=next_number("Q"), opportunity=opportunity, customer=customer, owner=customer.owner, status=status,
        valid_until=timezone.localdate() + timedelta(days=30), decided_at=decided_at or timezone.now(),
    )  # fmt: skip
    for module, discount in lines:
        price = module.prices.get().list_price
        net = price * (100 - Decimal(discount)) / 100
        QuoteLine.objects.create(quote=quote, kind=LineKind.LICENCE, module=module, licence_type="perpetual",
                                 description=module.name, unit_price=price, discount_percent=Decimal(discount),
                                 net_amount=net, total=net)  # fmt: skip
    if contract_status:
        Contract.objects.create(number=next_number("C"), customer=customer, owner=customer.owner, quote=quote,
                                title="历史合同", status=contract_status)  # fmt: skip
    return quote


def add_requirement(opportunity: Opportunity, code: str, priority: str = Priority.SHOULD, **extra: Any) -> Any:
    return requirement_add(opportunity=opportunity, by=opportunity.owner, area=area(code),
                           description=extra.pop("description", f"{code} 需求"), priority=priority, **extra)  # fmt: skip


@pytest.fixture
def opportunity(personas, modules) -> Opportunity:
    Customer.objects.filter(pk=personas.customer_a.pk).update(size_tier="large")
    personas.customer_a.refresh_from_db()
    return make_opportunity(personas.sales_rep, personas.customer_a)


def codes(items: list[Any]) -> list[str]:
    return [item.module.code for item in items]


# --- Ranking ---------------------------------------------------------------------------------


def test_must_outranks_should_outranks_could(personas, opportunity):
    add_requirement(opportunity, "options", Priority.COULD)
    add_requirement(opportunity, "margin_trading", Priority.SHOULD)
    add_requirement(opportunity, "risk_control", Priority.MUST)
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    scores = {entry.module.code: entry.score for entry in result.ranking}
    assert codes(result.ranking) == ["trade-risk", "trade-margin", "md-options"]
    assert scores == {"trade-risk": 3, "trade-margin": 2, "md-options": 1}
    assert result.ranking[0].must == 1 and result.ranking[2].could == 1


def test_an_explicit_link_covers_a_requirement_outside_the_modules_areas(personas, opportunity, modules):
    linked = add_requirement(opportunity, "other", Priority.MUST, modules=[modules["trade-margin"]])
    by_area = add_requirement(opportunity, "margin_trading", Priority.COULD)
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    margin = next(entry for entry in result.ranking if entry.module.code == "trade-margin")
    assert [r.id for r in margin.requirements] == [linked.pk, by_area.pk]
    assert margin.explicit_ids == {linked.pk}
    assert margin.score == 4
    assert codes(result.ranking) == ["trade-margin"]  # nothing else serves "other" or margin trading


def test_retired_modules_are_never_ranked_nor_bundled(personas, opportunity):
    add_requirement(opportunity, "risk_control", Priority.MUST)
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    assert "trade-old" not in codes(result.ranking)
    assert "trade-old" not in codes(result.bundle)


# --- The bundle ------------------------------------------------------------------------------


def test_the_greedy_bundle_covers_the_most_weight_and_brings_the_products_core(personas, opportunity):
    add_requirement(opportunity, "order_entry", Priority.MUST)
    add_requirement(opportunity, "market_data", Priority.SHOULD)
    add_requirement(opportunity, "risk_control", Priority.MUST)
    add_requirement(opportunity, "other", Priority.COULD, custom_effort_days=Decimal("10"), coverage=Coverage.CUSTOM)
    add_requirement(opportunity, "compliance", Priority.SHOULD, custom_effort_days=Decimal("5.5"))
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    assert [(item.module.code, item.reason) for item in result.bundle] == [
        ("trade-pc", "cover"), ("trade-core", "core"), ("trade-risk", "cover"),
    ]  # fmt: skip
    assert result.total_weight == 11 and result.covered_weight == 8
    assert result.weighted_percent == Decimal("72.7")
    assert result.count_percent == Decimal("60.0")
    assert [r.area for r in result.uncovered] == ["其他", "合规"]
    assert result.uncovered_effort_days == Decimal("15.5")
    assert result.service_days == Decimal("15.5")
    assert result.bundle_list_total == Decimal("1700000")
    assert "md-core" not in codes(result.bundle)  # market data is already covered by the PC client


def test_out_of_scope_requirements_do_not_count(personas, opportunity):
    add_requirement(opportunity, "risk_control", Priority.MUST)
    add_requirement(opportunity, "other", Priority.MUST, coverage=Coverage.OUT_OF_SCOPE, custom_effort_days=Decimal(30))
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    assert result.weighted_percent == Decimal("100.0")
    assert len(result.out_of_scope) == 1
    assert result.service_days == 0


def test_modules_the_customer_has_count_as_covering_but_are_not_offered_again(personas, opportunity, modules):
    installed_contract(personas.customer_a, [modules["trade-risk"]])
    add_requirement(opportunity, "risk_control", Priority.MUST)
    add_requirement(opportunity, "margin_trading", Priority.MUST)
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    risk = next(entry for entry in result.ranking if entry.module.code == "trade-risk")
    assert risk.installed and not risk.in_bundle
    assert codes(result.bundle) == ["trade-margin", "trade-core"]
    assert [r.area for r in result.covered_by_installed] == ["风险控制"]
    assert result.weighted_percent == Decimal("100.0")


def test_no_requirements_yet_gives_an_empty_bundle(personas, opportunity):
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    assert result.ranking == [] and result.bundle == [] and result.uncovered == []
    assert result.weighted_percent == 0 and result.count_percent == 0


# --- Customers like this one also bought -------------------------------------------------------


@pytest.fixture
def similar_world(personas, modules, opportunity) -> dict[str, Customer]:
    alike = make_customer(personas.sales_rep, "江苏同类证券", size_tier="large", province="江苏")
    far = make_customer(personas.other_rep, "北京小型证券", size_tier="small", province="北京")
    unlike = make_customer(personas.other_rep, "广东某银行", customer_type="bank", size_tier="", province="广东")
    installed_contract(alike, [modules["trade-margin"], modules["trade-risk"]])
    closed_quote(alike, [(modules["md-options"], "10")], contract_status=ContractStatus.COMPLETED)
    installed_contract(far, [modules["trade-margin"]])
    closed_quote(far, [(modules["trade-margin"], "5")], contract_status=ContractStatus.ACTIVE)  # the same module twice
    installed_contract(unlike, [modules["md-core"]])
    installed_contract(far, [modules["trade-pc"]], status=ContractStatus.DRAFT)  # not bought yet
    installed_contract(far, [modules["trade-old"]])  # retired
    installed_contract(personas.customer_a, [modules["trade-risk"]])  # already has it
    return {"alike": alike, "far": far, "unlike": unlike}


def test_also_bought_ranks_by_similarity_and_leaves_out_what_the_customer_has(personas, opportunity, similar_world):
    result = recommend(opportunity=opportunity, user=personas.executive)
    assert [(s.module.code, s.score, s.customer_count) for s in result.also_bought] == [
        ("trade-margin", 6 + 3, 2), ("md-options", 6, 1),
    ]  # fmt: skip
    margin = result.also_bought[0]
    assert [c.name for c in margin.customers] == ["江苏同类证券", "北京小型证券"]
    assert (margin.customers[0].same_type, margin.customers[0].same_size, margin.customers[0].same_province) == (
        True, True, True,
    )  # fmt: skip
    assert margin.unnamed_count == 0


def test_also_bought_names_only_customers_the_user_may_see(personas, opportunity, similar_world):
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    margin = result.also_bought[0]
    assert margin.customer_count == 2
    assert [c.name for c in margin.customers] == ["江苏同类证券"]
    assert margin.unnamed_count == 1


def test_a_reader_who_may_see_no_customer_gets_counts_without_names(personas, opportunity, similar_world):
    result = recommend(opportunity=opportunity, user=personas.outsider)
    assert [(s.module.code, s.customer_count, s.customers) for s in result.also_bought] == [
        ("trade-margin", 2, []), ("md-options", 1, []),
    ]  # fmt: skip


def test_also_bought_explains_which_requirements_a_suggestion_covers(personas, opportunity, similar_world):
    need = add_requirement(opportunity, "margin_trading", Priority.MUST)
    result = recommend(opportunity=opportunity, user=personas.sales_rep)
    margin = result.also_bought[0]
    assert [r.id for r in margin.covers] == [need.pk]
    assert margin.in_bundle


# --- Cost ------------------------------------------------------------------------------------


def _queries(personas, opportunity) -> int:
    with CaptureQueriesContext(connection) as captured:
        recommend(opportunity=opportunity, user=personas.sales_rep)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_requirements_or_modules(personas, opportunity, modules, similar_world):
    areas = ["order_entry", "market_data", "risk_control", "margin_trading", "options"]
    for index in range(5):
        add_requirement(opportunity, areas[index], Priority.MUST, modules=[modules["trade-margin"]])
    recommend(opportunity=opportunity, user=personas.sales_rep)  # the user's policy rows are read once, then kept
    few = _queries(personas, opportunity)
    for index in range(45):
        add_requirement(opportunity, areas[index % 5], [Priority.MUST, Priority.SHOULD, Priority.COULD][index % 3],
                        modules=[modules["md-options"]])  # fmt: skip
    assert _queries(personas, opportunity) == few == 8
