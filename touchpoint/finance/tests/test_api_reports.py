"""The receivables reports and the dunning letters through the API: figures, scope, parameters
refused with field errors in the reader's language, and query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from touchpoint.finance.models import DunningLetter
from touchpoint.finance.reports import add_months
from touchpoint.finance.services.dunning import dunning_run
from touchpoint.finance.services.receipts import receipt_record
from touchpoint.finance.tests.builders import NOBODY_HERE, persona
from touchpoint.finance.tests.conftest import active_contract, issue, today
from touchpoint.sales.models import DeliveryEvent, PaymentMilestone
from touchpoint.sales.services.contracts import delivery_event_fire
from touchpoint.sales.services.opportunities import opportunity_create

pytestmark = pytest.mark.django_db

REPORTS = ["/api/v1/ar-ageing/", "/api/v1/receivables-outlook/"]


def month(day: date) -> str:
    return f"{day:%Y-%m}"


def later_milestone(personas, contract):
    """The contract's second milestone, made due by the delivery acceptance."""
    delivery_event_fire(contract=contract, event=DeliveryEvent.DELIVERY_ACCEPTED, by=personas.project_manager)
    return contract.milestones.get(order=2)


@pytest.fixture
def receivables(personas, contract, due_milestone, catalogue):
    """Customer A owes 313,400.00 on an invoice 45 days overdue (100,000.00 of it paid today); customer B
    owes 95,400.00 not yet due."""
    late = issue(due_milestone, personas.finance, days_ago=75, due_days_ago=45)
    receipt_record(customer=personas.customer_a, by=personas.finance, amount="100000.00", received_on=today())
    opportunity = opportunity_create(by=personas.other_rep, customer=personas.customer_b, title="行情系统升级",
                                     owner=personas.other_rep, close_date=date(2027, 12, 31), amount=Decimal("500000"))  # fmt: skip
    contract_b = active_contract(personas, opportunity, [catalogue["trade-risk"]], rep=personas.other_rep)
    current = issue(contract_b.milestones.get(order=1), personas.finance)
    return {"late": late, "current": current, "contract_a": contract, "contract_b": contract_b}


# --- AR ageing -------------------------------------------------------------------------------------


def test_ageing_by_customer_puts_each_open_amount_in_its_bucket(api_as, personas, receivables):
    response = api_as(personas.finance).get("/api/v1/ar-ageing/")
    assert response.status_code == 200
    body = response.json()
    assert body["group_by"] == "customer" and body["currency"] == "CNY" and body["groups"] == 2
    assert [b["key"] for b in body["bucket_labels"]] == ["current", "d1_30", "d31_60", "d61_90", "d91_180", "d180_plus"]
    first, second = body["rows"]
    assert (first["key"], first["name"], first["count"]) == (str(personas.customer_a.pk), personas.customer_a.name, 1)
    assert first["buckets"]["d31_60"] == first["total"] == first["overdue"] == "313400.00"
    assert second["buckets"]["current"] == second["total"] == "95400.00" and second["overdue"] == "0.00"
    totals = body["totals"]
    assert totals["key"] is None and totals["count"] == 2
    assert (totals["total"], totals["overdue"], totals["buckets"]["current"]) == ("408800.00", "313400.00", "95400.00")


def test_ageing_groups_by_rep_and_by_region(api_as, personas, receivables):
    client = api_as(personas.executive)
    by_owner = client.get("/api/v1/ar-ageing/", {"group_by": "owner"}).json()
    assert {(row["key"], row["total"]) for row in by_owner["rows"]} == {
        (str(personas.sales_rep.pk), "313400.00"), (str(personas.other_rep.pk), "95400.00")}
    by_region = client.get("/api/v1/ar-ageing/", {"group_by": "region"}).json()
    assert {(row["key"], row["name"]) for row in by_region["rows"]} == {("江苏", "江苏"), ("北京", "北京")}


def test_a_rep_sees_the_ageing_of_their_own_customers_only(api_as, personas, receivables):
    body = api_as(personas.sales_rep).get("/api/v1/ar-ageing/").json()
    assert [row["key"] for row in body["rows"]] == [str(personas.customer_a.pk)]
    assert body["totals"]["total"] == "313400.00"


