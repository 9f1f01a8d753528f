"""Catalogue pages: every internal user browses; only catalogue managers change anything."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from touchpoint.org.models import Position
from touchpoint.org.policy import ENTITIES, S
from touchpoint.sales.models import Feature, Module, ModulePrice, Product, ProductVersion, RequirementArea
from touchpoint.sales.services import catalogue as services


@pytest.fixture
def shop(personas):
    admin = personas.admin
    product = services.product_create(by=admin, code="trade", name="网上交易系统", name_en="Online trading",
                                      day_rate=Decimal(3000), maintenance_percent=Decimal(18))  # fmt: skip
    today = timezone.localdate()
    version = services.version_create(by=admin, product=product, number="V6.0", released_on=today - timedelta(days=400),
                                      support_ends_on=today + timedelta(days=60))  # fmt: skip
    module = services.module_create(by=admin, product=product, code="trade-core", name="交易核心", name_en="Core",
                                    is_core=True)  # fmt: skip
    feature = services.feature_create(by=admin, module=module, name="委托下单",
                                      areas=[RequirementArea.objects.get(code="order_entry")])  # fmt: skip
    services.price_set(by=admin, module=module, licence_type="perpetual", list_price=Decimal(1_000_000),
                       valid_from=today - timedelta(days=100))  # fmt: skip
    retired = services.module_create(by=admin, product=product, code="trade-flash", name="旧版插件", name_en="Flash")
    services.module_retire(module=retired, by=admin)
    return {"product": product, "module": module, "feature": feature, "version": version, "retired": retired}


def add_products(by, count):
    for index in range(count):
        product = services.product_create(by=by, code=f"p{index}", name=f"产品{index}", name_en=f"P{index}",
                                          day_rate=Decimal(1), maintenance_percent=Decimal(1))  # fmt: skip
        services.version_create(by=by, product=product, number="V1", released_on=date(2025, 1, 1))
        module = services.module_create(by=by, product=product, code=f"p{index}-m", name="模块", name_en="M")
        services.feature_create(by=by, module=module, name="功能", areas=[RequirementArea.objects.first()])
        services.price_set(by=by, module=module, licence_type="yearly", list_price=Decimal(5), valid_from=date(2025, 1, 1))


# --- Browsing ----------------------------------------------------------------------------------


def may_browse(position: str) -> bool:
    return ENTITIES["product"].defaults.get(position, {}).get("view", S.NONE) > S.NONE


def may_manage(position: str) -> bool:
    return ENTITIES["product"].defaults.get(position, {}).get("edit", S.NONE) > S.NONE


@pytest.mark.parametrize("position", Position.values)
def test_every_position_browses_the_catalogue_as_the_policy_says(client, personas, shop, position):
    client.force_login(personas.by_position()[position])
    want = 200 if may_browse(position) else 404
    assert client.get(reverse("sales:products")).status_code == (200 if may_browse(position) else 403)
    assert client.get(reverse("sales:product_detail", args=[shop["product"].pk])).status_code == want
    assert client.get(reverse("sales:module_detail", args=[shop["module"].pk])).status_code == want


def test_user_without_a_position_sees_no_product(client, personas, shop):
    client.force_login(personas.outsider)
    assert client.get(reverse("sales:product_detail", args=[shop["product"].pk])).status_code == 404
    assert list(client.get(reverse("sales:products")).context["rows"]) == []


def test_product_list_shows_version_and_support_warning(client, personas, shop):
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:products"))
    row = response.context["rows"][0]
    assert row["version"] == shop["version"]
    assert row["support"] == "ending"
    assert row["product"].module_count == 1  # the retired module is not counted
    assert "网上交易系统" in response.content.decode()
    assert "New product" not in response.content.decode()


def test_retired_items_are_hidden_unless_asked_for(client, personas, shop):
    client.force_login(personas.sales_rep)
    url = reverse("sales:product_detail", args=[shop["product"].pk])
    assert "旧版插件" not in client.get(url).content.decode()
    shown = client.get(url, {"retired": "1"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "旧版插件" in shown
    assert "Retired" in shown


def test_product_detail_shows_current_prices(client, personas, shop):
    client.force_login(personas.sales_rep)
    response = client.get(reverse("sales:product_detail", args=[shop["product"].pk]))
    cells = response.context["modules"][0]["prices"]
    assert cells[0].current.list_price == Decimal(1_000_000)


def test_product_list_query_count_is_pinned(client, personas, shop, django_assert_num_queries):
    client.force_login(personas.sales_rep)
    client.get(reverse("sales:products"))
    with django_assert_num_queries(6) as first:
        client.get(reverse("sales:products"))
    add_products(personas.admin, 5)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("sales:products"))


def test_product_detail_query_count_is_pinned(client, personas, shop, django_assert_num_queries):
    client.force_login(personas.sales_rep)
    url = reverse("sales:product_detail", args=[shop["product"].pk])
    client.get(url)
    with django_assert_num_queries(10) as first:
        client.get(url)
    for index in range(5):
        module = services.module_create(by=personas.admin, product=shop["product"], code=f"extra-{index}",
                                        name=f"模块{index}", name_en="M")  # fmt: skip
        services.feature_create(by=personas.admin, module=module, name="功能", areas=[RequirementArea.objects.first()])
        services.price_set(by=personas.admin, module=module, licence_type="perpetual", list_price=Decimal(9),
                           valid_from=date(2025, 1, 1))  # fmt: skip
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


# --- Managing ----------------------------------------------------------------------------------


def manage_requests(shop):
    product, module, feature, version = shop["product"], shop["module"], shop["feature"], shop["version"]
    area = RequirementArea.objects.get(code="risk_control").pk
    return [
        (reverse("sales:product_new"), {"code": "new", "name": "新", "name_en": "New", "day_rate": "1",
                                        "maintenance_percent": "10"}),
        (reverse("sales:product_edit", args=[product.pk]), {"name": "改名", "name_en": "X", "day_rate": "1",
                                                             "maintenance_percent": "10"}),
        (reverse("sales:module_new", args=[product.pk]), {"code": "m-new", "name": "新模块", "name_en": "M"}),
        (reverse("sales:module_edit", args=[module.pk]), {"name": "改名", "name_en": "M"}),
        (reverse("sales:feature_new", args=[module.pk]), {"name": "新功能", "areas": [area]}),
        (reverse("sales:feature_edit", args=[feature.pk]), {"name": "改名", "areas": [area]}),
        (reverse("sales:version_new", args=[product.pk]), {"number": "V9", "released_on": "2026-01-01"}),
        (reverse("sales:version_edit", args=[version.pk]), {"number": "V9", "released_on": "2026-01-01"}),
        (reverse("sales:price_new", args=[module.pk]), {"licence_type": "yearly", "list_price": "1",
                                                        "valid_from": "2026-01-01"}),
        (reverse("sales:catalogue_retire", args=["product", product.pk]), {}),
        (reverse("sales:catalogue_retire", args=["module", module.pk]), {}),
        (reverse("sales:catalogue_retire", args=["feature", feature.pk]), {}),
        (reverse("sales:catalogue_retire", args=["version", version.pk]), {}),
        (reverse("sales:catalogue_unretire", args=["module", shop["retired"].pk]), {}),
    ]  # fmt: skip


def snapshot():
    return [list(model.objects.order_by("pk").values()) for model in (Product, Module, Feature, ProductVersion, ModulePrice)]


@pytest.mark.parametrize("position", [position for position in Position.values if not may_manage(position)])
def test_non_managers_get_403_on_every_manage_page_and_nothing_changes(client, personas, shop, position):
    client.force_login(personas.by_position()[position])
    before = snapshot()
    for url, data in manage_requests(shop):
        if not url.endswith(("retire/",)):
            assert client.get(url).status_code == 403, url
        assert client.post(url, data).status_code == 403, url
    assert snapshot() == before


def test_admin_creates_a_product_through_the_page(client, personas):
    client.force_login(personas.admin)
    assert client.get(reverse("sales:product_new")).status_code == 200
    response = client.post(reverse("sales:product_new"), {"code": "risk", "name": "风控系统", "name_en": "Risk",
                                                           "day_rate": "3300", "maintenance_percent": "18"})  # fmt: skip
    product = Product.objects.get(code="risk")
    assert response.status_code == 302
    assert response.url == reverse("sales:product_detail", args=[product.pk])


def test_bad_product_input_gets_field_errors_and_saves_nothing(client, personas):
    client.force_login(personas.admin)
    response = client.post(reverse("sales:product_new"), {"code": "bad code!", "name": "", "name_en": "X",
                                                           "day_rate": "-5", "maintenance_percent": "150"})  # fmt: skip
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"code", "name", "day_rate", "maintenance_percent"} <= set(errors)
    assert not Product.objects.exists()


def test_admin_adds_a_price_and_the_old_one_stays(client, personas, shop):
    client.force_login(personas.admin)
    url = reverse("sales:price_new", args=[shop["module"].pk])
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url, {"licence_type": "perpetual", "list_price": "1100000", "valid_from": tomorrow})
    assert response.status_code == 302
    assert list(ModulePrice.objects.filter(module=shop["module"]).order_by("valid_from").values_list("list_price", flat=True)) == [
        Decimal(1_000_000), Decimal(1_100_000)]  # fmt: skip
    clash = client.post(url, {"licence_type": "perpetual", "list_price": "1", "valid_from": tomorrow})
    assert clash.status_code == 400
    assert "valid_from" in clash.context["form"].errors


def test_admin_edits_a_feature_and_module_areas_follow(client, personas, shop):
    client.force_login(personas.admin)
    risk = RequirementArea.objects.get(code="risk_control")
    response = client.post(reverse("sales:feature_edit", args=[shop["feature"].pk]),
                           {"name": "委托下单", "name_en": "Orders", "areas": [risk.pk]})  # fmt: skip
    assert response.status_code == 302
    assert list(shop["module"].areas.values_list("code", flat=True)) == ["risk_control"]


def test_admin_retires_and_unretires_a_module(client, personas, shop):
    client.force_login(personas.admin)
    client.post(reverse("sales:catalogue_retire", args=["module", shop["module"].pk]))
    assert Module.objects.get(pk=shop["module"].pk).is_retired
    client.post(reverse("sales:catalogue_unretire", args=["module", shop["module"].pk]))
    assert not Module.objects.get(pk=shop["module"].pk).is_retired


def test_unknown_kind_to_retire_is_404(client, personas, shop):
    client.force_login(personas.admin)
    assert client.post(reverse("sales:catalogue_retire", args=["customer", 1])).status_code == 404
