"""The opportunity and requirement API: access, filters, ordering, versioned edits and the move action."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from touchpoint.core.models import Event
from touchpoint.sales.models import Opportunity, Requirement, RequirementArea, Stage
from touchpoint.sales.services.opportunities import opportunity_create, opportunity_move
from touchpoint.sales.services.requirements import requirement_add

BASE = "/api/v1/opportunities/"


@pytest.fixture
def api_as():
    def login(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        return client

    return login


def open_one(personas, title="集中交易系统", owner=None, customer=None, **extra) -> Opportunity:
    owner = owner or personas.sales_rep
    values = {"close_date": date(2027, 3, 31), "amount": Decimal("1000000"), **extra}
    return opportunity_create(by=owner, customer=customer or personas.customer_a, title=title, owner=owner, **values)


@pytest.mark.django_db
def test_rep_lists_own_opportunities_only(personas, api_as):
    mine = open_one(personas)
    open_one(personas, title="别人的", owner=personas.other_rep, customer=personas.customer_b)
    response = api_as(personas.sales_rep).get(BASE)
    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [mine.pk]
    row = response.data["results"][0]
    assert (row["stage_code"], row["outcome"], row["weighted_amount"]) == ("lead_confirm", "open", "100000.00")


@pytest.mark.django_db
def test_filters_and_ordering_are_whitelisted(personas, api_as):
    early = open_one(personas, title="早", close_date=date(2027, 1, 1), amount=Decimal("5"))
    late = open_one(personas, title="晚", close_date=date(2027, 9, 1), amount=Decimal("9"))
    opportunity_move(opportunity=late, to_stage=Stage.objects.get(code="discovery"), by=personas.sales_rep)
    client = api_as(personas.sales_manager)
    assert [r["id"] for r in client.get(BASE, {"stage_code": "discovery"}).data["results"]] == [late.pk]
    assert [r["id"] for r in client.get(BASE, {"close_before": "2027-06-30"}).data["results"]] == [early.pk]
    assert [r["id"] for r in client.get(BASE, {"ordering": "-amount"}).data["results"]] == [late.pk, early.pk]
    assert client.get(BASE, {"ordering": "owner__password"}).status_code == 400
    assert client.get(BASE, {"secret": "1"}).status_code == 400
    assert client.get(BASE, {"outcome": "maybe"}).status_code == 400


@pytest.mark.django_db
def test_create_on_a_customer_the_rep_serves(personas, api_as):
    client = api_as(personas.sales_rep)
    response = client.post(BASE, {"customer": personas.customer_a.pk, "title": "风控系统", "amount": "800000",
                                  "close_date": "2027-06-30"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.data
    assert response.data["owner"] == personas.sales_rep.pk and response.data["stage_code"] == "lead_confirm"
    refused = client.post(BASE, {"customer": personas.customer_b.pk, "title": "越权", "close_date": "2027-06-30"},
                          format="json")  # fmt: skip
    assert refused.status_code in (400, 403)
    assert Opportunity.objects.count() == 1


@pytest.mark.django_db
def test_a_negative_amount_is_a_400_on_the_field(personas, api_as):
    response = api_as(personas.sales_rep).post(
        BASE, {"customer": personas.customer_a.pk, "title": "x", "amount": "-1", "close_date": "2027-06-30"}, format="json"
    )
    assert response.status_code == 400 and "amount" in response.data


@pytest.mark.django_db
def test_versioned_update_and_stale_409(personas, api_as):
    opportunity = open_one(personas)
    client = api_as(personas.sales_rep)
    ok = client.patch(f"{BASE}{opportunity.pk}/", {"amount": "1500000", "version": 1}, format="json")
    assert ok.status_code == 200 and ok.data["version"] == 2
    stale = client.patch(f"{BASE}{opportunity.pk}/", {"amount": "1", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.data["code"] == "stale_version"
    assert Opportunity.objects.get(pk=opportunity.pk).amount == Decimal("1500000")
    assert client.patch(f"{BASE}{opportunity.pk}/", {"amount": "1"}, format="json").status_code == 400


@pytest.mark.django_db
def test_move_action_by_code_or_id_and_illegal_move_is_a_400_on_stage(personas, api_as):
    opportunity = open_one(personas)
    client = api_as(personas.sales_rep)
    moved = client.post(f"{BASE}{opportunity.pk}/move/", {"stage": "discovery"}, format="json")
    assert moved.status_code == 200 and moved.data["stage_code"] == "discovery"
    illegal = client.post(f"{BASE}{opportunity.pk}/move/", {"stage": str(Stage.objects.get(code="won").pk)}, format="json")
    assert illegal.status_code == 400
    assert "cannot move" in illegal.data["stage"][0]
    unknown = client.post(f"{BASE}{opportunity.pk}/move/", {"stage": "nowhere"}, format="json")
    assert unknown.status_code == 400 and "stage" in unknown.data
    no_reason = client.post(f"{BASE}{opportunity.pk}/move/", {"stage": "lost"}, format="json")
    assert no_reason.status_code == 400 and "lost_reason" in no_reason.data
    lost = client.post(f"{BASE}{opportunity.pk}/move/", {"stage": "lost", "lost_reason": "budget"}, format="json")
    assert lost.status_code == 200 and lost.data["lost_reason"] == "budget"
    assert Event.objects.filter(verb="opportunity.lost").count() == 1


@pytest.mark.django_db
def test_move_needs_the_edit_right_and_visibility(personas, api_as):
    opportunity = open_one(personas)
    assert api_as(personas.finance).post(f"{BASE}{opportunity.pk}/move/", {"stage": "discovery"}, format="json").status_code == 403
    assert api_as(personas.other_rep).post(f"{BASE}{opportunity.pk}/move/", {"stage": "discovery"}, format="json").status_code == 404
    assert Opportunity.objects.get(pk=opportunity.pk).stage.code == "lead_confirm"


@pytest.mark.django_db
def test_reassign_and_delete(personas, api_as):
    opportunity = open_one(personas)
    manager = api_as(personas.sales_manager)
    response = manager.post(f"{BASE}{opportunity.pk}/reassign/", {"owner": personas.sales_manager.pk, "reason": "接手"},
                            format="json")  # fmt: skip
    assert response.status_code == 200 and response.data["owner"] == personas.sales_manager.pk
    assert api_as(personas.sales_rep).delete(f"{BASE}{opportunity.pk}/").status_code in (403, 404)
    assert manager.delete(f"{BASE}{opportunity.pk}/").status_code == 204
    assert Opportunity.objects.filter(pk=opportunity.pk).count() == 0


@pytest.mark.django_db
def test_requirements_api_crud_with_field_errors(personas, api_as):
    opportunity = open_one(personas)
    client = api_as(personas.sales_rep)
    area = RequirementArea.objects.get(code="options")
    created = client.post("/api/v1/requirements/", {"opportunity": opportunity.pk, "area": area.pk, "description": "期权",
                                                    "priority": "must", "custom_effort_days": "4.5"}, format="json")  # fmt: skip
    assert created.status_code == 201, created.data
    pk = created.data["id"]
    bad = client.patch(f"/api/v1/requirements/{pk}/", {"custom_effort_days": "-1"}, format="json")
    assert bad.status_code == 400 and "custom_effort_days" in bad.data
    other = client.patch(f"/api/v1/requirements/{pk}/", {"asked_by": personas.contact_b.pk}, format="json")
    assert other.status_code == 400 and "asked_by" in other.data
    assert client.patch(f"/api/v1/requirements/{pk}/", {"coverage": "standard"}, format="json").status_code == 200
    listed = client.get("/api/v1/requirements/", {"opportunity": opportunity.pk})
    assert [row["coverage"] for row in listed.data["results"]] == ["standard"]
    assert api_as(personas.other_rep).get(f"/api/v1/requirements/{pk}/").status_code == 404
    assert api_as(personas.finance).delete(f"/api/v1/requirements/{pk}/").status_code == 403
    assert client.delete(f"/api/v1/requirements/{pk}/").status_code == 204
    assert not Requirement.objects.exists()


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_manager)
    open_one(personas)
    client.get(BASE)
    with django_assert_num_queries(2) as first:
        client.get(BASE)
    for index in range(20):
        open_one(personas, title=f"商机{index}")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(BASE)


@pytest.mark.django_db
def test_detail_and_requirement_list_query_counts(personas, api_as, django_assert_num_queries):
    opportunity = open_one(personas)
    for index in range(5):
        requirement_add(opportunity=opportunity, by=personas.sales_rep, area=RequirementArea.objects.first(),
                        description=f"需求{index}")  # fmt: skip
    client = api_as(personas.sales_rep)
    client.get(f"{BASE}{opportunity.pk}/")
    with django_assert_num_queries(1):
        client.get(f"{BASE}{opportunity.pk}/")
    with django_assert_num_queries(3):
        client.get("/api/v1/requirements/")
