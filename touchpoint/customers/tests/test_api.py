"""The customers and contacts API: scope, permissions, versions, bad input and query counts."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from touchpoint.customers.models import Contact, Customer, CustomerType
from touchpoint.customers.services import contact_create, customer_create, customer_update
from touchpoint.org.services import user_deactivate

VALID_CREDIT_CODE = "91110000MA01ABCD1M"  # a checksum-correct code nobody in the fixtures holds


@pytest.fixture
def api_as():
    def client_for(user, language="en"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


def customer_snapshot(customer):
    return Customer.all_objects.filter(pk=customer.pk).values().get()


def contact_snapshot(contact):
    return Contact.all_objects.filter(pk=contact.pk).values().get()


# --- Authentication -----------------------------------------------------------------------


def test_anonymous_request_is_refused(personas):
    response = APIClient().get("/api/v1/customers/")
    assert response.status_code == 401


def test_token_auth_lists_customers(personas, api_as):
    response = api_as(personas.sales_rep).get("/api/v1/customers/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [personas.customer_a.pk]


def test_session_auth_lists_customers(personas, client):
    client.force_login(personas.sales_rep)
    response = client.get("/api/v1/customers/")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_deactivated_users_token_stops_working(personas, api_as):
    client = api_as(personas.sales_rep)
    assert client.get("/api/v1/customers/").status_code == 200
    user_deactivate(user=personas.sales_rep, by=personas.admin)
    assert client.get("/api/v1/customers/").status_code == 401


# --- Reading ------------------------------------------------------------------------------


def test_rep_cannot_see_other_teams_customer_via_api(personas, api_as):
    response = api_as(personas.sales_rep).get(f"/api/v1/customers/{personas.customer_b.pk}/")
    assert response.status_code == 404


def test_customer_detail_shows_version_and_owner(personas, api_as):
    response = api_as(personas.sales_rep).get(f"/api/v1/customers/{personas.customer_a.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["owner"] == personas.sales_rep.pk
    assert body["credit_code"] == "91320000704041011J"


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        ("sales_rep", {"a"}),
        ("sales_manager", {"a", "b"}),
        ("project_manager", {"a", "b"}),
        ("engineer", set()),
        ("maintenance_agent", {"a", "b"}),
        ("maintenance_lead", {"a", "b"}),
        ("finance", {"a", "b"}),
        ("marketing", {"a", "b"}),
        ("executive", {"a", "b"}),
        ("admin", {"a", "b"}),
    ],
)
def test_customer_list_follows_each_positions_view_scope(personas, api_as, position, expected):
    names = {personas.customer_a.pk: "a", personas.customer_b.pk: "b"}
    response = api_as(personas.by_position()[position]).get("/api/v1/customers/")
    assert response.status_code == 200
    assert {names[row["id"]] for row in response.json()["results"]} == expected


def test_outsider_sees_no_customers(personas, api_as):
    client = api_as(personas.outsider)
    assert client.get("/api/v1/customers/").json()["count"] == 0
    assert client.get(f"/api/v1/customers/{personas.customer_a.pk}/").status_code == 404


def test_customer_list_filters_by_status_and_owner(personas, api_as):
    client = api_as(personas.admin)
    response = client.get("/api/v1/customers/", {"owner": personas.other_rep.pk, "status": "prospect"})
    assert [row["id"] for row in response.json()["results"]] == [personas.customer_b.pk]


def test_customer_list_searches_by_name(personas, api_as):
    response = api_as(personas.admin).get("/api/v1/customers/", {"q": "华泰"})
    assert [row["id"] for row in response.json()["results"]] == [personas.customer_a.pk]


def test_customer_list_orders_by_whitelisted_field(personas, api_as):
    client = api_as(personas.admin)
    ascending = [row["id"] for row in client.get("/api/v1/customers/", {"ordering": "created_at"}).json()["results"]]
    descending = [row["id"] for row in client.get("/api/v1/customers/", {"ordering": "-created_at"}).json()["results"]]
    assert ascending == [personas.customer_a.pk, personas.customer_b.pk]
    assert descending == list(reversed(ascending))


def test_unknown_ordering_field_is_a_400(personas, api_as):
    response = api_as(personas.admin).get("/api/v1/customers/", {"ordering": "credit_code"})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_unknown_filter_is_a_400(personas, api_as):
    response = api_as(personas.admin).get("/api/v1/customers/", {"owner__username": "rep"})
    assert response.status_code == 400
    assert "owner__username" in response.json()


def test_invalid_filter_value_is_a_400(personas, api_as):
    client = api_as(personas.admin)
    assert client.get("/api/v1/customers/", {"status": "gone"}).status_code == 400
    assert client.get("/api/v1/customers/", {"owner": "abc"}).json().keys() == {"owner"}
    assert client.get("/api/v1/customers/", {"q": "a\x00b"}).status_code == 400


def test_page_past_the_end_is_a_404(personas, api_as):
    assert api_as(personas.admin).get("/api/v1/customers/", {"page": 99}).status_code == 404


# --- Creating ------------------------------------------------------------------------------


def test_rep_creates_customer_owned_by_themself(personas, api_as):
    payload = {
        "name": "国泰君安证券股份有限公司",
        "customer_type": "securities",
        "credit_code": VALID_CREDIT_CODE.lower(),
    }
    response = api_as(personas.sales_rep).post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 201, response.json()
    created = Customer.objects.get(pk=response.json()["id"])
    assert created.owner == personas.sales_rep
    assert created.credit_code == VALID_CREDIT_CODE
    assert response.json()["version"] == 1


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 201),
        ("sales_manager", 201),
        ("project_manager", 403),
        ("engineer", 403),
        ("maintenance_agent", 403),
        ("maintenance_lead", 403),
        ("finance", 403),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 201),
    ],
)
def test_customer_create_follows_each_positions_policy(personas, api_as, position, status):
    before = Customer.all_objects.count()
    payload = {"name": "新客户", "customer_type": "bank"}
    response = api_as(personas.by_position()[position]).post("/api/v1/customers/", payload, format="json")
    assert response.status_code == status
    assert Customer.all_objects.count() == before + (status == 201)


def test_rep_cannot_create_customer_for_another_rep(personas, api_as):
    payload = {"name": "新客户", "customer_type": "bank", "owner": personas.other_rep.pk}
    response = api_as(personas.sales_rep).post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 403
    assert not Customer.objects.filter(name="新客户").exists()


def test_manager_creates_customer_for_a_team_member(personas, api_as):
    payload = {"name": "新客户", "customer_type": "bank", "owner": personas.sales_rep.pk}
    response = api_as(personas.sales_manager).post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 201
    assert Customer.objects.get(name="新客户").owner == personas.sales_rep


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"customer_type": "bank"}, "name"),
        ({"name": "x" * 101, "customer_type": "bank"}, "name"),
        ({"name": "客户", "customer_type": "casino"}, "customer_type"),
        ({"name": "客户", "customer_type": "bank", "province": "Atlantis"}, "province"),
        ({"name": "客户", "customer_type": "bank", "credit_code": "91320000704041011K"}, "credit_code"),
        ({"name": "客户", "customer_type": "bank", "credit_code": "91320000704041011J"}, "credit_code"),
        ({"name": "客户\x00", "customer_type": "bank"}, "name"),
        ({"name": "客户", "customer_type": "bank", "notes": "n" * 5001}, "notes"),
        ({"name": "客户", "customer_type": "bank", "parent": 10**30}, "parent"),
        ({"name": "客户", "customer_type": "bank", "parent": "abc"}, "parent"),
        ({"name": ["a"], "customer_type": "bank"}, "name"),
    ],
)
def test_bad_customer_input_is_a_field_level_400(personas, api_as, payload, field):
    before = Customer.all_objects.count()
    response = api_as(personas.admin, "zh-hans").post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Customer.all_objects.count() == before


def test_error_messages_follow_accept_language(personas, api_as):
    response = api_as(personas.admin, "zh-hans").post("/api/v1/customers/", {"customer_type": "bank"}, format="json")
    assert response.status_code == 400
    assert response.headers["Content-Language"] == "zh-hans"


def test_malformed_json_is_a_400(personas, api_as):
    response = api_as(personas.admin).post("/api/v1/customers/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_form_encoded_body_is_refused(personas, api_as):
    response = api_as(personas.admin).post("/api/v1/customers/", {"name": "x", "customer_type": "bank"})
    assert response.status_code == 415


def test_html_in_a_name_is_stored_as_plain_text(personas, api_as):
    payload = {"name": "<script>alert(1)</script>", "customer_type": "bank"}
    response = api_as(personas.admin).post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "<script>alert(1)</script>"


def test_customer_cannot_be_referenced_as_parent_when_invisible(personas, api_as):
    payload = {"name": "分公司", "customer_type": "branch", "parent": personas.customer_b.pk}
    response = api_as(personas.sales_rep).post("/api/v1/customers/", payload, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()


# --- Editing ------------------------------------------------------------------------------


def test_rep_patches_own_customer_with_current_version(personas, api_as):
    url = f"/api/v1/customers/{personas.customer_a.pk}/"
    response = api_as(personas.sales_rep).patch(url, {"city": "苏州", "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.city == "苏州"


def test_patch_without_version_is_a_400(personas, api_as):
    before = customer_snapshot(personas.customer_a)
    url = f"/api/v1/customers/{personas.customer_a.pk}/"
    response = api_as(personas.sales_rep).patch(url, {"city": "苏州"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
    assert customer_snapshot(personas.customer_a) == before


def test_stale_version_is_a_409_listing_the_revisions(personas, api_as):
    customer_update(customer=personas.customer_a, by=personas.sales_manager, expected_version=1, city="上海")
    before = customer_snapshot(personas.customer_a)
    url = f"/api/v1/customers/{personas.customer_a.pk}/"
    response = api_as(personas.sales_rep).patch(url, {"city": "苏州", "version": 1}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert body["current_version"] == 2
    [revision] = body["revisions"]
    assert revision["version"] == 2
    assert revision["by"] == str(personas.sales_manager)
    assert {"field": "city", "old": "南京", "new": "上海"}.items() <= revision["changes"][0].items()
    assert customer_snapshot(personas.customer_a) == before


def test_put_replaces_the_profile(personas, api_as):
    url = f"/api/v1/customers/{personas.customer_a.pk}/"
    payload = {"name": "华泰证券", "customer_type": "securities", "version": 1}
    response = api_as(personas.sales_rep).put(url, payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "华泰证券"


def test_put_without_required_fields_is_a_400(personas, api_as):
    url = f"/api/v1/customers/{personas.customer_a.pk}/"
    response = api_as(personas.sales_rep).put(url, {"version": 1}, format="json")
    assert response.status_code == 400
    assert {"name", "customer_type"} <= response.json().keys()


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 200),
        ("sales_manager", 200),
        ("project_manager", 403),
        ("engineer", 404),
        ("maintenance_agent", 403),
        ("maintenance_lead", 200),
        ("finance", 403),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 200),
    ],
)
def test_customer_edit_follows_each_positions_policy(personas, api_as, position, status):
    before = customer_snapshot(personas.customer_a)
    url = f"/api/v1/customers/{personas.customer_a.pk}/"
    response = api_as(personas.by_position()[position]).patch(url, {"city": "苏州", "version": 1}, format="json")
    assert response.status_code == status
    if status != 200:
        assert customer_snapshot(personas.customer_a) == before


def test_rep_cannot_edit_other_teams_customer(personas, api_as):
    before = customer_snapshot(personas.customer_b)
    url = f"/api/v1/customers/{personas.customer_b.pk}/"
    response = api_as(personas.sales_rep).patch(url, {"city": "苏州", "version": 1}, format="json")
    assert response.status_code == 404
    assert customer_snapshot(personas.customer_b) == before


def test_update_cannot_change_the_owner(personas, api_as):
    url = f"/api/v1/customers/{personas.customer_a.pk}/"
    response = api_as(personas.admin).patch(url, {"owner": personas.other_rep.pk, "version": 1}, format="json")
    assert response.status_code == 200
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.owner == personas.sales_rep


# --- Reassigning and deleting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 403),
        ("sales_manager", 200),
        ("project_manager", 403),
        ("engineer", 404),
        ("maintenance_agent", 403),
        ("maintenance_lead", 403),
        ("finance", 403),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 200),
    ],
)
def test_customer_reassign_follows_each_positions_policy(personas, api_as, position, status):
    url = f"/api/v1/customers/{personas.customer_a.pk}/reassign/"
    payload = {"owner": personas.other_rep.pk, "reason": "区域调整"}
    response = api_as(personas.by_position()[position]).post(url, payload, format="json")
    assert response.status_code == status
    personas.customer_a.refresh_from_db()
    expected_owner = personas.other_rep if status == 200 else personas.sales_rep
    assert personas.customer_a.owner == expected_owner


def test_reassign_needs_a_reason(personas, api_as):
    url = f"/api/v1/customers/{personas.customer_a.pk}/reassign/"
    response = api_as(personas.admin).post(url, {"owner": personas.other_rep.pk, "reason": "  "}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    personas.customer_a.refresh_from_db()
    assert personas.customer_a.owner == personas.sales_rep


def test_reassign_to_deactivated_user_is_a_400(personas, api_as):
    user_deactivate(user=personas.other_rep, by=personas.admin)
    url = f"/api/v1/customers/{personas.customer_a.pk}/reassign/"
    response = api_as(personas.admin).post(url, {"owner": personas.other_rep.pk, "reason": "离职交接"}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 403),
        ("sales_manager", 204),
        ("project_manager", 403),
        ("engineer", 404),
        ("maintenance_agent", 403),
        ("maintenance_lead", 403),
        ("finance", 403),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 204),
    ],
)
def test_customer_delete_follows_each_positions_policy(personas, api_as, position, status):
    before = customer_snapshot(personas.customer_a)
    response = api_as(personas.by_position()[position]).delete(f"/api/v1/customers/{personas.customer_a.pk}/")
    assert response.status_code == status
    if status == 204:
        assert Customer.all_objects.get(pk=personas.customer_a.pk).deleted_at is not None
        assert not Customer.objects.filter(pk=personas.customer_a.pk).exists()
    else:
        assert customer_snapshot(personas.customer_a) == before


def test_deleting_a_customer_with_branches_is_a_400(personas, api_as):
    customer_create(
        by=personas.admin, owner=personas.sales_rep, name="华泰证券南京分公司", customer_type=CustomerType.BRANCH,
        parent=personas.customer_a,
    )  # fmt: skip
    response = api_as(personas.admin).delete(f"/api/v1/customers/{personas.customer_a.pk}/")
    assert response.status_code == 400
    assert Customer.objects.filter(pk=personas.customer_a.pk).exists()


# --- Contacts -------------------------------------------------------------------------------


def test_rep_creates_contact_at_own_customer(personas, api_as):
    payload = {"customer": personas.customer_a.pk, "name": "李娜", "mobile": "+86 139 1234 5678"}
    response = api_as(personas.sales_rep).post("/api/v1/contacts/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert Contact.objects.get(pk=response.json()["id"]).mobile == "13912345678"


def test_contact_looking_like_an_existing_one_is_a_409_with_candidates(personas, api_as):
    payload = {"customer": personas.customer_a.pk, "name": "张伟", "mobile": "13800000000"}
    response = api_as(personas.sales_rep).post("/api/v1/contacts/", payload, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "possible_duplicates"
    assert [d["id"] for d in response.json()["duplicates"]] == [personas.contact_a.pk]
    assert Contact.objects.filter(name="张伟").count() == 1


def test_confirmed_duplicate_contact_is_created(personas, api_as):
    payload = {"customer": personas.customer_a.pk, "name": "张伟", "confirm_duplicates": True}
    response = api_as(personas.sales_rep).post("/api/v1/contacts/", payload, format="json")
    assert response.status_code == 201
    assert Contact.objects.filter(name="张伟").count() == 2


def test_duplicates_the_user_cannot_see_are_not_disclosed(personas, api_as):
    # contact_b's mobile, at the rep's own customer: the rep cannot see contact_b.
    payload = {"customer": personas.customer_a.pk, "name": "王芳", "mobile": personas.contact_b.mobile}
    response = api_as(personas.sales_rep).post("/api/v1/contacts/", payload, format="json")
    assert response.status_code == 201
    assert personas.contact_b.name not in str(response.json())


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 201),
        ("sales_manager", 201),
        ("project_manager", 403),
        ("engineer", 400),  # customer A is outside the engineer's view: "does not exist"
        ("maintenance_agent", 201),
        ("maintenance_lead", 201),
        ("finance", 201),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 201),
    ],
)
def test_contact_create_follows_each_positions_policy(personas, api_as, position, status):
    before = Contact.all_objects.count()
    payload = {"customer": personas.customer_a.pk, "name": "赵敏"}
    response = api_as(personas.by_position()[position]).post("/api/v1/contacts/", payload, format="json")
    assert response.status_code == status
    assert Contact.all_objects.count() == before + (status == 201)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"mobile": "12345"}, "mobile"),
        ({"landline": "abc"}, "landline"),
        ({"email": "not-an-email"}, "email"),
        ({"decision_role": "king"}, "decision_role"),
        ({"name": ""}, "name"),
        ({"left_on": "yesterday"}, "left_on"),
        ({"customer": None}, "customer"),
    ],
)
def test_bad_contact_input_is_a_field_level_400(personas, api_as, payload, field):
    before = Contact.all_objects.count()
    body = {"customer": personas.customer_a.pk, "name": "赵敏", **payload}
    response = api_as(personas.admin, "zh-hans").post("/api/v1/contacts/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Contact.all_objects.count() == before


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 200),
        ("sales_manager", 200),
        ("project_manager", 403),
        ("engineer", 404),
        ("maintenance_agent", 200),
        ("maintenance_lead", 200),
        ("finance", 200),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 200),
    ],
)
def test_contact_edit_follows_each_positions_policy(personas, api_as, position, status):
    before = contact_snapshot(personas.contact_a)
    url = f"/api/v1/contacts/{personas.contact_a.pk}/"
    response = api_as(personas.by_position()[position]).patch(url, {"title": "CIO", "version": 1}, format="json")
    assert response.status_code == status
    if status == 200:
        assert response.json()["title"] == "CIO"
    else:
        assert contact_snapshot(personas.contact_a) == before


def test_contact_stale_version_is_a_409(personas, api_as):
    url = f"/api/v1/contacts/{personas.contact_a.pk}/"
    client = api_as(personas.sales_rep)
    assert client.patch(url, {"title": "CIO", "version": 1}, format="json").status_code == 200
    response = client.patch(url, {"title": "CTO", "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    personas.contact_a.refresh_from_db()
    assert personas.contact_a.title == "CIO"


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("sales_rep", 204),
        ("sales_manager", 204),
        ("project_manager", 403),
        ("engineer", 404),
        ("maintenance_agent", 403),
        ("maintenance_lead", 204),
        ("finance", 403),
        ("marketing", 403),
        ("executive", 403),
        ("admin", 204),
    ],
)
def test_contact_delete_follows_each_positions_policy(personas, api_as, position, status):
    before = contact_snapshot(personas.contact_a)
    response = api_as(personas.by_position()[position]).delete(f"/api/v1/contacts/{personas.contact_a.pk}/")
    assert response.status_code == status
    if status == 204:
        assert not Contact.objects.filter(pk=personas.contact_a.pk).exists()
    else:
        assert contact_snapshot(personas.contact_a) == before


def test_rep_cannot_see_other_teams_contact(personas, api_as):
    client = api_as(personas.sales_rep)
    assert client.get(f"/api/v1/contacts/{personas.contact_b.pk}/").status_code == 404
    assert [row["id"] for row in client.get("/api/v1/contacts/").json()["results"]] == [personas.contact_a.pk]


def test_contact_list_filters_and_rejects_unknown_parameters(personas, api_as):
    client = api_as(personas.admin)
    response = client.get("/api/v1/contacts/", {"customer": personas.customer_b.pk})
    assert [row["id"] for row in response.json()["results"]] == [personas.contact_b.pk]
    assert client.get("/api/v1/contacts/", {"mobile": "138"}).status_code == 400
    assert client.get("/api/v1/contacts/", {"ordering": "mobile"}).status_code == 400


# --- Query counts -------------------------------------------------------------------------------


def _more_customers(personas, count):
    for number in range(count):
        customer = customer_create(
            by=personas.sales_rep, owner=personas.sales_rep, name=f"测试客户{number}", customer_type=CustomerType.BANK
        )
        contact_create(by=personas.sales_rep, customer=customer, name=f"联系人{number}")


def test_customer_list_query_count_does_not_grow_with_rows(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/customers/")  # warms the policy cache
    # token, memberships, count, page, tags
    with django_assert_num_queries(5):
        assert client.get("/api/v1/customers/").status_code == 200
    _more_customers(personas, 5)
    with django_assert_num_queries(5):
        assert client.get("/api/v1/customers/").json()["count"] == 6


def test_customer_detail_query_count(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/customers/")
    with django_assert_num_queries(4):
        assert client.get(f"/api/v1/customers/{personas.customer_a.pk}/").status_code == 200


def test_contact_list_query_count_does_not_grow_with_rows(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/contacts/")
    with django_assert_num_queries(4):
        assert client.get("/api/v1/contacts/").status_code == 200
    _more_customers(personas, 5)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/contacts/").json()["count"] == 6


def test_contact_detail_query_count(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/contacts/")
    with django_assert_num_queries(3):
        assert client.get(f"/api/v1/contacts/{personas.contact_a.pk}/").status_code == 200


def test_a_filter_error_speaks_each_readers_language_not_the_first_ones(personas, api_as):
    too_long = {"q": "x" * 101}
    english = api_as(personas.admin, "en").get("/api/v1/customers/", too_long)
    assert english.status_code == 400 and "100" in str(english.json()["q"])
    assert not any(ord(ch) > 0x3000 for ch in str(english.json()["q"]))
    chinese = api_as(personas.admin, "zh-hans").get("/api/v1/customers/", too_long)
    assert chinese.status_code == 400 and any(ord(ch) > 0x3000 for ch in str(chinese.json()["q"]))
