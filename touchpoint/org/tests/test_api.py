"""The read-only users and departments API."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from touchpoint.org.models import Department
from touchpoint.testing import make_user


@pytest.fixture
def api_as():
    def client_for(user):
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.mark.parametrize(
    "position",
    ["sales_rep", "sales_manager", "project_manager", "engineer", "maintenance_agent", "maintenance_lead",
     "finance", "marketing", "executive", "admin"],
)  # fmt: skip
def test_every_position_lists_users_and_departments(personas, api_as, position):
    client = api_as(personas.by_position()[position])
    users = client.get("/api/v1/users/", {"page_size": 200})
    assert users.status_code == 200
    assert personas.sales_rep.pk in {row["id"] for row in users.json()["results"]}
    assert client.get("/api/v1/departments/").json()["count"] == Department.objects.count()


def test_outsider_sees_no_colleagues(personas, api_as):
    client = api_as(personas.outsider)
    assert client.get("/api/v1/users/").json()["count"] == 0
    assert client.get(f"/api/v1/users/{personas.sales_rep.pk}/").status_code == 404
    assert client.get("/api/v1/departments/").json()["count"] == 0


def test_user_detail_shows_positions(personas, api_as):
    response = api_as(personas.sales_rep).get(f"/api/v1/users/{personas.sales_manager.pk}/")
    assert response.status_code == 200
    assert response.json()["positions"] == ["sales_manager"]
    assert "password" not in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_users_and_departments_are_read_only(personas, api_as, method):
    client = api_as(personas.admin)
    department = Department.objects.first()
    assert getattr(client, method)("/api/v1/users/", {}, format="json").status_code == 405
    assert getattr(client, method)(f"/api/v1/departments/{department.pk}/", {}, format="json").status_code == 405


def test_user_list_filters_by_position_and_rejects_unknown_parameters(personas, api_as):
    client = api_as(personas.admin)
    response = client.get("/api/v1/users/", {"position": "finance"})
    assert [row["id"] for row in response.json()["results"]] == [personas.finance.pk]
    assert client.get("/api/v1/users/", {"position": "king"}).status_code == 400
    assert client.get("/api/v1/users/", {"password": "x"}).status_code == 400
    assert client.get("/api/v1/users/", {"ordering": "password"}).status_code == 400
    assert client.get("/api/v1/departments/", {"ordering": "-code"}).status_code == 200


def test_user_list_query_count_does_not_grow_with_rows(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/users/")
    # token, memberships, count, page, positions
    with django_assert_num_queries(5):
        assert client.get("/api/v1/users/").status_code == 200
    for number in range(5):
        make_user(f"extra{number}", "engineer", "engineering")
    with django_assert_num_queries(5):
        assert client.get("/api/v1/users/").json()["count"] == 17


def test_user_detail_query_count(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/users/")
    with django_assert_num_queries(4):
        assert client.get(f"/api/v1/users/{personas.admin.pk}/").status_code == 200


def test_department_list_and_detail_query_counts(personas, api_as, django_assert_num_queries):
    client = api_as(personas.sales_rep)
    client.get("/api/v1/departments/")
    with django_assert_num_queries(4):
        assert client.get("/api/v1/departments/").status_code == 200
    Department.objects.create(code="legal", name="法务部", name_en="Legal")
    with django_assert_num_queries(4):
        assert client.get("/api/v1/departments/").status_code == 200
    url = f"/api/v1/departments/{Department.objects.first().pk}/"
    with django_assert_num_queries(3):
        assert client.get(url).status_code == 200