@pytest.mark.parametrize("params", [{"group_by": "planet"}, {"group_by": ""}, {"group": "owner"}])
def test_bad_ageing_parameters_are_a_400_naming_them(api_as, personas, params):
    response = api_as(personas.finance).get("/api/v1/ar-ageing/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_an_unknown_parameter_is_refused_in_the_readers_language(api_as, personas):
    english = api_as(personas.finance, "en").get("/api/v1/ar-ageing/", {"colour": "red"})
    chinese = api_as(personas.finance, "zh-hans").get("/api/v1/ar-ageing/", {"colour": "red"})
    assert english.json() == {"colour": ["Unknown query parameter."]}
    assert chinese.json() == {"colour": ["未知的查询参数。"]}


@pytest.mark.parametrize("name", NOBODY_HERE)
def test_who_may_not_read_invoices_gets_no_report(api_as, personas, receivables, name):
    client = api_as(persona(personas, name))
    for path in REPORTS:
        assert client.get(path).status_code == 403
    assert client.get("/api/v1/collection-plan/", {"contract": receivables["contract_a"].pk}).status_code == 403
    assert client.get("/api/v1/collections-against-plan/", {"start": "2026-01", "end": "2026-06"}).status_code == 403


def test_reports_refuse_anonymous_requests(personas):
    for path in REPORTS:
        assert APIClient().get(path).status_code == 401


@pytest.mark.parametrize("extra", [0, 3])
def test_the_ageing_query_count_does_not_grow_with_rows(api_as, personas, receivables, extra, django_assert_num_queries):
    milestone = later_milestone(personas, receivables["contract_a"])
    for number in range(extra):
        issue(milestone, personas.finance, "100.00", days_ago=200, due_days_ago=40 * number)
    client = api_as(personas.sales_manager)
    client.get("/api/v1/ar-ageing/")  # warms the policy cache
    # token, memberships, the totals, the groups, their names
    with django_assert_num_queries(5):
        assert client.get("/api/v1/ar-ageing/").status_code == 200


# --- Collection plan ----------------------------------------------------------------------------


def test_the_collection_plan_of_a_contract(api_as, personas, receivables):
    contract = receivables["contract_a"]
    response = api_as(personas.sales_rep).get("/api/v1/collection-plan/", {"contract": contract.pk})
    assert response.status_code == 200
    body = response.json()
    assert (body["amount"], body["invoiced"], body["received"], body["open"], body["overdue"]) == (
        "1378000.00", "413400.00", "100000.00", "313400.00", "313400.00")
    first = body["lines"][0]
    assert (first["milestone"], first["contract"], first["order"]) == (receivables["late"].milestone_id, contract.pk, 1)
    assert (first["invoiced"], first["received"], first["open"], first["to_invoice"]) == (
        "413400.00", "100000.00", "313400.00", "0.00")
    assert first["overdue"] == "313400.00" and first["overdue_days"] == 45 and first["milestone_status"] == "invoiced"
    assert all(line["overdue"] == "0.00" for line in body["lines"][1:])
    assert sorted(line["amount"] for line in body["lines"]) == ["137800.00", "275600.00", "413400.00", "551200.00"]
    assert {"month": month(today()), "received": "100000.00"}.items() <= next(
        m for m in body["months"] if m["month"] == month(today())).items()


def test_the_collection_plan_of_a_customer_covers_its_visible_contracts(api_as, personas, receivables):
    body = api_as(personas.finance).get("/api/v1/collection-plan/", {"customer": personas.customer_b.pk}).json()
    assert {line["contract"] for line in body["lines"]} == {receivables["contract_b"].pk}
    assert body["invoiced"] == body["open"] == "95400.00"


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "contract"), ({"contract": 1, "customer": 1}, "contract"), ({"contract": "abc"}, "contract"),
     ({"customer": 10**30}, "customer"), ({"contract": 1, "when": "now"}, "when")],
)  # fmt: skip
def test_bad_collection_plan_parameters_are_a_400(api_as, personas, params, field):
    response = api_as(personas.finance).get("/api/v1/collection-plan/", params)
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_a_rep_cannot_read_the_plan_of_another_reps_customer(api_as, personas, receivables):
    client = api_as(personas.sales_rep)
    response = client.get("/api/v1/collection-plan/", {"contract": receivables["contract_b"].pk})
    assert response.status_code == 400 and "contract" in response.json()
    response = client.get("/api/v1/collection-plan/", {"customer": personas.customer_b.pk})
    assert response.status_code == 400 and "customer" in response.json()


