"""Requirement items: add, change, remove, reorder, reuse from a template or a similar deal, totals."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.customers.services import contact_create
from touchpoint.sales.models import (
    Module,
    Opportunity,
    Product,
    Requirement,
    RequirementArea,
    RequirementTemplate,
    RequirementTemplateItem,
)
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.sales.services.requirements import (
    requirement_add,
    requirement_delete,
    requirement_move,
    requirement_totals,
    requirement_update,
    requirements_copy,
    requirements_from_template,
)


def area(code: str) -> RequirementArea:
    return RequirementArea.objects.get(code=code)


@pytest.fixture
def deal(personas) -> Opportunity:
    return opportunity_create(by=personas.sales_rep, customer=personas.customer_a, title="两融系统", owner=personas.sales_rep,
                              close_date=date(2027, 6, 30), amount=Decimal("1600000"))  # fmt: skip


@pytest.fixture
def modules(db) -> dict[str, Module]:
    product = Product.objects.create(code="req-trade", name="网上交易系统", name_en="Online trading")
    on_sale = Module.objects.create(product=product, code="req-core", name="集中交易", name_en="Core trading")
    retired = Module.objects.create(product=product, code="req-old", name="旧版行情", name_en="Old market data",
                                    retired_at=timezone.now())  # fmt: skip
    return {"on_sale": on_sale, "retired": retired}


@pytest.mark.django_db
def test_adding_a_requirement_appends_it_and_logs_an_event_on_the_customer(personas, deal, modules):
    item = requirement_add(opportunity=deal, by=personas.sales_rep, area=area("margin_trading"), description="两融担保品管理",
                           priority="must", asked_by=personas.contact_a, coverage="standard",
                           custom_effort_days="2.5", modules=[modules["on_sale"]])  # fmt: skip
    assert (item.order, item.customer_id, item.custom_effort_days) == (1, personas.customer_a.pk, Decimal("2.5"))
    assert list(item.modules.all()) == [modules["on_sale"]]
    event = Event.objects.get(verb="requirement.added")
    assert (event.customer_id, event.target_type, event.target_id) == (personas.customer_a.pk, "sales.opportunity", deal.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"custom_effort_days": "-1"}, "custom_effort_days"),
        ({"custom_effort_days": "abc"}, "custom_effort_days"),
        ({"description": "   "}, "description"),
        ({"priority": "urgent"}, "priority"),
        ({"coverage": "maybe"}, "coverage"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(personas, deal, values, field):
    arguments = {"area": area("options"), "description": "期权做市", **values}
    with pytest.raises(ValidationError) as error:
        requirement_add(opportunity=deal, by=personas.sales_rep, **arguments)
    assert field in error.value.message_dict
    assert not Requirement.objects.exists()
    assert not Event.objects.filter(verb="requirement.added").exists()


@pytest.mark.django_db
def test_a_contact_of_another_customer_is_refused(personas, deal):
    with pytest.raises(ValidationError) as error:
        requirement_add(opportunity=deal, by=personas.sales_rep, area=area("options"), description="期权",
                        asked_by=personas.contact_b)  # fmt: skip
    assert "asked_by" in error.value.message_dict


@pytest.mark.django_db
def test_a_retired_module_or_an_unused_area_is_refused(personas, deal, modules):
    with pytest.raises(ValidationError) as error:
        requirement_add(opportunity=deal, by=personas.sales_rep, area=area("options"), description="期权",
                        modules=[modules["retired"]])  # fmt: skip
    assert "modules" in error.value.message_dict
    unused = area("other")
    unused.is_active = False
    unused.save()
    with pytest.raises(ValidationError) as error:
        requirement_add(opportunity=deal, by=personas.sales_rep, area=unused, description="其他")
    assert "area" in error.value.message_dict


@pytest.mark.django_db
def test_update_logs_only_what_changed(personas, deal, modules):
    item = requirement_add(opportunity=deal, by=personas.sales_rep, area=area("options"), description="期权")
    requirement_update(requirement=item, by=personas.sales_rep, priority="must", description="期权",
                       modules=[modules["on_sale"]])  # fmt: skip
    event = Event.objects.get(verb="requirement.changed")
    assert {c["field"] for c in event.payload["changes"]} == {"priority", "modules"}
    requirement_update(requirement=item, by=personas.sales_rep, priority="must")
    assert Event.objects.filter(verb="requirement.changed").count() == 1


@pytest.mark.django_db
def test_a_refused_update_changes_nothing(personas, deal):
    item = requirement_add(opportunity=deal, by=personas.sales_rep, area=area("options"), description="期权")
    with pytest.raises(ValidationError):
        requirement_update(requirement=item, by=personas.sales_rep, custom_effort_days="-3", priority="must")
    item.refresh_from_db()
    assert (item.priority, item.custom_effort_days) == ("should", Decimal(0))


@pytest.mark.django_db
def test_reorder_and_delete(personas, deal):
    first, second, third = (
        requirement_add(opportunity=deal, by=personas.sales_rep, area=area("options"), description=text)
        for text in ["一", "二", "三"]
    )
    requirement_move(requirement=third, by=personas.sales_rep, up=True)
    assert list(Requirement.objects.filter(opportunity=deal).values_list("description", flat=True)) == ["一", "三", "二"]
    requirement_move(requirement=first, by=personas.sales_rep, up=True)  # already first: nothing happens
    requirement_delete(requirement=second, by=personas.sales_rep)
    assert list(Requirement.objects.filter(opportunity=deal).values_list("description", flat=True)) == ["一", "三"]
    assert Event.objects.filter(verb="requirement.removed", customer_id=personas.customer_a.pk).exists()


@pytest.mark.django_db
def test_starting_from_a_template_copies_its_items(personas, deal):
    template = RequirementTemplate.objects.create(name="券商两融标准需求")
    for order, text in enumerate(["授信管理", "担保品折算", "平仓预警"]):
        RequirementTemplateItem.objects.create(template=template, area=area("margin_trading"), description=text,
                                               priority="must", order=order)  # fmt: skip
    created = requirements_from_template(opportunity=deal, template=template, by=personas.sales_rep)
    assert [r.description for r in created] == ["授信管理", "担保品折算", "平仓预警"]
    assert [r.order for r in Requirement.objects.filter(opportunity=deal)] == [1, 2, 3]
    assert Event.objects.get(verb="requirement.copied").payload["count"] == 3


@pytest.mark.django_db
def test_copying_from_another_opportunity_keeps_modules_on_sale_but_not_the_contact(personas, deal, modules):
    other_deal = opportunity_create(by=personas.other_rep, customer=personas.customer_b, title="行情系统",
                                    owner=personas.other_rep, close_date=date(2026, 1, 31))  # fmt: skip
    item = requirement_add(opportunity=other_deal, by=personas.other_rep, area=area("market_data"),
                           description="Level-2 行情", priority="must", asked_by=personas.contact_b,
                           coverage="custom", custom_effort_days="10",
                           modules=[modules["on_sale"]])  # fmt: skip
    item.modules.add(modules["retired"])
    copied = requirements_copy(opportunity=deal, source=other_deal, by=personas.sales_rep)
    assert len(copied) == 1
    copy = Requirement.objects.get(opportunity=deal)
    assert (copy.description, copy.coverage, copy.custom_effort_days, copy.asked_by) == ("Level-2 行情", "custom",
                                                                                        Decimal("10"), None)
    assert list(copy.modules.all()) == [modules["on_sale"]]
    with pytest.raises(ValidationError):
        requirements_copy(opportunity=deal, source=deal, by=personas.sales_rep)


@pytest.mark.django_db
def test_totals_count_priorities_effort_and_coverage(personas, deal):
    for priority, coverage, effort in [("must", "standard", 0), ("must", "custom", "12.5"), ("could", "", 0),
                                       ("should", "configurable", "1")]:  # fmt: skip
        requirement_add(opportunity=deal, by=personas.sales_rep, area=area("reporting"), description="报表",
                        priority=priority, coverage=coverage, custom_effort_days=effort)  # fmt: skip
    totals = requirement_totals(Requirement.objects.filter(opportunity=deal))
    assert (totals["total"], totals["must"], totals["should"], totals["could"]) == (4, 2, 1, 1)
    assert totals["effort"] == Decimal("13.5")
    assert totals["covered_percent"] == 50


@pytest.mark.django_db
def test_a_contact_of_the_same_customer_is_accepted(personas, deal):
    colleague = contact_create(by=personas.sales_rep, customer=personas.customer_a, name="李娜", mobile="13700000000")
    item = requirement_add(opportunity=deal, by=personas.sales_rep, area=area("risk_control"), description="风控",
                           asked_by=colleague)  # fmt: skip
    assert item.asked_by == colleague
