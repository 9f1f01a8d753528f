"""Renewal reminders: sales hears of an ending contract 90, 60 and 30 days before its end, each
once, and the renewal opportunity is opened once per contract."""

from datetime import date, timedelta

import pytest

from touchpoint.core.models import Event, Notification
from touchpoint.sales.models import Opportunity
from touchpoint.service.models import RenewalReminder
from touchpoint.service.services.contracts import contract_cancel, contract_renew, reminder_stage, renewal_reminders_run
from touchpoint.service.tasks import service_maintenance_daily
from touchpoint.service.tests.fixtures_maint import base, contract_a, contract_b  # noqa: F401

pytestmark = pytest.mark.django_db
END = date(2026, 12, 31)


def days_before(days: int) -> date:
    return END - timedelta(days=days)


def test_reminders_go_at_exactly_90_60_and_30_days_once_each(personas, base, contract_a):  # noqa: F811
    sent_on = []
    for day in range(120, -5, -1):
        for _run in range(2):  # the hourly job runs many times a day
            if renewal_reminders_run(today=days_before(day))["reminded"]:
                sent_on.append(day)
    assert sent_on == [90, 60, 30]
    reminders = RenewalReminder.objects.filter(contract=contract_a).order_by("-days_before")
    assert [r.days_before for r in reminders] == [90, 60, 30]
    assert {r.recipient for r in reminders} == {personas.sales_rep}
    assert Event.objects.filter(verb="coverage.renewal_reminder", target_id=contract_a.pk).count() == 3
    assert Notification.objects.filter(recipient=personas.sales_rep, key__startswith=f"coverage:{contract_a.pk}:renewal").count() == 3


def test_one_renewal_opportunity_per_contract_owned_by_the_accounts_rep(personas, base, contract_a):  # noqa: F811
    for days in (90, 60, 30):
        renewal_reminders_run(today=days_before(days))
    opportunity = Opportunity.objects.get(customer=personas.customer_a)
    assert opportunity.owner == personas.sales_rep and opportunity.amount == contract_a.price
    assert opportunity.close_date == END and contract_a.number in opportunity.title
    assert set(RenewalReminder.objects.filter(contract=contract_a).values_list("opportunity", flat=True)) == {opportunity.pk}


def test_a_contract_first_seen_at_45_days_gets_the_60_day_reminder_then_the_30_day_one(personas, base, contract_a):  # noqa: F811
    assert renewal_reminders_run(today=days_before(45)) == {"reminded": 1, "opportunities": 1}
    assert renewal_reminders_run(today=days_before(44)) == {"reminded": 0, "opportunities": 0}
    assert renewal_reminders_run(today=days_before(30)) == {"reminded": 1, "opportunities": 0}
    assert sorted(RenewalReminder.objects.values_list("days_before", flat=True)) == [30, 60]


def test_each_contract_gets_its_own_reminders_and_its_own_rep(personas, base, contract_a, contract_b):  # noqa: F811
    assert renewal_reminders_run(today=days_before(90)) == {"reminded": 2, "opportunities": 2}
    assert RenewalReminder.objects.get(contract=contract_b).recipient == personas.other_rep
    assert Opportunity.objects.filter(customer=personas.customer_b, owner=personas.other_rep).count() == 1


def test_renewed_cancelled_or_ended_contracts_get_no_reminder(personas, base, contract_a, contract_b):  # noqa: F811
    contract_renew(contract=contract_a, by=personas.maintenance_lead)
    contract_cancel(contract=contract_b, by=personas.maintenance_lead, reason="客户不再续约")
    assert renewal_reminders_run(today=days_before(30)) == {"reminded": 0, "opportunities": 0}
    assert not RenewalReminder.objects.exists() and not Opportunity.objects.exists()


def test_the_days_left_map_onto_the_nearest_stage_not_passed():
    assert [reminder_stage(d) for d in (120, 91, 90, 61, 60, 45, 31, 30, 1, 0, -1)] == [
        None, None, 90, 90, 60, 60, 60, 30, 30, 30, None]  # fmt: skip


def test_the_daily_task_runs_the_whole_round_and_is_idempotent(personas, base, contract_a, monkeypatch):  # noqa: F811
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: days_before(60))
    first = service_maintenance_daily.call()
    second = service_maintenance_daily.call()
    assert first["reminded"] == 1 and second["reminded"] == 0
    assert RenewalReminder.objects.count() == 1 and Opportunity.objects.count() == 1
