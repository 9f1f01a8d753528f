"""Routine maintenance plans: one scheduled order per period, worked as a request with the checklist,
and the checklist recorded line by line."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from touchpoint.core.versioning import StaleEdit
from touchpoint.service.models import MaintenancePlan, RequestMessage, ScheduledOrder, ServiceRequest
from touchpoint.service.services.contracts import contract_cancel
from touchpoint.service.services.plans import (
    LEAD_DAYS,
    order_record_checklist,
    plan_create,
    plan_generate_orders,
    plan_update,
)
from touchpoint.service.tests.fixtures_maint import base, contract_a, row_counts  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English; the project's default language is Chinese."""
    with translation.override("en"):
        yield


CHECKS = "检查交易主机磁盘空间\n核对行情延迟\n\n备份恢复演练"


@pytest.fixture
def plan(personas, contract_a):  # noqa: F811
    return plan_create(by=personas.maintenance_lead, contract=contract_a, name="季度巡检", checklist=CHECKS,
                       next_due_on=date(2026, 3, 15), frequency="quarterly")  # fmt: skip


def test_a_plan_keeps_its_checklist_lines_without_blanks(plan):
    assert plan.checklist == ["检查交易主机磁盘空间", "核对行情延迟", "备份恢复演练"]
    assert plan.customer_id == plan.contract.customer_id


def test_a_plan_needs_a_name_checks_and_a_date_inside_the_contract(personas, contract_a):  # noqa: F811
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        plan_create(by=personas.maintenance_lead, contract=contract_a, name=" ", checklist="\n \n", next_due_on=date(2027, 3, 1),
                    frequency="weekly")  # fmt: skip
    assert set(caught.value.message_dict) == {"name", "checklist", "next_due_on", "frequency"}
    assert row_counts() == before


def test_one_order_per_period_is_generated_however_often_the_job_runs(personas, plan):
    scheduled = []
    day = date(2026, 3, 1)
    while day <= date(2026, 12, 31):
        for _run in range(2):
            if plan_generate_orders(today=day)["scheduled"]:
                scheduled.append(day)
        day += timedelta(days=1)
    orders = list(ScheduledOrder.objects.filter(plan=plan).order_by("due_on"))
    assert [o.due_on for o in orders] == [date(2026, 3, 15), date(2026, 6, 15), date(2026, 9, 15), date(2026, 12, 15)]
    assert scheduled == [o.due_on - timedelta(days=LEAD_DAYS) for o in orders]
    request = orders[0].request
    assert request.category == "consultation" and request.customer == personas.customer_a
    assert request.coverage == plan.contract and "核对行情延迟" in request.description
    assert [line["line"] for line in orders[0].results] == plan.checklist


def test_missed_periods_are_skipped_not_made_up(plan):
    assert plan_generate_orders(today=date(2026, 11, 1)) == {"scheduled": 1}
    assert list(ScheduledOrder.objects.values_list("due_on", flat=True)) == [date(2026, 9, 15)]
    plan.refresh_from_db()
    assert plan.next_due_on == date(2026, 12, 15)


def test_no_orders_past_the_contract_or_under_a_cancelled_one(personas, plan, contract_a):  # noqa: F811
    plan_generate_orders(today=date(2026, 12, 31))
    plan_generate_orders(today=date(2027, 3, 20))
    assert not ScheduledOrder.objects.filter(due_on__gt=date(2026, 12, 31)).exists()
    contract_cancel(contract=contract_a, by=personas.maintenance_lead, reason="客户终止合作")
    MaintenancePlan.objects.filter(pk=plan.pk).update(next_due_on=date(2026, 6, 1))
    assert plan_generate_orders(today=date(2026, 6, 1)) == {"scheduled": 0}


def test_an_inactive_plan_makes_no_orders(personas, plan):
    plan_update(plan=plan, by=personas.maintenance_lead, expected_version=1, is_active=False)
    assert plan_generate_orders(today=date(2026, 3, 15)) == {"scheduled": 0}


def test_a_stale_plan_edit_is_refused(personas, plan):
    plan_update(plan=plan, by=personas.maintenance_lead, expected_version=1, name="月度巡检", frequency="monthly")
    with pytest.raises(StaleEdit):
        plan_update(plan=plan, by=personas.maintenance_lead, expected_version=1, name="旧名称")
    assert MaintenancePlan.objects.get(pk=plan.pk).name == "月度巡检"


def test_the_checklist_is_recorded_then_completed_with_a_note_on_the_request(personas, plan):
    plan_generate_orders(today=date(2026, 3, 10))
    order = ScheduledOrder.objects.get()
    order_record_checklist(order=order, by=personas.engineer, results=[
        {"result": "ok"}, {"result": "issue", "note": "延迟 300ms"}, {"result": ""}])  # fmt: skip
    order.refresh_from_db()
    assert order.completed_at is None and order.results[1] == {"line": "核对行情延迟", "result": "issue", "note": "延迟 300ms"}
    order_record_checklist(order=order, by=personas.engineer, complete=True, results=[
        {"result": "ok"}, {"result": "issue", "note": "延迟 300ms"}, {"result": "na"}])  # fmt: skip
    order.refresh_from_db()
    assert order.completed_by == personas.engineer and order.completed_at is not None
    note = RequestMessage.objects.get(request=order.request, kind="note")
    assert "延迟 300ms" in note.body


def test_a_checklist_with_an_unexplained_issue_a_gap_or_a_wrong_result_is_refused(personas, plan):
    plan_generate_orders(today=date(2026, 3, 10))
    order = ScheduledOrder.objects.get()
    cases = [
        ([{"result": "ok"}, {"result": "issue"}, {"result": "ok"}], "results.2"),
        ([{"result": "ok"}, {"result": "ok"}, {"result": ""}], "results.3"),
        ([{"result": "broken"}, {"result": "ok"}, {"result": "ok"}], "results.1"),
        ([{"result": "ok"}], "results"),
    ]
    for results, field in cases:
        with pytest.raises(ValidationError) as caught:
            order_record_checklist(order=order, by=personas.engineer, results=results, complete=True)
        assert field in caught.value.message_dict
    order.refresh_from_db()
    assert order.completed_at is None and all(line["result"] == "" for line in order.results)


def test_a_completed_inspection_is_kept_as_it_was(personas, plan):
    plan_generate_orders(today=date(2026, 3, 10))
    order = ScheduledOrder.objects.get()
    done = [{"result": "ok"}] * 3
    order_record_checklist(order=order, by=personas.engineer, results=done, complete=True)
    with pytest.raises(ValidationError, match="kept as it was"):
        order_record_checklist(order=order, by=personas.engineer, results=[{"result": "na"}] * 3)
    assert ServiceRequest.objects.count() == 1
