"""Maintenance contracts: created with their coverage, edited against a version, renewed along the
workflow, and closed by the daily sweep."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from touchpoint.core.models import Event
from touchpoint.core.versioning import StaleEdit
from touchpoint.service.models import MaintenanceContract
from touchpoint.service.services.contracts import (
    contract_cancel,
    contract_expire,
    contract_renew,
    contract_update,
    contracts_sweep,
    renewal_period,
)
from touchpoint.service.services.requests import coverage_for
from touchpoint.service.tests.fixtures_maint import base, contract_a, contract_b, make_contract, row_counts  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English; the project's default language is Chinese."""
    with translation.override("en"):
        yield


def test_a_new_contract_covers_its_modules_and_records_an_event(personas, base, contract_a):  # noqa: F811
    assert contract_a.number.startswith("MC-2026-")
    assert set(contract_a.items.all()) == {base.core_a, base.risk_a}
    assert coverage_for(personas.customer_a, base.core_a, date(2026, 6, 1)) == contract_a
    assert coverage_for(personas.customer_a, base.other_product_a, date(2026, 6, 1)) is None
    assert Event.objects.filter(verb="coverage.created", target_id=contract_a.pk, customer=personas.customer_a).exists()


def test_a_contract_ending_before_it_starts_or_covering_another_customers_module_is_refused(personas, base):  # noqa: F811
    before = row_counts()
    with pytest.raises(ValidationError) as caught:
        make_contract(personas, base, starts_on=date(2026, 6, 1), ends_on=date(2026, 5, 31))
    assert "ends_on" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        make_contract(personas, base, customer=personas.customer_a, price=Decimal("-1"))
    assert "price" in caught.value.message_dict
    from touchpoint.service.services.contracts import contract_create

    with pytest.raises(ValidationError) as caught:
        contract_create(by=personas.maintenance_lead, customer=personas.customer_a, starts_on=date(2026, 1, 1),
                        ends_on=date(2026, 12, 31), items=[base.core_b])  # fmt: skip
    assert "items" in caught.value.message_dict
    assert row_counts() == before


def test_an_edit_bumps_the_version_and_a_stale_one_is_refused(personas, base, contract_a):  # noqa: F811
    updated, diff = contract_update(contract=contract_a, by=personas.maintenance_lead, expected_version=1, price=Decimal("150000"),
                                    items=[base.core_a])  # fmt: skip
    assert updated.version == 2 and {c.field for c in diff} == {"price", "items"}
    assert list(updated.items.all()) == [base.core_a]
    with pytest.raises(StaleEdit):
        contract_update(contract=contract_a, by=personas.maintenance_lead, expected_version=1, price=Decimal("1"))
    assert MaintenanceContract.objects.get(pk=contract_a.pk).price == Decimal("150000")


def test_changing_only_the_covered_modules_is_a_new_version_too(personas, base, contract_a):  # noqa: F811
    updated, diff = contract_update(contract=contract_a, by=personas.maintenance_lead, expected_version=1, items=[base.risk_a])
    assert [c.field for c in diff] == ["items"] and updated.version == 2
    assert MaintenanceContract.objects.get(pk=contract_a.pk).version == 2


def test_a_renewal_follows_the_old_period_with_the_same_terms(personas, base, contract_a):  # noqa: F811
    renewal = contract_renew(contract=contract_a, by=personas.maintenance_lead)
    assert renewal.renewal_of == contract_a and renewal.kind == "maintenance"
    assert (renewal.starts_on, renewal.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))
    assert renewal.price == contract_a.price and renewal.tier == "premium"
    assert set(renewal.items.all()) == {base.core_a, base.risk_a}
    # The old contract still covers its own year; the renewal covers the next one.
    assert MaintenanceContract.objects.get(pk=contract_a.pk).status == "active"
    assert coverage_for(personas.customer_a, base.core_a, date(2027, 3, 1)) == renewal
    assert Event.objects.filter(verb="coverage.renewed", target_id=contract_a.pk).exists()