def test_the_collection_plan_query_count_does_not_grow_with_milestones(api_as, personas, receivables, django_assert_num_queries):
    client = api_as(personas.finance)
    client.get("/api/v1/collection-plan/", {"customer": personas.customer_a.pk})
    # token, memberships, the customer, the milestones (contract joined), invoiced sums, the plan's
    # invoice ids, received sums
    with django_assert_num_queries(7):
        assert client.get("/api/v1/collection-plan/", {"customer": personas.customer_a.pk}).status_code == 200
    # (finance reads any customer's receivables: the scope check needs no query)
    with django_assert_num_queries(7):
        assert client.get("/api/v1/collection-plan/", {"customer": personas.customer_b.pk}).status_code == 200


# --- Outlook ------------------------------------------------------------------------------------


def test_the_outlook_gives_dso_and_the_cash_of_the_next_six_months(api_as, personas, receivables):
    response = api_as(personas.finance).get("/api/v1/receivables-outlook/")
    assert response.status_code == 200
    body = response.json()
    assert (body["open_ar"], body["overdue"], body["billed_90_days"]) == ("408800.00", "313400.00", "508800.00")
    assert body["dso"] == "72.3"  # 408,800 / 508,800 × 90
    assert [m["month"] for m in body["months"]] == [month(add_months(today().replace(day=1), i)) for i in range(6)]
    assert body["months"][0]["from_invoices"] == "313400.00"  # overdue counts in the current month
    total = sum((Decimal(m["total"]) for m in body["months"]), Decimal(0))
    assert Decimal(body["next_6_months"]) == total
    assert Decimal(body["next_3_months"]) == sum((Decimal(m["total"]) for m in body["months"][:3]), Decimal(0))


def test_the_outlook_of_a_rep_covers_their_customers(api_as, personas, receivables):
    body = api_as(personas.other_rep).get("/api/v1/receivables-outlook/").json()
    assert (body["open_ar"], body["overdue"], body["dso"]) == ("95400.00", "0.00", "90.0")


def test_the_outlook_without_invoices_has_no_dso(api_as, personas):
    body = api_as(personas.finance).get("/api/v1/receivables-outlook/").json()
    assert body["dso"] is None and body["open_ar"] == "0.00"
    assert api_as(personas.finance).get("/api/v1/receivables-outlook/", {"months": 3}).status_code == 400


# --- Collections against plan ------------------------------------------------------------------


def test_collections_against_plan_by_month_and_rep(api_as, personas, receivables):
    start, end = add_months(today().replace(day=1), -1), today().replace(day=1)
    response = api_as(personas.finance).get("/api/v1/collections-against-plan/", {"start": month(start), "end": month(end)})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["start"], body["end"]) == (month(start), month(end))
    assert [m["month"] for m in body["months"]] == [month(start), month(end)]
    assert body["collected"] == body["months"][1]["collected"] == "100000.00"
    planned = sum(PaymentMilestone.objects.filter(expected_date__gte=start, expected_date__lt=add_months(end, 1))
                  .values_list("amount", flat=True), Decimal(0))  # fmt: skip
    assert Decimal(body["planned"]) == planned
    reps = {row["rep"]: row for row in body["by_rep"]}
    assert reps[personas.sales_rep.pk]["collected"] == "100000.00"
    assert [m["month"] for m in reps[personas.sales_rep.pk]["months"]] == [month(start), month(end)]


def test_a_rep_sees_only_their_own_collections(api_as, personas, receivables):
    this = month(today())
    body = api_as(personas.other_rep).get("/api/v1/collections-against-plan/", {"start": this, "end": this}).json()
    assert body["collected"] == "0.00"
    assert {row["rep"] for row in body["by_rep"]} <= {personas.other_rep.pk}


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"start", "end"}),
        ({"start": "2026-01"}, {"end"}),
        ({"start": "2026-13", "end": "2026-01"}, {"start"}),
        ({"start": "2026/01", "end": "January"}, {"start", "end"}),
        ({"start": "2026-06", "end": "2026-01"}, {"end"}),
        ({"start": "2020-01", "end": "2023-01"}, {"end"}),  # more than three years
        ({"start": "1999-12", "end": "2000-01"}, {"start"}),
        ({"start": "2026-01", "end": "2026-02", "rep": "1"}, {"rep"}),
    ],
)
def test_bad_months_are_refused_with_field_errors(api_as, personas, params, fields):
    response = api_as(personas.finance).get("/api/v1/collections-against-plan/", params)
    assert response.status_code == 400
    assert set(response.json()) == fields, response.json()


