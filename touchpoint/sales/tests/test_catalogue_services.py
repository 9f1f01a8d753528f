"""Catalogue services: price history is kept, retiring keeps references, module areas follow features."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from touchpoint.core.models import Event
from touchpoint.sales.models import Module, ModulePrice, Product, QuoteLine, RequirementArea
from touchpoint.sales.services import catalogue as services


def area(code):
    return RequirementArea.objects.get(code=code)


@pytest.fixture
def product(personas):
    return services.product_create(by=personas.admin, code="md", name="行情系统", name_en="Market data",
                                   day_rate=Decimal("2800"), maintenance_percent=Decimal("15"))  # fmt: skip


@pytest.fixture
def module(personas, product):
    return services.module_create(by=personas.admin, product=product, code="md-core", name="行情接入", name_en="Feeds")


def test_product_create_appends_a_change_event_without_customer(personas, product):
    event = Event.objects.get(verb=services.CATALOGUE_CREATED, target_id=product.pk, target_type="sales.product")
    assert event.customer_id is None
    assert event.actor_id == personas.admin.pk


def test_duplicate_product_code_is_a_field_error(personas, product):
    with pytest.raises(ValidationError) as error:
        services.product_create(by=personas.admin, code="md", name="另一个", name_en="Other", day_rate=Decimal(1),
                                maintenance_percent=Decimal(10))  # fmt: skip
    assert "code" in error.value.error_dict
    assert Product.objects.count() == 1


def test_maintenance_percent_over_100_is_refused(personas, product):
    with pytest.raises(ValidationError) as error:
        services.product_update(product=product, by=personas.admin, maintenance_percent=Decimal(120))
    assert "maintenance_percent" in error.value.error_dict
    product.refresh_from_db()
    assert product.maintenance_percent == Decimal(15)


def test_a_price_change_is_a_new_row_and_the_old_price_stays(personas, module):
    first = services.price_set(by=personas.admin, module=module, licence_type="perpetual",
                               list_price=Decimal("800000"), valid_from=date(2025, 1, 1))  # fmt: skip
    services.price_set(by=personas.admin, module=module, licence_type="perpetual", list_price=Decimal("880000"),
                       valid_from=date(2026, 1, 1))  # fmt: skip
    first.refresh_from_db()
    assert first.list_price == Decimal("800000")
    assert ModulePrice.objects.filter(module=module).count() == 2
    assert services.current_price(module, "perpetual", on=date(2025, 6, 1)).list_price == Decimal("800000")
    assert services.current_price(module, "perpetual", on=date(2026, 6, 1)).list_price == Decimal("880000")
    assert services.current_price(module, "perpetual", on=date(2024, 6, 1)) is None
    assert services.current_price(module, "yearly", on=date(2026, 6, 1)) is None


def test_a_price_cannot_be_slipped_into_the_past_of_its_history(personas, module):
    services.price_set(by=personas.admin, module=module, licence_type="perpetual", list_price=Decimal("800000"),
                       valid_from=date(2026, 1, 1))  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.price_set(by=personas.admin, module=module, licence_type="perpetual", list_price=Decimal("1"),
                           valid_from=date(2026, 1, 1))  # fmt: skip
    assert "valid_from" in error.value.error_dict
    assert ModulePrice.objects.count() == 1


def test_negative_price_is_refused(personas, module):
    with pytest.raises(ValidationError) as error:
        services.price_set(by=personas.admin, module=module, licence_type="perpetual", list_price=Decimal("-1"),
                           valid_from=timezone.localdate())  # fmt: skip
    assert "list_price" in error.value.error_dict
    assert not ModulePrice.objects.exists()


def test_current_prices_picks_the_newest_valid_row_per_licence_type(personas, module):
    today = timezone.localdate()
    services.price_set(by=personas.admin, module=module, licence_type="perpetual", list_price=Decimal(100),
                       valid_from=today - timedelta(days=30))  # fmt: skip
    services.price_set(by=personas.admin, module=module, licence_type="perpetual", list_price=Decimal(200),
                       valid_from=today + timedelta(days=30))  # fmt: skip
    services.price_set(by=personas.admin, module=module, licence_type="yearly", list_price=Decimal(30),
                       valid_from=today)  # fmt: skip
    found = services.current_prices([module.pk])
    assert found[(module.pk, "perpetual")].list_price == Decimal(100)
    assert found[(module.pk, "yearly")].list_price == Decimal(30)


def test_module_areas_follow_its_features(personas, module):
    feature = services.feature_create(by=personas.admin, module=module, name="Level-2", areas=[area("market_data")])
    other = services.feature_create(by=personas.admin, module=module, name="期权T型", areas=[area("options")])
    assert set(module.areas.values_list("code", flat=True)) == {"market_data", "options"}
    services.feature_update(feature=feature, by=personas.admin, name="Level-2", name_en="",
                            areas=[area("market_data"), area("risk_control")])  # fmt: skip
    assert set(module.areas.values_list("code", flat=True)) == {"market_data", "options", "risk_control"}
    services.feature_retire(feature=other, by=personas.admin)
    assert set(module.areas.values_list("code", flat=True)) == {"market_data", "risk_control"}
    services.feature_unretire(feature=other, by=personas.admin)
    assert "options" in set(module.areas.values_list("code", flat=True))


def test_a_feature_needs_an_area(personas, module):
    with pytest.raises(ValidationError) as error:
        services.feature_create(by=personas.admin, module=module, name="无领域", areas=[])
    assert "areas" in error.value.error_dict
    assert not module.features.exists()


def test_retiring_a_module_keeps_quote_lines_pointing_at_it(personas, module, product):
    from touchpoint.sales.models import Quote
    from touchpoint.sales.services.opportunities import opportunity_create

    opportunity = opportunity_create(by=personas.sales_rep, customer=personas.customer_a, title="行情升级",
                                     owner=personas.sales_rep, close_date=date(2027, 1, 1), amount=Decimal(1))  # fmt: skip
    quote = Quote.objects.create(number="Q-TEST-1", opportunity=opportunity, customer=personas.customer_a,
                                 owner=personas.sales_rep, valid_until=date(2027, 1, 1))  # fmt: skip
    line = QuoteLine.objects.create(quote=quote, module=module, description="行情接入")
    services.module_retire(module=module, by=personas.admin)
    services.product_retire(product=product, by=personas.admin)
    line.refresh_from_db()
    assert line.module_id == module.pk
    assert Module.objects.get(pk=module.pk).is_retired
    assert Product.objects.get(pk=product.pk).is_retired
    with pytest.raises(ValidationError):
        services.module_retire(module=module, by=personas.admin)
    services.module_unretire(module=module, by=personas.admin)
    assert not Module.objects.get(pk=module.pk).is_retired


def test_version_support_cannot_end_before_release(personas, product):
    with pytest.raises(ValidationError) as error:
        services.version_create(by=personas.admin, product=product, number="V1", released_on=date(2026, 1, 1),
                                support_ends_on=date(2025, 1, 1))  # fmt: skip
    assert "support_ends_on" in error.value.error_dict
    assert not product.versions.exists()


def test_duplicate_version_number_is_a_field_error(personas, product):
    services.version_create(by=personas.admin, product=product, number="V1", released_on=date(2026, 1, 1))
    with pytest.raises(ValidationError) as error:
        services.version_create(by=personas.admin, product=product, number="V1", released_on=date(2026, 2, 1))
    assert "number" in error.value.error_dict
