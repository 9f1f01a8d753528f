"""Fixtures of the service API tests: requests of customers A and B logged in L1, a customer (portal)
user of customer A made with a temporary portal scope, and a snapshot of what a refused write must
leave alone."""

from collections.abc import Iterator
from typing import Any

import pytest

from touchpoint.core.extensions import portal_scopes
from touchpoint.core.models import Event
from touchpoint.finance.tests.conftest import api_as  # noqa: F401  (fixture)
from touchpoint.service.models import Escalation, Handoff, RequestMessage, ServiceRequest, StatusChange
from touchpoint.service.services.requests import request_create
from touchpoint.service.tests.conftest import at
from touchpoint.testing import make_user

REQUESTS = "/api/v1/service-requests/"


def url(request: Any, step: str = "") -> str:
    return f"{REQUESTS}{request.pk}/{step + '/' if step else ''}"


def snapshot() -> tuple[Any, ...]:
    """What a refused write must leave alone."""
    return (
        list(ServiceRequest.objects.order_by("pk").values()),
        list(Handoff.objects.order_by("pk").values()),
        list(RequestMessage.objects.order_by("pk").values()),
        StatusChange.objects.count(),
        Escalation.objects.count(),
        Event.objects.count(),
    )


@pytest.fixture
def request_a(personas, desk, covered) -> ServiceRequest:
    """Customer A's fault, phoned in, with the agent in L1."""
    return request_create(by=personas.maintenance_agent, customer=personas.customer_a, contact=personas.contact_a,
                          subject="清算文件未生成", description="今日清算文件缺失", channel="phone", severity="P2",
                          now=at(2026, 3, 2, 9, 0))  # fmt: skip


@pytest.fixture
def request_b(personas, desk) -> ServiceRequest:
    """Customer B's question, mailed in."""
    return request_create(by=personas.maintenance_agent, customer=personas.customer_b, contact=personas.contact_b,
                          subject="柜台登录慢", channel="email", now=at(2026, 3, 2, 9, 30))  # fmt: skip


@pytest.fixture
def portal_user(personas) -> Iterator[Any]:
    """A customer user of customer A: no position, and a portal scope naming customer A."""
    user = make_user("kehu", None, "sales", "华泰客户")
    customer_ids = frozenset({personas.customer_a.pk})
    portal_scopes["test-api"] = lambda someone: customer_ids if getattr(someone, "pk", None) == user.pk else None
    yield user
    portal_scopes.pop("test-api", None)
