"""Change requests: priced as a quote addendum on the won opportunity, decided by the customer."""

from datetime import timedelta
from decimal import Decimal

import pytest

from touchpoint.core.models import Event
from touchpoint.delivery.models import ChangeStatus, Health, Project
from touchpoint.delivery.services.changes import change_request_decide, change_request_quote, change_request_raise
from touchpoint.delivery.services.plan import task_create
from touchpoint.delivery.services.projects import project_move
from touchpoint.delivery.tests.builders import fresh, refused
from touchpoint.finance.tests.conftest import active_contract
from touchpoint.sales.models import LineKind, Quote, QuoteStatus, Stage
from touchpoint.sales.services.opportunities import opportunity_move

pytestmark = pytest.mark.django_db


def raise_change(personas, project, **values):
    defaults = {"title": "新增港股通交易", "description": "客户要求在两融系统中增加港股通交易功能", "effort_days": "5",
                "schedule_days": 10}  # fmt: skip
    return change_request_raise(project=project, by=personas.project_manager, **(defaults | values))


def test_a_change_without_a_price_is_priced_at_its_effort_times_the_products_day_rate(personas, staffed):
    change = raise_change(personas, staffed)

    assert change.status == ChangeStatus.DRAFT and change.number.startswith("CR-")
    assert change.effort_days == Decimal("5.0") and change.schedule_days == 10
    assert change.price == Decimal("15000.00")  # 5 person-days at 3,000
    assert change.currency == staffed.contract.currency and change.customer_id == staffed.customer_id
    event = Event.objects.get(verb="project.change_raised")
    assert event.payload["change"] == change.number and event.payload["price"] == "15000.00"


def test_a_change_with_a_price_keeps_it(personas, staffed):
    assert raise_change(personas, staffed, price="8800").price == Decimal("8800.00")


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("title", {"title": " "}),
        ("description", {"description": ""}),
        ("effort_days", {"effort_days": "-1"}),
        ("effort_days", {"effort_days": "很多"}),
        ("schedule_days", {"schedule_days": -3}),
        ("price", {"price": "-100"}),
    ],
)
def test_a_change_request_needs_its_facts(personas, staffed, field, values):
    with refused(field):
        raise_change(personas, staffed, **values)


@pytest.fixture
def won(personas, opportunity, catalogue):
    """The project of a contract whose signing won its opportunity (moved to negotiation beforehand)."""
    for code in ("discovery", "proposal", "negotiation"):
        opportunity = opportunity_move(opportunity=opportunity, to_stage=Stage.objects.get(code=code), by=personas.sales_rep)
    contract = active_contract(personas, opportunity, [catalogue["trade-core"]])
    assert fresh(opportunity).stage.outcome == "won"
    return Project.objects.get(contract=contract)


def test_quoting_a_change_makes_an_addendum_on_the_won_opportunity_with_a_service_line(personas, won):
    contract = won.contract
    change = raise_change(personas, won)

    quote = change_request_quote(change=change, by=personas.sales_rep)

    quote = Quote.objects.get(pk=quote.pk)
    assert quote.amends == contract and quote.opportunity == contract.opportunity
    assert quote.customer == personas.customer_a and quote.status == QuoteStatus.DRAFT
    [line] = quote.lines.all()
    assert line.kind == LineKind.SERVICE and line.module is None
    assert (line.quantity, line.unit_price) == (Decimal(1), Decimal("15000.00"))
    assert line.description == f"{change.number} 新增港股通交易"
    change = fresh(change)
    assert change.status == ChangeStatus.QUOTED and change.quote == quote and change.version == 2
    assert Event.objects.get(verb="project.change_quoted").payload["quote"] == quote.number


def test_a_change_is_quoted_only_once(personas, staffed):
    change = raise_change(personas, staffed)
    change_request_quote(change=change, by=personas.sales_rep)

    with refused("status", change, models=(Quote,)):
        change_request_quote(change=fresh(change), by=personas.sales_rep)


def test_approving_a_change_moves_the_planned_end_and_the_health_with_it(personas, staffed):
    late = staffed.planned_end_on + timedelta(days=12)
    task_create(project=staffed, by=personas.project_manager, name="港股通开发", start_on=staffed.start_on, end_on=late)
    assert fresh(staffed).health == Health.RED  # twelve days beyond the plan
    change = raise_change(personas, staffed, schedule_days=12)
    change_request_quote(change=change, by=personas.sales_rep)

    decided = change_request_decide(change=change, by=personas.project_manager, approve=True)

    assert decided.status == ChangeStatus.APPROVED and decided.decided_at is not None
    project = fresh(staffed)
    assert project.planned_end_on == late
    assert project.version == staffed.version + 1
    assert project.health == Health.GREEN and project.health_reasons == []
    assert Event.objects.get(verb="project.change_decided").payload["approved"] is True


def test_a_rejected_change_leaves_the_plan_alone(personas, staffed):
    change = raise_change(personas, staffed)

    change_request_decide(change=change, by=personas.project_manager, approve=False)

    assert fresh(change).status == ChangeStatus.REJECTED
    assert fresh(staffed).planned_end_on == staffed.planned_end_on


def test_a_change_is_decided_only_once(personas, staffed):
    change = raise_change(personas, staffed)
    change_request_decide(change=change, by=personas.project_manager, approve=True)

    with refused("status", change, staffed):
        change_request_decide(change=change, by=personas.project_manager, approve=False)


def test_no_change_is_raised_or_decided_on_a_cancelled_project(personas, staffed):
    change = raise_change(personas, staffed)
    project = project_move(project=staffed, to="cancelled", by=personas.project_manager, reason="合同终止")

    with refused(None):
        raise_change(personas, project)
    with refused(None, change, project):
        change_request_decide(change=change, by=personas.project_manager, approve=True)
