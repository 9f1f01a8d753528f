"""Receivables reports: AR ageing, collection plans, DSO and expected cash, collections against plan."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from touchpoint.finance.reports import BUCKETS, add_months, ageing, collections_against_plan, contract_plan, customer_plan, outlook
from touchpoint.finance.services.invoices import credit_note_issue
from touchpoint.finance.services.receipts import receipt_allocate, receipt_reverse
from touchpoint.finance.tests.builders import all_milestones_due, contract_for, pay, today
from touchpoint.finance.tests.conftest import issue
from touchpoint.org.models import User
from touchpoint.sales.models import PaymentMilestone

pytestmark = pytest.mark.django_db

D = Decimal


def this_month() -> date:
    return today().replace(day=1)


def fresh_user(user: User) -> User:
    """The same user without the positions cached on the object, as a new request would load it."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def contract_b(personas, catalogue, contract):
    """Customer B's contract (other rep, 北京): 318,000 in milestones of 95,400 / 127,200 / 63,600 / 31,800."""
    return contract_for(personas.customer_b, personas.other_rep, personas, [catalogue["trade-risk"]])


@pytest.fixture
def aged(personas, contract, contract_b):
    """Customer A's open invoices spread over every bucket, one of B's 45 days overdue, and a credit note."""
    milestone = contract.milestones.get(order=1)
    a = {
        days: issue(milestone, personas.finance, amount, days_ago=max(0, days) + 30, due_days_ago=days)
        for days, amount in [(-10, "100000.00"), (0, "50000.00"), (1, "30000.00"), (30, "20000.00"), (31, "10000.00"),
                             (61, "8000.00"), (91, "6000.00"), (180, "4000.00"), (181, "2000.00")]
    }  # fmt: skip
    receipt = pay(personas.customer_a, personas.finance, "5000.00", allocate=False)
    receipt_allocate(receipt=receipt, by=personas.finance, allocations=[(a[30], "5000.00")])
    b = issue(contract_b.milestones.get(order=1), personas.finance, "70000.00", days_ago=75, due_days_ago=45)
    note_on = issue(milestone, personas.finance, "1000.00", due_days_ago=400)
    credit_note_issue(invoice=note_on, by=personas.finance, amount="1000.00", reason="作废")
    return a, b


ALL_BUCKETS = {"current": D("150000.00"), "d1_30": D("45000.00"), "d31_60": D("80000.00"), "d61_90": D("8000.00"),
               "d91_180": D("10000.00"), "d180_plus": D("2000.00")}  # fmt: skip
A_BUCKETS = {**ALL_BUCKETS, "d31_60": D("10000.00")}
B_BUCKETS = {key: D("0") for key in ALL_BUCKETS} | {"d31_60": D("70000.00")}


def test_ageing_puts_each_open_invoice_in_its_bucket_by_days_past_due(personas, aged):
    report = ageing(user=personas.finance)

    assert [key for key, *_rest in BUCKETS] == list(ALL_BUCKETS)
    assert report.totals.buckets == ALL_BUCKETS
    assert report.totals.total == D("295000.00") and report.totals.overdue == D("145000.00")
    assert report.totals.count == 10
    assert [(row.key, row.name, row.buckets) for row in report.rows] == [
        (personas.customer_a.pk, personas.customer_a.name, A_BUCKETS),
        (personas.customer_b.pk, personas.customer_b.name, B_BUCKETS),
    ]
    assert report.groups == 2
    assert sum((row.total for row in report.rows), D(0)) == report.totals.total


def test_ageing_by_rep_and_by_region(personas, aged):
    by_rep = ageing(user=personas.finance, group_by="owner")
    by_region = ageing(user=personas.finance, group_by="region")

    assert [(row.name, row.total) for row in by_rep.rows] == [("王销售", D("225000.00")), ("李销售", D("70000.00"))]
    assert [(row.name, row.total) for row in by_region.rows] == [("江苏", D("225000.00")), ("北京", D("70000.00"))]
    assert by_rep.totals.buckets == by_region.totals.buckets == ALL_BUCKETS
    assert ageing(user=personas.finance, group_by="nonsense").group_by == "customer"


