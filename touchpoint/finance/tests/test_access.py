"""Who sees which receivables and credit, through the access functions every page and report uses."""

import pytest

from touchpoint.customers.models import AccountRole, Customer
from touchpoint.customers.services import account_member_set, customer_reassign
from touchpoint.finance.access import (
    can_edit_credit,
    can_view_credit,
    can_view_invoice,
    can_view_receipt,
    can_view_receivables,
    may_issue_invoices,
    may_record_receipts,
    visible_credit_profiles,
    visible_invoices,
    visible_receipts,
)
from touchpoint.finance.selectors import invoice_requests, overdue_invoices, receipts_to_allocate
from touchpoint.finance.services.credit import credit_profile_for
from touchpoint.finance.tests.builders import contract_for, pay
from touchpoint.finance.tests.conftest import issue

pytestmark = pytest.mark.django_db

SEES_NOTHING = ["engineer", "project_manager", "maintenance_agent", "maintenance_lead", "marketing", "outsider"]


@pytest.fixture
def books(personas, catalogue, contract, due_milestone):
    """An overdue invoice, a receipt and a credit profile for customer A (rep's) and customer B (other rep's);
    the second milestone of each contract waits to be invoiced."""
    contract_b = contract_for(personas.customer_b, personas.other_rep, personas, [catalogue["trade-risk"]])
    invoice_a = issue(due_milestone, personas.finance, "100000.00", due_days_ago=5)
    invoice_b = issue(contract_b.milestones.get(order=1), personas.finance, "50000.00", due_days_ago=5)
    receipt_a = pay(personas.customer_a, personas.finance, "200.00", allocate=False)
    receipt_b = pay(personas.customer_b, personas.finance, "100.00", allocate=False)
    return {
        "invoices": (invoice_a, invoice_b), "receipts": (receipt_a, receipt_b),
        "profiles": (credit_profile_for(personas.customer_a), credit_profile_for(personas.customer_b)),
    }  # fmt: skip


def seen(user, books) -> dict[str, set[int]]:
    return {
        "invoices": set(visible_invoices(user).values_list("pk", flat=True)),
        "receipts": set(visible_receipts(user).values_list("pk", flat=True)),
        "profiles": set(visible_credit_profiles(user).values_list("pk", flat=True)),
    }


def of(books, index: int | None = None) -> dict[str, set[int]]:
    """The ids of customer A's rows (index 0), B's (1), or both (None)."""
    return {key: {row.pk for i, row in enumerate(rows) if index is None or i == index} for key, rows in books.items()}


@pytest.mark.parametrize("who", ["finance", "executive", "admin"])
def test_finance_executives_and_admins_see_every_customers_receivables(personas, books, who):
    user = getattr(personas, who)

    assert seen(user, books) == of(books)
    for customer in (personas.customer_a, personas.customer_b):
        assert can_view_receivables(user, customer) and can_view_credit(user, customer)
    assert all(can_view_invoice(user, invoice) for invoice in books["invoices"])
    assert all(can_view_receipt(user, receipt) for receipt in books["receipts"])


def test_only_finance_and_admins_issue_record_and_edit_credit(personas, books):
    for who in ("finance", "admin"):
        user = getattr(personas, who)
        assert may_issue_invoices(user) and may_record_receipts(user) and can_edit_credit(user, personas.customer_b)
    for who in ("executive", "sales_manager", "sales_rep", *SEES_NOTHING):
        user = getattr(personas, who)
        assert not may_issue_invoices(user) and not may_record_receipts(user)
        assert not can_edit_credit(user, personas.customer_a)


def test_a_rep_reads_their_own_customers_receivables_and_not_another_reps(personas, books):
    rep = personas.sales_rep
    invoice_a, invoice_b = books["invoices"]

    assert seen(rep, books) == of(books, 0)
    assert can_view_receivables(rep, personas.customer_a) and can_view_credit(rep, personas.customer_a)
    assert not can_view_receivables(rep, personas.customer_b) and not can_view_credit(rep, personas.customer_b)
    assert can_view_invoice(rep, invoice_a) and not can_view_invoice(rep, invoice_b)
    assert not can_view_receipt(rep, books["receipts"][1])
    assert list(overdue_invoices(rep)) == [invoice_a]
    assert list(receipts_to_allocate(rep)) == [books["receipts"][0]]
    assert {m.contract.customer_id for m in invoice_requests(rep)} == {personas.customer_a.pk}


def test_the_other_rep_sees_customer_b_only(personas, books):
    assert seen(personas.other_rep, books) == of(books, 1)
    assert not can_view_receivables(personas.other_rep, personas.customer_a)


def test_a_rep_on_the_account_team_reads_that_customers_receivables(personas, books):
    account_member_set(customer=personas.customer_b, user=personas.sales_rep, role=AccountRole.ACCOUNT_MANAGER,
                       by=personas.sales_manager)  # fmt: skip

    assert seen(personas.sales_rep, books) == of(books)
    assert can_view_receivables(personas.sales_rep, personas.customer_b)


def test_the_rep_who_sold_the_contract_keeps_its_invoices_after_the_customer_moves_on(personas, books):
    customer_reassign(customer=personas.customer_a, owner=personas.other_rep, by=personas.sales_manager, reason="区域调整")
    invoice_a, invoice_b = books["invoices"]

    visible = seen(personas.sales_rep, books)

    assert visible["invoices"] == {invoice_a.pk}
    assert visible["receipts"] == set() and visible["profiles"] == set()
    assert invoice_b.pk not in visible["invoices"]


def test_a_sales_manager_reads_the_departments_customers(personas, books):
    assert seen(personas.sales_manager, books) == of(books)

    # Customer B handed to someone outside the sales department leaves the manager's view.
    Customer.objects.filter(pk=personas.customer_b.pk).update(owner=personas.executive)

    assert seen(personas.sales_manager, books) == of(books, 0)
    assert not can_view_receivables(personas.sales_manager, personas.customer_b)


@pytest.mark.parametrize("who", SEES_NOTHING)
def test_delivery_maintenance_marketing_and_outsiders_see_no_receivables(personas, books, who):
    user = getattr(personas, who)

    assert seen(user, books) == {"invoices": set(), "receipts": set(), "profiles": set()}
    for customer in (personas.customer_a, personas.customer_b):
        assert not can_view_receivables(user, customer) and not can_view_credit(user, customer)
    assert not any(can_view_invoice(user, invoice) for invoice in books["invoices"])
    assert list(invoice_requests(user)) == [] and list(overdue_invoices(user)) == []
    assert list(receipts_to_allocate(user)) == []


def test_an_engineer_on_the_project_team_still_sees_no_receivables(personas, books):
    account_member_set(customer=personas.customer_a, user=personas.engineer, role=AccountRole.ENGINEER,
                       by=personas.sales_manager)  # fmt: skip

    assert seen(personas.engineer, books) == {"invoices": set(), "receipts": set(), "profiles": set()}
    assert not can_view_receivables(personas.engineer, personas.customer_a)


def test_a_deactivated_finance_officer_sees_nothing(personas, books):
    personas.finance.is_active = False
    personas.finance.save(update_fields=["is_active"])

    assert seen(personas.finance, books) == {"invoices": set(), "receipts": set(), "profiles": set()}
    assert not can_view_receivables(personas.finance, personas.customer_a)
