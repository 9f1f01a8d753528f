"""Sales fixtures: a small catalogue and an opportunity on customer A."""

from datetime import date
from decimal import Decimal

import pytest

from touchpoint.sales.models import Module, ModulePrice, Opportunity, Product, ProductVersion, RequirementArea
from touchpoint.sales.services.opportunities import opportunity_create


@pytest.fixture
def catalogue(db) -> dict[str, Module]:
    trading = Product.objects.create(code="trade", name="网上交易系统", name_en="Online trading", day_rate=Decimal("3000"),
                                     maintenance_percent=Decimal("15"))  # fmt: skip
    ProductVersion.objects.create(product=trading, number="5.2", released_on=date(2026, 3, 1))
    modules = {}
    for code, name, price, area in [
        ("trade-core", "集中交易核心", "800000", "order_entry"),
        ("trade-risk", "实时风控", "300000", "risk_control"),
        ("trade-margin", "融资融券", "500000", "margin_trading"),
    ]:
        module = Module.objects.create(product=trading, code=code, name=name, name_en=code)
        module.areas.add(RequirementArea.objects.get(code=area))
        ModulePrice.objects.create(module=module, licence_type="perpetual", list_price=Decimal(price),
                                   valid_from=date(2025, 1, 1))  # fmt: skip
        modules[code] = module
    return modules


@pytest.fixture
def opportunity(personas) -> Opportunity:
    return opportunity_create(
        by=personas.sales_rep, customer=personas.customer_a, title="两融系统建设", owner=personas.sales_rep,
        close_date=date(2027, 6, 30), amount=Decimal("1600000"),
    )  # fmt: skip
