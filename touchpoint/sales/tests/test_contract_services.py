from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from touchpoint.core.extensions import BLOCK, WARN, CheckResult, contract_checks
from touchpoint.core.models import Event
from touchpoint.sales.models import Contract, ContractStatus, InstalledItem, MilestoneStatus, PaymentMilestone
from touchpoint.sales.services.contracts import (
    check_milestones,
    contract_complete,
    contract_confirm,
    contract_from_quote,
    contract_milestones_set,
    contract_terminate,
    contract_update,
    delivery_event_fire,
    milestones_due_by_date,
)
from touchpoint.sales.services.opportunities import opportunity_move
from touchpoint.sales.services.quotes import quote_accept, quote_create, quote_line_add, quote_mark_sent, quote_submit


@pytest.fixture
def accepted(personas, opportunity, catalogue):
    quote = quote_create(opportunity=opportunity, by=personas.sales_rep, contact=personas.contact_a)
    quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-core"])
    quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-margin"])
    quote = quote_submit(quote=quote, by=personas.sales_rep)
    quote = quote_mark_sent(quote=quote, by=personas.sales_rep)
    return quote_accept(quote=quote, by=personas.sales_rep)


def signed(personas, accepted) -> Contract:
    return contract_from_quote(quote=accepted, by=personas.sales_rep, signed_on=timezone.localdate())


@pytest.mark.django_db
def test_an_accepted_quote_becomes_a_draft_with_the_default_milestones(personas, accepted):
    contract = signed(personas, accepted)
    assert contract.status == ContractStatus.DRAFT
    assert contract.amount == accepted.grand_total == Decimal("1378000.00")
    milestones = list(contract.milestones.order_by("order"))
    assert [m.percent for m in milestones] == [Decimal(30), Decimal(40), Decimal(20), Decimal(10)]
    assert sum(m.amount for m in milestones) == contract.amount
    assert [m.trigger for m in milestones] == ["signing", "event", "event", "event"]
    assert contract.number.startswith("C-")


@pytest.mark.django_db
def test_a_quote_not_yet_accepted_cannot_become_a_contract(personas, opportunity, catalogue):
    quote = quote_create(opportunity=opportunity, by=personas.sales_rep)
    with pytest.raises(ValidationError) as error:
        contract_from_quote(quote=quote, by=personas.sales_rep)
    assert "quote" in error.value.message_dict
    assert not Contract.objects.exists()


@pytest.mark.django_db
def test_milestones_must_sum_to_exactly_100_and_nothing_changes_otherwise(personas, accepted):
    contract = signed(personas, accepted)
    before = list(contract.milestones.values_list("pk", flat=True))
    plan = [{"name": "首付款", "percent": "50", "trigger": "signing"},
            {"name": "验收款", "percent": "40", "trigger": "event", "trigger_event": "delivery_accepted"}]  # fmt: skip
    with pytest.raises(ValidationError) as error:
        contract_milestones_set(contract=contract, by=personas.sales_rep, milestones=plan)
    assert "100" in " ".join(error.value.message_dict["milestones"])
    assert list(contract.milestones.values_list("pk", flat=True)) == before
    plan.append({"name": "尾款", "percent": "10", "trigger": "date", "expected_date": date(2027, 12, 31)})
    written = contract_milestones_set(contract=contract, by=personas.sales_rep, milestones=plan)
    assert [m.amount for m in written] == [Decimal("689000.00"), Decimal("551200.00"), Decimal("137800.00")]


@given(shares=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6))
@settings(max_examples=80, deadline=None)
def test_the_milestone_check_accepts_exactly_the_plans_that_sum_to_100(shares):
    plan = [{"name": f"m{i}", "percent": Decimal(s), "trigger": "signing"} for i, s in enumerate(shares)]
    if sum(shares) == 100:
        check_milestones(plan)
    else:
        with pytest.raises(ValidationError):
            check_milestones(plan)


@pytest.mark.django_db
def test_an_event_milestone_needs_its_event(personas, accepted):
    contract = signed(personas, accepted)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        contract_milestones_set(contract=contract, by=personas.sales_rep,
                                milestones=[{"name": "全款", "percent": "100", "trigger": "event"}])  # fmt: skip
    assert "delivery event" in error.value.message_dict["milestones"][0]


@pytest.mark.django_db
def test_confirming_activates_records_the_installed_base_and_makes_signing_due(personas, accepted):
    contract = contract_confirm(contract=signed(personas, accepted), by=personas.sales_rep)
    assert contract.status == ContractStatus.ACTIVE and contract.activated_at is not None
    installed = InstalledItem.objects.filter(customer=personas.customer_a)
    assert {item.module.code for item in installed} == {"trade-core", "trade-margin"}
    assert all(item.version is not None and item.version.number == "5.2" for item in installed)
    due = PaymentMilestone.objects.filter(contract=contract, status=MilestoneStatus.DUE)
    assert [m.name for m in due] == ["签约款"]
    assert Event.objects.filter(verb="contract.activated", customer=personas.customer_a).exists()
    assert Event.objects.filter(verb="contract.milestone_due").count() == 1


