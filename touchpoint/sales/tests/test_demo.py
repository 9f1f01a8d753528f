"""The sales demo steps: the normal demo through the services, and the bulk benchmark share."""

import random

import pytest

from touchpoint.core.extensions import demo_steps
from touchpoint.core.models import Event
from touchpoint.org.models import User
from touchpoint.sales.demo import (
    BENCH_MANAGER,
    BENCH_REQUIREMENTS,
    bench_opportunity,
    bulk_sizes,
    manager_open_opportunities,
)
from touchpoint.sales.models import (
    ApprovalStatus,
    Contract,
    ContractStatus,
    DiscountApproval,
    InstalledItem,
    Lead,
    LeadStatus,
    LineKind,
    MilestoneStatus,
    Opportunity,
    PaymentMilestone,
    Quote,
    QuoteLine,
    QuoteStatus,
    Requirement,
    Stage,
)

pytestmark = pytest.mark.django_db


def run(key: str, scale: str = "small") -> str:
    return demo_steps[key].run(rng=random.Random(f"2026:{key}"), scale=scale, out=lambda text: None)


def counts() -> dict[str, int]:
    return {
        "opportunities": Opportunity.all_objects.count(), "leads": Lead.all_objects.count(),
        "requirements": Requirement.objects.count(), "quotes": Quote.objects.count(),
        "contracts": Contract.objects.count(), "events": Event.objects.count(), "users": User.objects.count(),
    }  # fmt: skip


def test_normal_demo_loads_every_stage_a_waiting_approval_and_due_milestones_once():
    for key in ("org.staff", "customers.demo", "sales.catalogue"):
        run(key)

    run("sales.demo")
    loaded = counts()
    assert run("sales.demo") == "sales: already loaded"

    assert counts() == loaded
    assert 70 <= loaded["opportunities"] <= 90
    assert loaded["leads"] == 25
    assert Lead.objects.filter(status=LeadStatus.NEW, owner__isnull=True).exists()
    assert Lead.objects.filter(status=LeadStatus.DISQUALIFIED).exclude(disqualify_reason="").count() == 6
    empty = Stage.objects.filter(pipeline__is_default=True).exclude(opportunities__isnull=False)
    assert not empty.exists(), f"stages without opportunities: {list(empty)}"
    manager = User.objects.get(username=BENCH_MANAGER)
    waiting = DiscountApproval.objects.filter(status=ApprovalStatus.PENDING, quote__status=QuoteStatus.PENDING_APPROVAL)
    assert waiting.exists()
    assert all(approval.requested_by.teams.filter(lead=manager).exists() for approval in waiting)
    active = Contract.objects.filter(status=ContractStatus.ACTIVE)
    assert PaymentMilestone.objects.filter(contract__in=active, status=MilestoneStatus.DUE).exists()
    assert InstalledItem.objects.filter(contract__in=active).exists()
    assert not Opportunity.objects.filter(stage__code="lost", lost_reason="").exists()
    # Through the services: each opportunity's creation is on its customer's timeline, in the past.
    created = Event.objects.filter(verb="opportunity.created")
    assert created.count() == loaded["opportunities"]
    assert not created.filter(customer_id__isnull=True).exists()
    assert Opportunity.objects.filter(closed_at__isnull=False).earliest("closed_at").closed_at < created.latest(
        "occurred_at"
    ).occurred_at


def test_bulk_step_builds_the_counts_it_promises_once():
    for key in ("org.staff", "sales.catalogue"):
        run(key)
    scale = "0.002"
    run("customers.bulk", scale)
    sizes = bulk_sizes(scale)

    run("sales.bulk", scale)
    loaded = counts()
    assert run("sales.bulk", scale).startswith("bulk sales: already loaded")

    assert counts() == loaded
    assert loaded["opportunities"] == sizes["opportunities"]
    assert loaded["contracts"] == sizes["contracts"]
    assert manager_open_opportunities(User.objects.get(username=BENCH_MANAGER)) == sizes["kanban"]
    assert User.objects.filter(username__startswith="benchrep").count() == sizes["owners"]
    bench = bench_opportunity()
    assert bench is not None and bench.requirements.count() == BENCH_REQUIREMENTS
    for quote in Quote.objects.prefetch_related("lines"):
        licence = [line for line in quote.lines.all() if line.kind == LineKind.LICENCE]
        assert 3 <= len(licence) <= 8
        assert quote.net_total == sum(line.net_amount for line in licence)
    assert Quote.objects.filter(status=QuoteStatus.ACCEPTED).count() == sizes["contracts"]
    kept = Contract.objects.exclude(status=ContractStatus.TERMINATED)
    assert InstalledItem.objects.count() == QuoteLine.objects.filter(quote__contract__in=kept).count()
    assert PaymentMilestone.objects.count() == 4 * sizes["contracts"]
