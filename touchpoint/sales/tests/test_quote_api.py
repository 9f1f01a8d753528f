import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from touchpoint.sales.models import Contract, ContractStatus, Quote, QuoteStatus


@pytest.fixture
def api(personas):
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


@pytest.mark.django_db
def test_a_quote_goes_from_draft_to_contract_through_the_api(api, personas, opportunity, catalogue):
    rep = api(personas.sales_rep)
    response = rep.post("/api/v1/quotes/", {"opportunity": opportunity.pk, "contact": personas.contact_a.pk}, format="json")
    assert response.status_code == 201, response.json()
    quote_id = response.json()["id"]
    response = rep.post(f"/api/v1/quotes/{quote_id}/lines/",
                        {"module": catalogue["trade-core"].pk, "discount_percent": "20"}, format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["grand_total"] == "678400.00"
    assert rep.post(f"/api/v1/quotes/{quote_id}/submit/", {"reason": "大客户"}, format="json").json()["status"] == "pending"
    assert api(personas.sales_rep).post(f"/api/v1/quotes/{quote_id}/approve/", {}, format="json").status_code == 403
    response = api(personas.sales_manager).post(f"/api/v1/quotes/{quote_id}/approve/", {"comment": "同意"}, format="json")
    assert response.json()["status"] == "approved"
    response = rep.post(f"/api/v1/quotes/{quote_id}/send/",
                        {"contact": personas.contact_a.pk, "subject": "报价", "body": "请查收"}, format="json")  # fmt: skip
    assert response.json()["status"] == "sent"
    assert rep.post(f"/api/v1/quotes/{quote_id}/accept/").json()["status"] == "accepted"
    response = rep.post("/api/v1/contracts/", {"quote": quote_id, "signed_on": timezone.localdate().isoformat()}, format="json")
    assert response.status_code == 201
    contract_id = response.json()["id"]
    assert [m["percent"] for m in response.json()["milestones"]] == ["30.00", "40.00", "20.00", "10.00"]
    bad = rep.post(f"/api/v1/contracts/{contract_id}/milestones/",
                   {"milestones": [{"name": "全款", "percent": "90", "trigger": "signing"}]}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "milestones" in bad.json()
    response = rep.post(f"/api/v1/contracts/{contract_id}/confirm/")
    assert response.json()["status"] == "active"
    assert Contract.objects.get().status == ContractStatus.ACTIVE


@pytest.mark.django_db
def test_bad_line_values_answer_400_per_field_and_change_nothing(api, personas, opportunity, catalogue):
    rep = api(personas.sales_rep)
    quote_id = rep.post("/api/v1/quotes/", {"opportunity": opportunity.pk}, format="json").json()["id"]
    response = rep.post(f"/api/v1/quotes/{quote_id}/lines/",
                        {"module": catalogue["trade-core"].pk, "quantity": "-1", "discount_percent": "101"}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert {"quantity", "discount_percent"} <= set(response.json())
    assert Quote.objects.get().lines.count() == 0
    assert rep.post(f"/api/v1/quotes/{quote_id}/submit/", {}, format="json").status_code == 400  # no lines yet


@pytest.mark.django_db
def test_an_edit_to_a_sent_quote_is_refused_with_a_message(api, personas, opportunity, catalogue):
    rep = api(personas.sales_rep)
    quote_id = rep.post("/api/v1/quotes/", {"opportunity": opportunity.pk}, format="json").json()["id"]
    rep.post(f"/api/v1/quotes/{quote_id}/lines/", {"module": catalogue["trade-core"].pk}, format="json")
    rep.post(f"/api/v1/quotes/{quote_id}/submit/", {}, format="json")
    rep.post(f"/api/v1/quotes/{quote_id}/send/", {"contact": personas.contact_a.pk, "subject": "s", "body": "b"}, format="json")
    response = rep.post(f"/api/v1/quotes/{quote_id}/lines/", {"module": catalogue["trade-risk"].pk}, format="json")
    assert response.status_code == 400 and "status" in response.json()
    revised = rep.post(f"/api/v1/quotes/{quote_id}/revise/")
    assert revised.status_code == 201 and revised.json()["revision"] == 2
    assert Quote.objects.get(pk=quote_id).status == QuoteStatus.SUPERSEDED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "count"),
    [("sales_rep", 1), ("sales_manager", 1), ("finance", 1), ("executive", 1), ("other_rep", 0), ("engineer", 0),
     ("maintenance_lead", 0), ("marketing", 0), ("outsider", 0)],
)  # fmt: skip
def test_who_lists_quotes(api, personas, opportunity, persona, count):
    api(personas.sales_rep).post("/api/v1/quotes/", {"opportunity": opportunity.pk}, format="json")
    response = api(getattr(personas, persona)).get("/api/v1/quotes/")
    assert response.status_code == 200 and response.json()["count"] == count


@pytest.mark.django_db
def test_a_reader_cannot_draft_or_confirm(api, personas, opportunity):
    response = api(personas.finance).post("/api/v1/quotes/", {"opportunity": opportunity.pk}, format="json")
    assert response.status_code == 403
    response = api(personas.engineer).post("/api/v1/quotes/", {"opportunity": opportunity.pk}, format="json")
    assert response.status_code == 400  # the opportunity is not among those the engineer may see
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_unknown_filters_are_a_400_and_list_queries_are_pinned(api, personas, opportunity, catalogue, django_assert_num_queries):
    rep = api(personas.sales_rep)
    for _ in range(3):
        quote_id = rep.post("/api/v1/quotes/", {"opportunity": opportunity.pk}, format="json").json()["id"]
        rep.post(f"/api/v1/quotes/{quote_id}/lines/", {"module": catalogue["trade-core"].pk}, format="json")
    assert rep.get("/api/v1/quotes/?bogus=1").status_code == 400
    assert rep.get("/api/v1/quotes/?ordering=owner__password").status_code == 400
    with django_assert_num_queries(4):
        assert rep.get("/api/v1/quotes/").status_code == 200
    with django_assert_num_queries(1):  # nothing to list: the count alone
        assert rep.get("/api/v1/contracts/").status_code == 200
