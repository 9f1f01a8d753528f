"""Fixtures of the maintenance contract, plan and campaign tests: a trading product at three versions,
installed at customers A and B, and a maintenance contract of customer A."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model

from touchpoint.core.models import Event, Notification
from touchpoint.sales.models import Contract, InstalledItem, Module, Opportunity, Product, ProductVersion
from touchpoint.service.models import (
    CampaignTarget,
    MaintenanceContract,
    MaintenancePlan,
    RenewalReminder,
    ScheduledOrder,
    ServiceRequest,
    UpgradeCampaign,
)
from touchpoint.service.services.contracts import contract_create

# The rows a refused maintenance write must leave alone.
WATCHED: tuple[type[Model], ...] = (
    MaintenanceContract, MaintenancePlan, ScheduledOrder, UpgradeCampaign, CampaignTarget, RenewalReminder, ServiceRequest,
    Opportunity, Event, Notification,
)  # fmt: skip


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in WATCHED}


@dataclass
class Base:
    product: Product
    v51: ProductVersion
    v52: ProductVersion
    v60: ProductVersion
    core_a: InstalledItem
    risk_a: InstalledItem
    core_b: InstalledItem
    other_product_a: InstalledItem


def _installed(customer: Any, owner: Any, modules: list[tuple[Module, ProductVersion]], number: str) -> list[InstalledItem]:
    sales_contract = Contract.objects.create(number=number, customer=customer, owner=owner, title="交易系统建设")
    return [InstalledItem.objects.create(customer=customer, product=module.product, module=module, version=version,
                                         contract=sales_contract, status="installed") for module, version in modules]  # fmt: skip


@pytest.fixture
def base(personas) -> Base:
    """Customer A runs the trading core at 5.1 and risk control at 5.2; customer B runs the core at 5.2;
    A also runs market data, another product."""
    product = Product.objects.create(code="trade", name="网上交易系统", name_en="Online trading", day_rate=Decimal("3000"))
    v51, v52, v60 = (ProductVersion.objects.create(product=product, number=n, released_on=d) for n, d in
                     [("5.1", date(2025, 3, 1)), ("5.2", date(2026, 3, 1)), ("6.0", date(2026, 11, 1))])  # fmt: skip
    core = Module.objects.create(product=product, code="trade-core", name="集中交易核心", name_en="Trading core")
    risk = Module.objects.create(product=product, code="trade-risk", name="实时风控", name_en="Risk control")
    quotes = Product.objects.create(code="quote", name="行情系统", name_en="Market data", day_rate=Decimal("3000"))
    q1 = ProductVersion.objects.create(product=quotes, number="5.1", released_on=date(2025, 1, 1))
    feed = Module.objects.create(product=quotes, code="quote-feed", name="行情接入", name_en="Market feed")
    core_a, risk_a, feed_a = _installed(personas.customer_a, personas.sales_rep, [(core, v51), (risk, v52), (feed, q1)], "C-2025-000001")
    (core_b,) = _installed(personas.customer_b, personas.other_rep, [(core, v52)], "C-2025-000002")
    return Base(product=product, v51=v51, v52=v52, v60=v60, core_a=core_a, risk_a=risk_a, core_b=core_b, other_product_a=feed_a)


def make_contract(personas: Any, base: Base, *, starts_on: date = date(2026, 1, 1), ends_on: date = date(2026, 12, 31),
                  customer: Any = None, **values: Any) -> MaintenanceContract:  # fmt: skip
    customer = customer or personas.customer_a
    items = [base.core_a, base.risk_a] if customer == personas.customer_a else [base.core_b]
    return contract_create(by=personas.maintenance_lead, customer=customer, starts_on=starts_on, ends_on=ends_on, items=items,
                           price=values.pop("price", Decimal("120000")), tier=values.pop("tier", "premium"),
                           sites=values.pop("sites", "上海张江机房"), **values)  # fmt: skip


@pytest.fixture
def contract_a(personas, base) -> MaintenanceContract:
    """Customer A's premium maintenance contract for 2026."""
    return make_contract(personas, base)


@pytest.fixture
def contract_b(personas, base) -> MaintenanceContract:
    return make_contract(personas, base, customer=personas.customer_b, tier="standard")