def test_a_rep_sees_only_the_ageing_of_their_own_customers(personas, aged):
    report = ageing(user=personas.sales_rep)

    assert [row.key for row in report.rows] == [personas.customer_a.pk]
    assert report.totals.buckets == A_BUCKETS and report.totals.total == D("225000.00")
    assert ageing(user=personas.other_rep).totals.total == D("70000.00")
    assert ageing(user=personas.engineer).totals.total == 0 and ageing(user=personas.engineer).rows == []


def test_ageing_moves_with_the_day_it_is_run_for(personas, aged):
    report = ageing(user=personas.finance, today=today() + timedelta(days=1))

    assert report.totals.buckets["current"] == D("100000.00")  # the invoice due today is now a day late
    assert report.totals.buckets["d180_plus"] == D("6000.00")
    assert report.totals.total == D("295000.00")


def test_ageing_runs_in_a_fixed_number_of_queries(personas, aged, catalogue, django_assert_num_queries):
    ageing(user=personas.finance)  # the policy table is cached from here on

    # positions of the reader, the totals, the groups, their names
    finance, rep = fresh_user(personas.finance), fresh_user(personas.sales_rep)
    with django_assert_num_queries(4):
        ageing(user=finance)
    with django_assert_num_queries(4):
        ageing(user=rep, group_by="owner")

    more = contract_for(personas.customer_b, personas.other_rep, personas, [catalogue["trade-core"]])
    issue(more.milestones.get(order=1), personas.finance, due_days_ago=100)
    finance = fresh_user(personas.finance)
    with django_assert_num_queries(4):
        ageing(user=finance)
    finance = fresh_user(personas.finance)
    with django_assert_num_queries(3):  # a region is its own name
        ageing(user=finance, group_by="region")


# --- Collection plan ----------------------------------------------------------------------------


def test_the_collection_plan_of_a_contract_shows_each_milestone_and_each_month(personas, contract):
    first, second, third, fourth = contract.milestones.order_by("order")
    invoice = issue(first, personas.finance, days_ago=40, due_days_ago=10)
    pay(personas.customer_a, personas.finance, "200000.00", days_ago=3)

    plan = contract_plan(contract=contract)

    assert [line.milestone.pk for line in plan.lines] == [first.pk, second.pk, third.pk, fourth.pk]
    line = plan.lines[0]
    assert (line.invoiced, line.received, line.open, line.overdue_days, line.to_invoice) == (
        D("413400.00"), D("200000.00"), D("213400.00"), 10, D("0"))
    assert line.overdue == D("213400.00")
    assert [(line.invoiced, line.to_invoice, line.overdue_days) for line in plan.lines[1:]] == [
        (D("0"), m.amount, 0) for m in (second, third, fourth)
    ]  # fmt: skip
    assert (plan.amount, plan.invoiced, plan.received, plan.open, plan.overdue) == (
        contract.amount, D("413400.00"), D("200000.00"), D("213400.00"), D("213400.00"))
    expected: dict[date, D] = {}
    for milestone in (first, second, third, fourth):
        month = milestone.expected_date.replace(day=1)
        expected[month] = expected.get(month, D(0)) + milestone.amount
    received_month = (today() - timedelta(days=3)).replace(day=1)
    assert {m.month: m.expected for m in plan.months if m.expected} == expected
    assert {m.month: m.received for m in plan.months if m.received} == {received_month: D("200000.00")}
    assert [m.month for m in plan.months] == sorted(m.month for m in plan.months)
    assert invoice.milestone_id == first.pk


def test_a_reversed_receipt_is_not_collected_in_the_plan(personas, contract):
    first = contract.milestones.get(order=1)
    issue(first, personas.finance)
    receipt = pay(personas.customer_a, personas.finance, "100000.00")

    receipt_reverse(receipt=receipt, by=personas.finance, reason="退票")

    plan = contract_plan(contract=contract)
    assert plan.received == 0 and plan.lines[0].open == D("413400.00")
    assert all(month.received == 0 for month in plan.months)


