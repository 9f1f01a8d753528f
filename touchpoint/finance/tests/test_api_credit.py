"""The credit API: profiles with exposure and risk, terms, rating overrides, holds, and finance's
override of a credit block; scope, permissions, bad input that changes nothing and query counts."""

from datetime import date
from decimal import Decimal

import pytest

from touchpoint.core.models import Event
from touchpoint.finance.models import CreditOverride, CreditProfile
from touchpoint.finance.services.credit import credit_hold_set, credit_profile_for, credit_profile_update
from touchpoint.finance.services.invoices import invoice_dispute
from touchpoint.finance.tests.builders import NOBODY_HERE, persona
from touchpoint.finance.tests.conftest import issue
from touchpoint.sales.models import Contract, ContractStatus, Quote, QuoteStatus
from touchpoint.sales.services.contracts import contract_confirm, contract_from_quote
from touchpoint.sales.services.opportunities import opportunity_create
from touchpoint.sales.services.quotes import quote_accept, quote_create, quote_line_add, quote_mark_sent, quote_submit

pytestmark = pytest.mark.django_db



def profile_row(customer):
    return CreditProfile.objects.filter(customer=customer).values().first()


def draft_quote(personas, catalogue):
    """A draft quote on customer A with one line, on an opportunity of its own."""
    opportunity = opportunity_create(by=personas.sales_rep, customer=personas.customer_a, title="风控系统",
                                     owner=personas.sales_rep, close_date=date(2027, 12, 31), amount=Decimal("300000"))  # fmt: skip
    quote = quote_create(opportunity=opportunity, by=personas.sales_rep)
    quote_line_add(quote=quote, by=personas.sales_rep, module=catalogue["trade-risk"])
    return Quote.objects.get(pk=quote.pk)


def held_contract(personas, catalogue):
    """A contract of customer A that its credit check holds: the customer went on credit hold after the quote was accepted."""
    rep = personas.sales_rep
    quote = draft_quote(personas, catalogue)
    quote = quote_accept(quote=quote_mark_sent(quote=quote_submit(quote=quote, by=rep), by=rep), by=rep)
    credit_hold_set(customer=personas.customer_a, by=personas.finance, on=True, reason="长期欠款")
    contract = contract_confirm(contract=contract_from_quote(quote=quote, by=rep, signed_on=date.today()), by=rep)
    assert contract.status == ContractStatus.PENDING_CHECKS
    return contract


# --- Reading a profile ---------------------------------------------------------------------------