def test_a_contract_is_renewed_once_only(personas, base, contract_a):  # noqa: F811
    contract_renew(contract=contract_a, by=personas.maintenance_lead)
    before = row_counts()
    with pytest.raises(ValidationError, match="renewed already"):
        contract_renew(contract=contract_a, by=personas.maintenance_lead)
    assert row_counts() == before


def test_a_cancelled_contract_cannot_be_renewed(personas, base, contract_a):  # noqa: F811
    contract_cancel(contract=contract_a, by=personas.maintenance_lead, reason="客户更换供应商")
    before = row_counts()
    with pytest.raises(ValidationError, match="cancelled contract cannot be renewed"):
        contract_renew(contract=contract_a, by=personas.maintenance_lead)
    assert row_counts() == before
    assert coverage_for(personas.customer_a, base.core_a, date(2026, 6, 1)) is None


def test_cancelling_needs_a_reason(personas, base, contract_a):  # noqa: F811
    with pytest.raises(ValidationError) as caught:
        contract_cancel(contract=contract_a, by=personas.maintenance_lead, reason="  ")
    assert "reason" in caught.value.message_dict
    assert MaintenanceContract.objects.get(pk=contract_a.pk).status == "active"


def test_an_expired_contract_renewed_late_becomes_renewed_at_once(personas, base, contract_a):  # noqa: F811
    assert contracts_sweep(today=date(2027, 1, 5)) == {"expired": 1, "renewed": 0}
    contract_a.refresh_from_db()
    assert contract_a.status == "expired"
    renewal = contract_renew(contract=contract_a, by=personas.maintenance_lead, starts_on=date(2027, 1, 10))
    assert (renewal.starts_on, renewal.ends_on) == (date(2027, 1, 10), date(2028, 1, 9))
    assert MaintenanceContract.objects.get(pk=contract_a.pk).status == "renewed"


def test_a_renewal_cannot_start_inside_the_old_period(personas, base, contract_a):  # noqa: F811
    with pytest.raises(ValidationError) as caught:
        contract_renew(contract=contract_a, by=personas.maintenance_lead, starts_on=date(2026, 12, 1))
    assert "starts_on" in caught.value.message_dict


def test_the_sweep_closes_lapsed_contracts_once_as_renewed_or_expired(personas, base, contract_a, contract_b):  # noqa: F811
    contract_renew(contract=contract_a, by=personas.maintenance_lead)
    assert contracts_sweep(today=date(2026, 12, 31)) == {"expired": 0, "renewed": 0}
    assert contracts_sweep(today=date(2027, 1, 1)) == {"expired": 1, "renewed": 1}
    assert contracts_sweep(today=date(2027, 1, 2)) == {"expired": 0, "renewed": 0}
    assert MaintenanceContract.objects.get(pk=contract_a.pk).status == "renewed"
    assert MaintenanceContract.objects.get(pk=contract_b.pk).status == "expired"
    assert Event.objects.filter(verb="coverage.status", target_id=contract_b.pk).count() == 1


def test_a_running_contract_cannot_be_expired_by_hand(personas, base, contract_a):  # noqa: F811
    with pytest.raises(ValidationError, match="runs until"):
        contract_expire(contract=contract_a, today=date(2026, 6, 1))


@pytest.mark.parametrize(("starts", "ends", "next_start", "next_end"), [
    (date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1), date(2027, 12, 31)),
    (date(2025, 7, 1), date(2026, 6, 30), date(2026, 7, 1), date(2027, 6, 30)),
    (date(2026, 1, 1), date(2027, 12, 31), date(2028, 1, 1), date(2029, 12, 31)),
    (date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1), date(2026, 6, 30)),
    (date(2026, 1, 15), date(2026, 2, 14), date(2026, 2, 15), date(2026, 3, 14)),
    (date(2026, 1, 10), date(2026, 1, 20), date(2026, 1, 21), date(2026, 1, 31)),
])  # fmt: skip
def test_the_renewal_period_has_the_old_ones_length(starts, ends, next_start, next_end):
    assert renewal_period(MaintenanceContract(starts_on=starts, ends_on=ends)) == (next_start, next_end)