def test_a_cancelled_milestone_leaves_the_plan(personas, contract):
    fourth = contract.milestones.get(order=4)
    PaymentMilestone.objects.filter(pk=fourth.pk).update(status="cancelled")

    plan = contract_plan(contract=contract)

    assert plan.amount == contract.amount - fourth.amount
    assert plan.lines[3].to_invoice == 0
    assert sum(month.expected for month in plan.months) == plan.amount


def test_the_customer_plan_gathers_the_contracts_the_reader_may_see(personas, catalogue, contract, contract_b):
    second = contract_for(personas.customer_a, personas.sales_rep, personas, [catalogue["trade-risk"]])
    issue(second.milestones.get(order=1), personas.finance, due_days_ago=3)

    plan = customer_plan(user=personas.sales_rep, customer=personas.customer_a)

    assert plan.amount == contract.amount + second.amount
    assert len(plan.lines) == 8 and plan.overdue == D("95400.00")
    assert customer_plan(user=personas.other_rep, customer=personas.customer_a).lines == []
    assert customer_plan(user=personas.finance, customer=personas.customer_b).amount == contract_b.amount


def test_the_collection_plan_runs_in_four_queries_whatever_the_number_of_milestones(
    personas, catalogue, contract, django_assert_num_queries
):
    issue(contract.milestones.get(order=1), personas.finance, due_days_ago=5)
    with django_assert_num_queries(4):
        contract_plan(contract=contract)

    for milestone in all_milestones_due(contract, personas.sales_rep)[1:]:
        issue(milestone, personas.finance, "1000.00")
    pay(personas.customer_a, personas.finance, "500000.00")
    with django_assert_num_queries(4):
        contract_plan(contract=contract)


# --- DSO, expected cash, collections against plan ---------------------------------------------


@pytest.fixture
def outlook_book(personas, contract):
    """Milestone 1 invoiced 40 days ago and overdue, 300,000 of it open; milestone 2 due and invoiced 151,200
    payable next month, the rest expected next month; milestone 3 expected in four months; milestone 4 late
    (expected 40 days ago, not yet due)."""
    first, second, third, fourth = all_milestones_due(contract, personas.sales_rep)
    PaymentMilestone.objects.filter(pk=fourth.pk).update(status="pending", expected_date=today() - timedelta(days=40))
    PaymentMilestone.objects.filter(pk=second.pk).update(expected_date=add_months(this_month(), 1) + timedelta(days=9))
    PaymentMilestone.objects.filter(pk=third.pk).update(status="pending", expected_date=add_months(this_month(), 4))
    issue(first, personas.finance, days_ago=40, due_days_ago=10)
    pay(personas.customer_a, personas.finance, "113400.00")
    next_month_due = (today() - (add_months(this_month(), 1) + timedelta(days=4))).days
    issue(second, personas.finance, "151200.00", due_days_ago=next_month_due)
    return first, second, third, fourth


def test_outlook_gives_dso_and_the_cash_expected_in_the_next_3_and_6_months(personas, outlook_book):
    report = outlook(user=personas.finance)

    assert report.open_ar == D("451200.00") and report.overdue == D("300000.00")
    assert report.billed_90_days == D("564600.00")
    assert report.dso == (D("451200.00") / D("564600.00") * 90).quantize(D("0.1")) == D("71.9")
    assert [month.month for month in report.months] == [add_months(this_month(), i) for i in range(6)]
    cash = [(month.from_invoices, month.from_milestones) for month in report.months]
    assert cash == [
        (D("300000.00"), D("137800.00")),  # overdue invoices and the late milestone count now
        (D("151200.00"), D("400000.00")),
        (D("0"), D("0")),
        (D("0"), D("0")),
        (D("0"), D("275600.00")),
        (D("0"), D("0")),
    ]
    assert report.next_months(3) == D("989000.00")
    assert report.next_months(6) == D("1264600.00")