@pytest.mark.django_db
def test_activation_wins_the_opportunity_when_the_pipeline_allows_it(personas, accepted, opportunity):
    from touchpoint.sales.models import Stage

    for code in ("discovery", "proposal", "negotiation"):
        opportunity = opportunity_move(opportunity=opportunity, to_stage=Stage.objects.get(code=code), by=personas.sales_rep)
    contract_confirm(contract=signed(personas, accepted), by=personas.sales_rep)
    opportunity.refresh_from_db()
    assert opportunity.stage.code == "won"


@pytest.mark.django_db
def test_a_blocking_check_holds_the_contract_with_its_reason(personas, accepted):
    contract_checks["test-credit"] = lambda contract, user: CheckResult("test-credit", BLOCK, "超出信用额度")
    try:
        contract = contract_confirm(contract=signed(personas, accepted), by=personas.sales_rep)
    finally:
        del contract_checks["test-credit"]
    assert contract.status == ContractStatus.PENDING_CHECKS
    # The registered checks all run: the finance credit check passes, the test check blocks.
    assert contract.check_results == [{"check": "credit", "result": "pass", "message": ""},
                                      {"check": "test-credit", "result": "block", "message": "超出信用额度"}]  # fmt: skip
    assert not InstalledItem.objects.exists()
    contract_checks["test-warn"] = lambda contract, user: CheckResult("credit", WARN, "接近信用额度")
    try:
        contract = contract_confirm(contract=contract, by=personas.sales_rep)
    finally:
        del contract_checks["test-warn"]
    assert contract.status == ContractStatus.ACTIVE


@pytest.mark.django_db
def test_confirming_needs_a_signing_date(personas, accepted):
    contract = contract_from_quote(quote=accepted, by=personas.sales_rep)
    with pytest.raises(ValidationError) as error:
        contract_confirm(contract=contract, by=personas.sales_rep)
    assert "signed_on" in error.value.message_dict
    with pytest.raises(ValidationError):
        contract_update(contract=contract, by=personas.sales_rep, expected_version=contract.version,
                        signed_on=timezone.localdate() + timedelta(days=3))  # fmt: skip


@pytest.mark.django_db
def test_delivery_events_and_dates_make_their_milestones_due_once(personas, accepted):
    contract = contract_confirm(contract=signed(personas, accepted), by=personas.sales_rep)
    due = delivery_event_fire(contract=contract, event="delivery_accepted", by=personas.project_manager)
    assert [m.name for m in due] == ["到货验收款"]
    assert delivery_event_fire(contract=contract, event="delivery_accepted", by=personas.project_manager) == []
    with pytest.raises(ValidationError):
        delivery_event_fire(contract=contract, event="bogus", by=personas.project_manager)
    PaymentMilestone.objects.filter(contract=contract, name="上线款").update(trigger="date", trigger_event="",
                                                                          expected_date=timezone.localdate())  # fmt: skip
    assert milestones_due_by_date() == 1
    assert milestones_due_by_date() == 0


@pytest.mark.django_db
def test_completion_needs_every_milestone_settled_and_termination_needs_a_reason(personas, accepted):
    contract = contract_confirm(contract=signed(personas, accepted), by=personas.sales_rep)
    with pytest.raises(ValidationError):
        contract_complete(contract=contract, by=personas.sales_rep)
    with pytest.raises(ValidationError):
        contract_terminate(contract=contract, by=personas.sales_rep, reason="")
    contract = contract_terminate(contract=contract, by=personas.sales_rep, reason="客户项目取消")
    assert contract.status == ContractStatus.TERMINATED
    assert not contract.milestones.filter(status__in=["pending", "due"]).exists()


@pytest.mark.django_db
def test_a_share_out_of_range_gets_its_message(personas, accepted):
    contract = signed(personas, accepted)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        contract_milestones_set(contract=contract, by=personas.sales_rep, milestones=[
            {"name": "全款", "percent": "0", "trigger": "signing"},
            {"name": "尾款", "percent": "100", "trigger": "signing"},
        ])  # fmt: skip
    assert "Milestone 1: the share must be above 0% and at most 100%." in error.value.message_dict["milestones"]


@pytest.mark.django_db
def test_activating_a_contract_makes_a_prospect_an_active_customer(personas, accepted):
    from touchpoint.customers.models import Customer, CustomerStatus

    Customer.objects.filter(pk=personas.customer_a.pk).update(status=CustomerStatus.PROSPECT)
    contract_confirm(contract=signed(personas, accepted), by=personas.sales_rep)
    assert Customer.objects.get(pk=personas.customer_a.pk).status == CustomerStatus.ACTIVE
    assert Event.objects.filter(customer_id=personas.customer_a.pk, verb="customer.updated").exists()