def test_a_bad_month_is_explained_in_the_readers_language(api_as, personas):
    params = {"start": "2026-13", "end": "2026-12"}
    english = api_as(personas.finance, "en").get("/api/v1/collections-against-plan/", params)
    assert english.json() == {"start": ["Enter a month as YYYY-MM."]}
    chinese = api_as(personas.finance, "zh-hans").get("/api/v1/collections-against-plan/", params)
    assert chinese.status_code == 400 and chinese.headers["Content-Language"] == "zh-hans"


def test_the_report_query_counts_are_pinned(api_as, personas, receivables, django_assert_num_queries):
    client = api_as(personas.sales_manager)
    this = month(today())
    client.get("/api/v1/receivables-outlook/")
    # token, memberships, open and overdue, billed, open by due month, milestones to invoice and their invoices
    with django_assert_num_queries(7):
        assert client.get("/api/v1/receivables-outlook/").status_code == 200
    # token, memberships, planned, collected, the reps' names
    with django_assert_num_queries(5):
        assert client.get("/api/v1/collections-against-plan/", {"start": this, "end": this}).status_code == 200


# --- Dunning letters ------------------------------------------------------------------------


@pytest.fixture
def letters(personas, receivables):
    dunning_run()
    return {"a": DunningLetter.objects.get(customer=personas.customer_a)}


def test_the_letters_list_shows_what_each_reminder_covered(api_as, personas, receivables, letters):
    response = api_as(personas.finance).get("/api/v1/dunning-letters/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    letter = letters["a"]
    assert (row["id"], row["customer"], row["level"], row["status"]) == (letter.pk, personas.customer_a.pk, letter.level_id, letter.status)
    assert row["level_days"] == letter.level.days and row["total"] == "313400.00" and row["email"] == ""
    assert row["items"] == [{"invoice": receivables["late"].pk, "invoice_number": receivables["late"].number,
                             "open_amount": "313400.00"}]  # fmt: skip
    assert api_as(personas.finance).get(f"/api/v1/dunning-letters/{letter.pk}/").json()["subject"] == letter.subject


@pytest.mark.parametrize(
    ("name", "count"),
    [("finance", 1), ("executive", 1), ("admin", 1), ("sales_manager", 1), ("sales_rep", 1), ("other_rep", 0)]
    + [(name, 0) for name in NOBODY_HERE],
)  # fmt: skip
def test_who_reads_the_letters(api_as, personas, letters, name, count):
    user = personas.other_rep if name == "other_rep" else persona(personas, name)
    client = api_as(user)
    response = client.get("/api/v1/dunning-letters/")
    assert response.status_code == 200 and response.json()["count"] == count
    assert client.get(f"/api/v1/dunning-letters/{letters['a'].pk}/").status_code == (200 if count else 404)


def test_the_letters_filter_by_customer_and_refuse_unknown_filters(api_as, personas, letters):
    client = api_as(personas.finance)
    assert client.get("/api/v1/dunning-letters/", {"customer": personas.customer_b.pk}).json()["count"] == 0
    assert client.get("/api/v1/dunning-letters/", {"customer": personas.customer_a.pk}).json()["count"] == 1
    assert client.get("/api/v1/dunning-letters/", {"status": "no_contact"}).status_code == 200
    assert client.get("/api/v1/dunning-letters/", {"level": 1}).status_code == 400
    assert client.get("/api/v1/dunning-letters/", {"customer": "a"}).status_code == 400


def test_the_letters_query_count_does_not_grow_with_rows(api_as, personas, receivables, django_assert_num_queries):
    dunning_run()
    client = api_as(personas.sales_rep)
    client.get("/api/v1/dunning-letters/")
    # token, memberships, count, page (customer and level joined), items (invoice joined)
    with django_assert_num_queries(5):
        assert client.get("/api/v1/dunning-letters/").json()["count"] == 1
    issue(later_milestone(personas, receivables["contract_a"]), personas.finance, "100.00", days_ago=60, due_days_ago=40)
    dunning_run(today=today() + timedelta(days=30))  # both invoices reach later levels meanwhile
    with django_assert_num_queries(5):
        assert client.get("/api/v1/dunning-letters/").json()["count"] >= 2


def test_the_letter_detail_query_count(api_as, personas, letters, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    url = f"/api/v1/dunning-letters/{letters['a'].pk}/"
    client.get(url)
    # token, memberships, the letter (customer and level joined), its items (invoice joined)
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200
