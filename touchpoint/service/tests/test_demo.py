"""The service demo step: staffed queues, contracts, and requests that show every course a request takes."""

import random

import pytest

from touchpoint.core.extensions import demo_steps
from touchpoint.service.models import (
    Article,
    Complaint,
    Escalation,
    Handoff,
    MaintenanceContract,
    MaintenancePlan,
    QueueMember,
    ServiceRequest,
    Status,
)

pytestmark = pytest.mark.django_db


def run(key: str) -> str:
    return demo_steps[key].run(rng=random.Random(f"2026:{key}"), scale="small", out=lambda text: None)


def test_demo_tells_the_usual_course_and_a_bounce_a_stuck_request_a_breach_and_a_triage_once():
    for key in ("org.staff", "customers.demo", "touchpoints.demo", "sales.catalogue", "sales.demo", "delivery.demo"):
        run(key)

    summary = run("service.demo")

    assert summary.startswith("service: ")
    assert QueueMember.objects.filter(queue__code="l1").count() >= 2
    assert MaintenanceContract.objects.exists()
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert {Status.CLOSED, Status.RESOLVED, Status.IN_PROGRESS, Status.WAITING, Status.NEW} <= statuses
    assert ServiceRequest.objects.filter(bounced=True).exists()
    assert ServiceRequest.objects.filter(stuck=True).exists()
    assert ServiceRequest.objects.filter(needs_triage=True, customer__isnull=True).count() == 1
    assert Escalation.objects.filter(reason="breach").exists()
    assert Handoff.objects.filter(kind="return").exists()
    assert Article.objects.filter(status="published", visibility="customer").count() == 2
    assert Complaint.objects.filter(raised_from__bounced=True, customer_informed=True).count() == 1
    assert MaintenancePlan.objects.count() == 1
    before = (ServiceRequest.objects.count(), Handoff.objects.count(), Escalation.objects.count())
    assert run("service.demo") == "service: already loaded"
    assert (ServiceRequest.objects.count(), Handoff.objects.count(), Escalation.objects.count()) == before
