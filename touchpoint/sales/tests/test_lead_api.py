"""The leads API: scope, writes through the services, the actions, bad input and query counts."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from touchpoint.customers.models import Customer
from touchpoint.sales.models import Lead, LeadSource, LeadStatus, Opportunity
from touchpoint.sales.services.leads import lead_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as():
    def client_for(user, language="en"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


def rep_lead(personas, **values):
    fields = {"company_name": "国信证券股份有限公司", "contact_name": "周明", "phone": "13700001111", **values}
    return lead_create(by=personas.sales_rep, owner=personas.sales_rep, **fields)


def web_lead():
    return lead_create(by=None, source=LeadSource.WEB_FORM, company_name="东方证券", phone="13911112222")


def snapshot(lead):
    return Lead.all_objects.filter(pk=lead.pk).values().get()


def test_anonymous_is_refused(personas):
    assert APIClient().get("/api/v1/leads/").status_code == 401


def test_a_rep_lists_their_own_leads_and_a_manager_all(personas, api_as):
    mine, waiting = rep_lead(personas), web_lead()
    assert [row["id"] for row in api_as(personas.sales_rep).get("/api/v1/leads/").json()["results"]] == [mine.pk]
    rows = api_as(personas.sales_manager).get("/api/v1/leads/?owner=none").json()["results"]
    assert [row["id"] for row in rows] == [waiting.pk]


def test_another_reps_lead_is_a_404(personas, api_as):
    theirs = lead_create(by=personas.other_rep, owner=personas.other_rep, company_name="别家", phone="13700002222")
    assert api_as(personas.sales_rep).get(f"/api/v1/leads/{theirs.pk}/").status_code == 404


def test_unknown_filters_and_orderings_are_a_400(personas, api_as):
    client = api_as(personas.sales_manager)
    assert "secret" in client.get("/api/v1/leads/?secret=1").json()
    assert "ordering" in client.get("/api/v1/leads/?ordering=submitted_from").json()
    assert client.get("/api/v1/leads/?ordering=-company_name&status=new&source=manual&q=国信").status_code == 200


def test_creating_a_lead_checks_its_fields(personas, api_as):
    client = api_as(personas.sales_rep)
    bad = client.post("/api/v1/leads/", {"company_name": "某证券", "phone": "12", "credit_code": "X"}, format="json")
    assert bad.status_code == 400 and {"phone", "credit_code"} <= set(bad.json())
    good = client.post("/api/v1/leads/", {"company_name": "某证券", "phone": "+86 13700001111"}, format="json")
    assert good.status_code == 201
    assert (good.json()["phone"], good.json()["owner"], good.json()["source"]) == ("13700001111", personas.sales_rep.pk, "manual")


def test_an_engineer_may_not_create_a_lead(personas, api_as):
    response = api_as(personas.engineer).post("/api/v1/leads/", {"company_name": "某证券", "phone": "13700001111"}, format="json")
    assert response.status_code == 403 and not Lead.objects.exists()


def test_an_edit_needs_the_current_version(personas, api_as):
    lead = rep_lead(personas)
    client = api_as(personas.sales_rep)
    assert client.patch(f"/api/v1/leads/{lead.pk}/", {"city": "深圳"}, format="json").status_code == 400
    ok = client.patch(f"/api/v1/leads/{lead.pk}/", {"city": "深圳", "version": lead.version}, format="json")
    assert ok.status_code == 200 and ok.json()["city"] == "深圳"
    stale = client.patch(f"/api/v1/leads/{lead.pk}/", {"city": "广州", "version": lead.version}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"


def test_a_rep_may_not_assign_and_nothing_changes(personas, api_as):
    lead = rep_lead(personas)
    before = snapshot(lead)
    response = api_as(personas.sales_rep).post(f"/api/v1/leads/{lead.pk}/assign/", {"owner": personas.other_rep.pk, "reason": "x"},
                                               format="json")  # fmt: skip
    assert response.status_code == 403 and snapshot(lead) == before


def test_a_manager_assigns_and_moving_an_owned_lead_needs_a_reason(personas, api_as):
    lead = web_lead()
    client = api_as(personas.sales_manager)
    taken = client.post(f"/api/v1/leads/{lead.pk}/assign/", {"owner": personas.sales_rep.pk}, format="json")
    assert taken.json()["owner"] == personas.sales_rep.pk
    refused = client.post(f"/api/v1/leads/{lead.pk}/assign/", {"owner": personas.other_rep.pk}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    assert Lead.objects.get(pk=lead.pk).owner == personas.sales_rep


def test_qualify_creates_everything_and_a_second_time_is_a_400(personas, api_as):
    lead = rep_lead(personas, credit_code="91110000MA01ABCD1M")
    client = api_as(personas.sales_rep)
    body = {"title": "融资融券", "close_date": "2027-06-30", "amount": "300000.00", "customer_type": "securities"}
    response = client.post(f"/api/v1/leads/{lead.pk}/qualify/", body, format="json")
    assert response.status_code == 200 and response.json()["status"] == LeadStatus.QUALIFIED
    assert Customer.objects.filter(credit_code="91110000MA01ABCD1M").exists() and Opportunity.objects.count() == 1
    again = client.post(f"/api/v1/leads/{lead.pk}/qualify/", {**body, "customer": personas.customer_a.pk}, format="json")
    assert again.status_code == 400 and "status" in again.json()
    assert Opportunity.objects.count() == 1


def test_qualify_onto_a_customer_out_of_sight_is_a_400(personas, api_as):
    lead = rep_lead(personas)
    body = {"title": "x", "close_date": "2027-06-30", "customer": personas.customer_b.pk}
    response = api_as(personas.sales_rep).post(f"/api/v1/leads/{lead.pk}/qualify/", body, format="json")
    assert response.status_code == 400 and "customer" in response.json()
    assert not Opportunity.objects.exists()


def test_disqualify_needs_a_reason(personas, api_as):
    lead = rep_lead(personas)
    client = api_as(personas.sales_rep)
    assert client.post(f"/api/v1/leads/{lead.pk}/disqualify/", {"reason": ""}, format="json").status_code == 400
    response = client.post(f"/api/v1/leads/{lead.pk}/disqualify/", {"reason": "无预算"}, format="json")
    assert response.status_code == 200 and response.json()["disqualify_reason"] == "无预算"


def test_the_list_query_count_does_not_grow_with_rows(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    rep_lead(personas)
    client.get("/api/v1/leads/")  # warms the policy cache
    # token, memberships, count, page
    with django_assert_num_queries(4):
        assert client.get("/api/v1/leads/").status_code == 200
    for index in range(5):
        rep_lead(personas, company_name=f"证券公司{index}")
    with django_assert_num_queries(4):
        assert client.get("/api/v1/leads/").json()["count"] == 6


def test_the_detail_query_count(personas, api_as, django_assert_num_queries):
    lead = rep_lead(personas)
    client = api_as(personas.sales_rep)
    client.get("/api/v1/leads/")
    with django_assert_num_queries(3):
        assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 200
