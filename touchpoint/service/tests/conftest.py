"""Service fixtures: the default queues staffed (the agent in L1 under the maintenance lead, the
engineer in engineering), and a covered module on customer A."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from touchpoint.org.models import Department, Team
from touchpoint.service.models import MaintenanceContract, Queue, QueueMember

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
    l1.refresh_from_db()
    QueueMember.objects.create(queue=l1, user=personas.maintenance_agent)
    QueueMember.objects.create(queue=engineering, user=personas.engineer)
    QueueMember.objects.create(queue=sales, user=personas.sales_rep)
    team = Team.objects.create(name="维护一组", department=Department.objects.get(code="maintenance"), lead=personas.maintenance_lead)
    team.members.add(personas.maintenance_agent)
    Department.objects.filter(code="maintenance").update(head=personas.maintenance_lead)
    Department.objects.filter(code="engineering").update(head=personas.project_manager)
    return Desk(l1=l1, engineering=engineering, sales=sales)


@pytest.fixture
def covered(personas) -> MaintenanceContract:
    """A standard-tier maintenance contract of customer A for all of 2026."""
    return MaintenanceContract.objects.create(number="MC-2026-0001", customer=personas.customer_a, kind="maintenance",
                                              tier="standard", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))  # fmt: skip
