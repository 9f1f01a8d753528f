"""Fixtures of the complaint, survey and knowledge tests: a resolved request of customer A, a
product with a version, and API and page clients signed in as a persona."""

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from touchpoint.sales.models import Product, ProductVersion
from touchpoint.service.models import ServiceRequest
from touchpoint.service.services.requests import request_create, request_set_status
from touchpoint.service.tests.conftest import at


def log_request(personas: Any, **extra: Any) -> ServiceRequest:
    fields = {"customer": personas.customer_a, "contact": personas.contact_a, "subject": "行情服务器断线",
              "description": "早盘 9:20 起行情服务器断线，客户端无法刷新行情", "channel": "phone", "severity": "P3"}  # fmt: skip
    fields.update(extra)
    return request_create(by=personas.maintenance_agent, now=at(2026, 3, 2, 10, 0), **fields)


def resolve(request: ServiceRequest, by: Any) -> ServiceRequest:
    return request_set_status(request=request, by=by, status="resolved", resolution="重启行情网关并更新证书后恢复",
                              now=at(2026, 3, 2, 11, 0))  # fmt: skip


@pytest.fixture
def resolved(personas, desk) -> ServiceRequest:
    return resolve(log_request(personas), personas.maintenance_agent)


@pytest.fixture
def product() -> Product:
    found = Product.objects.order_by("pk").first()
    if found is not None:
        return found
    return Product.objects.create(code="quote", name="行情系统", name_en="Market data")


@pytest.fixture
def version(product) -> ProductVersion:
    return ProductVersion.objects.create(product=product, number="9.8.1", released_on="2026-01-10")


@pytest.fixture
def api_as():
    """An API client signed in with the user's token, asking for answers in `language`."""

    def client_for(user: Any, language: str = "en") -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


def as_user(client: Any, user: Any, language: str = "en") -> Any:
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client