def test_a_profile_is_made_with_defaults_on_first_read(api_as, personas):
    assert profile_row(personas.customer_a) is None
    response = api_as(personas.finance).get(f"/api/v1/credit-profiles/{personas.customer_a.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["customer"] == personas.customer_a.pk and body["customer_name"] == personas.customer_a.name
    assert (body["credit_limit"], body["payment_terms_days"], body["rating"]) == ("0.00", 30, "A")
    assert body["risk_factors"] is None and body["credit_hold"] is False and body["dunning_language"] == "zh-hans"
    assert body["exposure"] == {"currency": "CNY", "unpaid_invoices": "0.00", "unbilled_contracts": "0.00",
                                "open_quotes": "0.00", "total": "0.00", "limit": "0.00", "available": None,
                                "used_percent": None}  # fmt: skip
    assert profile_row(personas.customer_a) is not None


def test_the_profile_shows_the_exposure_broken_down(api_as, personas, due_milestone):
    issue(due_milestone, personas.finance)
    profile = credit_profile_for(personas.customer_a)
    credit_profile_update(customer=personas.customer_a, by=personas.finance, expected_version=profile.version,
                          credit_limit="2000000.00")  # fmt: skip
    exposure = api_as(personas.finance).get(f"/api/v1/credit-profiles/{personas.customer_a.pk}/").json()["exposure"]
    # 1,378,000.00 contract: 413,400.00 invoiced and unpaid, 964,600.00 still to invoice.
    assert exposure == {"currency": "CNY", "unpaid_invoices": "413400.00", "unbilled_contracts": "964600.00",
                        "open_quotes": "0.00", "total": "1378000.00", "limit": "2000000.00", "available": "622000.00",
                        "used_percent": "68.90"}  # fmt: skip


def test_the_profile_shows_what_the_risk_score_is_made_of(api_as, personas, due_milestone):
    invoice = issue(due_milestone, personas.finance, days_ago=40, due_days_ago=10)
    invoice_dispute(invoice=invoice, by=personas.finance, disputed=True, reason="验收未完成")
    body = api_as(personas.finance).get(f"/api/v1/credit-profiles/{personas.customer_a.pk}/").json()
    factors = body["risk_factors"]
    assert factors["disputes"] == 1 and factors["dispute_points"] == 10
    assert factors["overdue_ratio"] == "1.0000" and factors["overdue_points"] == 40
    assert factors["open_amount"] == factors["overdue_amount"] == "413400.00" and factors["signals"] == []
    assert body["risk_score"] == 40 + factors["lateness_points"] + 10 and body["scored_at"]


@pytest.mark.parametrize(
    ("name", "visible"),
    [("finance", {"a", "b"}), ("executive", {"a", "b"}), ("admin", {"a", "b"}), ("sales_manager", {"a", "b"}),
     ("sales_rep", {"a"})] + [(name, set()) for name in NOBODY_HERE],
)  # fmt: skip
def test_who_reads_which_credit_profiles(api_as, personas, name, visible):
    customers = {"a": personas.customer_a, "b": personas.customer_b}
    client = api_as(persona(personas, name))
    for key, customer in customers.items():
        response = client.get(f"/api/v1/credit-profiles/{customer.pk}/")
        assert response.status_code == (200 if key in visible else 404)
        # A profile is made only for a reader who may see the customer's credit.
        assert (profile_row(customer) is not None) == (key in visible)
    response = client.get("/api/v1/credit-profiles/")
    assert response.status_code == 200
    assert {row["customer"] for row in response.json()["results"]} == {customers[key].pk for key in visible}


@pytest.mark.parametrize("customer_id", ["abc", "0", "99999999", "99999999999999999999999", "¹"])
def test_an_unknown_customer_has_no_profile(api_as, personas, customer_id):
    response = api_as(personas.finance).get(f"/api/v1/credit-profiles/{customer_id}/")
    assert response.status_code == 404 and "detail" in response.json()
    assert not CreditProfile.objects.exists()


def test_the_profile_list_filters_and_orders(api_as, personas):
    credit_hold_set(customer=personas.customer_b, by=personas.finance, on=True, reason="长期欠款")
    credit_profile_for(personas.customer_a)
    client = api_as(personas.finance)
    held = client.get("/api/v1/credit-profiles/", {"credit_hold": "true"}).json()["results"]
    assert [row["customer"] for row in held] == [personas.customer_b.pk]
    assert held[0]["credit_hold_reason"] == "长期欠款"
    assert client.get("/api/v1/credit-profiles/", {"customer": personas.customer_a.pk}).json()["count"] == 1
    assert client.get("/api/v1/credit-profiles/", {"ordering": "-credit_limit"}).status_code == 200
    for params in ({"credit_hold": "perhaps"}, {"rating": "A"}, {"ordering": "customer__name"}):
        assert client.get("/api/v1/credit-profiles/", params).status_code == 400


def test_the_profile_list_query_count_does_not_grow_with_rows(api_as, personas, django_assert_num_queries):
    credit_profile_for(personas.customer_a)
    client = api_as(personas.finance)
    client.get("/api/v1/credit-profiles/")  # warms the policy cache
    # token, memberships, count, page (customer joined)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/credit-profiles/").json()["count"] == 1
    credit_profile_for(personas.customer_b)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/credit-profiles/").json()["count"] == 2


# --- Terms ---------------------------------------------------------------------------------------


def test_finance_sets_the_limit_terms_and_reminder_language(api_as, personas):
    url = f"/api/v1/credit-profiles/{personas.customer_a.pk}/"
    client = api_as(personas.finance)
    version = client.get(url).json()["version"]
    payload = {"credit_limit": "500000.00", "payment_terms_days": 60, "dunning_language": "en", "version": version}
    response = client.patch(url, payload, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["credit_limit"], body["payment_terms_days"], body["dunning_language"]) == ("500000.00", 60, "en")
    assert body["version"] == version + 1 and body["exposure"]["limit"] == "500000.00"
    assert Event.objects.filter(verb="credit.profile_changed").count() == 1
    # 0 takes the limit off.
    response = client.patch(url, {"credit_limit": "0", "version": version + 1}, format="json")
    assert response.status_code == 200 and response.json()["credit_limit"] == "0.00"


def test_a_stale_terms_edit_is_a_409_and_changes_nothing(api_as, personas):
    profile = credit_profile_for(personas.customer_a)
    credit_profile_update(customer=personas.customer_a, by=personas.admin, expected_version=profile.version, payment_terms_days=45)
    before = profile_row(personas.customer_a)
    url = f"/api/v1/credit-profiles/{personas.customer_a.pk}/"
    response = api_as(personas.finance).patch(url, {"payment_terms_days": 60, "version": profile.version}, format="json")
    assert response.status_code == 409
    assert response.json()["current_version"] == profile.version + 1
    assert [change["field"] for change in response.json()["revisions"][0]["changes"]] == ["payment_terms_days"]
    assert profile_row(personas.customer_a) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"credit_limit": "-1.00", "version": 1}, "credit_limit"),
        ({"credit_limit": "12.345", "version": 1}, "credit_limit"),
        ({"payment_terms_days": 366, "version": 1}, "payment_terms_days"),
        ({"payment_terms_days": -1, "version": 1}, "payment_terms_days"),
        ({"dunning_language": "fr", "version": 1}, "dunning_language"),
        ({"payment_terms_days": 60}, "version"),
    ],
)
def test_bad_terms_are_refused_and_change_nothing(api_as, personas, payload, field):
    credit_profile_for(personas.customer_a)
    before = profile_row(personas.customer_a)
    response = api_as(personas.finance).patch(f"/api/v1/credit-profiles/{personas.customer_a.pk}/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert profile_row(personas.customer_a) == before


def test_put_is_not_offered(api_as, personas):
    response = api_as(personas.finance).put(f"/api/v1/credit-profiles/{personas.customer_a.pk}/", {"version": 1}, format="json")
    assert response.status_code == 405


# --- Rating and holds --------------------------------------------------------------------------


def test_finance_sets_the_rating_by_hand_and_back(api_as, personas):
    url = f"/api/v1/credit-profiles/{personas.customer_a.pk}/rating/"
    client = api_as(personas.finance)
    response = client.post(url, {"rating": "C", "reason": "董事会换届，付款审批变慢"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["rating"], body["computed_rating"], body["rating_override"]) == ("C", "A", "C")
    response = client.post(url, {"rating": "", "reason": "恢复按付款表现评级"}, format="json")
    assert response.json()["rating"] == "A" and response.json()["rating_override"] == ""
    assert Event.objects.filter(verb="credit.rating_overridden").count() == 2


@pytest.mark.parametrize(("payload", "field"), [({"rating": "E", "reason": "x"}, "rating"), ({"rating": "B"}, "reason"),
                                                ({"rating": "B", "reason": "  "}, "reason")])  # fmt: skip
def test_a_rating_override_needs_a_valid_rating_and_a_reason(api_as, personas, payload, field):
    credit_profile_for(personas.customer_a)
    before = profile_row(personas.customer_a)
    response = api_as(personas.finance).post(f"/api/v1/credit-profiles/{personas.customer_a.pk}/rating/", payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert profile_row(personas.customer_a) == before


@pytest.mark.parametrize(
    ("path", "flag", "reason_field"),
    [("hold", "credit_hold", "credit_hold_reason"), ("service-hold", "service_hold", "service_hold_reason"),
     ("dunning-pause", "dunning_paused", "dunning_pause_reason")],
)  # fmt: skip
def test_finance_sets_and_lifts_each_flag_with_a_reason(api_as, personas, path, flag, reason_field):
    url = f"/api/v1/credit-profiles/{personas.customer_a.pk}/{path}/"
    client = api_as(personas.finance)
    response = client.post(url, {"on": True, "reason": "已约定分期付款"}, format="json")
    assert response.status_code == 200
    assert response.json()[flag] is True and response.json()[reason_field] == "已约定分期付款"
    before = profile_row(personas.customer_a)
    again = client.post(url, {"on": True, "reason": "再次"}, format="json")
    assert again.status_code == 400 and "on" in again.json()
    assert profile_row(personas.customer_a) == before
    response = client.post(url, {"on": False}, format="json")
    assert response.status_code == 200 and response.json()[flag] is False


@pytest.mark.parametrize("path", ["hold", "service-hold", "dunning-pause"])
def test_setting_a_flag_needs_a_reason(api_as, personas, path):
    credit_profile_for(personas.customer_a)
    before = profile_row(personas.customer_a)
    url = f"/api/v1/credit-profiles/{personas.customer_a.pk}/{path}/"
    for payload, field in (({"on": True}, "reason"), ({"on": True, "reason": " "}, "reason"), ({"reason": "x"}, "on"),
                           ({"on": "perhaps", "reason": "x"}, "on")):  # fmt: skip
        response = api_as(personas.finance).post(url, payload, format="json")
        assert response.status_code == 400 and field in response.json(), (payload, response.json())
    assert profile_row(personas.customer_a) == before


@pytest.mark.parametrize(("name", "status"), [("sales_rep", 403), ("sales_manager", 403), ("executive", 403), ("engineer", 404),
                                              ("maintenance_agent", 404), ("outsider", 404)])  # fmt: skip
def test_readers_cannot_change_credit(api_as, personas, name, status):
    credit_profile_for(personas.customer_a)
    before = profile_row(personas.customer_a)
    client = api_as(persona(personas, name))
    base = f"/api/v1/credit-profiles/{personas.customer_a.pk}"
    assert client.patch(f"{base}/", {"credit_limit": "1.00", "version": 1}, format="json").status_code == status
    assert client.post(f"{base}/rating/", {"rating": "D", "reason": "x"}, format="json").status_code == status
    for path in ("hold", "service-hold", "dunning-pause"):
        assert client.post(f"{base}/{path}/", {"on": True, "reason": "x"}, format="json").status_code == status
    assert profile_row(personas.customer_a) == before


# --- Overriding a credit block --------------------------------------------------------------


def test_finance_overrides_a_held_contract_which_is_then_confirmed(api_as, personas, catalogue):
    contract = held_contract(personas, catalogue)
    payload = {"contract": contract.pk, "reason": "客户已承诺月底付清欠款"}
    response = api_as(personas.finance).post("/api/v1/credit-overrides/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contract"] == contract.pk and body["quote"] is None and body["customer"] == personas.customer_a.pk
    assert body["by"] == personas.finance.pk and body["reason"] == payload["reason"]
    assert "credit hold" in body["blocked_because"]
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
    assert Event.objects.filter(verb="credit.block_overridden").count() == 1


def test_finance_overrides_a_blocked_quote_which_its_rep_then_submits(api_as, personas, catalogue):
    quote = draft_quote(personas, catalogue)
    credit_hold_set(customer=personas.customer_a, by=personas.finance, on=True, reason="长期欠款")
    payload = {"quote": quote.pk, "reason": "战略客户，总经理同意"}
    response = api_as(personas.finance).post("/api/v1/credit-overrides/", payload, format="json")
    assert response.status_code == 201 and response.json()["quote"] == quote.pk
    assert quote_submit(quote=quote, by=personas.sales_rep).status == QuoteStatus.APPROVED


@pytest.mark.parametrize("name", ["sales_rep", "sales_manager", "executive", *NOBODY_HERE])
def test_only_finance_may_override_a_credit_block(api_as, personas, catalogue, name):
    contract = held_contract(personas, catalogue)
    events = Event.objects.count()
    response = api_as(persona(personas, name)).post("/api/v1/credit-overrides/",
                                                    {"contract": contract.pk, "reason": "我说可以"}, format="json")  # fmt: skip
    assert response.status_code == 403
    assert not CreditOverride.objects.exists() and Event.objects.count() == events
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.PENDING_CHECKS


def test_bad_overrides_are_refused_and_change_nothing(api_as, personas, contract, catalogue):
    held = held_contract(personas, catalogue)
    open_quote = draft_quote(personas, catalogue)
    credit_hold_set(customer=personas.customer_a, by=personas.finance, on=False)
    events = Event.objects.count()
    client = api_as(personas.finance)
    cases = [
        ({"contract": held.pk}, "reason"),
        ({"contract": held.pk, "reason": "   "}, "reason"),
        ({"reason": "x"}, "contract"),
        ({"contract": held.pk, "quote": open_quote.pk, "reason": "x"}, "quote"),
        ({"contract": contract.pk, "reason": "x"}, "contract"),  # active: nothing holds it
        ({"quote": open_quote.pk, "reason": "x"}, "quote"),  # the hold is lifted: nothing blocks it
        ({"contract": 10**12, "reason": "x"}, "contract"),
        ({"quote": "abc", "reason": "x"}, "quote"),
    ]
    for payload, field in cases:
        response = client.post("/api/v1/credit-overrides/", payload, format="json")
        assert response.status_code == 400, (payload, response.json())
        assert field in response.json(), (payload, response.json())
    assert not CreditOverride.objects.exists() and Event.objects.count() == events
    assert Contract.objects.get(pk=held.pk).status == ContractStatus.PENDING_CHECKS


def test_the_override_refusal_is_said_in_the_readers_language(api_as, personas, catalogue):
    contract = held_contract(personas, catalogue)
    payload = {"contract": contract.pk, "reason": "x"}
    english = api_as(personas.sales_rep, "en").post("/api/v1/credit-overrides/", payload, format="json")
    chinese = api_as(personas.sales_rep, "zh-hans").post("/api/v1/credit-overrides/", payload, format="json")
    assert english.status_code == chinese.status_code == 403
    assert english.json()["detail"] == "Only finance may override a credit block."
    assert chinese.headers["Content-Language"] == "zh-hans"


def test_the_profile_detail_query_count(api_as, personas, due_milestone, django_assert_num_queries):
    issue(due_milestone, personas.finance)
    client = api_as(personas.sales_rep)
    url = f"/api/v1/credit-profiles/{personas.customer_a.pk}/"
    client.get(url)  # makes the profile and warms the policy cache
    # token, memberships, the customer, may the rep see its credit, the profile, the credit policy,
    # unpaid invoices, signed and invoiced on active contracts (2), open quotes
    with django_assert_num_queries(10):
        assert client.get(url).status_code == 200
