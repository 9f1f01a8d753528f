"""Fixtures of the request pages: requests on customers A and B, one bounced and escalated, and a client
helper that signs a persona in with a language."""

from typing import Any

import pytest

from touchpoint.service.models import ServiceRequest
from touchpoint.service.services.requests import request_create, request_transfer
from touchpoint.service.tests.conftest import at


def as_user(client: Any, user: Any, language: str = "en") -> Any:
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def log(personas: Any, **values: Any) -> ServiceRequest:
    defaults: dict[str, Any] = {"by": personas.maintenance_agent, "customer": personas.customer_a, "subject": "清算文件未生成",
                                "channel": "phone", "contact": personas.contact_a}  # fmt: skip
    return request_create(**(defaults | values))


@pytest.fixture(name="request_a")
def request_a_fixture(personas, desk, covered) -> ServiceRequest:
    """A P2 on customer A, logged by the agent and routed to L1 (where the agent sits)."""
    return log(personas, severity="P2", description="今日清算文件未按时生成，影响开盘前对账。")


@pytest.fixture(name="request_b")
def request_b_fixture(personas, desk) -> ServiceRequest:
    """A request of customer B (not covered)."""
    return log(personas, customer=personas.customer_b, contact=personas.contact_b, subject="柜台登录慢", channel="email")


@pytest.fixture(name="bounced")
def bounced_fixture(personas, desk, covered) -> ServiceRequest:
    """L1 → engineering → L1: the ping-pong flags a bounce and raises the first escalation."""
    request = log(personas, subject="委托回报延迟", severity="P1", now=at(2026, 3, 2, 9, 0))
    request_transfer(request=request, by=personas.maintenance_agent, queue=desk.engineering, reason="疑似缺陷，转研发",
                     now=at(2026, 3, 2, 10, 0))  # fmt: skip
    request_transfer(request=request, by=personas.engineer, queue=desk.l1, reason="非缺陷，退回一线", now=at(2026, 3, 2, 11, 0))
    request.refresh_from_db()
    return request
