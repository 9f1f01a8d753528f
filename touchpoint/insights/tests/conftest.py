"""Insights fixtures: the default queues staffed, and a small history of requests moving between
departments over a few days (a ping-pong between the maintenance centre and engineering among them)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from touchpoint.org.models import Department
from touchpoint.service.models import MaintenanceContract, Queue, QueueMember, ServiceRequest
from touchpoint.service.services.requests import request_create, request_reply, request_set_status, request_transfer

SH = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)


@dataclass
class Desk:
    l1: Queue
    engineering: Queue
    sales: Queue


@pytest.fixture
def desk(personas) -> Desk:
    l1, engineering, sales = (Queue.objects.get(code=code) for code in ("l1", "engineering", "sales"))
    Queue.objects.filter(pk=l1.pk).update(lead=personas.maintenance_lead)
    QueueMember.objects.create(queue=l1, user=personas.maintenance_agent)
    QueueMember.objects.create(queue=engineering, user=personas.engineer)
    QueueMember.objects.create(queue=sales, user=personas.sales_rep)
    Department.objects.filter(code="maintenance").update(head=personas.maintenance_lead)
    Department.objects.filter(code="engineering").update(head=personas.project_manager)
    MaintenanceContract.objects.create(number="MC-2026-0001", customer=personas.customer_a, kind="maintenance",
                                       tier="standard", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))  # fmt: skip
    return Desk(l1=l1, engineering=engineering, sales=sales)


def make_history(personas, desk: Desk, *, requests: int = 6, start: datetime | None = None) -> list[ServiceRequest]:
    """`requests` requests over consecutive days: each answered, sent to engineering and back (the odd
    ones), to sales (every third), some resolved."""
    start = start or at(2026, 3, 2, 9, 0)
    agent, engineer = personas.maintenance_agent, personas.engineer
    made = []
    for index in range(requests):
        when = start + timedelta(days=index, minutes=7 * index)
        sr = request_create(by=agent, customer=personas.customer_a if index % 2 else personas.customer_b,
                            subject=f"交易延迟 {index}", channel=("phone", "email", "wechat")[index % 3],
                            severity=("P2", "P3", "P4")[index % 3], category=("fault", "consultation")[index % 2],
                            now=when)  # fmt: skip
        # Logged at `when`, as if it had happened then (the row's creation time is the test's clock).
        ServiceRequest.objects.filter(pk=sr.pk).update(created_at=when)
        request_reply(request=sr, by=agent, body="已受理", now=when + timedelta(minutes=20 + index))
        request_transfer(request=sr, by=agent, queue=desk.engineering, reason="需要研发排查", now=when + timedelta(hours=2))
        if index % 2:
            request_transfer(request=sr, by=engineer, queue=desk.l1, reason="非缺陷，退回维护", user=agent,
                             now=when + timedelta(hours=5, minutes=index))  # fmt: skip
        if index % 3 == 0:
            request_transfer(request=sr, by=engineer, queue=desk.sales, reason="涉及续约", now=when + timedelta(hours=26))
        if index % 2 == 0:
            request_set_status(request=sr, by=agent, status="resolved", resolution="已修复", now=when + timedelta(hours=30))
        sr.refresh_from_db()
        made.append(sr)
    return made