def test_outlook_of_a_rep_covers_their_customers_only(personas, outlook_book, contract_b):
    issue(contract_b.milestones.get(order=1), personas.finance, due_days_ago=1)

    assert outlook(user=personas.sales_rep).open_ar == D("451200.00")
    assert outlook(user=personas.other_rep).open_ar == D("95400.00")
    assert outlook(user=personas.finance).open_ar == D("546600.00")
    nothing = outlook(user=personas.marketing)
    assert nothing.open_ar == 0 and nothing.dso is None and nothing.next_months(6) == 0


def test_outlook_runs_in_a_fixed_number_of_queries(personas, outlook_book, contract_b, django_assert_num_queries):
    outlook(user=personas.finance)

    # positions, open and overdue, billed in 90 days, open by due month, billed per waiting milestone,
    # the waiting milestones
    finance, manager = fresh_user(personas.finance), fresh_user(personas.sales_manager)
    with django_assert_num_queries(6):
        outlook(user=finance)
    issue(contract_b.milestones.get(order=1), personas.finance, due_days_ago=1)
    with django_assert_num_queries(6):
        outlook(user=manager)


def test_collections_against_plan_by_month_and_by_rep(personas, contract, contract_b):
    last_month, next_month = add_months(this_month(), -1), add_months(this_month(), 1)
    first, second, third, fourth = contract.milestones.order_by("order")
    PaymentMilestone.objects.filter(pk=second.pk).update(expected_date=next_month)
    PaymentMilestone.objects.filter(pk__in=[third.pk, fourth.pk]).update(expected_date=add_months(this_month(), 12))
    PaymentMilestone.objects.filter(contract=contract_b).exclude(order=1).update(expected_date=add_months(this_month(), 12))
    issue(first, personas.finance)
    issue(contract_b.milestones.get(order=1), personas.finance)
    pay(personas.customer_a, personas.finance, "100000.00")
    pay(personas.customer_b, personas.finance, "50000.00", days_ago=today().day)  # the last day of last month
    bounced = pay(personas.customer_a, personas.finance, "1000.00")
    receipt_reverse(receipt=bounced, by=personas.finance, reason="退票")

    report = collections_against_plan(user=personas.finance, start=last_month, end=next_month)

    assert report.months == [last_month, this_month(), next_month]
    assert report.planned == {last_month: D("0"), this_month(): D("508800.00"), next_month: D("551200.00")}
    assert report.collected == {last_month: D("50000.00"), this_month(): D("100000.00"), next_month: D("0")}
    assert [(rep_id, name) for rep_id, name, _cells in report.by_rep] == [
        (personas.other_rep.pk, "李销售"), (personas.sales_rep.pk, "王销售"),
    ]  # fmt: skip
    rep_cells = report.by_rep[1][2]
    assert rep_cells[this_month()] == (D("413400.00"), D("100000.00"))
    assert rep_cells[next_month] == (D("551200.00"), D("0"))
    assert report.by_rep[0][2] == {last_month: (D("0"), D("50000.00")), this_month(): (D("95400.00"), D("0"))}

    own = collections_against_plan(user=personas.sales_rep, start=last_month, end=next_month)
    assert [rep_id for rep_id, _name, _cells in own.by_rep] == [personas.sales_rep.pk]
    assert own.collected[last_month] == 0 and own.planned[this_month()] == D("413400.00")


def test_only_the_overdue_invoices_of_a_milestone_count_as_overdue(personas, contract):
    first = contract.milestones.get(order=1)
    issue(first, personas.finance, "100000.00", days_ago=40, due_days_ago=10)
    issue(first, personas.finance, "200000.00", due_days_ago=-20)

    plan = contract_plan(contract=contract)

    line = plan.lines[0]
    assert (line.open, line.overdue, line.overdue_days) == (D("300000.00"), D("100000.00"), 10)
    assert plan.open == D("300000.00") and plan.overdue == D("100000.00")
