"""The read-only catalogue API: products, modules, requirement areas; filters, scope and query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from touchpoint.sales.models import RequirementArea
from touchpoint.sales.services import catalogue as services


@pytest.fixture
def api_as():
    def client_for(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


def make_product(by, code, *, price=Decimal(100)):
    product = services.product_create(by=by, code=code, name=f"产品{code}", name_en=code, day_rate=Decimal(3000),
                                      maintenance_percent=Decimal(18))  # fmt: skip
    services.version_create(by=by, product=product, number="V1", released_on=date(2025, 1, 1))
    module = services.module_create(by=by, product=product, code=f"{code}-core", name="核心", name_en="Core")
    services.feature_create(by=by, module=module, name="行情", areas=[RequirementArea.objects.get(code="market_data")])
    today = timezone.localdate()
    services.price_set(by=by, module=module, licence_type="perpetual", list_price=price / 2,
                       valid_from=today - timedelta(days=400))  # fmt: skip
    services.price_set(by=by, module=module, licence_type="perpetual", list_price=price,
                       valid_from=today - timedelta(days=10))  # fmt: skip
    services.price_set(by=by, module=module, licence_type="perpetual", list_price=price * 2,
                       valid_from=today + timedelta(days=10))  # fmt: skip
    return product, module


def test_rep_lists_products_with_modules_versions_and_todays_prices(personas, api_as):
    make_product(personas.admin, "md")
    response = api_as(personas.sales_rep).get("/api/v1/products/")
    assert response.status_code == 200
    product = response.json()["results"][0]
    assert product["code"] == "md"
    assert product["versions"][0]["number"] == "V1"
    module = product["modules"][0]
    assert module["areas"] == ["market_data"]
    assert module["current_prices"] == [
        {"licence_type": "perpetual", "list_price": "100.00", "currency": "CNY", "valid_from": module["current_prices"][0]["valid_from"]}
    ]


def test_modules_filter_by_area_and_product(personas, api_as):
    product, module = make_product(personas.admin, "md")
    make_product(personas.admin, "ot")
    client = api_as(personas.engineer)
    assert [m["code"] for m in client.get("/api/v1/modules/", {"product": product.pk}).json()["results"]] == ["md-core"]
    assert client.get("/api/v1/modules/", {"area": "options"}).json()["count"] == 0
    assert client.get(f"/api/v1/modules/{module.pk}/").json()["product_code"] == "md"


def test_on_sale_filter_hides_retired_products(personas, api_as):
    product, _module = make_product(personas.admin, "md")
    make_product(personas.admin, "ot")
    services.product_retire(product=product, by=personas.admin)
    body = api_as(personas.sales_rep).get("/api/v1/products/", {"on_sale": "true"}).json()
    assert [p["code"] for p in body["results"]] == ["ot"]


def test_unknown_filter_or_ordering_is_a_400(personas, api_as):
    client = api_as(personas.sales_rep)
    assert client.get("/api/v1/products/", {"price": "1"}).status_code == 400
    assert client.get("/api/v1/products/", {"ordering": "day_rate"}).status_code == 400
    assert client.get("/api/v1/products/", {"ordering": "-name"}).status_code == 200


def test_requirement_areas_are_listed_in_order(personas, api_as):
    body = api_as(personas.sales_rep).get("/api/v1/requirement-areas/").json()
    assert body["results"][0]["code"] == "market_data"
    assert body["count"] == RequirementArea.objects.count()


def test_user_without_a_position_sees_no_catalogue(personas, api_as):
    product, _module = make_product(personas.admin, "md")
    client = api_as(personas.outsider)
    assert client.get("/api/v1/products/").json()["count"] == 0
    assert client.get(f"/api/v1/products/{product.pk}/").status_code == 404
    assert client.get("/api/v1/requirement-areas/").json()["count"] == 0


def test_the_catalogue_api_is_read_only(personas, api_as):
    product, _module = make_product(personas.admin, "md")
    client = api_as(personas.admin)
    assert client.post("/api/v1/products/", {"code": "x"}, format="json").status_code == 405
    assert client.patch(f"/api/v1/products/{product.pk}/", {"name": "x"}, format="json").status_code == 405


def test_anonymous_is_refused(personas):
    assert APIClient().get("/api/v1/products/").status_code == 401


def test_product_list_query_count_is_pinned(personas, api_as, django_assert_num_queries):
    make_product(personas.admin, "a")
    client = api_as(personas.sales_rep)
    client.get("/api/v1/products/")
    with django_assert_num_queries(10) as first:
        client.get("/api/v1/products/")
    for code in ("b", "c", "d"):
        make_product(personas.admin, code)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get("/api/v1/products/")


def test_module_list_query_count_is_pinned(personas, api_as, django_assert_num_queries):
    make_product(personas.admin, "a")
    client = api_as(personas.sales_rep)
    client.get("/api/v1/modules/")
    with django_assert_num_queries(8) as first:
        client.get("/api/v1/modules/")
    for code in ("b", "c", "d"):
        make_product(personas.admin, code)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get("/api/v1/modules/")
